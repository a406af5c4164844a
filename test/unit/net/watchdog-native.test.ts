/**
 * The advert watchdog in the addon (packages/sysio/src/watchdog.c), on loopback UDP: a record nobody kicks is sent
 * by the native threads at its interval (each send: every datagram of the record, counted once); kicks hold it
 * back; it stops at its hold; after disarm nothing leaves, even while sends are due every millisecond; two
 * watchdogs are independent (no global state); threads start with the first arm, one per CPU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { K, sysio } from '../../../src/net/sysio.js';
import { parseSockaddr, sockaddrIn } from '../../../src/net/sockaddr.js';
import { decodeCmsgs } from '../../../src/net/cmsg.js';

function udpPair(): { rx: number; tx: number; to: Buffer } {
  const rx = sysio.socket(K.AF_INET!, K.SOCK_DGRAM!, 0);
  const tx = sysio.socket(K.AF_INET!, K.SOCK_DGRAM!, 0);
  sysio.bind(rx, sockaddrIn('127.0.0.1', 0));
  sysio.setsockopt(rx, K.SOL_SOCKET!, K.SO_RCVBUF!, 1 << 20);
  const a = parseSockaddr(sysio.getsockname(rx));
  return { rx, tx, to: sockaddrIn('127.0.0.1', a.family === 'inet' ? a.port : 0) };
}

/** Reads every queued datagram; their first bytes. */
function drain(fd: number): number[] {
  const out: number[] = [];
  for (let m = sysio.recvmsg(fd, 64, 0); m; m = sysio.recvmsg(fd, 64, 0)) out.push(m.data[0]!);
  return out;
}

/** The CPUs this process may run on (sched affinity), as the watchdog counts them. */
function allowedCpus(): number {
  const m = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return (m?.[1] ?? '')
    .split(',')
    .filter(Boolean)
    .reduce((n, r) => {
      const [a, b] = r.split('-').map(Number);
      return n + (b === undefined ? 1 : b - a! + 1);
    }, 0);
}
test('an armed record nobody kicks is sent natively at its interval, all its datagrams once per send, until its hold', async () => {
  const { rx, tx, to } = udpPair();
  const wd = sysio.watchdogCreate();
  try {
    const id = sysio.watchdogAdd(wd);
    assert.equal(sysio.watchdogThreads(wd), 0, 'no thread before the first arm');
    sysio.watchdogSet(wd, id, tx, [Buffer.from([1]), Buffer.from([2])], [to, to]);
    const t0 = performance.now();
    sysio.watchdogKick(wd, id, 20, 5, 400); // first native send at 25 ms, then every 20 ms, none after 400 ms
    assert.equal(sysio.watchdogThreads(wd), allowedCpus(), 'one thread per allowed CPU');
    await sleep(700);
    const got = drain(rx);
    const s = sysio.watchdogStats(wd, id);
    const held = Math.min(400, performance.now() - t0);
    // sends at 25, 45, … ≤ 400 ms: 19; a loaded host delays some, but a deadline missed is caught up only once
    assert.ok(s.sent >= 8 && s.sent <= Math.floor((held - 25) / 20) + 1, `${s.sent} native sends`);
    assert.equal(got.length, 2 * s.sent, 'every send carries both datagrams, and every send is counted');
    assert.deepEqual(
      got.filter((_, i) => i % 2 === 0),
      new Array<number>(s.sent).fill(1),
    );
    assert.equal(s.errors, 0);
    await sleep(100);
    assert.deepEqual(drain(rx), [], 'nothing after the hold');
    assert.equal(sysio.watchdogStats(wd, id).sent, s.sent);
  } finally {
    sysio.watchdogClose(wd);
    sysio.close(rx);
    sysio.close(tx);
  }
});

test('kicked more often than interval + slack, a record is never sent natively', async () => {
  const { rx, tx, to } = udpPair();
  const wd = sysio.watchdogCreate();
  try {
    const id = sysio.watchdogAdd(wd);
    sysio.watchdogSet(wd, id, tx, [Buffer.from([7])], [to]);
    for (let i = 0; i < 40; i++) {
      sysio.watchdogKick(wd, id, 100, 100, 1000); // due 200 ms after each kick; kicked every ~10 ms
      await sleep(10);
    }
    assert.equal(sysio.watchdogStats(wd, id).sent, 0);
    assert.deepEqual(drain(rx), []);
    await sleep(300); // no more kicks: it is due now
    assert.ok(sysio.watchdogStats(wd, id).sent >= 1, 'sent once the kicks stopped');
    assert.ok(drain(rx).length >= 1);
  } finally {
    sysio.watchdogClose(wd);
    sysio.close(rx);
    sysio.close(tx);
  }
});

