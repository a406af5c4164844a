/**
 * The BFD child's runtime (src/runtime/bfd/runtime.ts) on loopback UDP with a ManualClock and an injected timer:
 * it publishes its session list (`keepalived-ts:bfd:sessions`, what `status` and the metrics show) on every state
 * change and on a new transmit interval, and not on a packet that changes nothing; a peer's AdminDown takes the
 * session Down but leaves the facts the VRRP and checker children get at Up.
 *
 * Why the timer is injected: with a ManualClock and the runtime's real setTimeout, the timer was armed for
 * (deadline − the manual now) real ms; when it fired nothing was due (the manual clock had not moved), so it re-armed
 * for the same delay, for ever, and a test waiting for a timer-driven change never ended. Here the test fires the
 * one pending timer itself, moving the clock to its deadline first, a bounded number of times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BfdState } from '../../../src/bfd/packet.js';
import { factsOf } from '../../../src/cli/child-facts.js';
import { lab } from './runtime-lab.js';

test('bfd runtime: the session list goes out on state changes and new intervals, not on unchanged packets; timer-driven Down', async (t) => {
  const { cfg, clock, rt, log, pictures, pending, fire, send, last, session, armed } = await lab(t);
  await rt.start(cfg);
  assert.equal(pictures.length, 1, 'start: the first picture');
  assert.equal(last().state, 'Down');
  assert.equal(pending.size, 1);
  const me = session().localDiscr;

  await send({ state: BfdState.Down });
  assert.equal(pictures.length, 2);
  assert.equal(last().state, 'Init');
  await send({ state: BfdState.Up, yourDiscr: me });
  assert.equal(last().state, 'Up');
  assert.equal(last().txIntervalUs, 20_000, 'max(min_tx 20 ms, the peer’s Required Min RX 10 ms)');
  assert.deepEqual(factsOf('bfd', rt.snapshot()), { kind: 'facts', bfd: [['B1', true]] });
  const afterUp = pictures.length;

  await send({ state: BfdState.Up, yourDiscr: me });
  await send({ state: BfdState.Up, yourDiscr: me, final: true });
  assert.equal(pictures.length, afterUp, 'packets that change nothing shown publish nothing');

  await send({ state: BfdState.Up, yourDiscr: me, requiredMinRxUs: 100_000, poll: true });
  assert.equal(pictures.length, afterUp + 1, 'a new transmit interval is published');
  assert.equal(last().txIntervalUs, 100_000, 'the status shows the interval now used');
  assert.equal(last().state, 'Up');

  // the Detection Time runs on the manual clock: 3 × max(min_rx 20 ms, the peer's 10 ms) after the last packet
  const lastRx = clock.now();
  let fires = 0;
  while (last().state === 'Up') {
    assert.ok(++fires < 50, 'the session expires after a bounded number of timer runs');
    const at = fire();
    assert.ok(at <= lastRx + 60, `no timer past the Detection Time (${at - lastRx} ms)`);
  }
  assert.equal(clock.now() - lastRx, 60, 'Down exactly one Detection Time after the last packet');
  assert.equal(last().state, 'Down');
  assert.ok(log.records.some((r) => r.text === '(B1) Expired after 60 ms (0 usec overdue)'));
  assert.deepEqual(factsOf('bfd', rt.snapshot()), { kind: 'facts', bfd: [['B1', false]] });

  // up again, then the peer goes AdminDown: Down in the picture, still Up in the facts (keepalived sends no event)
  await send({ state: BfdState.Down });
  await send({ state: BfdState.Up, yourDiscr: me });
  assert.equal(last().state, 'Up');
  const n = pictures.length;
  await send({ state: BfdState.AdminDown, yourDiscr: me, diag: 7 });
  assert.equal(pictures.length, n + 1);
  assert.equal(last().state, 'Down');
  assert.equal(last().remoteState, 'AdminDown');
  assert.deepEqual(factsOf('bfd', rt.snapshot()), { kind: 'facts', bfd: [['B1', true]] }, 'a peer’s AdminDown is no failure');

  const armedBefore = armed();
  await rt.stop();
  assert.equal(last().state, 'AdminDown', 'stop: the last picture');
  assert.equal(pending.size, 0, 'no timer left');
  assert.equal(armed(), armedBefore, 'nothing armed at stop');
});

test('stalled loop: packets queued in the kernel when a late timer fires are read before the Detection Time is judged (no false Down); with none queued, Down', async (t) => {
  const { cfg, rt, clock, log, fire, send, sendNow, session, last } = await lab(t);
  await rt.start(cfg);
  await send({ state: BfdState.Down });
  const me = session().localDiscr;
  await send({ state: BfdState.Up, yourDiscr: me });
  assert.equal(last().state, 'Up');
  assert.equal(session().detectTimeUs, 60_000);

  // the event loop stalls 200 ms: the peer's packet (sent 50 ms after the last one read, inside the 60 ms Detection
  // Time) waits in the socket, unread, until the late timer runs; nothing between sendNow() and fire() lets libuv poll
  const lastRx = clock.now();
  clock.set(lastRx + 50);
  sendNow({ state: BfdState.Up, yourDiscr: me });
  const packetsIn = session().packetsIn;
  fire(lastRx + 260);
  assert.equal(session().packetsIn, packetsIn + 1, 'the queued packet was read by the timer');
  assert.equal(last().state, 'Up', 'no false Down');
  assert.equal(session().state, 'Up');
  assert.ok(!log.records.some((r) => r.text.includes('Expired')), log.records.map((r) => r.text).join('\n'));

  // the packet counts from when it was read (no receive timestamps): the next expiry is 60 ms after the late timer
  while (session().state === 'Up') fire();
  assert.equal(clock.now(), lastRx + 260 + 60);
  assert.ok(log.records.some((r) => r.text === '(B1) Expired after 60 ms (0 usec overdue)'));

  // the same late timer with nothing queued: Down, reported as late
  await send({ state: BfdState.Down });
  await send({ state: BfdState.Up, yourDiscr: me });
  assert.equal(session().state, 'Up');
  const again = clock.now();
  fire(again + 260);
  assert.equal(session().state, 'Down');
  assert.ok(
    log.records.some((r) => r.text === '(B1) Expired after 260 ms (200000 usec overdue)'),
    log.records.map((r) => r.text).join('\n'),
  );
});
