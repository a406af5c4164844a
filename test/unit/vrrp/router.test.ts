/** Unit tests of the sans-IO VRRP router: dispatch, receive checks, drop-line rate limit, sync groups, reload, agenda. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceParams, type VrrpInstanceParamsInput } from '../../../src/vrrp/instance-params.js';
import { IPV4_HEADER_LENGTH, writeIpv4Header } from '../../../src/vrrp/ipv4-header.js';
import { decode } from '../../../src/vrrp/packet.js';
import { DROP_LOG_INTERVAL_MS, encodeAdvert, VrrpRouter } from '../../../src/vrrp/router.js';
import type { RouterAction, RouterInstanceSpec } from '../../../src/vrrp/router-types.js';
import { IPPROTO_VRRP, VrrpState } from '../../../src/vrrp/types.js';

const GROUP = '224.0.0.18';

function spec(over: Partial<VrrpInstanceParamsInput> & { socketKey?: string; ifindex?: number } = {}): RouterInstanceSpec {
  const { socketKey = 'eth0', ifindex = 2, ...p } = over;
  const params = instanceParams({ name: 'VI_1', vrid: 51, primaryAddress: '192.0.2.1', priority: 100, vips: ['192.0.2.100'], ...p });
  return { params, socketKey, ifindex, source: params.primaryAddress, group: GROUP };
}

/** The packet a peer `source` with `priority` puts on the wire for VRID `vrid`, as a raw IPv4 socket receives it. */
function packet(source: string, priority: number, o: { vrid?: number; ttl?: number; vips?: string[] } = {}): Uint8Array {
  const peer = spec({ name: 'PEER', vrid: o.vrid ?? 51, primaryAddress: source, priority, vips: o.vips ?? ['192.0.2.100'] });
  const msg = encodeAdvert(peer, priority, 1000)[0]!.bytes;
  const out = Buffer.alloc(IPV4_HEADER_LENGTH + msg.length);
  writeIpv4Header(out, { source, destination: GROUP, payloadLength: msg.length, ttl: o.ttl ?? 255, protocol: IPPROTO_VRRP });
  out.set(msg, IPV4_HEADER_LENGTH);
  return out;
}

const meta = (source: string) => ({ source, destination: GROUP, ttl: 255, ifindex: 2 });
const kinds = (as: readonly RouterAction[]) => as.filter((a) => a.kind !== 'log').map((a) => a.kind);
const logTexts = (as: readonly RouterAction[]) => as.flatMap((a) => (a.kind === 'log' ? [a.record.text] : []));

/** A router with VI_1 started and in BACKUP at t=0. */
function backup(): VrrpRouter {
  const r = new VrrpRouter();
  r.addInstance(spec());
  r.event('VI_1', { type: 'startup' }, 0);
  return r;
}

test('dispatch: a packet goes to the instance with that socket and VRID, nowhere else', () => {
  const r = new VrrpRouter();
  r.addInstance(spec({ name: 'A', vrid: 51 }));
  r.addInstance(spec({ name: 'B', vrid: 52 }));
  r.addInstance(spec({ name: 'C', vrid: 51, socketKey: 'eth1', ifindex: 3 }));
  for (const n of ['A', 'B', 'C']) r.event(n, { type: 'startup' }, 0);
  const to = (key: string, vrid: number) =>
    r.receive(key, packet('192.0.2.9', 200, { vrid }), meta('192.0.2.9'), 10).flatMap((a) => (a.kind === 'advertReceived' ? [a.instance] : []));
  assert.deepEqual(to('eth0', 52), ['B']);
  assert.deepEqual(to('eth1', 51), ['C']);
  assert.deepEqual(to('eth0', 51), ['A']);
  assert.deepEqual(r.receive('eth0', packet('192.0.2.9', 200, { vrid: 53 }), meta('192.0.2.9'), 10), []);
  assert.deepEqual(r.receive('eth2', packet('192.0.2.9', 200), meta('192.0.2.9'), 10), []);
  assert.equal(r.instance('A')!.stats.advert_rcvd, 1);
  assert.equal(r.instance('C')!.stats.advert_rcvd, 1);
  assert.throws(() => r.addInstance(spec({ name: 'D', vrid: 52 })), /VRID 52 on eth0 is taken by B/);
});

