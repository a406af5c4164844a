/**
 * The BFD session state machine (RFC 5880 section 6.8) driven by hand: three-way bring-up, Poll/Final, the
 * negotiated transmit interval and Detection Time, jitter bounds, expiry, neighbor-signalled down, passive mode,
 * AdminDown, and keepalived's log texts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BfdState, decodeControl, type BfdControl } from '../../../src/bfd/packet.js';
import { BfdSession, detectionTimeUs, jitterRange, type BfdSessionAction, type BfdSessionConfig } from '../../../src/bfd/session.js';

const cfg: BfdSessionConfig = { name: 'b1', desiredMinTxUs: 50_000, requiredMinRxUs: 30_000, idleTxUs: 1_000_000, detectMult: 3, passive: false };

/** A deterministic uniform [0, 1) stream. */
function lcg(seed = 1): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const sends = (a: readonly BfdSessionAction[]) => a.filter((x) => x.kind === 'send').map((x) => (x.kind === 'send' ? x.control : undefined)!);
const logs = (a: readonly BfdSessionAction[]) => a.flatMap((x) => (x.kind === 'log' ? [x.text] : []));
const states = (a: readonly BfdSessionAction[]) => a.flatMap((x) => (x.kind === 'state' ? [[x.from, x.to, x.diag]] : []));

function peer(over: Partial<BfdControl> = {}): BfdControl {
  const b = {
    version: 1,
    diag: 0,
    state: BfdState.Down,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    authPresent: false,
    demand: false,
    multipoint: false,
    detectMult: 4,
    length: 24,
    myDiscr: 777,
    yourDiscr: 0,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 20_000,
    requiredMinEchoRxUs: 0,
    ...over,
  };
  return b;
}

test('start sends Down at once, then every 75–100 % of max(idle_tx, remote min_rx)', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  const first = sends(s.start(0));
  assert.equal(first.length, 1);
  assert.equal(first[0]!.state, BfdState.Down);
  assert.equal(first[0]!.desiredMinTxUs, 1_000_000, 'not Up: idle_tx is advertised');
  assert.equal(first[0]!.requiredMinRxUs, 30_000);
  assert.equal(first[0]!.yourDiscr, 0);
  let last = 0;
  for (let i = 0; i < 50; i++) {
    const t = s.nextDeadline();
    assert.ok(t - last >= 750 && t - last < 1000, `gap ${t - last}`);
    assert.equal(sends(s.tick(t)).length, 1);
    last = t;
  }
});

test('three-way bring-up Down → Init → Up, Poll on entering Up, Final answers a Poll at once', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  let a = s.receive(peer(), 10);
  assert.deepEqual(states(a), [[BfdState.Down, BfdState.Init, 0]]);
  assert.equal(s.sessionState, BfdState.Init);
  a = s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 40_000 }), 20);
  assert.deepEqual(states(a), [[BfdState.Init, BfdState.Up, 0]]);
  assert.deepEqual(logs(a), ['     Detection time is 160000 us (was 4000000 us)', '(b1) Entering Up state']);
  // tx interval now max(min_tx 50 ms, remote min_rx 20 ms) = 50 ms, with Poll until Final
  assert.equal(s.txIntervalUs(), 50_000);
  const t = s.nextDeadline();
  assert.ok(t >= 20 && t <= 20 + 50, `next tx ${t}`);
  const up = sends(s.tick(Math.max(t, 20)));
  assert.equal(up.length, 1);
  assert.equal(up[0]!.poll, true);
  assert.equal(up[0]!.state, BfdState.Up);
  assert.equal(up[0]!.yourDiscr, 777);
  assert.equal(up[0]!.desiredMinTxUs, 50_000);
  // Final ends the poll sequence
  s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 40_000, final: true }), 60);
  const next = sends(s.tick(s.nextDeadline()));
  assert.equal(next[0]!.poll, false);
  // a Poll from the peer: answered immediately with Final (and no Poll)
  const fin = sends(s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 40_000, poll: true }), 200));
  assert.equal(fin.length >= 1, true);
  assert.equal(fin[0]!.final, true);
  assert.equal(fin[0]!.poll, false);
});

