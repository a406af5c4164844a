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
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { ManualClock } from '../../../src/core/clock.js';
import { subscribe, type BfdSessionsEvent } from '../../../src/core/events.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { seededRng } from '../../../src/core/rng.js';
import { BfdState, encodeControl, type BfdControlInit } from '../../../src/bfd/packet.js';
import { BfdRuntime } from '../../../src/runtime/bfd/runtime.js';
import { openBfdSender, type BfdSender } from '../../../src/net/bfd-socket.js';
import { factsOf } from '../../../src/cli/child-facts.js';

/** A free UDP port on 127.0.0.1 (bound, then released). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(r));
  return port;
}

/** Waits (real time, at most `ms`) until `cond` holds. */
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * The runtime with one session B1 (min_rx = min_tx = 20 ms, multiplier 3) to a peer socket on 127.0.0.2, a ManualClock
 * and the injected timer; `fire()` runs the one pending timer at its deadline (or at `at`, later: a late timer).
 */
async function lab(t: TestContext) {
  const port = await freePort();
  const d = new DiagnosticSink();
  const { tree } = parseConfigTree(
    'bfd_instance B1 {\n neighbor_ip 127.0.0.2\n source_ip 127.0.0.1\n min_rx 20\n min_tx 20\n multiplier 3\n}\n',
    'bfd.conf',
  );
  const cfg = buildModel(tree, d);
  assert.deepEqual(
    d.items.filter((x) => x.severity === 'error'),
    [],
  );

  const clock = new ManualClock(1000);
  const rng = seededRng(7);
  const pending = new Set<{ fn: () => void; at: number }>();
  let armed = 0;
  const timers = {
    set: (fn: () => void, ms: number) => {
      armed++;
      const h = { fn, at: clock.now() + ms };
      pending.add(h);
      return h;
    },
    clear: (h: unknown) => void pending.delete(h as { fn: () => void; at: number }),
  };
  /** Fires the one pending timer at its deadline, or at `at` when that is later (a late timer). */
  const fire = (at = 0): number => {
    assert.equal(pending.size, 1, 'one timer for all sessions');
    const [h] = [...pending];
    pending.delete(h!);
    clock.set(Math.max(clock.now(), h!.at, at));
    h!.fn();
    return clock.now();
  };

  const pictures: BfdSessionsEvent[] = [];
  const off = subscribe('keepalived-ts:bfd:sessions', (p) => pictures.push(p));
  const log = new MemoryLogger();
  const rt = new BfdRuntime(
    { log, logDetail: 0, releaseVips: false, dontReleaseVrrp: false, addressMonitoring: false },
    { port, clock, rng: () => rng.next(), timers },
  );
  const peer: Socket = createSocket('udp4');
  t.after(async () => {
    off();
    await rt.stop();
    peer.close();
    sync?.socket.close();
  });
  await new Promise<void>((r) => peer.bind(0, '127.0.0.2', r));
  peer.setTTL(255);

  const session = () => rt.snapshot().bfd![0]!;
  const last = () => pictures.at(-1)!.sessions[0]!;
  /** A Control packet from the peer (discriminator 777, 10 ms × 3), State Down unless `over` says otherwise. */
  const packet = (over: Partial<BfdControlInit>): Uint8Array =>
    encodeControl({
      diag: 0,
      state: BfdState.Down,
      detectMult: 3,
      myDiscr: 777,
      yourDiscr: 0,
      desiredMinTxUs: 10_000,
      requiredMinRxUs: 10_000,
      ...over,
    });
  /** Sends one packet from the peer and waits until the runtime has taken it. */
  const send = async (over: Partial<BfdControlInit>): Promise<void> => {
    const before = session().packetsIn;
    peer.send(packet(over), port, '127.0.0.1');
    await until(() => session().packetsIn > before, 'the packet to be received');
  };

  let sync: BfdSender | undefined;
  /** Sends from a socket on 127.0.0.2 whose sendto() is synchronous: the packet is in our socket's queue when it returns. */
  const sendNow = (over: Partial<BfdControlInit>): void => {
    sync ??= openBfdSender({
      ipv6: false,
      neighbor: '127.0.0.1',
      source: '127.0.0.2',
      ttl: 255,
      firstPort: 49152,
      min: 49152,
      max: 65535,
      dstPort: port,
    });
    assert.equal(sync.send(packet(over)), undefined);
  };
  return { cfg, clock, rt, log, pictures, pending, fire, send, sendNow, session, last, armed: () => armed };
}

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
