/**
 * Issue 18, the BFD transmit watchdog on the wire: our BFD child's JavaScript thread blocked (the test-only SIGPWR
 * stall, Atomics.wait) for 400 ms, more than 13 × the 30 ms Detection Time of a 10 ms × 3 session to FRR's bfdd:
 * - watchdog on (default): the native threads keep our Control packets coming, State Up, every gap on the peer's
 *   link under the Detection Time; FRR counts no session-down event, and our side stays Up too (on waking it reads
 *   the packets queued meanwhile before it judges its own Detection Time), with the native sends logged (-D);
 * - `bfd_tx_watchdog false`: the same stall takes the session Down at FRR (so the test can fail);
 * - a 2 s stall (longer than the 1 s hold): the native sends stop about 1 s after the stall began and FRR goes Down:
 *   a hung daemon does not keep a session Up.
 * Packet times are tcpdump's kernel timestamps on FRR's side of the link.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor, type RunningOurs } from '../harness/daemons.js';
import { captureLines, threadPolicies } from '../harness/wire.js';
import { bfdInstance, frrPeers, startFrrBfdd, whenLogged, type RunningFrr } from './peers.js';

const STALL_MS = 400;
const DETECT_MS = 30;
const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-bfd-wd-');
after(() => {
  topo.destroy();
  d.removeDir();
});
const ours = topo.hosts.get('a')!.ipv4;
const frrAddr = topo.hosts.get('b')!.ipv4;

/** FRR's session-down events for our peer (`show bfd peers counters`). */
function frrDowns(frr: RunningFrr): number {
  const out = topo.exec('b', ['vtysh', '--vty_socket', frr.vtySocketDir, '-d', 'bfdd', '-c', 'show bfd peers counters']);
  const m = /Session down events:\s*(\d+)/.exec(out);
  assert.ok(m, `FRR counters:\n${out}`);
  return Number(m[1]);
}

/** A captured packet from us: kernel time (s) and whether its State was Up. */
interface Pkt {
  readonly t: number;
  readonly up: boolean;
}

/** FRR (10 ms × 3) and ours with `globals` and the stall hook; resolves once both say Up and it settled a second. */
async function pair(stallMs: number, globals = ''): Promise<{ k: RunningOurs; frr: RunningFrr }> {
  const frr = startFrrBfdd(d, 'b', { peer: ours, local: frrAddr, rxMs: 10, txMs: 10, mult: 3 });
  const conf = d.write(
    `ours-${stallMs}-${globals.length}.conf`,
    (globals ? `global_defs {\n${globals}}\n` : '') + bfdInstance('to_frr', { neighbor: frrAddr, source: ours }),
  );
  const k = d.ours('a', conf, [], { env: { KEEPALIVED_TS_TEST_STALL_MS: String(stallMs) } });
  assert.ok((await whenLogged(k, /\(to_frr\) Entering Up state/, 20_000)) > 0, `Up\n${k.log()}\n--- frr\n${frr.log().slice(-2000)}`);
  assert.ok((await whenLogged(k, / Detection time is 30000 us/, 5000)) > 0, 'negotiated 3 × 10 ms');
  await sleep(1500);
  return { k, frr };
}

/** Stalls our BFD child for `ms` (plus `extraMs` to let things settle), capturing our packets on FRR's link. */
async function stall(k: RunningOurs, ms: number, extraMs: number): Promise<{ pkts: Pkt[]; t0: number }> {
  const pkts: Pkt[] = [];
  const cap = captureLines(topo, 'b', { filter: `udp dst port 3784 and src host ${ours}`, direction: 'in' }, (l) => {
    const m = /^(\d+\.\d+) IP /.exec(l);
    if (m) pkts.push({ t: Number(m[1]), up: / State Up\b/.test(l) });
  });
  await cap.ready;
  // tcpdump may start late on a loaded host (ready falls back after 5 s): stall only once it sees our packets
  assert.ok((await waitFor(() => pkts.length >= 5, 15_000)) >= 0, 'the capture sees our packets before the stall');
  await sleep(300);
  const pid = pidIn(k.bfdPidFile);
  assert.ok(pid, 'BFD child pid');
  const t0 = Date.now() / 1000;
  process.kill(pid, 'SIGPWR');
  await sleep(ms + extraMs);
  await cap.stop();
  return { pkts, t0 };
}

/** Native sends logged (-D) in `log`. */
const nativeSends = (log: string): number => [...log.matchAll(/\(to_frr\) tx watchdog sent (\d+) packet/g)].reduce((n, m) => n + Number(m[1]), 0);