test('Detection Time = remote Detect Mult × max(min_rx, remote Desired Min TX); expiry → Down with diag 1', () => {
  assert.equal(detectionTimeUs(3, 10_000, 300_000), 900_000);
  assert.equal(detectionTimeUs(3, 300_000, 10_000), 900_000);
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  s.receive(peer({ state: BfdState.Init, yourDiscr: 42, desiredMinTxUs: 20_000 }), 100);
  assert.equal(s.sessionState, BfdState.Up);
  assert.equal(s.detectTimeUs(), 4 * 30_000);
  assert.equal(s.nextDeadline() <= 100 + 50, true, 'tx comes before detection');
  // run timers until something other than a send happens
  let t = 100;
  let a: BfdSessionAction[] = [];
  while (states(a).length === 0) {
    t = s.nextDeadline();
    a = s.tick(t);
  }
  assert.equal(t, 100 + 120, 'expired exactly one Detection Time after the last packet');
  assert.deepEqual(states(a), [[BfdState.Up, BfdState.Down, 1]]);
  assert.deepEqual(logs(a), [
    '(b1) Expired after 120 ms (0 usec overdue)',
    '(b1) Entering Down state (Local diagnostic - Control Detection Time Expired, Remote diagnostic - No Diagnostic)',
  ]);
  assert.equal(s.txIntervalUs(), 1_000_000, 'Down: back to idle_tx');
  assert.equal(s.snapshot().remoteDiscr, 0, 'bfd.RemoteDiscr is cleared on expiry');
});

test('a late tick still expires, and reports how late', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  s.receive(peer({ state: BfdState.Init, yourDiscr: 42, desiredMinTxUs: 20_000 }), 0);
  const a = s.tick(500);
  assert.deepEqual(states(a), [[BfdState.Up, BfdState.Down, 1]]);
  assert.equal(logs(a)[0], '(b1) Expired after 500 ms (380000 usec overdue)');
});

test('remote Down or AdminDown takes an Up session Down with diag 3', () => {
  for (const st of [BfdState.Down, BfdState.AdminDown]) {
    const s = new BfdSession(cfg, 42, lcg(), 0);
    s.start(0);
    s.receive(peer({ state: BfdState.Init, yourDiscr: 42 }), 1);
    const a = s.receive(peer({ state: st, yourDiscr: st === BfdState.Down ? 0 : 42, diag: 7 }), 2);
    assert.deepEqual(states(a), [[BfdState.Up, BfdState.Down, 3]]);
    assert.match(
      logs(a).at(-1)!,
      /Entering Down state \(Local diagnostic - Neighbor Signaled Session Down, Remote diagnostic - Administratively Down\)/,
    );
  }
});

test('Init does not go Up on a Down packet and does not leave on AdminDown from Down', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  s.receive(peer(), 1);
  s.receive(peer(), 2);
  assert.equal(s.sessionState, BfdState.Init);
  const d = new BfdSession(cfg, 43, lcg(), 0);
  d.start(0);
  assert.deepEqual(states(d.receive(peer({ state: BfdState.AdminDown }), 1)), []);
  assert.equal(d.sessionState, BfdState.Down);
});

test('Init expires without packets and the remote is forgotten one Detection Time after the last Down packet', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  s.receive(peer(), 0);
  assert.equal(s.sessionState, BfdState.Init);
  let t = 0;
  let a: BfdSessionAction[] = [];
  while (states(a).length === 0) a = s.tick((t = s.nextDeadline()));
  assert.equal(t, 4000, 'Init: Detection Time 4 × max(30 ms, 1 s)');
  assert.equal(s.sessionState, BfdState.Down);
});

test('jitter: 75–100 % of the interval, 75–90 % with Detect Mult 1', () => {
  assert.deepEqual(jitterRange(3), [0.75, 1]);
  assert.deepEqual(jitterRange(1), [0.75, 0.9]);
  for (const mult of [1, 3]) {
    const s = new BfdSession({ ...cfg, detectMult: mult, desiredMinTxUs: 10_000 }, 9, lcg(7), 0);
    s.start(0);
    s.receive(peer({ state: BfdState.Init, yourDiscr: 9, requiredMinRxUs: 10_000, desiredMinTxUs: 10_000 }), 0);
    let last = s.snapshot().packetsOut;
    let lastT = 0;
    const gaps: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = s.nextDeadline();
      s.receive(peer({ state: BfdState.Up, yourDiscr: 9, requiredMinRxUs: 10_000, desiredMinTxUs: 10_000 }), t); // keep it Up
      const n = s.snapshot().packetsOut;
      if (n > last) {
        if (i > 2) gaps.push(t - lastT);
        lastT = t;
        last = n;
      }
    }
    const [lo, hi] = jitterRange(mult);
    assert.ok(Math.min(...gaps) >= 10 * lo - 1e-9, `min ${Math.min(...gaps)}`);
    assert.ok(Math.max(...gaps) <= 10 * hi + 1e-9, `max ${Math.max(...gaps)}`);
    assert.ok(Math.max(...gaps) - Math.min(...gaps) > 10 * (hi - lo) * 0.8, 'spread over most of the range');
  }
});

