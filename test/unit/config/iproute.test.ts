import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, formatDiagnostic, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { readRtt } from '../../../src/config/parse-static.js';
import { configTestStatus } from '../../../src/config/config-test.js';
import type { RouteConfig, RuleConfig } from '../../../src/config/model.js';
import { encodeRouteRequest, encodeRuleRequest } from '../../../src/net/netlink/route-messages.js';
import { routeSpec, ruleSpec } from '../../../src/runtime/vrrp/routes.js';

/** Loads `static_routes { line }` / `static_rules { line }`: the one item (or none) and the diagnostics. */
function one(block: 'static_routes' | 'static_rules', line: string) {
  const { tree, diagnostics } = parseConfigTree(`${block} {\n  ${line}\n}\n`, 'k.conf');
  const d = new DiagnosticSink();
  d.items.push(...diagnostics);
  const c = buildModel(tree, d);
  const text = d.items.map((x) => formatDiagnostic(x).replace(/^k\.conf:\d+:\d+: /, ''));
  return { route: c.staticRoutes[0], rule: c.staticRules[0], text, status: configTestStatus(d.items) };
}
const route = (line: string) => one('static_routes', line);
const rule = (line: string) => one('static_rules', line);

test('every route keyword of keepalived 2.2.7 alloc_route is read', () => {
  const cases: [string, (r: RouteConfig) => unknown, unknown][] = [
    ['192.0.2.0/24 dev eth0 via 192.0.2.1', (r) => [r.gateway, r.family], ['192.0.2.1', 4]],
    ['192.0.2.0/24 dev eth0 via inet 192.0.2.1', (r) => r.gateway, '192.0.2.1'],
    ['default dev eth0 via inet6 2001:db8::1', (r) => [r.family, r.destination, r.prefixLength, r.gateway], [6, '::', 0, '2001:db8::1']],
    ['inet6 x default dev eth0', (r) => [r.family, r.destination], [6, '::']], // keepalived steps over the word after inet6
    ['to 192.0.2.0/24 dev eth0', (r) => r.destination, '192.0.2.0'],
    ['unreachable 192.0.2.0/24 dev eth0', (r) => r.type, 'unreachable'],
    ['192.0.2.0/24 dev eth0 src 192.0.2.9', (r) => r.source, '192.0.2.9'],
    ['2001:db8::/64 dev eth0 from 2001:db8:1::/48', (r) => r.from, { address: '2001:db8:1::', prefixLength: 48 }],
    ['192.0.2.0/24 dev eth0 tos 0x10', (r) => r.tos, 16],
    ['192.0.2.0/24 dev eth0 dsfield AF11', (r) => r.tos, 0x28],
    ['192.0.2.0/24 dev eth0 table 0x100', (r) => r.table, 256],
    ['192.0.2.0/24 dev eth0 table local', (r) => r.table, 255],
    ['192.0.2.0/24 dev eth0 protocol keepalived', (r) => r.protocol, 18],
    ['192.0.2.0/24 dev eth0 protocol bird no_track', (r) => r.protocol, 12],
    ['192.0.2.0/24 dev eth0 scope link', (r) => r.scope, 253],
    ['192.0.2.0/24 dev eth0 metric 7', (r) => r.metric, 7],
    ['192.0.2.0/24 dev eth0 priority 8', (r) => r.metric, 8],
    ['192.0.2.0/24 dev eth0 preference 9', (r) => r.metric, 9],
    ['192.0.2.0/24 oif eth0', (r) => r.dev, 'eth0'],
    ['192.0.2.0/24 dev eth0 via 192.0.2.1 onlink', (r) => r.onlink, true],
    ['2001:db8::/64 dev eth0 expires 30', (r) => [r.expires, r.family], [30, 6]],
    ['192.0.2.0/24 dev eth0 mtu 1400', (r) => r.metrics, { mtu: 1400 }],
    ['192.0.2.0/24 dev eth0 mtu lock 1400', (r) => r.metrics, { mtu: 1400, lock: 1 << 2 }],
    ['192.0.2.0/24 dev eth0 ssthresh lock 107', (r) => r.metrics, { ssthresh: 107, lock: 1 << 6 }],
    ['192.0.2.0/24 dev eth0 hoplimit 64', (r) => r.metrics, { hoplimit: 64 }],
    ['192.0.2.0/24 dev eth0 advmss lock 1360', (r) => r.metrics, { advmss: 1360, lock: 1 << 8 }],
    ['192.0.2.0/24 dev eth0 rtt 3s', (r) => r.metrics, { rtt: 24000 }],
    ['192.0.2.0/24 dev eth0 rtt lock 250ms', (r) => r.metrics, { rtt: 2000, lock: 1 << 4 }],
    ['192.0.2.0/24 dev eth0 rttvar 1.5s', (r) => r.metrics, { rttvar: 6000 }],
    ['192.0.2.0/24 dev eth0 reordering lock 5', (r) => r.metrics, { reordering: 5, lock: 1 << 9 }],
    ['192.0.2.0/24 dev eth0 window 65535', (r) => r.metrics, { window: 65535 }],
    ['192.0.2.0/24 dev eth0 cwnd lock 10', (r) => r.metrics, { cwnd: 10, lock: 1 << 7 }],
    ['192.0.2.0/24 dev eth0 realms 1/2', (r) => r.realms, (1 << 16) | 2],
    ['192.0.2.0/24 dev eth0 rto_min lock 300ms', (r) => r.metrics, { rtoMin: 300, lock: 1 << 13 }],
    ['192.0.2.0/24 dev eth0 initcwnd 10', (r) => r.metrics, { initcwnd: 10 }],
    ['192.0.2.0/24 dev eth0 initrwnd 20', (r) => r.metrics, { initrwnd: 20 }],
    ['192.0.2.0/24 dev eth0 features ecn', (r) => r.metrics, { features: 1 }],
    ['192.0.2.0/24 dev eth0 quickack 1', (r) => r.metrics, { quickack: 1 }],
    ['192.0.2.0/24 dev eth0 congctl lock cubic', (r) => r.metrics, { congctl: 'cubic', lock: 1 << 16 }],
    ['192.0.2.0/24 dev eth0 fastopen_no_cookie 1', (r) => r.metrics, { fastopenNoCookie: 1 }],
    ['2001:db8::/64 dev eth0 pref high', (r) => [r.pref, r.family], [1, 6]],
    ['2001:db8::/64 dev eth0 pref low', (r) => r.pref, 3],
    ['192.0.2.0/24 dev eth0 ttl-propagate enabled', (r) => r.ttlPropagate, true],
    ['192.0.2.0/24 dev eth0 add', (r) => r.mode, 'add'],
    ['192.0.2.0/24 dev eth0 append', (r) => r.mode, 'append'],
    ['192.0.2.0/24 dev eth0 append prepend', (r) => r.mode, undefined],
    ['192.0.2.0/24 dev eth0 no_track', (r) => r.noTrack, true],
    ['192.0.2.0/24 dev eth0 track_group TG', (r) => r.trackGroup, 'TG'],
    [
      '192.0.2.0/24 dev eth0 nexthop via 192.0.2.1 dev eth0 weight 2 nexthop via 192.0.2.2 dev eth1 onlink',
      (r) => r.nexthops,
      [
        { gateway: '192.0.2.1', dev: 'eth0', weight: 2 },
        { gateway: '192.0.2.2', dev: 'eth1', onlink: true },
      ],
    ],
  ];
  for (const [line, get, want] of cases) {
    const r = route(line);
    assert.ok(r.route, `${line}: ${r.text.join(' | ')}`);
    assert.deepEqual(get(r.route), want, line);
    assert.deepEqual(
      r.text.filter((t) => t.startsWith('error')),
      [],
      line,
    );
  }
});

