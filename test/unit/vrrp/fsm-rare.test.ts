/**
 * Rare VRRP transitions that no scenario reached (npm run mutate -- vrrp-fsm left them alive): the address owner
 * leaving FAULT, advert_int changed by a reload while MASTER, the v3 interval learned from the master (and the
 * priority-0 skew computed with it), and the garp_master_refresh cadence. Each is a way a split brain or a silent
 * gap ships.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VrrpAction } from '../../../src/vrrp/actions.js';
import { instanceParams } from '../../../src/vrrp/instance-params.js';
import { masterDownInterval, skewTime } from '../../../src/vrrp/timers.js';
import { VrrpState } from '../../../src/vrrp/types.js';
import { advert, fsm, kinds, logs, toMaster } from './fsm-helpers.js';

/** The transitions among `actions`, as `FROM>TO:cause`. */
function transitions(actions: readonly VrrpAction[]): string[] {
  const n = ['INIT', 'BACKUP', 'MASTER', 'FAULT'];
  return actions.flatMap((a) => (a.kind === 'stateChanged' ? [`${n[a.transition.from]}>${n[a.transition.to]}:${a.transition.cause}`] : []));
}

/** The times at which `f` sends adverts between now and `until`, driving its timers. */
function advertTimes(f: ReturnType<typeof fsm>, until: number): number[] {
  const out: number[] = [];
  for (let t = f.pollTimeout(); t !== undefined && t <= until; t = f.pollTimeout())
    for (const a of f.handleTimeout(t)) if (a.kind === 'sendAdvert') out.push(t);
  return out;
}

test('address owner leaving FAULT: BACKUP first, MASTER one Master_Down_Interval later (keepalived 2.2.7: 3 s with advert_int 1)', () => {
  const f = fsm({ priority: 255, trackers: [{ kind: 'interface', name: 'trk0', weight: 0, reverse: false }] });
  const up = { kind: 'interface' as const, name: 'trk0', value: 1, ok: true };
  f.handle({ type: 'tracker', result: up }, 0);
  f.handle({ type: 'startup' }, 0);
  assert.equal(f.state, VrrpState.MASTER, 'the owner starts as MASTER at once');
  f.handle({ type: 'tracker', result: { ...up, value: 0, ok: false } }, 2000);
  assert.equal(f.state, VrrpState.FAULT);
  const back = f.handle({ type: 'tracker', result: up }, 5000);
  assert.deepEqual(transitions(back), ['FAULT>BACKUP:fault-recovered']);
  assert.ok(!kinds(back).includes('addVips') && !kinds(back).includes('sendAdvert'), kinds(back).join());
  assert.ok(!kinds(back).includes('sendGarp'), 'a multicast instance sends no GARP for its own address (keepalived: unicast only)');
  const mdi = masterDownInterval(2, 255, 1000, 3);
  assert.equal(mdi, 3003.906);
  assert.equal(f.pollTimeout(), 5000 + mdi);
  // a lower-priority master meanwhile neither holds the owner back nor brings it forward
  assert.deepEqual(logs(f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 6000)), [
    '(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding',
  ]);
  assert.deepEqual(f.handleTimeout(5000 + mdi - 1), []);
  const master = f.handleTimeout(5000 + mdi);
  assert.deepEqual(transitions(master), ['BACKUP>MASTER:master-down']);
  assert.deepEqual(kinds(master).slice(0, 4), ['stateChanged', 'sendAdvert', 'addVips', 'sendGarp']);
  assert.equal(f.counters.becomeMaster, 2);
});

test('leaving FAULT, a unicast instance sends one GARP (IPv4) or NA (IPv6) for its own address first, logged as detail', () => {
  for (const [family, primaryAddress, what] of [
    [4, '192.0.2.1', 'ARP'],
    [6, '2001:db8::1', 'NA'],
  ] as const) {
    const f = fsm({
      family,
      primaryAddress,
      vips: family === 6 ? ['2001:db8::100'] : ['192.0.2.100'],
      unicastPeers: [family === 6 ? '2001:db8::2' : '192.0.2.2'],
    });
    f.handle({ type: 'startup' }, 0);
    f.handle({ type: 'interface', up: false, name: 'eth0' }, 100);
    const back = f.handle({ type: 'interface', up: true, name: 'eth0' }, 200);
    assert.deepEqual(kinds(back), ['sendGarp', 'stateChanged', 'notify']);
    const garp = back.find((a) => a.kind === 'sendGarp');
    assert.ok(garp?.kind === 'sendGarp' && garp.reason === 'fault-recovery' && garp.count === 1 && garp.addresses.join() === primaryAddress);
    const line = back.find((a) => a.kind === 'log');
    assert.ok(
      line?.kind === 'log' && line.record.detail === true && line.record.text === `VI_1: sending gratuitous ${what} for ${primaryAddress}`,
      JSON.stringify(line),
    );
  }
});

