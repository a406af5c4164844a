/**
 * The BFD transmit watchdog's wiring in the runtime (src/runtime/bfd/runtime.ts, tx-watchdog.ts), with the real
 * session code on loopback, a ManualClock and a fake native port (fake-watchdog.ts):
 * - an Up session's periodic packet is claimed before it leaves, with exactly its bytes and RFC 5880 6.8.7 timing;
 * - a packet that changes while Up (the Final that ends the Poll Sequence) replaces the prepared copy at once;
 * - when the native side took over (the loop was late), the loop does not send; native sends count as the session's;
 *   the next packet is the loop's at the native side's next deadline;
 * - out of Up (the peer's Down, our detection expiry, AdminDown at stop, removal by a reload) the session is
 *   disarmed before anything else of that batch leaves; not armed outside Up; `bfd_tx_watchdog false` opens nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BfdState, decodeControl } from '../../../src/bfd/packet.js';
import { lab, labConfig, model } from './runtime-lab.js';
import type { PortCall } from './fake-watchdog.js';

type Claim = Extract<PortCall, { e: 'claim' }>;
type SetCall = Extract<PortCall, { e: 'set' }>;

/** Brings B1 Up (the peer's Down, then its Up naming us). */
async function up(x: Awaited<ReturnType<typeof lab>>): Promise<number> {
  await x.send({ state: BfdState.Down });
  const me = x.session().localDiscr;
  await x.send({ state: BfdState.Up, yourDiscr: me });
  assert.equal(x.session().state, 'Up');
  return me;
}

/** Fires timers until the session's packets-out count moves (a periodic send or a native count), at most 10. */
function fireUntilSent(x: Awaited<ReturnType<typeof lab>>): void {
  const before = x.session().packetsOut;
  for (let i = 0; i < 10 && x.session().packetsOut === before; i++) x.fire();
}

const decode = (b: Uint8Array) => {
  const r = decodeControl(b);
  assert.ok(r.ok);
  return r.packet;
};

test('Up: every periodic packet is claimed before it leaves, with its exact bytes and RFC 5880 timing', async (t) => {
  const x = await lab(t);
  await x.rt.start(x.cfg);
  // Down and Init: nothing armed
  const me = await up(x);
  assert.deepEqual(x.wd.calls, [], 'nothing claimed before the first periodic packet in Up');

  let firstAt = 0;
  for (let k = 0; k < 5; k++) {
    if (k) await x.send({ state: BfdState.Up, yourDiscr: me }); // the peer keeps the session Up
    const mark = x.wd.calls.length;
    const out = x.session().packetsOut;
    fireUntilSent(x);
    const now = x.clock.now();
    if (k === 0) firstAt = now;
    assert.equal(x.session().packetsOut, out + 1, 'the loop sent it');
    const calls: PortCall[] = x.wd.calls.slice(mark);
    const claim: Claim | undefined = calls.find((c): c is Claim => c.e === 'claim');
    assert.ok(
      claim && claim.result === -1,
      `k=${k} ${JSON.stringify(calls.map((c) => c.e))} out ${out} now ${x.session().packetsOut} state ${x.session().state}`,
    );
    if (k === 0) {
      const set: SetCall | undefined = calls.find((c): c is SetCall => c.e === 'set');
      assert.ok(set, 'the first claim prepares the packet');
      const p = decode(set.packets[0]!);
      assert.equal(p.state, BfdState.Up);
      assert.equal(p.myDiscr, me);
      assert.equal(p.yourDiscr, 777);
      assert.equal(p.poll, true, 'entering Up with min_tx ≠ idle_tx starts a Poll Sequence');
      assert.equal(p.desiredMinTxUs, 20_000);
    }
    // 20 ms interval (max(min_tx 20, the peer's 10)), multiplier 3: jitter 75–100 %
    const I = 20;
    assert.ok(Math.abs(claim.intervalMs - 0.8 * I) < 1e-9, 'longest native period: 80 %');
    assert.ok(Math.abs(claim.intervalMs * (1 - claim.jitter) - 0.75 * I) < 1e-9, 'shortest native period: 75 %');
    assert.ok(Math.abs(claim.graceMs - 0.2 * I) < 1e-9, 'grace: 20 %');
    assert.equal(claim.holdMs, 1000);
    const due: number = claim.intervalMs + claim.slackMs;
    const plannedIn = x.pending.size ? [...x.pending][0]!.at - now : Infinity;
    assert.ok(due <= I + 1e-9, `first native deadline ${due} ms ≤ the interval after this packet`);
    assert.ok(due >= Math.min(plannedIn + claim.graceMs, I) - 1e-9, `not before the loop's own next packet (${plannedIn} ms) + grace`);
  }
  assert.ok(x.clock.now() > firstAt);
  assert.equal(x.opened(), 1, 'bfd_tx_watchdog is on by default: one native port, opened at the first claim');
  assert.ok(x.wd.armed[0]);
});

test('a Final that ends the Poll Sequence replaces the prepared packet at once (no Poll bit)', async (t) => {
  const x = await lab(t);
  await x.rt.start(x.cfg);
  const me = await up(x);
  fireUntilSent(x);
  const mark = x.wd.calls.length;
  await x.send({ state: BfdState.Up, yourDiscr: me, final: true });
  const sets = x.wd.calls.slice(mark).filter((c): c is SetCall => c.e === 'set');
  assert.equal(sets.length, 1, `${x.wd.kinds(mark).join(',')}`);
  const p = decode(sets[0]!.packets[0]!);
  assert.equal(p.poll, false);
  assert.equal(p.state, BfdState.Up);
  // an unchanged packet from the peer changes nothing
  const mark2 = x.wd.calls.length;
  await x.send({ state: BfdState.Up, yourDiscr: me });
  assert.deepEqual(x.wd.kinds(mark2), []);
});