const gapsOf = (p: readonly Pkt[]): number[] => p.slice(1).map((x, i) => (x.t - p[i]!.t) * 1000);

test(
  `our BFD child blocked ${STALL_MS} ms: the native sender keeps the session Up at FRR's bfdd, and ours stays Up`,
  { timeout: 90_000 },
  async (t) => {
    const { k, frr } = await pair(STALL_MS);
    try {
      const downs = frrDowns(frr);
      // the native threads: one per CPU, named bfd-tx-wd, SCHED_RR (2) like the BFD child's main thread
      const threads = threadPolicies(pidIn(k.bfdPidFile)!, 'bfd-tx-wd');
      assert.ok(threads.length >= 1, 'bfd-tx-wd threads exist');
      assert.deepEqual(
        threads.filter((p) => p !== 2),
        [],
        `SCHED_RR: ${threads.join(',')}`,
      );
      const mark = k.log().length;
      const { pkts, t0 } = await stall(k, STALL_MS, 1000);
      const inStall = pkts.filter((p) => p.t >= t0 && p.t <= t0 + STALL_MS / 1000);
      const gaps = gapsOf(pkts.filter((p) => p.t >= t0 - 0.1 && p.t <= t0 + STALL_MS / 1000 + 0.1));
      // 400 ms at native periods of 7.5–9 ms: 44–53; fewer if the threads were late, never more than one per 7.5 ms
      assert.ok(inStall.length >= 30 && inStall.length <= Math.ceil(STALL_MS / 7.5) + 2, `${inStall.length} packets from us in the stall`);
      assert.ok(
        inStall.every((p) => p.up),
        'all State Up',
      );
      assert.ok(Math.max(...gaps) < DETECT_MS, `largest gap around the stall ${Math.max(...gaps).toFixed(1)} ms < the Detection Time`);
      assert.equal(frrDowns(frr), downs, "FRR's session-down events unchanged");
      assert.match(frrPeers(topo, frr), /Status: up/);
      const log = k.log().slice(mark);
      assert.doesNotMatch(log, /Entering Down state/, 'ours stayed Up');
      const native = nativeSends(log);
      // the stall's, plus any after it (a loop that wakes a little late at a booked deadline leaves it to them)
      assert.ok(native >= 30 && native <= pkts.filter((p) => p.t >= t0).length, `native sends logged: ${native}`);
      t.diagnostic(
        `${inStall.length} packets in the stall, largest gap ${Math.max(...gaps).toFixed(1)} ms; native sends ${native} of ${pkts.length} captured`,
      );
      // steady state after it: how many of our packets the native side sends while the loop runs
      const m2 = k.log().length;
      await sleep(3000);
      t.diagnostic(`steady state, 3 s after the stall: ${nativeSends(k.log().slice(m2))} native sends (of ~${Math.round(3000 / 8.75)} packets)`);
    } finally {
      await stop(k.child);
      await stop(frr.child);
    }
  },
);

test('the same stall with bfd_tx_watchdog false: FRR takes the session Down', { timeout: 90_000 }, async () => {
  const { k, frr } = await pair(STALL_MS, '  bfd_tx_watchdog false\n');
  try {
    const downs = frrDowns(frr);
    const { pkts, t0 } = await stall(k, STALL_MS, 1000);
    const inStall = pkts.filter((p) => p.t > t0 + 0.05 && p.t <= t0 + STALL_MS / 1000);
    assert.ok(inStall.length <= 1, `${inStall.length} packets from us inside the stall`);
    assert.ok(frrDowns(frr) > downs, "FRR's session went Down");
    assert.doesNotMatch(k.log(), /tx watchdog sent/);
  } finally {
    await stop(k.child);
    await stop(frr.child);
  }
});

test('a 2 s stall outlasts the 1 s hold: native sends stop, FRR takes the session Down', { timeout: 90_000 }, async () => {
  const { k, frr } = await pair(2000);
  try {
    const downs = frrDowns(frr);
    const { pkts, t0 } = await stall(k, 2000, 1000);
    const early = pkts.filter((p) => p.t >= t0 + 0.1 && p.t <= t0 + 0.9);
    const late = pkts.filter((p) => p.t >= t0 + 1.2 && p.t <= t0 + 1.95);
    assert.ok(early.length >= 50, `native sends inside the hold: ${early.length} in 0.1–0.9 s`);
    assert.deepEqual(late, [], 'nothing from us past the hold (1.2–1.95 s into the stall)');
    assert.ok(frrDowns(frr) > downs, "FRR's session went Down");
  } finally {
    await stop(k.child);
    await stop(frr.child);
  }
});