test('leaving FAULT starts the preempt delay afresh (keepalived clears preempt_time): a lower-priority master is not preempted at once', () => {
  const f = fsm({ priority: 150, preemptDelayMs: 5000 });
  f.handle({ type: 'startup' }, 0);
  assert.ok(logs(f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 1000)).includes('(VI_1) start preempt delay (5.000000)'));
  f.handle({ type: 'interface', up: false }, 2000);
  f.handle({ type: 'interface', up: true }, 8000);
  assert.equal(f.state, VrrpState.BACKUP);
  // the old delay ended at 6000; a fresh one starts at 8100 and the master's adverts keep the instance in BACKUP
  assert.ok(logs(f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 8100)).includes('(VI_1) start preempt delay (5.000000)'));
  for (let t = 9100; t <= 13_100; t += 1000) f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, t);
  assert.equal(f.state, VrrpState.BACKUP);
  // once the delay is over, the next lower-priority advert is discarded and the down timer runs out
  assert.ok(logs(f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 14_100)).some((l) => l.includes('discarding')));
  f.handleTimeout(13_100 + masterDownInterval(2, 150, 1000, 3));
  assert.equal(f.state, VrrpState.MASTER);
});

test('reload: an owner that lowered itself to 254 on meeting another owner is 255 again (keepalived rebuilds the instance)', () => {
  const f = fsm({ priority: 255 });
  f.handle({ type: 'startup' }, 0);
  f.handle({ type: 'advert', advert: advert(255), source: '192.0.2.9' }, 100);
  assert.equal(f.priority, 254);
  f.handle({ type: 'update', params: f.params }, 200);
  assert.equal(f.priority, 255);
});

test('reload while MASTER with a new advert_int: the next advert one new interval after the reload, carrying it; unchanged: cadence kept', () => {
  const f = fsm({ version: 3, priority: 100, advertIntervalMs: 1000 });
  const t0 = toMaster(f);
  assert.equal(f.pollTimeout(), t0 + 1000);
  const same = f.handle({ type: 'update', params: instanceParams({ ...f.params }) }, t0 + 400);
  assert.deepEqual(kinds(same), []);
  assert.equal(f.pollTimeout(), t0 + 1000, 'an unchanged reload does not move the next advert');
  f.handle({ type: 'update', params: instanceParams({ ...f.params, advertIntervalMs: 300 }) }, t0 + 500);
  assert.equal(f.masterAdverInterval, 300);
  assert.deepEqual(
    advertTimes(f, t0 + 1500).map((t) => t - t0),
    [800, 1100, 1400],
  );
  const adv = f.handleTimeout(f.pollTimeout()!).find((a) => a.kind === 'sendAdvert');
  assert.ok(adv?.kind === 'sendAdvert' && adv.advertIntervalMs === 300);
  // slower again: the pending advert is not sent at the old, earlier time
  const t1 = f.pollTimeout()! - 100;
  f.handle({ type: 'update', params: instanceParams({ ...f.params, advertIntervalMs: 2000 }) }, t1);
  assert.equal(f.pollTimeout(), t1 + 2000);
});

test('reload in BACKUP with a new advert_int keeps the running down timer and the interval learned from the master', () => {
  const f = fsm({ version: 3, priority: 100, advertIntervalMs: 1000 });
  f.handle({ type: 'startup' }, 0);
  f.handle({ type: 'advert', advert: advert(200, { version: 3, advertIntervalCs: 50 }), source: '192.0.2.9' }, 100);
  const deadline = f.pollTimeout();
  f.handle({ type: 'update', params: instanceParams({ ...f.params, advertIntervalMs: 2000 }) }, 200);
  assert.equal(f.pollTimeout(), deadline);
  assert.equal(f.masterAdverInterval, 500);
});