test("bad route values: keepalived's texts, the route dropped, -t fails", () => {
  const cases: [string, string][] = [
    ['192.0.2.0/24 dev eth0 mtu lock x', 'Invalid MTU x specified for route'],
    ['192.0.2.0/24 dev eth0 mtu -1', 'Invalid MTU -1 specified for route'],
    ['192.0.2.0/24 dev eth0 hoplimit 256', 'Invalid hoplimit 256 specified for route'],
    ['192.0.2.0/24 dev eth0 advmss z', 'Invalid advmss z specified for route'],
    ['192.0.2.0/24 dev eth0 rtt 1e3', 'Invalid rtt 1e3 for route'],
    ['192.0.2.0/24 dev eth0 rttvar 5x', 'Invalid rttvar 5x for route'],
    ['192.0.2.0/24 dev eth0 rto_min 1.5ms', 'Invalid rto_min value 1.5ms specified for route'],
    ['192.0.2.0/24 dev eth0 reordering r', 'Invalid reordering value r specified for route'],
    ['192.0.2.0/24 dev eth0 window w', 'Invalid window value w specified for route'],
    ['192.0.2.0/24 dev eth0 cwnd c', 'Invalid cwnd value c specified for route'],
    ['192.0.2.0/24 dev eth0 ssthresh lock s', 'Invalid ssthresh value s specified for route'],
    ['192.0.2.0/24 dev eth0 initcwnd i', 'Invalid initcwnd value i specified for route'],
    ['192.0.2.0/24 dev eth0 initrwnd i', 'Invalid initrwnd value i specified for route'],
    ['192.0.2.0/24 dev eth0 quickack 2', 'Invalid quickack value 2 specified for route'],
    ['192.0.2.0/24 dev eth0 realms nosuch', 'Invalid realms nosuch for route'],
    ['192.0.2.0/24 dev eth0 tos nosuch', 'TOS value nosuch is invalid'],
    ['192.0.2.0/24 dev eth0 table nosuch', 'Routing table nosuch not found for route'],
    ['192.0.2.0/24 dev eth0 protocol nosuch', 'Protocol nosuch not found or invalid for route'],
    ['192.0.2.0/24 dev eth0 scope nosuch', 'Scope nosuch not found or invalid for route'],
    ['192.0.2.0/24 dev eth0 metric m', 'Invalid metric m specified for route'],
    ['192.0.2.0/24 dev eth0 expires 5', 'expires is only valid for IPv6'],
    ['192.0.2.0/24 dev eth0 pref high', 'pref is only valid for IPv6'],
    ['2001:db8::/64 dev eth0 realms 1', 'realms are only valid for IPv4'],
    ['192.0.2.0/24 dev eth0 from 192.0.2.1', 'route from address only supported with IPv6 (192.0.2.1)'],
    ['192.0.2.0/24 via inet6 2001:db8::1 dev eth0', 'Cannot mix IPv4 and IPv6 addresses for route'],
    ['192.0.2.0/24 via nonsense dev eth0', 'invalid route via address nonsense'],
    ['192.0.2.0/24 src nonsense dev eth0', 'invalid route src address nonsense'],
    ['inet6 x 192.0.2.0/24 dev eth0', 'Cannot mix IPv4 and IPv6 addresses for route (192.0.2.0/24)'],
    ['inet6 default dev eth0', 'Route must have a destination'], // keepalived 2.2.7 steps over `default` after inet6
    ['192.0.2.0/24 dev eth0 bogus', 'unknown route keyword bogus'],
    ['dev eth0', 'Route must have a destination'],
    ['192.0.2.0/24 dev eth0 nexthop via 192.0.2.1 weight 0', 'Invalid weight 0 specified for route'],
    ['192.0.2.0/24 dev eth0 nexthop via 192.0.2.1 bogus', 'Route has trailing nonsense after nexthops - bogus'],
    ['192.0.2.0/24 dev eth0 mtu', '*** Configuration line starting `192.0.2.0/24` is missing a parameter after keyword `mtu` at word position 5'],
  ];
  for (const [line, msg] of cases) {
    const r = route(line);
    assert.equal(r.route, undefined, line);
    assert.ok(r.text.includes(`error: ${msg}`), `${line}: ${r.text.join(' | ')}`);
    assert.equal(r.status, msg.startsWith('***') ? 2 : 5, line); // keepalived stops at a missing word: exit 2
  }
});

