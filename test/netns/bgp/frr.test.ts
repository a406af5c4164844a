import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';
import { gobgpConf, hopOf, neighbor, paths, startCollector } from './gobgp-collector.js';

/**
 * Kernel-table mode with FRR: on node n our daemon installs the VIP's route in table 100 (proto 99) while MASTER;
 * FRR's zebra imports that table (`ip import-table 100`) and bgpd redistributes it (`redistribute table 100`) to a
 * GoBGP collector c (AS 65000). Node p is a VRRP peer of higher priority: while it runs, n is BACKUP and the route
 * is gone from the collector. The VIP is a /24 on eth0: a VIP held as a /32 on an interface is a connected /32 in
 * zebra (distance 0), which beats the imported table's route (distance 15), so the table route is not selected and
 * not redistributed (for such VIPs FRR's `redistribute connected` with a prefix list does the job on its own).
 */
const topo = Topology.create({ hosts: ['n', 'p', 'c'] });
const d = Daemons.inTempDir(topo, 'kts-bgp-frr-');
const after_: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of after_) await f();
  topo.destroy();
  d.removeDir();
});

const [N, C] = [topo.host('n'), topo.host('c')];
const PREFIX = '203.0.113.40/32';
const conf = (prio: number) =>
  `bgp_announce {\n  engine kernel\n  table 100\n  proto 99\n}\n` +
  `vrrp_instance VI_F {\n  state BACKUP\n  interface eth0\n  virtual_router_id 91\n  priority ${prio}\n  advert_int 1\n  version 3\n` +
  `  virtual_ipaddress {\n    203.0.113.40/24 dev eth0\n  }\n  bgp_announce master\n}\n`;

/** What zebra and bgpd printed. */
let frrOut = '';

/** FRR's `show` output in n. */
const vtysh = (cmd: string): string => {
  try {
    return topo.exec('n', ['vtysh', '--vty_socket', `${d.dir}/frr`, '-c', cmd]);
  } catch (e) {
    return String(e);
  }
};

/** FRR's zebra and bgpd in n (foreground, run as user frr: FRR wants its vty group), files under `dir`. */
function startFrr(): void {
  chmodSync(d.dir, 0o755);
  const dir = `${d.dir}/frr`;
  mkdirSync(dir, { mode: 0o777 });
  chmodSync(dir, 0o777);
  const zebra = d.write('frr/zebra.conf', 'hostname n\nip import-table 100\n');
  const bgpd = d.write(
    'frr/bgpd.conf',
    `hostname n\nrouter bgp 65001\n bgp router-id ${N.ipv4}\n no bgp ebgp-requires-policy\n neighbor ${C.ipv4} remote-as 65000\n` +
      ` neighbor ${C.ipv4} timers 1 3\n neighbor ${C.ipv4} timers connect 1\n address-family ipv4 unicast\n  redistribute table 100\n exit-address-family\n`,
  );
  const common = ['-z', `${dir}/zserv.api`, '--vty_socket', dir, '-P', '0', '-u', 'frr', '-g', 'frr'];
  const z = topo.spawn('n', '/usr/lib/frr/zebra', ['-f', zebra, '-i', `${dir}/zebra.pid`, ...common]);
  after_.push(() => stop(z));
  const b = topo.spawn('n', '/usr/lib/frr/bgpd', ['-f', bgpd, '-i', `${dir}/bgpd.pid`, ...common]);
  after_.push(() => stop(b));
  for (const c of [z, b]) {
    c.stdout?.on('data', (x: Buffer) => (frrOut += x.toString()));
    c.stderr?.on('data', (x: Buffer) => (frrOut += x.toString()));
  }
}

const atCollector = () => paths(topo, 'c', PREFIX).length > 0;

test('kernel table + FRR: the collector has the VIP route (next hop n) exactly while n is MASTER', async (t) => {
  const collector = startCollector(topo, d, 'c', 'c.toml', gobgpConf(65000, C.ipv4, neighbor(N.ipv4, 65001, 3)));
  after_.push(() => stop(collector));
  startFrr();
  const n = d.ours('n', d.write('n.conf', conf(100)));
  after_.push(() => stop(n.child));
  const up = await waitFor(atCollector, 45_000);
  assert.ok(
    up >= 0,
    `${topo.exec('n', ['ip', 'route', 'show', 'table', '100'])}\n${frrOut}\n${vtysh('show ip route')}\n${vtysh('show ip bgp summary')}`,
  );
  assert.equal(hopOf(paths(topo, 'c', PREFIX)[0]!), N.ipv4);

  // p (priority 200) preempts: n is BACKUP, its route leaves table 100, FRR withdraws it
  const p = d.ours('p', d.write('p.conf', conf(200)));
  after_.push(() => stop(p.child));
  assert.ok((await waitFor(() => /\(VI_F\) Entering BACKUP STATE/.test(n.log().split('Entering MASTER STATE').at(-1) ?? ''), 30_000)) >= 0, n.log());
  const t0 = Date.now();
  assert.ok((await waitFor(() => !atCollector(), 10_000)) >= 0, JSON.stringify(paths(topo, 'c', PREFIX)));
  const goneMs = Date.now() - t0;
  assert.ok(goneMs <= 5000, `withdrawn ${goneMs} ms after n left MASTER`);
  t.diagnostic(`FRR: withdrawn at the collector ${goneMs} ms after n logged BACKUP`);

  // p stops: n is MASTER again, the route comes back through FRR
  await stop(p.child);
  const back = await waitFor(atCollector, 20_000);
  assert.ok(back >= 0, n.log());
  t.diagnostic(`FRR: announced again ${back} ms after p stopped`);
  await stop(n.child);
  assert.ok((await waitFor(() => !atCollector(), 10_000)) >= 0, 'n stopped: withdrawn');
});