test('v3 learned interval: logged once per change; an interval of 0 is not learned (it would make Master_Down_Interval the skew alone)', () => {
  const f = fsm({ version: 3, priority: 100, advertIntervalMs: 1000 });
  f.handle({ type: 'startup' }, 0);
  const adv = (cs: number) => advert(200, { version: 3, advertIntervalCs: cs });
  assert.deepEqual(logs(f.handle({ type: 'advert', advert: adv(20), source: '192.0.2.9' }, 100)), [
    '(VI_1) advertisement interval updated from 1000ms to 200ms by master',
  ]);
  assert.deepEqual(logs(f.handle({ type: 'advert', advert: adv(20), source: '192.0.2.9' }, 300)), []);
  assert.equal(f.pollTimeout(), 300 + masterDownInterval(3, 100, 200, 3));
  assert.deepEqual(logs(f.handle({ type: 'advert', advert: adv(0), source: '192.0.2.9' }, 500)), []);
  assert.equal(f.masterAdverInterval, 200);
  assert.equal(f.pollTimeout(), 500 + masterDownInterval(3, 100, 200, 3));
});

test('v3 priority 0 from the master: the takeover comes after the Skew_Time of the learned interval, not of our own', () => {
  const f = fsm({ version: 3, priority: 100, advertIntervalMs: 1000 });
  f.handle({ type: 'startup' }, 0);
  f.handle({ type: 'advert', advert: advert(200, { version: 3, advertIntervalCs: 20 }), source: '192.0.2.9' }, 100);
  f.handle({ type: 'advert', advert: advert(0, { version: 3, advertIntervalCs: 20 }), source: '192.0.2.9' }, 300);
  const skew = skewTime(3, 100, 200);
  assert.equal(skew, 121.875);
  assert.equal(f.pollTimeout(), 300 + skew);
  assert.deepEqual(f.handleTimeout(300 + skew - 1), []);
  f.handleTimeout(300 + skew);
  assert.equal(f.state, VrrpState.MASTER);
});

test('v3 learned interval: a MASTER preempted by a faster master times it with the new interval; FAULT and MASTER drop it', () => {
  const f = fsm({ version: 3, priority: 100, advertIntervalMs: 1000 });
  const t0 = toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(200, { version: 3, advertIntervalCs: 50 }), source: '192.0.2.9' }, t0 + 100);
  assert.ok(logs(out).includes('(VI_1) advertisement interval updated from 1000ms to 500ms by master'));
  assert.equal(f.state, VrrpState.BACKUP);
  assert.equal(f.pollTimeout(), t0 + 100 + masterDownInterval(3, 100, 500, 3));
  // a fault in between: back in BACKUP the instance waits on its own interval again (keepalived vrrp_state_leave_fault)
  f.handle({ type: 'interface', up: false }, t0 + 200);
  f.handle({ type: 'interface', up: true }, t0 + 300);
  assert.equal(f.masterAdverInterval, 1000);
  assert.equal(f.pollTimeout(), t0 + 300 + masterDownInterval(3, 100, 1000, 3));
  // learned again, then master itself: it advertises its own interval
  f.handle({ type: 'advert', advert: advert(200, { version: 3, advertIntervalCs: 50 }), source: '192.0.2.9' }, t0 + 400);
  assert.equal(f.masterAdverInterval, 500);
  const t1 = f.pollTimeout()!;
  f.handleTimeout(t1);
  assert.equal(f.state, VrrpState.MASTER);
  assert.equal(f.masterAdverInterval, 1000);
  assert.equal(f.pollTimeout(), t1 + 1000);
});

test('garp_master_refresh: with the first advert strictly after each refresh period (keepalived timercmp >), restarted by a new mastership', () => {
  const garp = { masterDelayMs: 0, masterRepeat: 1, masterRefreshMs: 3000, masterRefreshRepeat: 3, lowerPrioDelayMs: 0, lowerPrioRepeat: 0 };
  const f = fsm({ priority: 100, garp });
  const refreshes = (from: number, until: number): number[] => {
    const out: number[] = [];
    for (let t = f.pollTimeout(); t !== undefined && t <= until; t = f.pollTimeout())
      for (const a of f.handleTimeout(t)) if (a.kind === 'sendGarp' && a.reason === 'refresh') out.push(a.count === 3 ? t - from : -1);
    return out;
  };
  const t0 = toMaster(f);
  // the advert at exactly 3000 is not past the refresh time; the one at 4000 is, and the next period counts from it
  assert.deepEqual(refreshes(t0, t0 + 9000), [4000, 8000]);
  f.handle({ type: 'advert', advert: advert(200), source: '192.0.2.9' }, t0 + 9100);
  assert.equal(f.state, VrrpState.BACKUP);
  const t1 = f.pollTimeout()!;
  f.handleTimeout(t1);
  assert.equal(f.state, VrrpState.MASTER);
  assert.deepEqual(refreshes(t1, t1 + 5000), [4000], 'the schedule restarts with the new mastership');
  const none = fsm({ priority: 100, garp: { ...garp, masterRefreshMs: 0 } });
  const n0 = toMaster(none);
  const all: VrrpAction[] = [];
  for (let t = none.pollTimeout(); t !== undefined && t <= n0 + 10_000; t = none.pollTimeout()) all.push(...none.handleTimeout(t));
  assert.equal(all.filter((a) => a.kind === 'sendGarp').length, 0, 'garp_master_refresh 0: no refresh at all');
});

