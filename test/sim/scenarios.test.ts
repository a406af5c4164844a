/** Scenario tests on the simulated segment; times asserted to the centisecond. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimNetwork } from './network.js';
import { VrrpState } from '../../src/vrrp/types.js';
import type { VrrpInstanceParamsInput } from '../../src/vrrp/instance-params.js';

const VIP = '192.0.2.100';
const cs = (ms: number): number => Math.round(ms / 10);

function vi(addr: string, priority: number, extra: Partial<VrrpInstanceParamsInput> = {}): VrrpInstanceParamsInput {
  return { name: 'VI_1', vrid: 51, primaryAddress: addr, priority, vips: [VIP], ...extra };
}

/** A (150, state MASTER) and B (100) started together at t=0. */
function pair(a: Partial<VrrpInstanceParamsInput> = {}, b: Partial<VrrpInstanceParamsInput> = {}): SimNetwork {
  const net = new SimNetwork();
  net.addNode('A', [vi('192.0.2.1', 150, { initialState: 'MASTER', ...a })]);
  net.addNode('B', [vi('192.0.2.2', 100, b)]);
  net.start();
  return net;
}

function firstTime(net: SimNetwork, node: string, to: number, after = 0): number {
  const e = net.transitions({ node, to: to as 2 }).find((x) => x.t >= after);
  assert.ok(e, `${node} never entered state ${to} after ${after}`);
  return e.t;
}

test('election on start: A enters BACKUP (init) and wins after its Master_Down_Interval (3.41 s)', () => {
  const net = pair();
  net.runUntil(10_000);
  assert.deepEqual(
    net
      .logs('A')
      .slice(0, 2)
      .map((l) => l.text),
    ['(VI_1) removing VIPs.', '(VI_1) Entering BACKUP STATE (init)'],
  );
  assert.equal(cs(firstTime(net, 'A', VrrpState.MASTER)), 341);
  assert.equal(net.transitions({ node: 'B', to: VrrpState.MASTER }).length, 0);
  assert.deepEqual(net.holdersOf(VIP), ['A']);
  const garps = net.timeline.filter((e) => e.kind === 'garp' && e.node === 'A');
  assert.deepEqual(
    garps.map((g) => [cs(g.t), g.kind === 'garp' && g.reason]),
    [
      [341, 'master'],
      [841, 'master-delayed'],
    ],
  );
});

test('hard master loss: B becomes MASTER one Master_Down_Interval (3.61 s) after the last advert', () => {
  const net = pair();
  net.at(10_000, () => net.crash('A'));
  net.runUntil(20_000);
  // A's adverts: 3.414 + k s; last one heard at 9.414; B's MDI = 3 + 156/256 s.
  assert.equal(cs(firstTime(net, 'B', VrrpState.MASTER)), 1302);
  assert.deepEqual(net.holdersOf(VIP), ['B']);
});

test('graceful stop: priority 0 advert, B takes over after Skew_Time (0.61 s)', () => {
  const net = pair();
  net.at(10_000, () => net.stop('A'));
  net.runUntil(20_000);
  assert.equal(cs(firstTime(net, 'B', VrrpState.MASTER)), 1061);
  assert.ok(net.logs('A').some((l) => l.text === '(VI_1) sent 0 priority' && l.t === 10_000));
  assert.ok(net.logs('B').some((l) => l.text === '(VI_1) Backup received priority 0 advertisement'));
  assert.deepEqual(net.holdersOf(VIP), ['B']);
});

test("preemption back: restarted higher-priority A discards B's adverts and preempts after its MDI", () => {
  const net = pair();
  net.at(10_000, () => net.stop('A'));
  net.startAt(20_000, 'A');
  net.runUntil(40_000);
  assert.equal(cs(firstTime(net, 'A', VrrpState.MASTER, 20_000)), 2341);
  assert.equal(cs(firstTime(net, 'B', VrrpState.BACKUP, 20_000)), 2341);
  assert.ok(net.logs('A').some((l) => l.text === '(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding'));
  assert.ok(net.logs('B').some((l) => l.text === '(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100'));
  assert.deepEqual(net.holdersOf(VIP), ['A']);
});

test('nopreempt: restarted higher-priority A stays BACKUP behind live master B', () => {
  const net = pair({ initialState: 'BACKUP', nopreempt: true });
  net.at(10_000, () => net.stop('A'));
  net.startAt(20_000, 'A');
  net.runUntil(60_000);
  assert.equal(net.transitions({ node: 'A', to: VrrpState.MASTER }).filter((e) => e.t >= 20_000).length, 0);
  assert.deepEqual(net.masters('VI_1'), ['B']);
});

