/**
 * Route metrics and attributes reach the kernel as keepalived sets them: a route read from the configuration
 * (`mtu lock 1400 advmss 1360 initcwnd 10`, …) is added over our rtnetlink client and `ip -d route show` prints it
 * exactly as it prints the same route added by ip(8) itself.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Rtnl } from '../../../src/net/netlink/rtnl.js';
import { sysio } from '../../../src/net/sysio.js';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { routeSpec, ruleSpec } from '../../../src/runtime/vrrp/routes.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const rtnl = topo.inside('a', () => new Rtnl());
const ifindex = topo.inside('a', () => sysio.ifNameToIndex('eth0'));
after(() => {
  rtnl.close();
  topo.destroy();
});

function staticRoutes(lines: string[]) {
  const { tree, diagnostics } = parseConfigTree(`static_routes {\n${lines.map((l) => `  ${l}\n`).join('')}}\n`, 'k.conf');
  const d = new DiagnosticSink();
  d.items.push(...diagnostics);
  const c = buildModel(tree, d);
  assert.deepEqual(
    d.items.filter((x) => x.severity === 'error'),
    [],
  );
  return c.staticRoutes;
}

const ifindexOf = (n: string) => (n === 'eth0' ? ifindex : undefined);

test('a static route with mtu lock 1400 advmss 1360 initcwnd 10 appears in ip route show exactly so', async () => {
  const [r] = staticRoutes(['203.0.113.0/24 dev eth0 mtu lock 1400 advmss 1360 initcwnd 10']);
  await rtnl.addRoute(routeSpec(r!, ifindexOf)!);
  const shown = topo.exec('a', ['ip', 'route', 'show', '203.0.113.0/24']).trim();
  assert.match(shown, /^203\.0\.113\.0\/24 dev eth0 proto (18|keepalived) scope link mtu lock 1400 advmss 1360 initcwnd 10$/);
  await rtnl.deleteRoute(routeSpec(r!, ifindexOf)!);
  assert.equal(topo.exec('a', ['ip', 'route', 'show', '203.0.113.0/24']).trim(), '');
});

test('every metric, its lock and the other attributes read back as ip(8) sets them', async () => {
  const attrs =
    'mtu lock 1400 advmss lock 1360 initcwnd 10 initrwnd 20 ssthresh lock 107 cwnd 9 window 30000 reordering 4 ' +
    'hoplimit 32 rtt 300ms rttvar lock 1s rto_min lock 250ms features ecn quickack 1 congctl lock reno';
  const [ours] = staticRoutes([`198.51.100.0/24 dev eth0 table 101 ${attrs}`]);
  await rtnl.addRoute(routeSpec(ours!, ifindexOf)!);
  // ip(8) always locks rto_min and refuses `rto_min lock`; keepalived locks it only when asked
  topo.exec('a', [
    'ip',
    'route',
    'add',
    '198.51.100.0/24',
    'dev',
    'eth0',
    'table',
    '102',
    'proto',
    '18',
    ...attrs.replace('rto_min lock', 'rto_min').split(' '),
  ]);
  const show = (t: string) =>
    topo
      .exec('a', ['ip', '-d', 'route', 'show', 'table', t])
      .trim()
      .replace(/ table \d+/, '');
  assert.notEqual(show('102'), '');
  assert.equal(show('101'), show('102'));
});

test('an IPv6 route with pref and a route via a next hop list', async () => {
  topo.exec('a', ['ip', '-6', 'addr', 'add', '2001:db8:5::1/64', 'dev', 'eth0', 'nodad']);
  topo.exec('a', ['ip', 'addr', 'add', '192.0.2.77/24', 'dev', 'eth0']);
  const [six, multi] = staticRoutes([
    '2001:db8:9::/48 via 2001:db8:5::2 dev eth0 pref high table 103',
    '203.0.113.128/25 dev eth0 nexthop via 192.0.2.201 dev eth0 weight 2 nexthop via 192.0.2.202 dev eth0',
  ]);
  await rtnl.addRoute(routeSpec(six!, ifindexOf)!);
  await rtnl.addRoute(routeSpec(multi!, ifindexOf)!);
  assert.match(
    topo.exec('a', ['ip', '-6', 'route', 'show', 'table', '103']),
    /2001:db8:9::\/48 via 2001:db8:5::2 dev eth0 proto (18|keepalived) metric \d+ pref high/,
  );
  const m = topo.exec('a', ['ip', 'route', 'show', '203.0.113.128/25']);
  assert.match(m, /nexthop via 192\.0\.2\.201 dev eth0 weight 2/);
  assert.match(m, /nexthop via 192\.0\.2\.202 dev eth0 weight 1/);
});

test('a rule with `dev` (iif), fwmark, sport range and goto reads back in ip rule show', async () => {
  const { tree } = parseConfigTree(
    'static_rules {\n  dev eth0 fwmark 0x10/0xff sport 1000-2000 priority 100 table 7\n  not from 192.0.2.0/24 goto 300 priority 200\n}\n',
    'k.conf',
  );
  const c = buildModel(tree, new DiagnosticSink());
  for (const r of c.staticRules) await rtnl.addRule(ruleSpec(r));
  const shown = topo.exec('a', ['ip', 'rule', 'show']);
  assert.match(shown, /100:\s+from all fwmark 0x10\/0xff iif eth0 sport 1000-2000 lookup 7 proto (18|keepalived)/);
  assert.match(shown, /200:\s+not from 192\.0\.2\.0\/24 goto 300( \[unresolved\])? proto (18|keepalived)/, shown);
});