test('an accepted advert is reported with the local state, then handled: it re-arms Master_Down_Timer', () => {
  const r = backup();
  const mdi = r.pollTimeout()!;
  const out = r.receive('eth0', packet('192.0.2.9', 200), meta('192.0.2.9'), 1000);
  assert.deepEqual(
    out.find((a) => a.kind === 'advertReceived'),
    { kind: 'advertReceived', instance: 'VI_1', source: '192.0.2.9', priority: 200, localState: VrrpState.BACKUP },
  );
  assert.equal(r.pollTimeout(), 1000 + mdi);
});

test('our own advert (source = our address) is ignored before any check or count', () => {
  const r = backup();
  assert.deepEqual(r.receive('eth0', packet('192.0.2.1', 100, { ttl: 1 }), meta('192.0.2.1'), 5), []);
  assert.deepEqual(
    Object.values(r.instance('VI_1')!.stats).filter((v) => v !== 0),
    [],
  );
});

test('drop lines: one per instance and reason per 10 s (not at 9.999 s, again at 10 s); every drop is counted and reported', () => {
  const r = backup();
  const bad = () => packet('192.0.2.9', 254, { ttl: 64 });
  const text = '(VI_1) invalid TTL/HL. Received 64 and expect 255';
  const at = (t: number) => r.receive('eth0', bad(), meta('192.0.2.9'), t);
  const first = at(1000);
  assert.deepEqual(kinds(first), ['dropped']);
  assert.deepEqual(logTexts(first), [text]);
  assert.deepEqual(first[0], { kind: 'dropped', instance: 'VI_1', reason: 'ttl', source: '192.0.2.9' });
  for (const t of [1001, 5000, 1000 + DROP_LOG_INTERVAL_MS - 1]) {
    const out = at(t);
    assert.deepEqual(kinds(out), ['dropped'], `t=${t}`);
    assert.deepEqual(logTexts(out), [], `no line at t=${t}`);
  }
  // another reason has its own window
  assert.deepEqual(logTexts(r.receive('eth0', packet('192.0.2.9', 200, { vips: ['192.0.2.100', '192.0.2.101'] }), meta('192.0.2.9'), 3000)), [
    '(VI_1) received an unexpected ip number count 2, expected 1!',
  ]);
  assert.deepEqual(logTexts(at(1000 + DROP_LOG_INTERVAL_MS)), [text]);
  assert.deepEqual(logTexts(at(1000 + 2 * DROP_LOG_INTERVAL_MS - 1)), []);
  assert.deepEqual(logTexts(at(1000 + 2 * DROP_LOG_INTERVAL_MS)), [text]);
  assert.equal(r.instance('VI_1')!.stats.ip_ttl_err, 7);
  assert.equal(r.instance('VI_1')!.stats.addr_list_err, 1);
  assert.equal(r.instance('VI_1')!.fsm.state, VrrpState.BACKUP, 'drops never reach the state machine');
});

test('the agenda: pollTimeout is the earliest deadline of all instances; timeout runs exactly the due ones', () => {
  const r = new VrrpRouter();
  r.addInstance(spec({ name: 'LOW', vrid: 1, priority: 50 }));
  r.addInstance(spec({ name: 'HIGH', vrid: 2, priority: 200 }));
  assert.equal(r.pollTimeout(), undefined);
  r.event('LOW', { type: 'startup' }, 0);
  r.event('HIGH', { type: 'startup' }, 0);
  const high = r.instance('HIGH')!.fsm.pollTimeout()!;
  const low = r.instance('LOW')!.fsm.pollTimeout()!;
  assert.ok(high < low);
  assert.equal(r.pollTimeout(), high);
  assert.deepEqual(r.timeout(high - 0.001), []);
  const out = r.timeout(high + 2);
  const tx = out.filter((a) => a.kind === 'transmit');
  assert.equal(tx.length, 1);
  const first = tx[0]!;
  assert.equal(first.kind === 'transmit' && first.lateMs, 2);
  assert.equal(r.instance('HIGH')!.fsm.state, VrrpState.MASTER);
  assert.equal(r.instance('LOW')!.fsm.state, VrrpState.BACKUP);
  assert.equal(r.pollTimeout(), Math.min(low, high + 2 + 1000));
});