test('the tx interval follows the remote Required Min RX when it is larger', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  s.receive(peer({ state: BfdState.Init, yourDiscr: 42, requiredMinRxUs: 300_000 }), 0);
  assert.equal(s.txIntervalUs(), 300_000);
  s.receive(peer({ state: BfdState.Up, yourDiscr: 42, requiredMinRxUs: 0 }), 1);
  assert.equal(s.nextDeadline() > 1e9, false, 'detection still armed');
  assert.equal(sends(s.tick(s.nextDeadline())).length, 0, 'Required Min RX 0: no periodic packets');
});

test('passive: silent until the peer is heard, then answers', () => {
  const s = new BfdSession({ ...cfg, passive: true }, 42, lcg(), 0);
  assert.deepEqual(sends(s.start(0)), []);
  assert.equal(s.nextDeadline(), Number.POSITIVE_INFINITY);
  const a = s.receive(peer(), 5);
  assert.equal(sends(a).length, 1);
  assert.equal(sends(a)[0]!.state, BfdState.Init);
  assert.equal(sends(a)[0]!.yourDiscr, 777);
});

test('a packet with the A bit is ignored (no authentication configured); AdminDown ignores all and says so once', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  assert.deepEqual(s.receive(peer({ authPresent: true }), 1), []);
  s.receive(peer(), 2);
  const a = s.adminDown(3);
  assert.deepEqual(states(a), [[BfdState.Init, BfdState.AdminDown, 7]]);
  assert.equal(sends(a)[0]!.state, BfdState.AdminDown);
  assert.deepEqual(logs(a), ['(b1) Entering AdminDown state']);
  assert.deepEqual(s.receive(peer({ state: BfdState.Init, yourDiscr: 42 }), 4), []);
  assert.equal(s.nextDeadline(), Number.POSITIVE_INFINITY);
});

test("packets on the wire decode with the session's values", () => {
  const s = new BfdSession(cfg, 0xdeadbeef, lcg(), 0);
  const a = s.start(0);
  const b = a.find((x) => x.kind === 'send');
  assert.ok(b && b.kind === 'send');
  const r = decodeControl(b.bytes);
  assert.ok(r.ok);
  assert.equal(r.packet.myDiscr, 0xdeadbeef);
  assert.equal(r.packet.detectMult, 3);
});

const intervals = (a: readonly BfdSessionAction[]) => a.flatMap((x) => (x.kind === 'intervals' ? [x.txIntervalUs] : []));

test("a change of the peer's Required Min RX while Up is an `intervals` action; an unchanged packet is not", () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  const up = s.receive(peer({ state: BfdState.Init, yourDiscr: 42, desiredMinTxUs: 20_000 }), 1);
  assert.deepEqual(intervals(up), [], 'a state change carries the new interval itself');
  assert.equal(s.txIntervalUs(), 50_000);
  assert.deepEqual(intervals(s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 20_000 }), 2)), []);
  const slower = s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 20_000, requiredMinRxUs: 200_000, poll: true }), 3);
  assert.deepEqual(intervals(slower), [200_000]);
  assert.equal(s.snapshot().txIntervalUs, 200_000);
  assert.equal(sends(slower)[0]!.final, true, 'the Poll is answered with Final');
  const back = s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 20_000, requiredMinRxUs: 10_000, poll: true }), 4);
  assert.deepEqual(intervals(back), [50_000], 'back to our min_tx');
});

test('a min_tx raised while Up is advertised at once but used only once the Poll Sequence ends (RFC 5880 6.8.3)', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  s.receive(peer({ state: BfdState.Init, yourDiscr: 42, desiredMinTxUs: 20_000 }), 1);
  s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 20_000, final: true }), 2); // bring-up poll done
  s.reconfigure({ ...cfg, desiredMinTxUs: 300_000 });
  assert.equal(s.txIntervalUs(), 50_000, 'still the old interval');
  assert.equal(s.snapshot().pollActive, true);
  const t = s.nextDeadline();
  assert.ok(t <= 2 + 50, `next packet still within the old interval (${t})`);
  const p = sends(s.tick(t))[0]!;
  assert.equal(p.poll, true);
  assert.equal(p.desiredMinTxUs, 300_000, 'the new value is advertised');
  const fin = s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 20_000, final: true }), t + 1);
  assert.deepEqual(intervals(fin), [300_000], 'Final: the new interval is used, and said so');
  assert.equal(s.snapshot().txIntervalUs, 300_000);
  // lowering takes effect at once
  s.reconfigure({ ...cfg, desiredMinTxUs: 30_000 });
  assert.equal(s.txIntervalUs(), 30_000);
});