test('the native side took over: the loop does not send, counts the native sends, and sends the next packet at their next deadline', async (t) => {
  const x = await lab(t);
  await x.rt.start(x.cfg);
  await up(x);
  fireUntilSent(x);
  x.wd.native(0, 6, 7); // the loop was late: six native sends, the next native one due in 7 ms
  const out = x.session().packetsOut;
  fireUntilSent(x); // the loop's periodic packet: claimed, refused
  const claims = x.wd.calls.filter((c): c is Claim => c.e === 'claim');
  assert.equal(claims.at(-1)!.result, 7);
  const at = x.clock.now();
  assert.equal(x.session().packetsOut, out + 6, 'the six native sends count; the refused packet does not');
  assert.ok(
    x.log.records.some((r) => r.text === '(B1) tx watchdog sent 6 packet(s) while the event loop was late' && r.detail),
    x.log.texts().join('\n'),
  );
  assert.equal([...x.pending][0]!.at, at + 7, "the next periodic packet is due at the native side's next deadline");
  fireUntilSent(x);
  assert.equal(x.clock.now(), at + 7);
  assert.equal(x.session().packetsOut, out + 7, 'then the loop sends again');
  assert.equal(x.wd.calls.filter((c) => c.e === 'claim').at(-1)!.e, 'claim');
  assert.equal((x.wd.calls.at(-1) as Claim).result, -1);
});

test("out of Up the session is disarmed before the batch's packets leave: the peer's Down, expiry, AdminDown at stop", async (t) => {
  const x = await lab(t);
  await x.rt.start(x.cfg);
  const me = await up(x);
  fireUntilSent(x);
  assert.ok(x.wd.armed[0]);

  // the peer says Down: disarmed; the next (Down) packets are not claimed
  let mark = x.wd.calls.length;
  await x.send({ state: BfdState.Down, yourDiscr: me });
  assert.equal(x.session().state, 'Down');
  assert.deepEqual(x.wd.kinds(mark), ['disarm']);
  assert.equal(x.wd.armed[0], false);
  mark = x.wd.calls.length;
  fireUntilSent(x);
  assert.deepEqual(x.wd.kinds(mark), [], 'Down: not armed');

  // Up again, then our Detection Time expires (the manual clock runs out): disarmed
  await x.send({ state: BfdState.Down });
  await x.send({ state: BfdState.Up, yourDiscr: me });
  assert.equal(x.session().state, 'Up');
  fireUntilSent(x);
  assert.ok(x.wd.armed[0]);
  mark = x.wd.calls.length;
  for (let i = 0; i < 20 && x.session().state === 'Up'; i++) x.fire();
  assert.equal(x.session().state, 'Down');
  assert.equal(x.wd.calls.slice(mark).filter((c) => c.e === 'disarm').length, 1);
  assert.equal(x.wd.armed[0], false);
  assert.ok(x.wd.kinds(mark).indexOf('disarm') > x.wd.kinds(mark).lastIndexOf('claim'), 'no claim after the disarm');

  // Up again, then stop: AdminDown disarms, the record is released (its socket dup closed), the port closed
  await x.send({ state: BfdState.Down });
  await x.send({ state: BfdState.Up, yourDiscr: me });
  fireUntilSent(x);
  assert.ok(x.wd.armed[0]);
  mark = x.wd.calls.length;
  await x.rt.stop();
  assert.deepEqual(x.wd.kinds(mark), ['disarm', 'set', 'close']);
  const release = x.wd.calls[mark + 1] as SetCall;
  assert.equal(release.fd, -1);
  assert.deepEqual(release.packets, []);
});

test('a reload that removes the session releases its record; bfd_tx_watchdog false closes the native side and claims nothing', async (t) => {
  const x = await lab(t);
  await x.rt.start(x.cfg);
  const me = await up(x);
  fireUntilSent(x);
  let mark = x.wd.calls.length;
  await x.rt.reload(model(labConfig().replace('B1', 'B2')));
  assert.deepEqual(x.wd.kinds(mark).slice(0, 2), ['disarm', 'set'], 'disarmed, then released');
  assert.equal((x.wd.calls[mark + 1] as SetCall).fd, -1);

  // B2 Up, then the keyword turns the watchdog off
  await x.send({ state: BfdState.Down });
  const me2 = x.session().localDiscr;
  assert.notEqual(me2, me);
  await x.send({ state: BfdState.Up, yourDiscr: me2 });
  fireUntilSent(x);
  assert.ok(x.wd.armed.some(Boolean));
  mark = x.wd.calls.length;
  await x.rt.reload(model(labConfig('  bfd_tx_watchdog false\n').replace('B1', 'B2')));
  assert.deepEqual(x.wd.kinds(mark), ['disarm', 'close']);
  mark = x.wd.calls.length;
  const out = x.session().packetsOut;
  fireUntilSent(x);
  assert.equal(x.session().packetsOut, out + 1, 'the loop sends alone');
  assert.deepEqual(x.wd.kinds(mark), []);
});

test('bfd_tx_watchdog false from the start: the native side is never opened', async (t) => {
  const x = await lab(t, '  bfd_tx_watchdog false\n');
  await x.rt.start(x.cfg);
  await up(x);
  for (let i = 0; i < 5; i++) fireUntilSent(x);
  assert.equal(x.opened(), 0);
  assert.deepEqual(x.wd.calls, []);
});