test('route complaints keepalived makes while keeping the route fail -t too', () => {
  const cases: [string, string][] = [
    ['192.0.2.0/24 via 192.0.2.1', 'Warning - cannot track route 192.0.2.0/24 with no interface specified, not tracking'],
    ['192.0.2.0/24 dev eth0 gw 192.0.2.1', '"gw" for routes is deprecated. Please use "via"'],
    ['192.0.2.0/24 dev eth0 features sack', 'feature sack not supported'],
    ['192.0.2.0/24 dev eth0 ttl-propagate maybe', 'ttl-propagate value maybe not recognised'],
    ['192.0.2.0/24 dev eth0 protocol static', 'Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol'],
    ['192.0.2.0/40 dev eth0', 'Invalid address prefix len 40 for address 192.0.2.0/40 - using 32'],
  ];
  for (const [line, msg] of cases) {
    const r = route(line);
    assert.ok(r.route, line);
    assert.ok(r.text.includes(`warning: ${msg}`), `${line}: ${r.text.join(' | ')}`);
    assert.equal(r.status, 5, line);
  }
  assert.equal(route('192.0.2.0/24 dev eth0').status, 0);
});

test('rtt values: units, clamping to [200 ms, 120 s], exponents refused', () => {
  assert.equal(readRtt('2000', 8), 2000); // a bare number is in the kernel's unit already
  assert.equal(readRtt('1000', 8), 1600); // … and clamped to 200 ms
  assert.equal(readRtt('100', 8), 1600);
  assert.equal(readRtt('3s', 8), 24000);
  assert.equal(readRtt('250ms', 4), 1000);
  assert.equal(readRtt('100s', 1), 100000);
  assert.equal(readRtt('500s', 1), undefined); // above 120 s before conversion: refused, as keepalived
  assert.equal(readRtt('1e3', 1), undefined);
  assert.equal(readRtt('ms', 1), undefined);
});

