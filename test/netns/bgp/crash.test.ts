import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor, type RunningOurs } from '../harness/daemons.js';
import { gobgpConf, neighbor, paths, pidsNamed, processAlive, startCollector } from './gobgp-collector.js';
import { announcedWhileHeld, holds } from './held.js';

/**
 * Crash clean-up. GoBGP: node a (our daemon starting its own gobgpd, AS 65001) and a collector c (AS 65000), hold
 * time 9 s — so a withdrawal well before 9 s shows gobgpd closed its session rather than the collector timing out.
 * Kernel table: node k, table 100 proto 99.
 */
const topo = Topology.create({ hosts: ['a', 'c', 'k'] });
const d = Daemons.inTempDir(topo, 'kts-bgp-crash-');
const after_: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of after_) await f();
  topo.destroy();
  d.removeDir();
});

const HOLD_S = 9;
const VIP = '203.0.113.20';
const PREFIX = `${VIP}/32`;
const GOBGPD_PID = `${d.dir}/a-gobgpd.pid`;
const GOBGPD_CONF = d.write('a-gobgpd.toml', gobgpConf(65001, '192.0.2.10', neighbor('192.0.2.11', 65000, HOLD_S)));
const nodeConf = d.write(
  'a.conf',
  `bgp_announce {\n  engine gobgp\n  gobgpd_config ${GOBGPD_CONF}\n  gobgpd_pid_file ${GOBGPD_PID}\n  med 50\n}\n` +
    `vrrp_instance VI_a {\n  state BACKUP\n  interface eth0\n  virtual_router_id 71\n  priority 100\n  advert_int 1\n  version 3\n` +
    `  virtual_ipaddress {\n    ${VIP}/32 dev lo\n  }\n  bgp_announce master\n}\n`,
);

const announced = () => paths(topo, 'c', PREFIX).length > 0;
const gobgpds = () => pidsNamed(topo, 'a', 'gobgpd');
/** The `bgp` child's pid file: the main one's name with `_bgp`. */
const bgpPidFile = (o: RunningOurs) => o.pidFile.replace(/\.pid$/, '_bgp.pid');

/** SIGKILL to every process of our daemon: the children (from their pid files), then the parent. */
async function killAll(o: RunningOurs): Promise<void> {
  for (const f of [o.vrrpPidFile, bgpPidFile(o)]) {
    const pid = pidIn(f);
    if (pid) process.kill(pid, 'SIGKILL');
  }
  await stop(o.child, 'SIGKILL');
}

test('GoBGP: a killed bgp child takes its gobgpd along (session closed, route withdrawn at once) and is respawned and re-announces; after SIGKILL of the whole daemon no gobgpd is left; an orphan gobgpd of an earlier run is stopped at start', async (t) => {
  const collector = startCollector(topo, d, 'c', 'c.toml', gobgpConf(65000, '192.0.2.11', neighbor('192.0.2.10', 65001, HOLD_S)));
  after_.push(() => stop(collector));
  let a = d.ours('a', nodeConf);
  after_.push(() => stop(a.child));
  assert.ok((await waitFor(announced, 45_000)) >= 0, a.log());
  const first = pidIn(GOBGPD_PID);
  assert.ok(first && processAlive(first), `gobgpd pid file ${readFileSync(GOBGPD_PID, 'utf8')}`);
  assert.deepEqual(gobgpds(), [first]);

  // 1. the bgp child dies (SIGKILL): its gobgpd gets SIGTERM from the kernel (parent-death signal) and closes the
  //    session, the collector withdraws long before the hold time; the supervisor respawns the child, which starts
  //    a new gobgpd and announces again (the VRRP child is still MASTER)
  const bgpPid = pidIn(bgpPidFile(a));
  assert.ok(bgpPid, a.log());
  // the lower bound of an at-once withdrawal: the path is still there at the kill, so its going is the kill's doing
  assert.ok(announced(), 'announced before the kill');
  const t0 = Date.now();
  process.kill(bgpPid, 'SIGKILL');
  assert.ok((await waitFor(() => !announced(), HOLD_S * 1000)) >= 0, 'route still at the collector');
  const withdrawnMs = Date.now() - t0;
  // well inside the hold time: the session was closed (Cease), not timed out
  assert.ok(withdrawnMs < 4000, `withdrawn ${withdrawnMs} ms after the bgp child was killed (hold time ${HOLD_S} s)`);
  t.diagnostic(`bgp child SIGKILL: withdrawn at the collector after ${withdrawnMs} ms (hold time ${HOLD_S} s)`);
  assert.ok((await waitFor(announced, 30_000)) >= 0, a.log().split('\n').slice(-30).join('\n'));
  const reannouncedMs = Date.now() - t0;
  t.diagnostic(`bgp child respawned: announced again ${reannouncedMs} ms after the kill`);
  assert.match(a.log(), /BGP child process\(\d+\) died: Respawning/);
  const second = pidIn(GOBGPD_PID);
  assert.ok(second && second !== first && !processAlive(first));
  assert.deepEqual(gobgpds(), [second], 'one gobgpd');
  assert.notEqual(pidIn(bgpPidFile(a)), bgpPid);

  // 2. SIGKILL of every process of the daemon: gobgpd goes too, the route is withdrawn at once
  assert.ok(announced(), 'announced before the kill');
  const t1 = Date.now();
  await killAll(a);
  assert.ok((await waitFor(() => gobgpds().length === 0, 5000)) >= 0, `gobgpd left running: ${gobgpds().join(' ')}`);
  assert.ok((await waitFor(() => !announced(), HOLD_S * 1000)) >= 0);
  const crashMs = Date.now() - t1;
  assert.ok(crashMs < 4000, `withdrawn ${crashMs} ms after SIGKILL of the daemon`);
  t.diagnostic(`daemon SIGKILL: gobgpd gone and route withdrawn after ${crashMs} ms`);

  // 3. an orphan gobgpd of an earlier run (started without the parent-death signal, as an older build or a host
  //    without setpriv would leave it), announcing a stale path without our MED: the restarted daemon stops it
  //    first, runs exactly one gobgpd, and the collector gets our path only
  const orphan = topo.spawn('a', '/usr/bin/gobgpd', ['-f', GOBGPD_CONF, '-t', 'toml', '--api-hosts', '127.0.0.1:50051', '-p', '--pprof-disable']);
  after_.push(() => stop(orphan));
  d.write('a-gobgpd.pid', `${orphan.pid}\n`);
  assert.ok((await waitFor(() => gobgpds().length === 1, 5000)) >= 0);
  const orphanPid = gobgpds()[0]!;
  d.write('a-gobgpd.pid', `${orphanPid}\n`);
  assert.ok(
    (await waitFor(() => {
      try {
        topo.exec('a', ['gobgp', 'global', 'rib', 'add', PREFIX, '-a', 'ipv4']);
        return true;
      } catch {
        return false;
      }
    }, 10_000)) >= 0,
  );
  assert.ok((await waitFor(announced, 20_000)) >= 0, 'the orphan announces its stale path');
  assert.equal(
    paths(topo, 'c', PREFIX)[0]?.attrs.find((x) => x.type === 4),
    undefined,
    'the stale path has no MED',
  );
  a = d.ours('a', nodeConf);
  assert.ok((await waitFor(() => /left by an earlier run is still running - stopping it/.test(a.log()), 20_000)) >= 0, a.log());
  assert.ok((await waitFor(() => !processAlive(orphanPid), 5000)) >= 0, 'the orphan still runs');
  assert.ok(
    (await waitFor(() => paths(topo, 'c', PREFIX)[0]?.attrs.find((x) => x.type === 4)?.metric === 50, 45_000)) >= 0,
    `${JSON.stringify(paths(topo, 'c', PREFIX))}\n${a.log()}`,
  );
  assert.equal(paths(topo, 'c', PREFIX).length, 1);
  assert.deepEqual(gobgpds(), [pidIn(GOBGPD_PID)], 'exactly one gobgpd, the one in the pid file');
  await stop(a.child);
  assert.ok((await waitFor(() => gobgpds().length === 0, 5000)) >= 0);
});