test('preempt_delay 5 s: A accepts the lower master for 5 s, then preempts one MDI after the last accepted advert', () => {
  const net = pair({ initialState: 'BACKUP', preemptDelayMs: 5000 });
  net.at(10_000, () => net.stop('A'));
  net.startAt(20_000, 'A');
  net.runUntil(40_000);
  // First advert from B at 20.609 starts the delay (ends 25.609); last accepted at 24.609; + 3.414 s.
  assert.equal(cs(firstTime(net, 'A', VrrpState.MASTER, 20_000)), 2802);
  assert.ok(net.logs('A').some((l) => l.text === '(VI_1) start preempt delay (5.000000)'));
});

test('equal priorities: the higher primary address wins; the loser sees the tie-break message', () => {
  const net = pair({ priority: 100, initialState: 'BACKUP' });
  net.runUntil(10_000);
  assert.equal(cs(firstTime(net, 'A', VrrpState.MASTER)), 361);
  assert.equal(cs(firstTime(net, 'B', VrrpState.MASTER)), 361);
  assert.equal(cs(firstTime(net, 'A', VrrpState.BACKUP, 1)), 361);
  assert.ok(
    net.logs('A').some((l) => l.text === '(VI_1) Master received advert from 192.0.2.2 with same priority 100 but higher IP address than ours'),
  );
  assert.ok(net.logs('B').some((l) => l.text === '(VI_1) Received advert from 192.0.2.1 with lower priority 100, ours 100, forcing new election'));
  assert.deepEqual(net.masters('VI_1'), ['B']);
  assert.deepEqual(net.holdersOf(VIP), ['B']);
});

test('partition: two masters; heal: one master, and the winner re-announces its VIPs after the loser released them', () => {
  const net = pair({ strict: true }, { strict: true });
  net.at(10_000, () => net.partition(['A'], ['B']));
  net.at(20_000, () => net.heal());
  net.runUntil(40_000);
  assert.equal(cs(firstTime(net, 'B', VrrpState.MASTER)), 1302);
  assert.deepEqual(
    net.timeline.filter((e) => e.kind === 'state' && e.t > 13_100 && e.t < 20_000),
    [],
  );
  // Healed: B's advert at 20.023 reaches A (strict: lower_prio_no_advert, garp_lower_prio_repeat 0 — keepalived
  // would stay silent); A's regular advert at 20.414 sends B back to BACKUP.
  const bBackup = firstTime(net, 'B', VrrpState.BACKUP, 20_000);
  assert.equal(cs(bBackup), 2041);
  assert.deepEqual(net.masters('VI_1'), ['A']);
  assert.deepEqual(net.holdersOf(VIP), ['A']);
  const aGarps = net.timeline.filter((e) => e.kind === 'garp' && e.node === 'A' && e.t >= 20_000);
  assert.deepEqual(
    aGarps.map((g) => [cs(g.t), g.kind === 'garp' && g.reason]),
    [
      [2002, 'split-brain'],
      [2502, 'master-delayed'],
    ],
  );
  const lastGarp = net.timeline.filter((e) => e.kind === 'garp').at(-1);
  assert.ok(lastGarp && lastGarp.node === 'A' && lastGarp.t > bBackup, 'the last announcement of the VIP comes from the winner');
});

test('sync group: one member faults ⇒ the whole group goes FAULT; the peer group takes over both instances', () => {
  const net = new SimNetwork();
  const two = (addr: string, prio: number) => [
    { name: 'VI_1', vrid: 51, primaryAddress: addr, priority: prio, vips: ['192.0.2.100'] },
    { name: 'VI_2', vrid: 52, primaryAddress: addr, priority: prio, vips: ['198.51.100.100'] },
  ];
  net.addNode('A', two('192.0.2.1', 150), { SG1: ['VI_1', 'VI_2'] });
  net.addNode('B', two('192.0.2.2', 100), { SG1: ['VI_1', 'VI_2'] });
  net.start();
  net.at(10_000, () => net.inject('A', 'VI_2', { type: 'interface', up: false }));
  net.runUntil(20_000);
  assert.equal(cs(firstTime(net, 'A', VrrpState.MASTER)), 341);
  assert.equal(net.stateOf('A', 'VI_1'), VrrpState.FAULT);
  assert.equal(net.stateOf('A', 'VI_2'), VrrpState.FAULT);
  assert.ok(net.logs('A').some((l) => l.text === 'VRRP_Group(SG1): Syncing VI_1 to FAULT state' && l.t === 10_000));
  for (const inst of ['VI_1', 'VI_2']) assert.equal(cs(firstTime(net, 'B', VrrpState.MASTER)), 1061, inst);
  assert.deepEqual(net.masters('VI_2'), ['B']);
  assert.deepEqual(net.masters('VI_1'), ['B']);
  const groupNotifies = net.timeline.filter((e) => e.kind === 'groupNotify' && e.node === 'A').map((e) => e.kind === 'groupNotify' && e.state);
  assert.deepEqual(groupNotifies, [VrrpState.BACKUP, VrrpState.MASTER, VrrpState.FAULT]);
  net.at(25_000, () => net.inject('A', 'VI_2', { type: 'interface', up: true }));
  net.runUntil(40_000);
  assert.equal(net.stateOf('A', 'VI_1'), VrrpState.MASTER);
  assert.equal(net.stateOf('A', 'VI_2'), VrrpState.MASTER);
});

