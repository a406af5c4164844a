import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';

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
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.196'), 30_000)) >= 0, a.log());
    assert.ok((await waitFor(() => announced('a', blackhole), 5000)) >= 0, `${table('a')}\n${a.log()}`);
    assert.equal(table('a').trim().split('\n').length, 1, 'one route only');
    // status shows the route and the engine
    const st = await controlRequest(a.controlSocket, 'status');
    assert.deepEqual(st.ok && st.status?.snapshot.bgp?.routes, [{ prefix: '192.0.2.196/32', state: 'announced' }]);
    assert.equal(st.ok && st.status?.snapshot.bgp?.engine, 'kernel');
    // b (priority 250, route_type lo) takes over: the route moves with mastership
    b = d.ours('b', d.write('b.conf', conf(250, 'lo')));
    assert.ok((await waitFor(() => announced('b', lo), 30_000)) >= 0, `${table('b')}\n${b.log()}`);
    assert.ok((await waitFor(() => !announced('a', blackhole), 2000)) >= 0, table('a'));
    assert.equal(d.hasVip('a', '192.0.2.196'), false);
    // a held no route while BACKUP, b none before it was MASTER: at no point both (checked at the hand-over above)
    // stopping b (planned) removes its route; a is MASTER again and announces
    await stop(b.child);
    assert.equal(announced('b', lo), false, `${table('b')}\n${b.log().split('\n').slice(-25).join('\n')}`);
    assert.ok((await waitFor(() => announced('a', blackhole), 20_000)) >= 0, table('a'));
    // stopping a removes its route too
    await stop(a.child);
    assert.equal(table('a').trim(), '');
  } finally {
    await stop(a.child);
    if (b) await stop(b.child);
  }
});
