/**
 * Two BFD speakers talking through the simulator with real encoded packets: bring-up time, steady state at
 * 10 ms × 3 without a false Down, negotiated intervals and Detection Times with asymmetric settings, link cut and
 * frozen-peer detection within bounds, passive mode, Poll/Final on the wire, and TTL/GTSM drops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BfdState, encodeControl } from '../../../src/bfd/packet.js';
import { BfdSessions, ttlRule } from '../../../src/bfd/sessions.js';
import { BfdSim, lcg, peerConfig } from './bfd-sim.js';

const DELAY = 0.2;

function pair(o: Parameters<typeof peerConfig>[2] = {}, ob: Parameters<typeof peerConfig>[2] = o, seed = 1): BfdSim {
  const sim = new BfdSim(DELAY, seed);
  sim.a.table.add(peerConfig('to_b', sim.b.addr, o), 0);
  sim.b.table.add(peerConfig('to_a', sim.a.addr, ob), 0);
  sim.start();
  return sim;
}

const upAt = (changes: ReadonlyArray<[number, string, BfdState, BfdState, number]>) => changes.find((c) => c[3] === BfdState.Up)?.[0];

test('bring-up: both Up one idle interval (750–1000 ms) after start, Poll then Final on the wire', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const sim = pair({}, {}, seed);
    sim.run(3000);
    const ua = upAt(sim.a.changes);
    const ub = upAt(sim.b.changes);
    assert.ok(ua !== undefined && ub !== undefined, `seed ${seed}: both Up`);
    assert.ok(Math.max(ua, ub) >= 750 && Math.max(ua, ub) <= 1000 + 3 * DELAY, `seed ${seed}: up at ${ua}/${ub}`);
    assert.deepEqual(
      sim.a.changes.map((c) => c[3]),
      [BfdState.Init, BfdState.Up],
    );
    for (const n of [sim.a, sim.b]) {
      const polls = n.sent.filter(([, p]) => p.poll);
      assert.ok(polls.length >= 1, 'a Poll after entering Up');
      assert.ok(polls.every(([, p]) => p.state === BfdState.Up && p.desiredMinTxUs === 10_000));
    }
    const finals = [...sim.a.sent, ...sim.b.sent].filter(([, p]) => p.final);
    assert.ok(finals.length >= 2, 'each Poll answered with Final');
  }
});

test('10 ms × 3 for 60 s: no false Down, intervals 7.5–10 ms, Detection Time 30 ms both ways', () => {
  const sim = pair();
  sim.run(60_000);
  for (const n of [sim.a, sim.b]) {
    assert.equal(n.changes.length, 2, 'Init, Up and nothing else');
    const upTimes = n.sent.filter(([t, p]) => p.state === BfdState.Up && !p.final && t > 2000).map(([t]) => t);
    const gaps = upTimes.slice(1).map((t, i) => t - upTimes[i]!);
    assert.ok(gaps.length > 5000, `${gaps.length} packets`);
    assert.ok(Math.min(...gaps) >= 7.5 - 1e-9 && Math.max(...gaps) <= 10 + 1e-9, `gaps ${Math.min(...gaps)}–${Math.max(...gaps)}`);
  }
  assert.equal(sim.a.table.get('to_b')!.session.detectTimeUs(), 30_000);
  assert.equal(sim.b.table.get('to_a')!.session.detectTimeUs(), 30_000);
});

test('asymmetric settings negotiate tx = max(min_tx, remote min_rx) and detect = remote mult × max(min_rx, remote min_tx)', () => {
  const sim = pair({ minTx: 10, minRx: 50, mult: 3 }, { minTx: 20, minRx: 10, mult: 5 });
  sim.run(5000);
  const a = sim.a.table.get('to_b')!.session;
  const b = sim.b.table.get('to_a')!.session;
  assert.equal(a.sessionState, BfdState.Up);
  assert.equal(a.txIntervalUs(), 10_000); // max(10, B's min_rx 10)
  assert.equal(b.txIntervalUs(), 50_000); // max(20, A's min_rx 50)
  assert.equal(a.detectTimeUs(), 5 * 50_000); // B mult 5 × max(A min_rx 50, B min_tx 20)
  assert.equal(b.detectTimeUs(), 3 * 10_000); // A mult 3 × max(B min_rx 10, A min_tx 10)
  const bUp = sim.b.sent.filter(([t, p]) => t > 2000 && p.state === BfdState.Up && !p.final).map(([t]) => t);
  const gaps = bUp.slice(1).map((t, i) => t - bUp[i]!);
  assert.ok(Math.min(...gaps) >= 37.5 - 1e-9 && Math.max(...gaps) <= 50 + 1e-9);
});

test('link cut: both sides Down (diag 1) within [Detection Time − interval, Detection Time] of the cut', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const sim = pair({}, {}, seed);
    sim.run(2000);
    const cutAt = 2000 + seed * 3.7;
    sim.run(cutAt);
    sim.cut = true;
    sim.run(cutAt + 200);
    for (const n of [sim.a, sim.b]) {
      const down = n.changes.find((c) => c[3] === BfdState.Down);
      assert.ok(down, `seed ${seed}: Down`);
      assert.equal(down[4], 1);
      const dt = down[0] - cutAt;
      assert.ok(dt >= 30 - 10 - DELAY && dt <= 30 + DELAY, `seed ${seed}: down ${dt} ms after the cut`);
      assert.ok(
        n.logs.some((l) => /Expired after 3\d ms/.test(l)),
        n.logs.join('\n'),
      );
    }
  }
});

test('frozen peer: the live side is Down within the Detection Time; after the thaw both come back Up', () => {
  const sim = pair();
  sim.run(2000);
  sim.b.frozen = true;
  sim.run(2500);
  const down = sim.a.changes.find((c) => c[3] === BfdState.Down)!;
  assert.ok(down[0] - 2000 >= 20 && down[0] - 2000 <= 30 + DELAY, `down after ${down[0] - 2000}`);
  sim.b.frozen = false;
  sim.run(6000);
  assert.equal(sim.state(sim.a, 'to_b'), BfdState.Up);
  assert.equal(sim.state(sim.b, 'to_a'), BfdState.Up);
  // the thawed side saw its own detection expire, late: it logs how late
  assert.ok(sim.b.logs.some((l) => /\(to_a\) Expired after \d+ ms \(\d+ usec overdue\)/.test(l)));
  const bDown = sim.b.changes.find((c) => c[3] === BfdState.Down);
  assert.ok(bDown && (bDown[4] === 1 || bDown[4] === 3));
});

test('passive side waits for the active one, then brings the session up at once; two passive sides stay silent', () => {
  const sim = pair({}, { passive: true });
  sim.run(200);
  assert.ok(sim.b.sent.length > 0 && sim.b.sent[0]![0] === DELAY, 'the first packet answers the first one heard');
  assert.equal(sim.b.sent[0]![1].state, BfdState.Init);
  assert.equal(sim.state(sim.a, 'to_b'), BfdState.Up);
  assert.equal(sim.state(sim.b, 'to_a'), BfdState.Up);
  const quiet = pair({ passive: true }, { passive: true });
  quiet.run(5000);
  assert.equal(quiet.a.sent.length + quiet.b.sent.length, 0);
});

test('GTSM: TTL below 255 is dropped unless max_hops allows it; -1 disables the check', () => {
  assert.deepEqual(ttlRule(false, undefined, undefined), { sendTtl: 255, minRxTtl: 255 });
  assert.deepEqual(ttlRule(true, undefined, undefined), { sendTtl: 255, minRxTtl: 64 });
  assert.deepEqual(ttlRule(false, 250, 5), { sendTtl: 250, minRxTtl: 245 });
  assert.deepEqual(ttlRule(false, undefined, -1), { sendTtl: 255 });
  const t = new BfdSessions(lcg());
  t.add({ ...peerConfig('x', '192.0.2.9'), minRxTtl: 254 }, 0);
  const pkt = encodeControl({ diag: 0, state: BfdState.Down, detectMult: 3, myDiscr: 5, yourDiscr: 0, desiredMinTxUs: 1e6, requiredMinRxUs: 1e4 });
  const low = t.receive({ bytes: pkt, from: '192.0.2.9', ttl: 253 }, 0);
  assert.equal(low.ok, false);
  if (!low.ok) assert.equal(low.text, 'Packet ttl(253) < 254 - discarding');
  assert.ok(t.receive({ bytes: pkt, from: '192.0.2.9', ttl: 254 }, 0).ok);
  const stranger = t.receive({ bytes: pkt, from: '192.0.2.10', ttl: 255 }, 0);
  assert.equal(stranger.ok, false);
  if (!stranger.ok) assert.equal(stranger.text, 'Discarding packet from 192.0.2.10 (session is not found - your discriminator field is 0x00000000)');
  assert.equal(t.drops.get('ttl'), 1);
});
