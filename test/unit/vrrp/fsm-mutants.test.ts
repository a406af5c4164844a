/**
 * Tests written for survivors of the full vrrp-fsm mutation group (npm run mutate -- vrrp-fsm, 2026-12-06): an
 * instance in FAULT that is re-evaluated while still faulty, a stopped instance, the address owner hearing a lower
 * priority, a master hearing its own address, an equal-priority advert stopping the preempt delay (keepalived
 * vrrp_state_backup), the priority-0 counter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VrrpState } from '../../../src/vrrp/types.js';
import { advert, fsm, kinds, logs, toMaster } from './fsm-helpers.js';

const trk = (name: string, ok: boolean, value = ok ? 1 : 0) => ({
  type: 'tracker' as const,
  result: { kind: 'interface' as const, name, value, ok },
});

test('in FAULT, a re-evaluation while still faulty (another tracker changes) stays in FAULT', () => {
  const f = fsm({
    trackers: [
      { kind: 'interface', name: 'trk0', weight: 0, reverse: false },
      { kind: 'interface', name: 'trk1', weight: 10, reverse: false },
    ],
  });
  f.handle(trk('trk0', true), 0);
  f.handle(trk('trk1', true), 0);
  toMaster(f);
  f.handle(trk('trk0', false), 5000);
  assert.equal(f.state, VrrpState.FAULT);
  const out = f.handle(trk('trk1', false), 6000);
  assert.equal(f.state, VrrpState.FAULT, kinds(out).join());
  assert.ok(!kinds(out).includes('stateChanged'));
  f.handle(trk('trk0', true), 7000);
  assert.equal(f.state, VrrpState.BACKUP, 'leaves FAULT only when the fault is gone');
});

test('a stopped instance ignores tracker, link and advert events (no transition, no priority change action)', () => {
  const f = fsm({ trackers: [{ kind: 'interface', name: 'trk0', weight: 10, reverse: false }] });
  f.handle(trk('trk0', true), 0);
  toMaster(f);
  f.handle({ type: 'shutdown' }, 5000);
  assert.equal(f.state, VrrpState.STOP);
  for (const [ev, t] of [
    [trk('trk0', false), 6000],
    [{ type: 'interface' as const, up: false, name: 'eth0' }, 6100],
    [{ type: 'interface' as const, up: true, name: 'eth0' }, 6200],
  ] as const) {
    const out = f.handle(ev, t);
    assert.deepEqual(
      out.filter((a) => a.kind !== 'log' || !a.record.text.includes('effective priority')).map((a) => a.kind),
      [],
      JSON.stringify(ev),
    );
    assert.equal(f.state, VrrpState.STOP);
  }
});

test('at startup a tracker that lowers the priority emits no priorityChanged (only later changes are announced)', () => {
  const f = fsm({ trackers: [{ kind: 'interface', name: 'trk0', weight: 10, reverse: false }] });
  assert.deepEqual(kinds(f.handle(trk('trk0', true), 0)), []);
  const start = f.handle({ type: 'startup' }, 0);
  assert.ok(!kinds(start).includes('priorityChanged'), kinds(start).join());
  assert.equal(f.priority, 110);
  const later = f.handle(trk('trk0', false), 1000);
  assert.ok(kinds(later).includes('priorityChanged'), kinds(later).join());
});

test('the address owner as MASTER hearing a lower priority keeps 255 (only another owner makes it 254)', () => {
  const f = fsm({ priority: 255, initialState: 'MASTER' });
  f.handle({ type: 'startup' }, 0);
  assert.equal(f.state, VrrpState.MASTER);
  f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 1000);
  assert.equal(f.priority, 255);
  assert.equal(f.state, VrrpState.MASTER);
  const clash = f.handle({ type: 'advert', advert: advert(255), source: '192.0.2.2' }, 2000);
  assert.ok(logs(clash).some((l) => l.includes('both configured as address owner')));
  assert.equal(f.priority, 254);
});

test('a MASTER hearing an equal-priority advert from its own address warns and stays MASTER, sending nothing extra', () => {
  const f = fsm({ priority: 100 });
  toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.1' }, 5000);
  assert.deepEqual(logs(out), ['(VI_1) WARNING - equal priority advert received from remote host with our IP address.']);
  assert.deepEqual(kinds(out), []);
  assert.equal(f.state, VrrpState.MASTER);
});

test('a MASTER hearing a higher-priority advert from its own address yields to it, as from any other (keepalived vrrp_state_master_rx)', () => {
  // keepalived 2.2.7 compares the source with its own only to break a priority tie (addr_cmp): a higher priority
  // wins whatever its source, so a node that shares our address (a clone, a spoofer) with a higher priority is master
  const f = fsm({ priority: 100 });
  toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(150), source: '192.0.2.1' }, 5000);
  assert.deepEqual(logs(out).slice(0, 2), [
    '(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100',
    '(VI_1) Entering BACKUP STATE',
  ]);
  assert.equal(f.state, VrrpState.BACKUP);
  assert.ok(kinds(out).includes('removeVips'), kinds(out).join());
  // and a lower one from our own address is a lower-priority rival: a new election is forced
  const g = fsm({ priority: 100 });
  toMaster(g);
  const low = g.handle({ type: 'advert', advert: advert(50), source: '192.0.2.1' }, 5000);
  assert.equal(g.state, VrrpState.MASTER);
  assert.deepEqual(logs(low).slice(0, 1), ['(VI_1) Received advert from 192.0.2.1 with lower priority 50, ours 100, forcing new election']);
  assert.ok(kinds(low).includes('sendAdvert'), kinds(low).join());
});

test('preempt delay: an equal-priority advert stops it, the next lower one starts it afresh (keepalived vrrp_state_backup)', () => {
  const f = fsm({ priority: 100, preemptDelayMs: 10_000 });
  f.handle({ type: 'startup' }, 0);
  const rx = (prio: number, t: number) => f.handle({ type: 'advert', advert: advert(prio), source: '192.0.2.2' }, t);
  assert.deepEqual(logs(rx(50, 100)), ['(VI_1) start preempt delay (10.000000)']);
  assert.deepEqual(logs(rx(100, 2100)), ['(VI_1) stop preempt delay']);
  assert.deepEqual(logs(rx(50, 4100)), ['(VI_1) start preempt delay (10.000000)']);
  // the master keeps advertising at 50 every second: the backup waits out the delay started at 4100
  let t = 5100;
  for (; t < 14_100; t += 1000) rx(50, t);
  assert.equal(f.state, VrrpState.BACKUP);
  rx(50, t); // 14 100: the delay is over, this advert is discarded; the down timer runs from the last accepted one
  const due = f.pollTimeout()!;
  assert.ok(due > 14_100 && due <= 13_100 + 3_700, String(due));
  f.handleTimeout(due);
  assert.equal(f.state, VrrpState.MASTER);
});

test('priority-0 adverts are counted (pri_zero_rcvd), other adverts are not', () => {
  const f = fsm({ priority: 100 });
  f.handle({ type: 'startup' }, 0);
  f.handle({ type: 'advert', advert: advert(200), source: '192.0.2.2' }, 100);
  f.handle({ type: 'advert', advert: advert(200), source: '192.0.2.2' }, 1100);
  assert.equal(f.counters.priZeroRcvd, 0);
  f.handle({ type: 'advert', advert: advert(0), source: '192.0.2.2' }, 2100);
  assert.equal(f.counters.priZeroRcvd, 1);
});

test('sync-group entry points return only what they did: forceMaster out of BACKUP only, setGroupFault', () => {
  const f = fsm({ priority: 100 });
  toMaster(f);
  assert.deepEqual(f.forceMaster(5000), [], 'already MASTER');
  const out = f.setGroupFault(false, 5100);
  assert.deepEqual(out, []);
});

test('the yield advert: a MASTER beaten by an equal priority from a higher address sends one advert, then yields; from a lower address (lower_prio_no_advert) it sends none', () => {
  const hi = fsm({ priority: 100 });
  toMaster(hi);
  const out = hi.handle({ type: 'advert', advert: advert(100), source: '192.0.2.9' }, 5000);
  assert.deepEqual(kinds(out).slice(0, 2), ['sendAdvert', 'stateChanged']);
  assert.equal(hi.state, VrrpState.BACKUP);
  const lo = fsm({ priority: 100, primaryAddress: '192.0.2.5', lowerPrioNoAdvert: true });
  toMaster(lo);
  const kept = lo.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 5000);
  assert.ok(!kinds(kept).includes('sendAdvert'), kinds(kept).join());
  assert.equal(lo.state, VrrpState.MASTER);
});