test('garp_extra_if turned on by a reload while MASTER: the first extra round one interval after the next advert', () => {
  const f = fsm({ priority: 100 });
  const t0 = toMaster(f);
  f.handle({ type: 'update', params: instanceParams({ ...f.params, garp: { ...f.params.garp, extraIfIntervalMs: 2500 } }) }, t0 + 100);
  const extra: number[] = [];
  for (let t = f.pollTimeout(); t !== undefined && t <= t0 + 8000; t = f.pollTimeout())
    for (const a of f.handleTimeout(t)) if (a.kind === 'sendGarp' && a.reason === 'extra-if') extra.push(t - t0);
  // armed at the advert at 1000 (due 3500): sent with the advert at 4000, then due 6500, sent at 7000
  assert.deepEqual(extra, [4000, 7000]);
});

test('reload while MASTER: virtual_ipaddress_excluded changes are applied as a diff too, and nothing is touched when only they are unchanged', () => {
  const f = fsm({ priority: 100, vips: ['192.0.2.100'], excludedVips: ['198.51.100.1', '198.51.100.2'] });
  toMaster(f);
  const out = f.handle({ type: 'update', params: instanceParams({ ...f.params, excludedVips: ['198.51.100.2', '198.51.100.3'] }) }, 5000);
  const rm = out.find((a) => a.kind === 'removeVips');
  const add = out.find((a) => a.kind === 'addVips');
  assert.ok(rm?.kind === 'removeVips' && rm.vips.length === 0 && rm.excludedVips.join() === '198.51.100.1', JSON.stringify(rm));
  assert.ok(add?.kind === 'addVips' && add.vips.length === 0 && add.excludedVips.join() === '198.51.100.3', JSON.stringify(add));
  assert.deepEqual(kinds(f.handle({ type: 'update', params: instanceParams({ ...f.params }) }, 5100)), []);
  // in BACKUP a reload adds and removes nothing (the VIPs are not ours)
  const b = fsm({ priority: 100, vips: ['192.0.2.100'] });
  b.handle({ type: 'startup' }, 0);
  assert.deepEqual(kinds(b.handle({ type: 'update', params: instanceParams({ ...b.params, vips: ['192.0.2.101'] }) }, 100)), []);
});

test('garp_extra_if from the start of a mastership: each round with the first advert strictly after its interval', () => {
  const f = fsm({
    priority: 100,
    garp: {
      masterDelayMs: 0,
      masterRepeat: 1,
      masterRefreshMs: 0,
      masterRefreshRepeat: 1,
      lowerPrioDelayMs: 0,
      lowerPrioRepeat: 0,
      extraIfIntervalMs: 2000,
    },
  });
  const t0 = toMaster(f);
  const extra: number[] = [];
  for (let t = f.pollTimeout(); t !== undefined && t <= t0 + 7000; t = f.pollTimeout())
    for (const a of f.handleTimeout(t)) if (a.kind === 'sendGarp') extra.push(a.reason === 'extra-if' && a.count === 1 ? t - t0 : -1);
  assert.deepEqual(extra, [3000, 6000]);
});

test('garp_master_refresh and garp_extra_if turned off by a reload while MASTER: no more rounds', () => {
  const garp = {
    masterDelayMs: 0,
    masterRepeat: 1,
    masterRefreshMs: 2000,
    masterRefreshRepeat: 1,
    lowerPrioDelayMs: 0,
    lowerPrioRepeat: 0,
    extraIfIntervalMs: 2000,
  };
  const f = fsm({ priority: 100, garp });
  const t0 = toMaster(f);
  f.handle({ type: 'update', params: instanceParams({ ...f.params, garp: { ...garp, masterRefreshMs: 0, extraIfIntervalMs: 0 } }) }, t0 + 500);
  const sent: VrrpAction[] = [];
  for (let t = f.pollTimeout(); t !== undefined && t <= t0 + 8000; t = f.pollTimeout()) sent.push(...f.handleTimeout(t));
  assert.equal(sent.filter((a) => a.kind === 'sendAdvert').length, 8);
  assert.deepEqual(
    sent.filter((a) => a.kind === 'sendGarp'),
    [],
  );
});
