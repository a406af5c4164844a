import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';
import { announcedWhileHeld, withdrawnOnceReleased } from './held.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-bgp-kernel-');
after(() => {
  topo.destroy();
  d.removeDir();
});

/** Kernel-table mode: table 100, proto 99; the instance's VIP is announced while MASTER. */
const conf = (prio: number, routeType: string) =>
  `bgp_announce {\n  engine kernel\n  table 100\n  proto 99\n  route_type ${routeType}\n}\n` +
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 92\n  priority ${prio}\n  advert_int 1\n  version 3\n` +
  `  virtual_ipaddress {\n    192.0.2.196/24\n  }\n  bgp_announce master\n}\n`;

/** Table 100 (`-N`: protocol numbers), '' while the kernel has no such table yet. */
const table = (h: string): string => {
  try {
    return topo.exec(h, ['ip', '-N', 'route', 'show', 'table', '100']);
  } catch {
    return '';
  }
};
const announced = (h: string, re: RegExp) => re.test(table(h));

test('kernel-table mode: the VIP /32 is in table 100 with proto 99 exactly while the instance is MASTER', async () => {
  const blackhole = /^(blackhole|6) 192\.0\.2\.196 proto 99 *$/m; // -N prints the type as a number too
  const lo = /^192\.0\.2\.196 dev lo proto 99 scope 253/m;
  const a = d.ours('a', d.write('a.conf', conf(200, 'blackhole')));
  let b: ReturnType<Daemons['ours']> | undefined;
  try {
    const held = (h: string) => () => d.hasVip(h, '192.0.2.196');
    /** Waits for the route's edge and fails when it came while the VIP said otherwise. */
    const edge = async (wait: typeof announcedWhileHeld, h: string, re: RegExp, ms: number, what: string) => {
      const e = await wait(() => announced(h, re), held(h), ms);
      assert.ok(e.ms >= 0, `${what}: not within ${ms} ms\n${table(h)}`);
      assert.equal(e.early, false, `${what}: the route changed while the VIP did not`);
    };
    await edge(announcedWhileHeld, 'a', blackhole, 30_000, 'a MASTER');
    assert.equal(table('a').trim().split('\n').length, 1, 'one route only');
    // status shows the route and the engine
    const st = await controlRequest(a.controlSocket, 'status');
    assert.deepEqual(st.ok && st.status?.snapshot.bgp?.routes, [{ prefix: '192.0.2.196/32', state: 'announced' }]);
    assert.equal(st.ok && st.status?.snapshot.bgp?.engine, 'kernel');
    // b (priority 250, route_type lo) takes over: the route moves with mastership
    b = d.ours('b', d.write('b.conf', conf(250, 'lo')));
    // each route follows its own host's VIP: b's comes only once b holds it, a's goes only once a released it
    await edge(announcedWhileHeld, 'b', lo, 30_000, 'b MASTER');
    await edge(withdrawnOnceReleased, 'a', blackhole, 2000, 'a BACKUP');
    assert.equal(d.hasVip('a', '192.0.2.196'), false);
    // stopping b (planned) removes its route; a is MASTER again and announces
    await stop(b.child);
    assert.equal(announced('b', lo), false, `${table('b')}\n${b.log().split('\n').slice(-25).join('\n')}`);
    await edge(announcedWhileHeld, 'a', blackhole, 20_000, 'a MASTER again');
    // stopping a removes its route too
    await stop(a.child);
    assert.equal(table('a').trim(), '');
  } finally {
    await stop(a.child);
    if (b) await stop(b.child);
  }
});