test('transmit carries the encoded advert, once per unicast peer (or to the group)', () => {
  const r = new VrrpRouter();
  r.addInstance(spec({ priority: 255, initialState: 'MASTER', unicastPeers: ['192.0.2.2', '192.0.2.3'] }));
  const out = r.event('VI_1', { type: 'startup' }, 0).filter((a) => a.kind === 'transmit');
  assert.deepEqual(
    out.map((a) => a.kind === 'transmit' && a.destination),
    ['192.0.2.2', '192.0.2.3'],
  );
  for (const a of out) {
    assert.ok(a.kind === 'transmit');
    const d = decode(a.bytes, { family: 4, withIpHeader: false });
    assert.ok(d.ok);
    assert.deepEqual([d.advert.vrid, d.advert.priority, d.advert.addresses, d.advert.advertIntervalCs], [51, 255, ['192.0.2.100'], 100]);
  }
});

test('trackers and links: a result reaches the instances following it; carrier news reaches the instances on it', () => {
  const r = new VrrpRouter();
  const chk = [{ kind: 'script' as const, name: 'chk', weight: -60, reverse: false }];
  r.addInstance(spec({ name: 'A', vrid: 1, priority: 150, trackers: chk }));
  r.addInstance(spec({ name: 'B', vrid: 2, priority: 150, ifindex: 3, socketKey: 'eth1' }));
  r.event('A', { type: 'startup' }, 0);
  r.event('B', { type: 'startup' }, 0);
  const t = r.tracker({ kind: 'script', name: 'chk', ok: false }, 10);
  assert.deepEqual(logTexts(t), ['(A) Changing effective priority from 150 to 90']);
  assert.equal(r.instance('B')!.fsm.priority, 150);
  const down = r.link(3, 'eth1', false, 20);
  assert.deepEqual(logTexts(down).slice(0, 2), ['Netlink reports eth1 down', '(B) Entering FAULT STATE']);
  const fault = down.find((a) => a.kind === 'stateChanged');
  assert.equal(fault?.kind === 'stateChanged' && fault.transition.reason, 'link eth1 down');
  assert.deepEqual(r.link(3, 'eth1', false, 30), [], 'the same news twice is ignored');
  assert.equal(r.instance('A')!.fsm.state, VrrpState.BACKUP);
});

test("sync groups: a member's fault moves the whole group; a dissolved group frees its members", () => {
  const r = new VrrpRouter();
  r.addInstance(spec({ name: 'VI_1', vrid: 1 }));
  r.addInstance(spec({ name: 'VI_2', vrid: 2, ifindex: 3, socketKey: 'eth1' }));
  assert.deepEqual(r.setSyncGroups([{ name: 'SG1', members: ['VI_1', 'VI_2', 'VI_9'] }]), []);
  assert.equal(r.groupOf('VI_1')?.name, 'SG1');
  r.event('VI_1', { type: 'startup' }, 0);
  r.event('VI_2', { type: 'startup' }, 0);
  const out = r.link(3, 'eth1', false, 100);
  assert.ok(logTexts(out).includes('VRRP_Group(SG1): Syncing VI_1 to FAULT state'));
  assert.equal(r.instance('VI_1')!.fsm.state, VrrpState.FAULT);
  assert.equal(r.instance('VI_2')!.fsm.state, VrrpState.FAULT);
  assert.deepEqual(
    out.filter((a) => a.kind === 'groupNotify'),
    [{ kind: 'groupNotify', group: 'SG1', state: VrrpState.FAULT }],
  );
  const g = r.groupOf('VI_1');
  assert.deepEqual(r.setSyncGroups([{ name: 'SG1', members: ['VI_1', 'VI_2', 'VI_9'] }]), [], 'same members: kept');
  assert.equal(r.groupOf('VI_1'), g);
  assert.deepEqual(r.setSyncGroups([]), ['SG1']);
  assert.equal(r.groupOf('VI_1'), undefined);
  assert.equal(r.instance('VI_1')!.fsm.syncGate, undefined);
});