test('clients are told Up on Up and Down on a fall from Up, but not when the peer signalled AdminDown (keepalived bfd_event_send)', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  assert.equal(s.snapshot().clientUp, false);
  s.receive(peer({ state: BfdState.Init, yourDiscr: 42 }), 1);
  assert.equal(s.snapshot().clientUp, true);
  const a = s.receive(peer({ state: BfdState.AdminDown, yourDiscr: 42, diag: 7 }), 2);
  assert.deepEqual(states(a), [[BfdState.Up, BfdState.Down, 3]], 'the session itself goes Down');
  assert.equal(s.snapshot().clientUp, true, 'AdminDown from the peer is not a failure for the clients');
  // the peer comes back: Down → Init → Up, still Up for the clients; a real failure then is Down
  s.receive(peer({ state: BfdState.Down, yourDiscr: 0 }), 10);
  s.receive(peer({ state: BfdState.Up, yourDiscr: 42 }), 11);
  assert.equal(s.sessionState, BfdState.Up);
  assert.equal(s.snapshot().clientUp, true);
  s.tick(11 + s.detectTimeUs() / 1000);
  assert.equal(s.sessionState, BfdState.Down);
  assert.equal(s.snapshot().clientUp, false, 'detection expiry is a failure');
  // a neighbor-signalled Down (not AdminDown) is a failure too
  s.receive(peer({ state: BfdState.Down, yourDiscr: 0 }), 20);
  s.receive(peer({ state: BfdState.Up, yourDiscr: 42 }), 21);
  s.receive(peer({ state: BfdState.Down, yourDiscr: 42 }), 22);
  assert.equal(s.snapshot().clientUp, false);
  // after an AdminDown-caused Down, a reload re-reads the state (keepalived sends every state then)
  s.receive(peer({ state: BfdState.Init, yourDiscr: 42 }), 30);
  s.receive(peer({ state: BfdState.AdminDown, yourDiscr: 42 }), 31);
  assert.equal(s.snapshot().clientUp, true);
  s.resync();
  assert.equal(s.snapshot().clientUp, false);
  // our own AdminDown tells the clients nothing either
  s.receive(peer({ state: BfdState.Init, yourDiscr: 42 }), 40);
  s.adminDown(41);
  assert.equal(s.snapshot().clientUp, true);
});

test('a periodic packet sent elsewhere (deferTx): not counted, the next one is due when told; countSentElsewhere adds; periodicPacket is what tick sends', () => {
  const s = new BfdSession(cfg, 42, lcg(), 0);
  s.start(0);
  s.receive(peer(), 10);
  s.receive(peer({ state: BfdState.Up, yourDiscr: 42, desiredMinTxUs: 40_000 }), 20);
  const t = s.nextTxAt();
  const expected = s.periodicPacket();
  const sent = s.tick(t).filter((x) => x.kind === 'send');
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.kind === 'send' && [...sent[0]!.bytes], [...expected], 'periodicPacket() = the bytes tick() sends');
  const before = s.snapshot().packetsOut;
  s.deferTx(t + 7);
  assert.equal(s.snapshot().packetsOut, before - 1, 'the deferred packet does not count');
  assert.equal(s.nextTxAt(), t + 7);
  assert.deepEqual(sends(s.tick(t + 6.9)), [], 'nothing before the deferred time');
  assert.equal(sends(s.tick(t + 7)).length, 1);
  const after = s.nextTxAt();
  assert.ok(after >= t + 7 + 37.5 && after <= t + 7 + 50, `back to 75–100 % of 50 ms after it: ${after - t - 7}`);
  s.countSentElsewhere(5);
  assert.equal(s.snapshot().packetsOut, before + 5);
  // leaving Up forgets a deferral
  s.tick(s.nextTxAt());
  s.deferTx(s.nextTxAt() + 1);
  s.receive(peer({ state: BfdState.Down, yourDiscr: 42 }), after + 1);
  assert.equal(s.sessionState, BfdState.Down);
  assert.ok(s.nextTxAt() > after + 500, 'Down: idle_tx again, not the deferred time');
});