test('after disarm returns no datagram leaves, even with sends due every millisecond', async () => {
  const { rx, tx, to } = udpPair();
  const wd = sysio.watchdogCreate();
  try {
    const id = sysio.watchdogAdd(wd);
    sysio.watchdogSet(wd, id, tx, [Buffer.from([3]), Buffer.from([4])], [to, to]);
    let total = 0;
    for (let round = 0; round < 50; round++) {
      sysio.watchdogKick(wd, id, 1, 0, 1000);
      await sleep(3);
      sysio.watchdogDisarm(wd, id);
      const sent = sysio.watchdogStats(wd, id).sent;
      total += drain(rx).length; // loopback delivers within sendto: all that left is queued now
      assert.equal(total, 2 * sent, `round ${round}: received = 2 × counted sends`);
      assert.equal(sysio.watchdogStats(wd, id).armed, false);
    }
    await sleep(20);
    assert.deepEqual(drain(rx), [], 'nothing after the last disarm');
    assert.ok(total > 0, 'the rounds did send');
  } finally {
    sysio.watchdogClose(wd);
    sysio.close(rx);
    sysio.close(tx);
  }
});

test('new bytes replace the old ones; the record sends on its own dup of the socket; two watchdogs are independent', async () => {
  const { rx, tx, to } = udpPair();
  const a = sysio.watchdogCreate();
  const b = sysio.watchdogCreate();
  try {
    const ia = sysio.watchdogAdd(a);
    const ib = sysio.watchdogAdd(b);
    sysio.watchdogSet(a, ia, tx, [Buffer.from([10])], [to]);
    sysio.watchdogSet(b, ib, tx, [Buffer.from([20])], [to]);
    sysio.watchdogSet(a, ia, tx, [Buffer.from([11])], [to]);
    sysio.close(tx); // the records keep their own descriptors
    sysio.watchdogKick(a, ia, 10, 0, 1000);
    sysio.watchdogKick(b, ib, 10, 0, 1000);
    await sleep(100);
    sysio.watchdogClose(a);
    const seen = drain(rx);
    assert.ok(seen.includes(11) && seen.includes(20) && !seen.includes(10), `${seen.join(',')}`);
    await sleep(60);
    const after = drain(rx);
    assert.ok(after.length >= 2 && after.every((x) => x === 20), `only b sends after a closed: ${after.join(',')}`);
    assert.throws(() => sysio.watchdogKick(a, ia, 10, 0, 1000), TypeError, 'a closed watchdog refuses calls');
  } finally {
    sysio.watchdogClose(a);
    sysio.watchdogClose(b);
    sysio.close(rx);
  }
});

/** Reads every queued datagram with its kernel receive time (SO_TIMESTAMPNS, ms): first byte and time. */
function drainTimed(fd: number): { b: number; t: number }[] {
  const out: { b: number; t: number }[] = [];
  for (let m = sysio.recvmsg(fd, 64, 64); m; m = sysio.recvmsg(fd, 64, 64)) out.push({ b: m.data[0]!, t: decodeCmsgs(m.cmsgs).receivedRealtimeMs! });
  return out;
}

/** BFD's timing at a 20 ms interval, multiplier 3 (src/runtime/bfd/tx-watchdog.ts): native periods 15–18 ms, grace 2 ms. */
const BFD20 = { intervalMs: 18, slackMs: 0, holdMs: 1000, jitter: 1 - 15 / 18, graceMs: 2 } as const;
const claim = (wd: ReturnType<typeof sysio.watchdogCreate>, id: number): number =>
  sysio.watchdogClaim(wd, id, BFD20.intervalMs, BFD20.slackMs, BFD20.holdMs, BFD20.jitter, BFD20.graceMs);

/**
 * The claim scenario below needs the test's own timers to keep time: a claim the loop means to make in time must
 * come within the 18 ms deadline. On a loaded host a sleep of 8 ms can last longer; such a run proves nothing about
 * the watchdog either way, so it is thrown away (NotInTime) and the scenario runs again, up to 5 times.
 */
class NotInTime extends Error {}

test('claim: the loop owns each deadline it claims in time; once native sends took over it gets their next deadline, booked for it; one sender per deadline, every gap ≥ 75 % of the interval, jittered', async (t) => {
  const late: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      await claimScenario();
      if (late.length) t.diagnostic(`runs thrown away: ${late.join('; ')}`);
      return;
    } catch (e) {
      if (!(e instanceof NotInTime)) throw e;
      late.push(e.message);
      if (attempt === 5) assert.fail(`the test's timers never kept time in 5 runs: ${late.join('; ')}`);
    }
  }
});