/** Table 100 of host k with protocol numbers. */
const table = (): string => {
  try {
    return topo.exec('k', ['ip', '-N', 'route', 'show', 'table', '100']);
  } catch {
    return '';
  }
};

test('kernel table: after SIGKILL of the daemon, the stale routes with our protocol in our table are removed at restart, the wanted one installed once; other routes stay', async (t) => {
  const conf = d.write(
    'k.conf',
    `bgp_announce {\n  engine kernel\n  table 100\n  proto 99\n}\n` +
      `vrrp_instance VI_k {\n  state BACKUP\n  interface eth0\n  virtual_router_id 72\n  priority 100\n  advert_int 1\n  version 3\n` +
      `  virtual_ipaddress {\n    192.0.2.200/32 dev lo\n  }\n  bgp_announce master\n}\n`,
  );
  const ours = /^(blackhole|6) 192\.0\.2\.200 proto 99 *$/m;
  let k = d.ours('k', conf);
  after_.push(() => stop(k.child));
  assert.ok((await waitFor(() => ours.test(table()), 30_000)) >= 0, k.log());
  await killAll(k);
  assert.match(table(), ours, 'a killed daemon leaves its route');
  // also left by an earlier configuration: a host route with our protocol; and routes that are not ours
  topo.exec('k', ['ip', 'route', 'add', 'blackhole', '192.0.2.201/32', 'table', '100', 'proto', '99']);
  topo.exec('k', ['ip', 'route', 'add', 'blackhole', '192.0.2.202/32', 'table', '100', 'proto', '98']);
  topo.exec('k', ['ip', 'route', 'add', 'blackhole', '192.0.2.203/32', 'table', '101', 'proto', '99']);
  k = d.ours('k', conf);
  // at start (BACKUP, nothing wanted) ours go; the others stay
  assert.ok((await waitFor(() => !/192\.0\.2\.20[01] /.test(table()), 10_000)) >= 0, `${table()}\n${k.log()}`);
  const removedLine = /BGP: removed 192\.0\.2\.200\/32 from table 100 proto 99, left by an earlier run/;
  assert.ok((await waitFor(() => removedLine.test(k.log()), 5000)) >= 0, k.log());
  assert.match(table(), /192\.0\.2\.202 proto 98/);
  assert.match(topo.exec('k', ['ip', 'route', 'show', 'table', '101']), /192\.0\.2\.203/);
  // MASTER again: the route once
  const back = await announcedWhileHeld(
    () => ours.test(table()),
    () => holds(topo, 'k', '192.0.2.200'),
    30_000,
  );
  assert.ok(back.ms >= 0, `${table()}\n${k.log()}`);
  assert.equal(back.early, false, 'route installed before the VIP was held');
  t.diagnostic(`kernel table: stale routes removed at restart, the VIP's route back ${back.ms} ms later (MASTER)`);
  assert.equal(table().match(/192\.0\.2\.200 /g)?.length, 1, table());
  await stop(k.child);
  assert.doesNotMatch(table(), /192\.0\.2\.200 /);
});