test('every rule keyword of keepalived 2.2.7 alloc_rule is read; dev is iif', () => {
  const cases: [string, (r: RuleConfig) => unknown, unknown][] = [
    [
      'from 192.0.2.0/24 table 100 priority 10',
      (r) => [r.from, r.table, r.action, r.priority],
      [{ address: '192.0.2.0', prefixLength: 24 }, 100, 'table', 10],
    ],
    ['to 2001:db8::/32 lookup main priority 1', (r) => [r.family, r.to?.prefixLength, r.table], [6, 32, 254]],
    ['inet6 x from all lookup 5 priority 2', (r) => [r.family, r.from], [6, { address: '::', prefixLength: 0 }]],
    ['not from 192.0.2.1 table 5 order 3', (r) => [r.invert, r.priority], [true, 3]],
    ['from 192.0.2.1 table 5 preference 0x10', (r) => r.priority, 16],
    ['tos 0x10 table 5 priority 4', (r) => r.tos, 16],
    ['dsfield EF table 5 priority 4', (r) => r.tos, 0xb8],
    ['fwmark 0x10/0xff table 5 priority 4', (r) => [r.fwmark, r.fwmask], [16, 255]],
    ['realms 3 table 5 priority 4', (r) => r.realms, 3],
    ['table 5 suppress_prefixlength 0 priority 4', (r) => r.suppressPrefixLength, 0],
    ['table 5 sup_group default priority 4', (r) => r.suppressIfgroup, 0],
    ['dev eth0 table 5 priority 4', (r) => r.iif, 'eth0'],
    ['iif eth0 table 5 priority 4', (r) => r.iif, 'eth0'],
    ['oif eth1 table 5 priority 4', (r) => r.oif, 'eth1'],
    ['tunnel-id 18446744073709551615 table 5 priority 4', (r) => r.tunnelId, '18446744073709551615'],
    ['uidrange 100-200 table 5 priority 4', (r) => r.uidRange, { start: 100, end: 200 }],
    ['l3mdev priority 4', (r) => [r.l3mdev, r.action], [true, 'table']],
    ['protocol 18 table 5 priority 4', (r) => r.protocol, 18],
    ['ipproto tcp table 5 priority 4', (r) => r.ipProto, 6],
    [
      'sport 1000-2000 dport 53-53 table 5 priority 4',
      (r) => [r.sport, r.dport],
      [
        { start: 1000, end: 2000 },
        { start: 53, end: 53 },
      ],
    ],
    ['goto 100 priority 4', (r) => [r.action, r.gotoTarget], ['goto', 100]],
    ['type nop priority 4', (r) => r.action, 'nop'],
    ['blackhole priority 4', (r) => r.action, 'blackhole'],
    ['unreachable priority 4', (r) => r.action, 'unreachable'],
    ['prohibit priority 4', (r) => r.action, 'prohibit'],
    ['iif eth0 table 5 priority 4 track_group TG', (r) => r.trackGroup, 'TG'],
    ['table 5 priority 4 no_track', (r) => [r.noTrack, r.protocol], [true, undefined]],
  ];
  for (const [line, get, want] of cases) {
    const r = rule(line);
    assert.ok(r.rule, `${line}: ${r.text.join(' | ')}`);
    assert.deepEqual(get(r.rule), want, line);
    assert.deepEqual(
      r.text.filter((t) => t.startsWith('error')),
      [],
      line,
    );
  }
});