test('reload: a removed MASTER sends priority 0, releases its VIPs and is forgotten; an updated instance gets its parameters', () => {
  const r = new VrrpRouter();
  r.addInstance(spec({ name: 'GONE', vrid: 1, priority: 255, initialState: 'MASTER' }));
  r.addInstance(spec({ name: 'KEPT', vrid: 2, priority: 100 }));
  r.event('GONE', { type: 'startup' }, 0);
  r.event('KEPT', { type: 'startup' }, 0);
  const out = r.applyReload({ remove: ['GONE'], update: [spec({ name: 'KEPT', vrid: 2, priority: 120 })] }, 500);
  assert.deepEqual(kinds(out), ['transmit', 'removeVips', 'stateChanged', 'notify', 'instanceRemoved', 'priorityChanged']);
  assert.equal(logTexts(out)[0], '(GONE) removing instance (no longer in the configuration)');
  const tx = out[1]!;
  assert.ok(tx.kind === 'transmit');
  assert.equal(tx.priority, 0);
  const st = out.find((a) => a.kind === 'stateChanged');
  assert.ok(st?.kind === 'stateChanged');
  assert.deepEqual([st.transition.from, st.transition.to, st.transition.reason], [VrrpState.MASTER, VrrpState.STOP, 'reload']);
  assert.deepEqual(
    out.find((a) => a.kind === 'instanceRemoved'),
    { kind: 'instanceRemoved', instance: 'GONE', priority: 255 },
  );
  assert.deepEqual(
    out.find((a) => a.kind === 'priorityChanged'),
    { kind: 'priorityChanged', instance: 'KEPT', from: 100, to: 120 },
  );
  assert.equal(r.instance('GONE'), undefined);
  assert.deepEqual(r.receive('eth0', packet('192.0.2.9', 200, { vrid: 1 }), meta('192.0.2.9'), 600), [], 'its VRID is free');
  assert.equal(r.instance('KEPT')!.fsm.params.priority, 120);
  assert.equal(r.instance('KEPT')!.fsm.state, VrrpState.BACKUP);
});

test('shutdown: every master sends priority 0 and releases its VIPs', () => {
  const r = new VrrpRouter();
  r.addInstance(spec({ priority: 255, initialState: 'MASTER' }));
  r.event('VI_1', { type: 'startup' }, 0);
  const out = r.shutdown(100);
  assert.deepEqual(kinds(out), ['transmit', 'removeVips', 'stateChanged', 'notify']);
  assert.equal(r.pollTimeout(), undefined);
});

test('transition reasons in words: startup, master down timer, preempted by a higher priority', () => {
  const r = backup();
  const reasons: string[] = [];
  const keep = (as: readonly RouterAction[]) => {
    for (const a of as) if (a.kind === 'stateChanged') reasons.push(a.transition.reason);
  };
  const r2 = new VrrpRouter();
  r2.addInstance(spec());
  keep(r2.event('VI_1', { type: 'startup' }, 0));
  keep(r.timeout(r.pollTimeout()!));
  keep(r.receive('eth0', packet('192.0.2.2', 150), meta('192.0.2.2'), 5000));
  assert.deepEqual(reasons, ['startup', 'master down timer', 'preempted by 192.0.2.2 prio 150']);
});

test('a repeated advert (only the IPv4 ID and header checksum differ) is not checked again and counts the same; a changed one is', () => {
  const r = backup();
  const first = packet('192.0.2.9', 200);
  const again = Uint8Array.from(first);
  again[4] = 0x12; // IP ID, set per packet by the sender's kernel
  again[10] = again[10]! ^ 0xff; // header checksum (not verified: the kernel did)
  const accepted = r.instance('VI_1')!.accepted;
  assert.equal(accepted.repeatOf(again, meta('192.0.2.9'), r.instance('VI_1')!.expect, r.instance('VI_1')!.spec), undefined, 'nothing yet');
  assert.deepEqual(kinds(r.receive('eth0', first, meta('192.0.2.9'), 10)), ['advertReceived']);
  const inst = r.instance('VI_1')!;
  const v = accepted.repeatOf(again, meta('192.0.2.9'), inst.expect, inst.spec);
  assert.ok(v?.ok, 'a repeat');
  assert.deepEqual(kinds(r.receive('eth0', again, meta('192.0.2.9'), 1010)), ['advertReceived']);
  assert.equal(inst.stats.advert_rcvd, 2);
  assert.equal(r.pollTimeout(), 1010 + 3 * 1000 + ((256 - 100) * 1000) / 256, 'Master_Down_Timer re-armed from the repeat');
  // what the checks read differs: not a repeat, checked in full
  const lowTtl = Uint8Array.from(first);
  lowTtl[8] = 64;
  assert.equal(accepted.repeatOf(lowTtl, meta('192.0.2.9'), inst.expect, inst.spec), undefined);
  assert.deepEqual(kinds(r.receive('eth0', lowTtl, meta('192.0.2.9'), 1020)), ['dropped']);
  assert.equal(accepted.repeatOf(first, { ...meta('192.0.2.9'), destination: '192.0.2.1' }, inst.expect, inst.spec), undefined);
  assert.equal(accepted.repeatOf(first, meta('192.0.2.8'), inst.expect, inst.spec), undefined);
  assert.equal(accepted.repeatOf(first, meta('192.0.2.9'), { ...inst.expect }, inst.spec), undefined, 'other expectations');
  const lower = packet('192.0.2.9', 50);
  assert.equal(accepted.repeatOf(lower, meta('192.0.2.9'), inst.expect, inst.spec), undefined);
  assert.deepEqual(logTexts(r.receive('eth0', lower, meta('192.0.2.9'), 1030)), [
    '(VI_1) received lower priority (50) advert from 192.0.2.9 - discarding',
  ]);
  accepted.clear();
  assert.equal(accepted.repeatOf(again, meta('192.0.2.9'), inst.expect, inst.spec), undefined, 'forgotten');
});

