import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';
import { gobgpConf, hopOf, neighbor, paths as collectorPaths, processAlive, startCollector } from './gobgp-collector.js';
import { announcedWhileHeld, holds } from './held.js';

/**
 * Two announcing nodes (a, b: our daemon, each starting its own gobgpd, AS 65001) and a collector (c: gobgpd,
 * AS 65000, started here), eBGP with hold time 3 s, keepalive 1 s. The anycast VIP 203.0.113.10 is on each node's
 * lo, held by an instance of its own (VRIDs 61, 62) that announces it while MASTER.
 */
const topo = Topology.create({ hosts: ['a', 'b', 'c'] });
const d = Daemons.inTempDir(topo, 'kts-bgp-gobgp-');
const after_: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of after_) await f();
  topo.destroy();
  d.removeDir();
});

const HOLD_S = 3;
const VIP = '203.0.113.10';
const PREFIX = `${VIP}/32`;

const nodeConf = (name: string, vrid: number, gshut: number) =>
  `bgp_announce {\n  engine gobgp\n  gobgpd_config ${d.write(`${name}-gobgpd.toml`, gobgpConf(65001, topo.host(name).ipv4, neighbor('192.0.2.12', 65000, HOLD_S)))}\n` +
  `  med 50\n  community 65001:100\n  graceful_shutdown ${gshut}\n}\n` +
  `vrrp_instance VI_${name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n  version 3\n` +
  `  virtual_ipaddress {\n    ${PREFIX} dev lo\n  }\n  bgp_announce master\n  bgp_community 65001:${vrid}\n}\n`;

const paths = () => collectorPaths(topo, 'c', PREFIX);
const nextHops = () => paths().map(hopOf).sort();
const communitiesOf = (hop: string) =>
  paths()
    .find((p) => hopOf(p) === hop)
    ?.attrs.find((a) => a.type === 8)?.communities ?? [];

test('GoBGP: the collector sees the VIP while held, two paths (ECMP) from two nodes, GRACEFUL_SHUTDOWN then withdrawal on stop, withdrawal within the hold time on a node loss', async (t) => {
  const peers = neighbor('192.0.2.10', 65001, HOLD_S) + neighbor('192.0.2.11', 65001, HOLD_S);
  const multipath = '  [global.use-multiple-paths.config]\n    enabled = true\n';
  const collector = startCollector(topo, d, 'c', 'c.toml', gobgpConf(65000, '192.0.2.12', peers, multipath));
  after_.push(() => stop(collector));
  const a = d.ours('a', d.write('a.conf', nodeConf('a', 61, 0)));
  const b = d.ours('b', d.write('b.conf', nodeConf('b', 62, 2)));
  after_.push(
    () => stop(a.child),
    () => stop(b.child),
  );
  // both nodes MASTER of their own instance: two paths, next hop = each node's session address (next-hop self),
  // each at the collector only once its node holds the VIP
  for (const [hop, n] of [
    ['192.0.2.10', 'a'],
    ['192.0.2.11', 'b'],
  ] as const) {
    const e = await announcedWhileHeld(
      () => nextHops().includes(hop),
      () => holds(topo, n, VIP),
      45_000,
    );
    assert.ok(e.ms >= 0, `${JSON.stringify(paths())}\n${(n === 'a' ? a : b).log()}`);
    assert.equal(e.early, false, `${n}'s path at the collector before ${n} held the VIP`);
  }
  assert.deepEqual(nextHops(), ['192.0.2.10', '192.0.2.11'], JSON.stringify(paths()));
  const pa = paths().find((p) => hopOf(p) === '192.0.2.10');
  assert.equal(pa?.attrs.find((x) => x.type === 4)?.metric, 50, 'MED');
  assert.deepEqual(
    [...communitiesOf('192.0.2.10')].sort((x, y) => x - y),
    [65001 * 65536 + 61, 65001 * 65536 + 100],
    'block + instance communities',
  );
  // status: the route, the session to the collector
  const st = await controlRequest(a.controlSocket, 'status');
  const bgp = st.ok ? st.status?.snapshot.bgp : undefined;
  assert.deepEqual(bgp?.routes, [{ prefix: '203.0.113.10/32', state: 'announced' }]);
  assert.equal(bgp?.connected, true);

  // planned stop of b (graceful_shutdown 2): its path carries 65535:0 first, then goes, not before ~2 s
  assert.equal(communitiesOf('192.0.2.11').includes(0xffff0000), false, 'GRACEFUL_SHUTDOWN before the stop');
  const t0 = Date.now();
  const stopping = stop(b.child);
  assert.ok((await waitFor(() => communitiesOf('192.0.2.11').includes(0xffff0000), 10_000)) >= 0, JSON.stringify(paths()));
  const marked = Date.now() - t0;
  assert.ok((await waitFor(() => !nextHops().includes('192.0.2.11'), 15_000)) >= 0, JSON.stringify(paths()));
  const drained = Date.now() - t0;
  // the withdrawal waits the 2 s delay after the re-announcement, and comes before the supervisor's 5 s stop limit
  assert.ok(
    drained - marked >= 1000 && drained >= 1800 && drained <= 5000,
    `marked ${marked} ms, withdrawn ${drained} ms after the stop (delay 2 s)`,
  );
  t.diagnostic(`graceful shutdown: withdrawn ${drained} ms after the stop (delay 2 s)`);
  await stopping;
  assert.deepEqual(nextHops(), ['192.0.2.10']);

  // node loss: a's link goes down; the collector drops its path when the hold timer (3 s) expires
  const gobgpdPid = Number(/started gobgpd, pid (\d+)/.exec(a.log())?.[1]);
  assert.ok(gobgpdPid > 0, a.log());
  const t1 = Date.now();
  topo.exec('a', ['ip', 'link', 'set', 'eth0', 'down']);
  const lost = await waitFor(() => nextHops().length === 0, 15_000);
  assert.ok(lost >= 0, JSON.stringify(paths()));
  const ms = Date.now() - t1;
  // expiry comes 2-3 s after the cut (the last keepalive was up to 1 s earlier); 2 s slack for a loaded machine
  assert.ok(ms >= (HOLD_S - 1) * 1000 - 300 && ms <= HOLD_S * 1000 + 2000, `withdrawn ${ms} ms after the link cut (hold time ${HOLD_S} s)`);
  t.diagnostic(`node loss: withdrawn at the collector ${ms} ms after the link cut (hold time ${HOLD_S} s)`);
  topo.exec('a', ['ip', 'link', 'set', 'eth0', 'up']);
  await stop(a.child);
  // our daemon stopped its gobgpd
  assert.ok((await waitFor(() => !processAlive(gobgpdPid), 5000)) >= 0, 'gobgpd still running after the daemon stopped');
});
