import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';

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
const neighbor = (addr: string, as: number) =>
  `[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "${addr}"\n    peer-as = ${as}\n` +
  `  [neighbors.timers.config]\n    hold-time = ${HOLD_S}\n    keepalive-interval = 1\n    connect-retry = 1\n`;
const gobgpConf = (as: number, routerId: string, peers: string, extra = '') =>
  `[global.config]\n  as = ${as}\n  router-id = "${routerId}"\n  port = 179\n${extra}${peers}`;

const nodeConf = (name: string, vrid: number, gshut: number) =>
  `bgp_announce {\n  engine gobgp\n  gobgpd_config ${d.write(`${name}-gobgpd.toml`, gobgpConf(65001, topo.host(name).ipv4, neighbor('192.0.2.12', 65000)))}\n` +
  `  med 50\n  community 65001:100\n  graceful_shutdown ${gshut}\n}\n` +
  `vrrp_instance VI_${name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n  version 3\n` +
  `  virtual_ipaddress {\n    203.0.113.10/32 dev lo\n  }\n  bgp_announce master\n  bgp_community 65001:${vrid}\n}\n`;

interface RibPath {
  attrs: { type: number; nexthop?: string; metric?: number; communities?: number[] }[];
}

/** A path's NEXT_HOP (attribute 3). */
const hopOf = (p: RibPath) => p.attrs.find((a) => a.type === 3)?.nexthop ?? '';

/** The collector's paths for the VIP (gobgp CLI, JSON). */
function paths(): RibPath[] {
  try {
    const out = topo.exec('c', ['gobgp', '-u', '127.0.0.1', '-p', '50051', 'global', 'rib', '-a', 'ipv4', '203.0.113.10/32', '-j']);
    const j = JSON.parse(out || '{}') as Record<string, RibPath[]>;
    return j['203.0.113.10/32'] ?? [];
  } catch {
    return [];
  }
}
const nextHops = () => paths().map(hopOf).sort();
const communitiesOf = (hop: string) =>
  paths()
    .find((p) => hopOf(p) === hop)
    ?.attrs.find((a) => a.type === 8)?.communities ?? [];

test('GoBGP: the collector sees the VIP while held, two paths (ECMP) from two nodes, GRACEFUL_SHUTDOWN then withdrawal on stop, withdrawal within the hold time on a node loss', async (t) => {
  const peers = neighbor('192.0.2.10', 65001) + neighbor('192.0.2.11', 65001);
  const collector = topo.spawn('c', '/usr/bin/gobgpd', [
    '-f',
    d.write('c.toml', gobgpConf(65000, '192.0.2.12', peers, '  [global.use-multiple-paths.config]\n    enabled = true\n')),
    '--api-hosts',
    '127.0.0.1:50051',
    '--pprof-disable',
    '-p',
  ]);
  after_.push(() => stop(collector));
  const a = d.ours('a', d.write('a.conf', nodeConf('a', 61, 0)));
  const b = d.ours('b', d.write('b.conf', nodeConf('b', 62, 2)));
  after_.push(
    () => stop(a.child),
    () => stop(b.child),
  );
  // both nodes MASTER of their own instance: two paths, next hop = each node's session address (next-hop self)
  assert.ok((await waitFor(() => nextHops().length === 2, 45_000)) >= 0, `${JSON.stringify(paths())}\n${a.log()}`);
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
  const t0 = Date.now();
  const stopping = stop(b.child);
  assert.ok((await waitFor(() => communitiesOf('192.0.2.11').includes(0xffff0000), 10_000)) >= 0, JSON.stringify(paths()));
  assert.ok((await waitFor(() => !nextHops().includes('192.0.2.11'), 15_000)) >= 0, JSON.stringify(paths()));
  const drained = Date.now() - t0;
  assert.ok(drained >= 1800, `withdrawn ${drained} ms after the stop, before the 2 s graceful-shutdown delay`);
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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