/** The states entered, in order. */
const entered = (as: readonly RouterAction[]) => as.flatMap((a) => (a.kind === 'stateChanged' ? [a.transition.to] : []));

/**
 * A stalled event loop (issue 14): the runtime wakes after the Master_Down_Timer expired, drains the socket (each
 * advert with its kernel receive time) and only then runs the expired timers, as LinuxVrrpRuntime.onTimer does.
 */
function stalledWake(r: VrrpRouter, arrivedAt: number | undefined, wokeAt: number): RouterAction[] {
  const m = { ...meta('192.0.2.9'), ...(arrivedAt === undefined ? {} : { arrivedAt }) };
  return [...r.receive('eth0', packet('192.0.2.9', 200), m, wokeAt), ...r.timeout(wokeAt)];
}

test('stalled loop: an advert queued before the master-down deadline keeps BACKUP; the timer counts from its arrival', () => {
  const r = backup();
  const deadline = r.pollTimeout()!;
  const mdi = deadline; // armed at t=0
  assert.ok(mdi > 3000 && mdi < 4000, `Master_Down_Interval ${mdi}`);
  const out = stalledWake(r, deadline - 5, deadline + 500);
  assert.deepEqual(entered(out), []);
  assert.equal(r.instance('VI_1')!.fsm.state, VrrpState.BACKUP);
  // RFC 5798: Master_Down_Interval from when the advert arrived, not from when the loop read it
  assert.equal(r.pollTimeout(), deadline - 5 + mdi);
  assert.deepEqual(entered(r.timeout(deadline - 5 + mdi - 1)), []);
  assert.deepEqual(entered(r.timeout(deadline - 5 + mdi)), [VrrpState.MASTER]);
});

test('stalled loop: an advert that arrived after the master-down deadline does not undo it: MASTER first, then the advert', () => {
  const r = backup();
  const deadline = r.pollTimeout()!;
  const out = stalledWake(r, deadline + 5, deadline + 500);
  // the expired timer acts first (MASTER), then the higher-priority advert sends the instance back to BACKUP
  assert.deepEqual(entered(out), [VrrpState.MASTER, VrrpState.BACKUP]);
  assert.ok(
    out.findIndex((a) => a.kind === 'stateChanged') < out.findIndex((a) => a.kind === 'advertReceived'),
    'the timeout is handled before the advert',
  );
});

test('stalled loop: an advert without a receive time (vrrp_rx_timestamps off, the default) is taken as received when read, as keepalived does', () => {
  const r = backup();
  const deadline = r.pollTimeout()!;
  assert.deepEqual(entered(stalledWake(r, undefined, deadline + 500)), []);
  assert.equal(r.pollTimeout(), deadline + 500 + deadline);
  // a receive time after `now` is taken as `now`: after the deadline, so the expired timer acts first
  const r2 = backup();
  assert.deepEqual(entered(stalledWake(r2, deadline + 10_000, deadline + 500)), [VrrpState.MASTER, VrrpState.BACKUP]);
});

test('log_unknown_vrids: unknownVrid names a VRID no instance on the socket has (IPv4 with its header), else undefined', () => {
  const r = backup(); // VI_1, VRID 51 on eth0
  assert.equal(r.unknownVrid('eth0', packet('192.0.2.2', 100, { vrid: 52 })), 52);
  assert.equal(r.unknownVrid('eth0', packet('192.0.2.2', 100, { vrid: 51 })), undefined);
  assert.equal(r.unknownVrid('eth1', packet('192.0.2.2', 100, { vrid: 51 })), 51, 'VRID 51 lives on eth0 only');
  assert.equal(r.unknownVrid('eth0', new Uint8Array([0x45])), undefined, 'too short to hold a VRID');
  assert.deepEqual(r.receive('eth0', packet('192.0.2.2', 100, { vrid: 52 }), meta('192.0.2.2'), 0), []);
});