test('tracked script failure (weight -60) lowers A to 90 and moves mastership to B', () => {
  const track = { trackers: [{ kind: 'script' as const, name: 'chk', weight: -60, reverse: false }] };
  const net = pair(track);
  net.at(10_000, () => net.inject('A', 'VI_1', { type: 'tracker', result: { kind: 'script', name: 'chk', ok: false } }));
  net.runUntil(20_000);
  assert.ok(net.logs('A').some((l) => l.text === '(VI_1) Changing effective priority from 150 to 90' && l.t === 10_000));
  assert.equal(net.logs('B').filter((l) => l.text === '(VI_1) received lower priority (90) advert from 192.0.2.1 - discarding').length, 3);
  assert.equal(cs(firstTime(net, 'B', VrrpState.MASTER)), 1302);
  assert.equal(cs(firstTime(net, 'A', VrrpState.BACKUP, 5000)), 1302);
  assert.deepEqual(net.holdersOf(VIP), ['B']);
});

test('dual-master example: two instances with opposite priorities, each node masters one', () => {
  const net = new SimNetwork();
  const inst = (addr: string, p1: number, p2: number, s1: 'MASTER' | 'BACKUP', s2: 'MASTER' | 'BACKUP') => [
    { name: 'VI_1', vrid: 50, primaryAddress: addr, priority: p1, initialState: s1, vips: ['192.0.2.118'] },
    { name: 'VI_2', vrid: 51, primaryAddress: addr, priority: p2, initialState: s2, vips: ['192.0.2.119'] },
  ];
  net.addNode('node1', inst('192.0.2.1', 100, 98, 'MASTER', 'BACKUP'));
  net.addNode('node2', inst('192.0.2.2', 98, 100, 'BACKUP', 'MASTER'));
  net.start();
  net.runUntil(10_000);
  assert.deepEqual(net.masters('VI_1'), ['node1']);
  assert.deepEqual(net.masters('VI_2'), ['node2']);
  // MDI for priority 100 = 3 + 156/256 s.
  assert.equal(cs(firstTime(net, 'node1', VrrpState.MASTER)), 361);
  net.at(10_000, () => net.crash('node2'));
  net.runUntil(20_000);
  assert.deepEqual(net.masters('VI_2'), ['node1']);
  assert.deepEqual(net.holdersOf('192.0.2.119'), ['node1']);
});

test('repeated partitions: every heal gets its own re-announcement from the surviving master', () => {
  const net = pair({ strict: true }, { strict: true });
  for (const [cut, heal] of [
    [10_000, 20_000],
    [40_000, 50_000],
  ] as const) {
    net.at(cut, () => net.partition(['A'], ['B']));
    net.at(heal, () => net.heal());
  }
  net.runUntil(70_000);
  const bursts = net.timeline.filter((e) => e.kind === 'garp' && e.node === 'A' && e.reason === 'split-brain');
  assert.deepEqual(
    bursts.map((e) => Math.floor(e.t / 10_000)),
    [2, 5],
  );
  assert.deepEqual(net.masters('VI_1'), ['A']);
  assert.deepEqual(net.holdersOf(VIP), ['A']);
});

test('v3, advert_int 0.5 s: a lone backup becomes MASTER after 3×0.5 + 156/256×0.5 s (1.80 s)', () => {
  const net = new SimNetwork();
  net.addNode('B', [vi('192.0.2.2', 100, { version: 3, advertIntervalMs: 500 })]);
  net.start();
  net.runUntil(5000);
  assert.equal(cs(firstTime(net, 'B', VrrpState.MASTER)), 180);
});