test("bad rules: keepalived's texts", () => {
  const cases: [string, string][] = [
    ['table 0 priority 1', 'Table 0 is not valid'],
    ['table 5 goto 9 priority 1', 'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule'],
    ['goto 9', 'Invalid rule - goto target 9 specified without preference'],
    ['goto 9 priority 10', 'Invalid rule - preference 10 >= goto target 9'],
    ['nop realms 1 priority 1', 'suppressor/realm specified for non table action - skipping'],
    ['l3mdev table 5 priority 1', 'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule'],
    ['fwmark x table 5 priority 1', 'Invalid rule fwmark x specified'],
    ['throw priority 1', 'Invalid rule action throw'],
    ['inet x from 2001:db8::1 table 5', 'rule specification has mixed IPv4 and IPv6'],
    ['from 192.0.2.1', 'No action specified for rule - ignoring'],
    ['table 5 pref 1', 'Unknown rule option pref'], // ip(8) takes pref; keepalived 2.2.7 does not
  ];
  for (const [line, msg] of cases) {
    const r = rule(line);
    assert.equal(r.rule, undefined, line);
    assert.ok(r.text.includes(`error: ${msg}`), `${line}: ${r.text.join(' | ')}`);
  }
});

test('RTA_METRICS: RTAX ids, values and the lock mask as keepalived sends them (not NLA_F_NESTED)', () => {
  const r = route('198.51.100.0/24 dev eth0 mtu lock 1400 advmss 1360 initcwnd 10').route!;
  const body = encodeRouteRequest(routeSpec(r, () => 3)!);
  // rtmsg(12) then attributes; find RTA_METRICS (type 8)
  let off = 12;
  let metrics: Buffer | undefined;
  while (off < body.length) {
    const len = body.readUInt16LE(off);
    if (body.readUInt16LE(off + 2) === 8) metrics = body.subarray(off, off + len);
    off += (len + 3) & ~3;
  }
  assert.deepEqual(
    metrics?.toString('hex'),
    [
      '24000800', // len 36, RTA_METRICS without NLA_F_NESTED
      '08000200',
      '78050000', // RTAX_MTU 1400
      '08000800',
      '50050000', // RTAX_ADVMSS 1360
      '08000b00',
      '0a000000', // RTAX_INITCWND 10
      '08000100',
      '04000000', // RTAX_LOCK 1 << RTAX_MTU
    ].join(''),
  );
  const cc = encodeRouteRequest(routeSpec(route('192.0.2.0/24 dev eth0 congctl lock cubic').route!, () => 3)!);
  assert.ok(cc.toString('hex').includes('0900100063756269630000000800010000000100'), cc.toString('hex')); // "cubic" unterminated, lock 1<<16
});

test('rules: action, invert, iif name, ranges and goto encode as fib_rule_hdr + FRA_*', () => {
  const body = encodeRuleRequest(ruleSpec(rule('not iif eth0 goto 100 priority 4 sport 1-2').rule!));
  assert.equal(body.readUInt8(7), 2); // FR_ACT_GOTO
  assert.equal(body.readUInt32LE(8), 2); // FIB_RULE_INVERT
  const hex = body.toString('hex');
  assert.ok(hex.includes('0900030065746830000000'), hex); // FRA_IIFNAME "eth0\0"
  assert.ok(hex.includes('0800040064000000'), hex); // FRA_GOTO 100
  assert.ok(hex.includes('0800170001000200'), hex); // FRA_SPORT_RANGE 1-2
  assert.ok(hex.includes('0500150012000000'), hex); // FRA_PROTOCOL keepalived
});
