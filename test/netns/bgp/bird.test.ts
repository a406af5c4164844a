import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stop, waitFor } from '../harness/daemons.js';
import { hopOf, paths } from './gobgp-collector.js';
import { announcedWhileHeld, holds, withdrawnOnceReleased } from './held.js';
import { kernelTableConf, kernelTableLab } from './kernel-lab.js';

/**
 * Kernel-table mode with BIRD 2 (Debian `bird2`): on node n our daemon installs the VIP's route in table 100 (proto
 * 99) while MASTER; BIRD learns that table (`protocol kernel { kernel table 100; learn; }`, only proto 99) and
 * exports it by BGP to a GoBGP collector c (AS 65000). Node p, of higher priority, takes mastership while it runs.
 * Unlike FRR, BIRD does not import the interface address, so a /32 VIP on lo is announced as it is.
 */
const lab = kernelTableLab('bird');
const { topo, d, N, C } = lab;
const VIP = '203.0.113.60';
const PREFIX = `${VIP}/32`;
/** BIRD's periodic scan of the kernel table (s); changes also come by netlink notification. */
const SCAN_S = 2;
const conf = (priority: number) => kernelTableConf({ instance: 'VI_B', vrid: 93, priority, vip: `${PREFIX} dev lo` });

const birdConf =
  `router id ${N.ipv4};\nprotocol device {}\n` +
  `protocol kernel k100 {\n  kernel table 100;\n  learn;\n  scan time ${SCAN_S};\n` +
  `  ipv4 { import where krt_source = 99; export none; };\n}\n` +
  `protocol bgp collector {\n  local ${N.ipv4} as 65001;\n  neighbor ${C.ipv4} as 65000;\n  hold time 3;\n  keepalive time 1;\n  connect retry time 1;\n` +
  `  ipv4 { import none; export where proto = "k100"; };\n}\n`;

const atCollector = () => paths(topo, 'c', PREFIX).length > 0;

test('kernel table + BIRD: the collector has the VIP route (next hop n) exactly while n holds the VIP', async (t) => {
  lab.collector();
  const bird = topo.spawn('n', '/usr/sbin/bird', ['-f', '-c', d.write('bird.conf', birdConf), '-s', `${d.dir}/bird.ctl`, '-P', `${d.dir}/bird.pid`]);
  let birdOut = '';
  bird.stdout?.on('data', (x: Buffer) => (birdOut += x.toString()));
  bird.stderr?.on('data', (x: Buffer) => (birdOut += x.toString()));
  lab.atEnd(() => stop(bird));
  const birdc = (cmd: string) => {
    try {
      return topo.exec('n', ['birdc', '-s', `${d.dir}/bird.ctl`, ...cmd.split(' ')]);
    } catch (e) {
      return String(e);
    }
  };
  const n = lab.ours('n', conf(100));
  const held = () => holds(topo, 'n', VIP);
  const why = () =>
    [
      JSON.stringify(paths(topo, 'c', PREFIX)),
      topo.exec('n', ['ip', '-N', 'route', 'show', 'table', '100']),
      birdc('show route all'),
      birdc('show protocols'),
      birdOut,
    ].join('\n');
  const up = await announcedWhileHeld(atCollector, held, 45_000);
  assert.ok(up.ms >= 0, `${why()}\n${n.log()}`);
  assert.equal(up.early, false, 'at the collector before n held the VIP');
  assert.equal(hopOf(paths(topo, 'c', PREFIX)[0]!), N.ipv4, why());

  // p (priority 200) preempts: n is BACKUP, its route leaves table 100, BIRD withdraws it
  const p = lab.ours('p', conf(200));
  assert.ok((await waitFor(() => /\(VI_B\) Entering BACKUP STATE$/m.test(n.log()), 30_000)) >= 0, n.log());
  const gone = await withdrawnOnceReleased(atCollector, held, SCAN_S * 1000 + 5000);
  assert.ok(gone.ms >= 0, why());
  assert.equal(gone.early, false, 'withdrawn while n still held the VIP');
  t.diagnostic(`BIRD: withdrawn at the collector ${gone.ms} ms after n logged BACKUP`);

  // p stops: n is MASTER again, the route comes back through BIRD
  await stop(p.child);
  const back = await announcedWhileHeld(atCollector, held, 20_000);
  assert.ok(back.ms >= 0, why());
  assert.equal(back.early, false, 'at the collector again before n held the VIP');
  t.diagnostic(`BIRD: announced again ${back.ms} ms after p stopped`);
  await stop(n.child);
  assert.ok((await waitFor(() => !atCollector(), SCAN_S * 1000 + 5000)) >= 0, 'n stopped: withdrawn');
});