/** One run of the claim scenario (see NotInTime). */
async function claimScenario(): Promise<void> {
  const { rx, tx, to } = udpPair();
  sysio.setsockopt(rx, K.SOL_SOCKET!, K.SO_TIMESTAMPNS!, 1);
  const wd = sysio.watchdogCreate();
  try {
    const id = sysio.watchdogAdd(wd);
    let last = performance.now();
    /** A claim the loop makes in time: -1, unless the host made the loop late (NotInTime). */
    const claimInTime = (what: string): void => {
      const now = performance.now();
      const w = claim(wd, id);
      if (now - last > BFD20.intervalMs - 1) throw new NotInTime(`${what}: ${(now - last).toFixed(1)} ms after the previous claim`);
      last = now;
      assert.equal(w, -1, what);
    };
    sysio.watchdogSet(wd, id, tx, [Buffer.from([1])], [to]);
    // the loop sends on time (every ~10 ms, inside the 18 ms deadline): all its claims succeed, no native send
    let loop = 0;
    last = performance.now();
    for (let i = 0; i < 10; i++) {
      claimInTime(`claim ${i} in time`);
      sysio.sendto(tx, Buffer.from([2]), to);
      loop++;
      await sleep(8);
    }
    assert.equal(sysio.watchdogStats(wd, id).sent, 0, 'no native send while the loop keeps time');
    // the loop stalls 300 ms: native periods of 15–18 ms take over
    await sleep(300);
    const native = sysio.watchdogStats(wd, id).sent;
    assert.ok(native >= 8 && native <= Math.ceil(300 / 15) + 1, `${native} native sends in 300 ms`);
    // the loop comes back: refused, told when the native side's next deadline is, which is then the loop's
    let rounds = 0;
    for (;;) {
      assert.ok(++rounds <= 20, 'the loop gets a deadline back within 20 rounds');
      const before = performance.now();
      const w = claim(wd, id);
      if (w < 0) break;
      assert.ok(w <= BFD20.intervalMs, `wait ${w} ms ≤ the longest native period`);
      while (performance.now() < before + w) await sleep(1);
    }
    sysio.sendto(tx, Buffer.from([2]), to);
    loop++;
    last = performance.now();
    for (let i = 0; i < 5; i++) {
      await sleep(8);
      claimInTime(`claim ${i} after the hand-back`);
      sysio.sendto(tx, Buffer.from([2]), to);
      loop++;
    }
    sysio.watchdogDisarm(wd, id);
    const got = drainTimed(rx);
    const sent = sysio.watchdogStats(wd, id).sent;
    assert.equal(got.filter((x) => x.b === 1).length, sent, 'every native send arrived');
    assert.equal(got.filter((x) => x.b === 2).length, loop);
    // the stall's native sends and the hand-back: consecutive gaps of the whole run (kernel receive times)
    const gaps = got.slice(1).map((x, i) => x.t - got[i]!.t);
    const nativeGaps = got.slice(1).flatMap((x, i) => (x.b === 1 && got[i]!.b === 1 ? [x.t - got[i]!.t] : []));
    const handBack = got.findIndex((x, i) => i > 0 && x.b === 2 && got[i - 1]!.b === 1);
    assert.ok(handBack > 0, 'the loop took over again after native sends');
    const hb = got[handBack]!.t - got[handBack - 1]!.t;
    assert.ok(hb >= 15 - 0.5, `the loop's first packet after the native ones: ${hb.toFixed(2)} ms after the last native one (≥ 75 %)`);
    assert.ok(Math.min(...nativeGaps) >= 15 - 0.5, `native gaps ≥ 15 ms: min ${Math.min(...nativeGaps).toFixed(2)}`);
    assert.ok(Math.max(...nativeGaps) - Math.min(...nativeGaps) >= 1, `native periods jittered: ${nativeGaps.map((g) => g.toFixed(1)).join(' ')}`);
    assert.ok(gaps.length === got.length - 1);
  } finally {
    sysio.watchdogClose(wd);
    sysio.close(rx);
    sysio.close(tx);
  }
}

test('claim after the hold ran out, or on a disarmed record: the loop owns it at once', async () => {
  const { rx, tx, to } = udpPair();
  const wd = sysio.watchdogCreate();
  try {
    const id = sysio.watchdogAdd(wd);
    sysio.watchdogSet(wd, id, tx, [Buffer.from([5])], [to]);
    assert.equal(sysio.watchdogClaim(wd, id, 10, 0, 50, 0.1, 1), -1, 'a fresh record');
    await sleep(150); // native sends until the 50 ms hold, then nothing
    const n = sysio.watchdogStats(wd, id).sent;
    assert.ok(n >= 2 && n <= 6, `${n} native sends inside a 50 ms hold at 9–10 ms`);
    assert.equal(sysio.watchdogClaim(wd, id, 10, 0, 50, 0.1, 1), -1, 'past the hold: the loop owns it');
    sysio.watchdogDisarm(wd, id);
    assert.equal(sysio.watchdogClaim(wd, id, 10, 0, 50, 0.1, 1), -1, 'disarmed: the loop owns it (and re-arms)');
    assert.equal(sysio.watchdogStats(wd, id).armed, true);
    sysio.watchdogDisarm(wd, id);
    drain(rx);
    assert.throws(() => sysio.watchdogClaim(wd, id, 10, -11, 50, 0.1, 1), TypeError, 'slack below −interval');
    assert.throws(() => sysio.watchdogClaim(wd, id, 10, 0, 50, 1, 1), TypeError, 'jitter must be < 1');
  } finally {
    sysio.watchdogClose(wd);
    sysio.close(rx);
    sysio.close(tx);
  }
});
