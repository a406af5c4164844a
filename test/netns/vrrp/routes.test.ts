import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-routes-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const inst = (prio: number, extra = '') =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 91\n  priority ${prio}\n` +
  `  advert_int 1\n  version 3\n  virtual_ipaddress {\n    192.0.2.195/24\n    203.0.113.60/24 dev eth1 label eth1:vip\n  }\n${extra}}\n`;

test('virtual_routes/virtual_rules follow mastership; static_ipaddress/routes/rules live from start to stop; VIP dev puts the address on that interface', async () => {
  // a second interface in host a for the `dev eth1` VIP
  topo.exec('a', ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
  topo.exec('a', ['ip', 'link', 'set', 'eth1', 'up']);
  topo.exec('a', ['ip', 'link', 'set', 'eth1p', 'up']);
  const conf =
    'static_ipaddress {\n  203.0.113.5/24 dev eth0\n}\nstatic_routes {\n  203.0.113.128/25 via 192.0.2.1 dev eth0\n}\n' +
    'static_rules {\n  from 203.0.113.5 table 105 priority 1005\n}\n' +
    inst(
      200,
      '  virtual_routes {\n    198.51.100.0/24 via 192.0.2.1 dev eth0\n  }\n  virtual_rules {\n    from 192.0.2.195 table 100 priority 1000\n  }\n',
    );
  const a = d.ours('a', d.write('routes-a.conf', conf));
  const route = () => topo.exec('a', ['ip', 'route', 'show', 'table', 'all']);
  const rules = () => topo.exec('a', ['ip', 'rule', 'show']);
  const addrs = () => topo.exec('a', ['ip', 'addr', 'show']);
  let b: ReturnType<Daemons['ours']> | undefined;
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.195'), 8000)) >= 0, a.log());
    assert.ok((await waitFor(() => /198\.51\.100\.0\/24 via 192\.0\.2\.1 dev eth0 proto (18|keepalived)/.test(route()), 2000)) >= 0, route());
    assert.match(rules(), /1000:\s+from 192\.0\.2\.195 lookup 100/);
    assert.match(addrs(), /inet 203\.0\.113\.60\/24 scope global eth1:vip/, 'the dev eth1 VIP is on eth1 with its label');
    assert.match(addrs(), /inet 203\.0\.113\.5\/24 scope global eth0/);
    assert.match(route(), /203\.0\.113\.128\/25 via 192\.0\.2\.1 dev eth0 proto (18|keepalived)/);
    assert.match(rules(), /1005:\s+from 203\.0\.113\.5 lookup 105/);
    // a higher-priority peer takes over: virtual routes and rules go with the VIPs; static entries stay
    b = d.ours('b', d.write('routes-b.conf', inst(250).replace(' dev eth1 label eth1:vip', '')));
    assert.ok((await waitFor(() => !d.hasVip('a', '192.0.2.195'), 8000)) >= 0, a.log());
    assert.ok((await waitFor(() => !route().includes('198.51.100.0/24'), 2000)) >= 0, route());
    assert.doesNotMatch(rules(), /from 192\.0\.2\.195/);
    assert.doesNotMatch(addrs(), /203\.0\.113\.60/);
    assert.match(route(), /203\.0\.113\.128\/25/);
    assert.match(addrs(), /203\.0\.113\.5\/24/);
    // stop: static entries are cleared as keepalived does
    await stop(a.child);
    assert.doesNotMatch(route(), /203\.0\.113\.128\/25/);
    assert.doesNotMatch(rules(), /203\.0\.113\.5/);
    assert.doesNotMatch(addrs(), /203\.0\.113\.5\//);
  } finally {
    await stop(a.child);
    if (b) await stop(b.child);
  }
});