test('v3: a backup configured with 1 s follows a 0.5 s master and detects its loss after 1.80 s', () => {
  const net = new SimNetwork();
  net.addNode('A', [vi('192.0.2.1', 200, { version: 3, advertIntervalMs: 500 })]);
  net.addNode('B', [vi('192.0.2.2', 100, { version: 3, advertIntervalMs: 1000 })]);
  net.start();
  net.at(10_000, () => net.crash('A'));
  net.runUntil(20_000);
  // A: MDI 3×0.5 + 56/256×0.5 = 1.609 s, then adverts every 0.5 s; last heard at 9.609 s.
  assert.equal(cs(firstTime(net, 'A', VrrpState.MASTER)), 161);
  assert.equal(cs(firstTime(net, 'B', VrrpState.MASTER)), Math.round((9609.375 + 1804.687) / 10));
  assert.ok(net.logs('B').some((l) => l.text === '(VI_1) advertisement interval updated from 1000ms to 500ms by master'));
});

test('unicast peers: adverts only reach the listed peers', () => {
  const net = new SimNetwork();
  net.addNode('A', [vi('192.0.2.1', 150, { unicastPeers: ['192.0.2.2'] })]);
  net.addNode('B', [vi('192.0.2.2', 100, { unicastPeers: ['192.0.2.1'] })]);
  net.addNode('C', [vi('192.0.2.3', 50, { unicastPeers: ['192.0.2.1'] })]);
  net.start();
  net.runUntil(10_000);
  assert.equal(net.stateOf('B', 'VI_1'), VrrpState.BACKUP);
  assert.equal(net.stateOf('C', 'VI_1'), VrrpState.MASTER, "C is not in A's peer list, so it never hears A");
});

test("Appendix A transcript: tracker failure and recovery move mastership back and forth with keepalived's texts", () => {
  const track = { trackers: [{ kind: 'script' as const, name: 'chk_file', weight: -60, reverse: false }] };
  const net = new SimNetwork();
  // keepalived's transcript: its masters yield without an advert (higher_prio_send_advert off)
  net.addNode('A', [vi('192.0.2.1', 150, { initialState: 'MASTER', yieldAdvert: false, ...track })]);
  net.addNode('B', [vi('192.0.2.2', 100, { yieldAdvert: false })]);
  net.start('A');
  net.startAt(10_000, 'B');
  net.at(19_000, () => net.inject('A', 'VI_1', { type: 'tracker', result: { kind: 'script', name: 'chk_file', ok: false } }));
  net.at(30_000, () => net.inject('A', 'VI_1', { type: 'tracker', result: { kind: 'script', name: 'chk_file', ok: true } }));
  net.runUntil(40_000);
  const a = net
    .logs('A')
    .filter((l) => l.t >= 19_000)
    .map((l) => `${cs(l.t)} ${l.text}`);
  assert.deepEqual(
    a.filter((l) => !l.includes('VIPs')),
    [
      '1900 (VI_1) Changing effective priority from 150 to 90',
      // B's last accepted advert from A (150) was at 18.414; + B's MDI 3.609 s.
      '2202 (VI_1) Master received advert from 192.0.2.2 with higher priority 100, ours 90',
      '2202 (VI_1) Entering BACKUP STATE',
      '3000 (VI_1) Changing effective priority from 90 to 150',
      '3002 (VI_1) received lower priority (100) advert from 192.0.2.2 - discarding',
      '3102 (VI_1) received lower priority (100) advert from 192.0.2.2 - discarding',
      '3202 (VI_1) received lower priority (100) advert from 192.0.2.2 - discarding',
      // The down timer was armed at 29.023 with priority 90's MDI (3 + 166/256 s), as keepalived does.
      '3267 (VI_1) Receive advertisement timeout',
      '3267 (VI_1) Entering MASTER STATE',
    ],
  );
  const b = net.logs('B').filter((l) => l.text.includes('discarding')).length;
  assert.equal(b, 3);
});

test('IPv6 / VRRPv3: equal priorities are broken by the numerically higher IPv6 address', () => {
  const net = new SimNetwork();
  const v6 = (addr: string) => ({
    name: 'VI_6',
    vrid: 60,
    family: 6 as const,
    version: 3 as const,
    primaryAddress: addr,
    priority: 100,
    vips: ['2001:db8::100'],
  });
  net.addNode('A', [v6('2001:db8::a')]);
  net.addNode('B', [v6('2001:db8::9')]);
  net.start();
  net.runUntil(10_000);
  assert.deepEqual(net.masters('VI_6'), ['A']);
  assert.deepEqual(net.holdersOf('2001:db8::100'), ['A']);
  assert.ok(
    net.logs('B').some((l) => l.text === '(VI_6) Master received advert from 2001:db8::a with same priority 100 but higher IP address than ours'),
  );
});
