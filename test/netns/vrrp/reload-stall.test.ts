/**
 * Issue 16 (soak finding): a cluster-wide SIGHUP flapped an unchanged VIP of the 0.05 s instance: its MASTER fell
 * silent for longer than the BACKUP's Master_Down_Interval (~180 ms). Measured, the reload itself blocks the VRRP
 * child for 5–12 ms (parse 3–7 ms, runtime reload 2–6 ms); what stalled the advert path was spawning the tracked
 * script: child_process.spawn waited 7–48 ms per run (more under the soak's CPU hog) for the SCHED_OTHER child to
 * exec (src/notify/spawn-thread.ts), and a reload re-runs scripts. Two pairs, both daemons reloaded together
 * (SIGHUP to the MASTER, then to the BACKUP 10 ms later), captured on the BACKUP's link:
 * - N instances at `advert_int 0.05` tracking one script, reloaded twice unchanged and twice with one instance's
 *   priority changed: every VRID's adverts at 20/s (lower and upper bound) and the gaps within stallBounds();
 * - the soak's node configuration (sync group, PASS auth, a `test -e` tracked script each second as `script_user
 *   root`, IPv6), reloaded SOAK_ROUNDS times with the VIP list of another instance toggled: the 0.05 s VRID's rate
 *   kept and its gaps within stallBounds(). Before spawn-thread.ts: 70–127 ms gaps here, and as much without
 *   any reload (so the soak's reload check was where it showed, not its cause).
 * Neither daemon may log a transition.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningOurs } from '../harness/daemons.js';
import { captureAdverts, type WireAdvert } from '../harness/wire.js';
import { SOAK_VRIDS, configText, type NodePlan } from '../../soak/netns-cluster.js';

const N = 100;
/**
 * Rounds of the soak-configuration test. 5 (was 10): stallBounds() still lets 20 % of the rounds exceed 1.5 × the
 * interval (here 1 of 5, before 2 of 10) and none exceed 3 ×; the stall it guards against (spawn before
 * spawn-thread.ts) put a 70–130 ms gap in almost every round, so 5 rounds fail on it as 10 did. Every instance
 * whose VIP list is toggled (round % 3) is still toggled at least once.
 */
const SOAK_ROUNDS = 5;
const INTERVAL_MS = 50;
const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-reload-stall-');
after(() => {
  topo.destroy();
  d.removeDir();
});

/** N instances at 0.05 s on eth0, VRID k with VIP 198.51.100.k; `bump` gets priority + 1. */
function manyText(name: string, prio: number, state: string, bump?: number): string {
  let t = `global_defs {\n  router_id ${name}\n}\nvrrp_script chk {\n  script "/bin/true"\n  interval 1\n  weight -60\n}\n`;
  for (let k = 1; k <= N; k++) {
    t +=
      `vrrp_instance VI_${k} {\n  state ${state}\n  interface eth0\n  virtual_router_id ${k}\n  priority ${k === bump ? prio + 1 : prio}\n` +
      `  advert_int 0.05\n  version 3\n  track_script {\n    chk\n  }\n  virtual_ipaddress {\n    198.51.100.${k}/32\n  }\n}\n`;
  }
  return t;
}

/** The largest gap (ms) between consecutive adverts of any VRID from `src` in [from, to] (s), and the smallest count. */
function gaps(adverts: readonly WireAdvert[], src: string, from: number, to: number): { maxGapMs: number; worst: number; minCount: number } {
  let maxGapMs = 0;
  let worst = 0;
  let minCount = Infinity;
  for (let k = 1; k <= N; k++) {
    const ts = adverts.filter((a) => a.src === src && a.vrid === k && a.t >= from && a.t <= to).map((a) => a.t);
    minCount = Math.min(minCount, ts.length);
    let prev = from;
    for (const t of [...ts, to]) {
      if ((t - prev) * 1000 > maxGapMs) {
        maxGapMs = (t - prev) * 1000;
        worst = k;
      }
      prev = t;
    }
  }
  return { maxGapMs, worst, minCount };
}

/**
 * The bounds on each reload's largest advert gap: most reloads (80 %) none over 1.5 × the interval, and none at all
 * over 3 × the interval (below the BACKUP's Master_Down_Interval of ~180 ms, so no takeover). On this shared 2-core
 * machine a SCHED_RR child still loses the CPU for ~100 ms now and then (one RR time slice to another real-time
 * daemon of the other jobs), with or without a reload; before spawn-thread.ts almost every reload window had a
 * 70–130 ms gap, which fails the first bound.
 */
function stallBounds(gapsMs: readonly number[], figures: readonly string[]): void {
  assert.ok(gapsMs.filter((g) => g <= 1.5 * INTERVAL_MS).length >= 0.8 * gapsMs.length, figures.join('\n'));
  assert.ok(Math.max(...gapsMs) <= 3 * INTERVAL_MS, figures.join('\n'));
}

const reloadDone = async (r: RunningOurs, count: number) =>
  (await waitFor(() => (r.log().match(/Reload complete/g) ?? []).length >= count, 30_000)) >= 0;

test(
  `${N} instances at advert_int 0.05: 4 reloads (unchanged, one changed) keep every VRID's adverts on the wire`,
  { timeout: 240_000 },
  async () => {
    const cap = captureAdverts(topo, 'b', 'eth0', 'in');
    await cap.ready;
    const A = d.ours('a', d.write('a.conf', manyText('a', 200, 'MASTER')));
    const B = d.ours('b', d.write('b.conf', manyText('b', 100, 'BACKUP')));
    const aIp = topo.host('a').ipv4;
    try {
      assert.ok(
        (await waitFor(
          () => (A.log().match(/Entering MASTER STATE/g) ?? []).length >= N && (B.log().match(/Entering BACKUP STATE/g) ?? []).length >= N,
          60_000,
        )) >= 0,
        `${A.log().slice(-3000)}\n${B.log().slice(-3000)}`,
      );
      await sleep(3000);
      const offA = A.log().length;
      const offB = B.log().length;
      const figures: string[] = [];
      const worst: number[] = [];
      for (const [round, bump] of [
        [1, undefined],
        [2, 7],
        [3, 7],
        [4, undefined],
      ] as const) {
        d.write('a.conf', manyText('a', 200, 'MASTER', bump));
        await sleep(1000);
        const from = Date.now() / 1000;
        A.child.kill('SIGHUP');
        await sleep(10);
        B.child.kill('SIGHUP');
        assert.ok((await reloadDone(A, round)) && (await reloadDone(B, round)), `reload ${round} did not complete\n${A.log().slice(-2000)}`);
        await sleep(1000);
        const to = Date.now() / 1000 - 0.3; // tcpdump's output lags a little
        const g = gaps(cap.adverts, aIp, from, to);
        const secs = to - from;
        figures.push(
          `reload ${round}: largest gap ${g.maxGapMs.toFixed(1)} ms (VRID ${g.worst}), fewest adverts ${g.minCount} in ${secs.toFixed(2)} s`,
        );
        console.log(figures.at(-1));
        worst.push(g.maxGapMs);
        // lower bound: the adverts kept their rate (20/s) through the reload
        assert.ok(g.minCount >= (0.8 * (secs * 1000)) / INTERVAL_MS && g.minCount <= (1.1 * (secs * 1000)) / INTERVAL_MS + 2, figures.join('\n'));
      }
      stallBounds(worst, figures);
      assert.deepEqual(
        [A.log().slice(offA), B.log().slice(offB)].map((t) => t.match(/^.*Entering .*$/gm) ?? []),
        [[], []],
        'no transition logged by either daemon',
      );
      assert.equal(cap.adverts.filter((a) => a.src !== aIp && a.t >= 0).length, 0, 'no advert from the BACKUP');
    } finally {
      await Promise.all([stop(A.child), stop(B.child)]);
      await cap.stop();
    }
  },
);

test('the soak cluster configuration: reloads that toggle VIP lists keep the 0.05 s VRID on the wire', { timeout: 240_000 }, async () => {
  const ok = d.write('ok', '');
  const plan = (name: string, prio: number): NodePlan => ({
    name,
    impl: 'ours',
    priorities: SOAK_VRIDS.map(() => prio),
    nopreempt: SOAK_VRIDS.map(() => false),
  });
  const cluster = { extraVip: SOAK_VRIDS.map(() => false), preemptDelay: false };
  const write = () => [d.write('sa.conf', configText(plan('a', 220), cluster, ok)), d.write('sb.conf', configText(plan('b', 100), cluster, ok))];
  const [fa, fb] = write();
  const cap = captureAdverts(topo, 'b', 'eth0', 'in');
  await cap.ready;
  const A = d.ours('a', fa!);
  const B = d.ours('b', fb!);
  const aIp = topo.host('a').ipv4;
  const fast = SOAK_VRIDS.find((v) => v.advertIntervalMs === INTERVAL_MS)!;
  try {
    assert.ok((await waitFor(() => (A.log().match(/Entering MASTER STATE/g) ?? []).length >= SOAK_VRIDS.length, 60_000)) >= 0, A.log().slice(-3000));
    await sleep(3000);
    const offA = A.log().length;
    const offB = B.log().length;
    const figures: string[] = [];
    for (let round = 1; round <= SOAK_ROUNDS; round++) {
      cluster.extraVip[round % 3] = !cluster.extraVip[round % 3]; // VI_G1, VI_G2, VI_3 in turn: the 0.05 s VRID is unchanged
      write();
      const from = Date.now() / 1000;
      A.child.kill('SIGHUP');
      await sleep(10);
      B.child.kill('SIGHUP');
      assert.ok((await reloadDone(A, round)) && (await reloadDone(B, round)), `reload ${round} did not complete`);
      await sleep(2500); // the tracked script runs twice or more meanwhile
      const to = Date.now() / 1000 - 0.3;
      const ts = cap.adverts.filter((x) => x.src === aIp && x.vrid === fast.vrid && x.t >= from && x.t <= to).map((x) => x.t);
      let gap = 0;
      for (let i = 1; i < ts.length; i++) gap = Math.max(gap, (ts[i]! - ts[i - 1]!) * 1000);
      figures.push(`reload ${round}: largest gap ${gap.toFixed(1)} ms, ${ts.length} adverts in ${(to - from).toFixed(2)} s`);
      const expected = ((to - from) * 1000) / INTERVAL_MS;
      assert.ok(ts.length >= 0.8 * expected && ts.length <= 1.1 * expected + 2, figures.join('\n'));
    }
    console.log(figures.join('\n'));
    stallBounds(
      figures.map((f) => Number(/gap ([\d.]+)/.exec(f)![1])),
      figures,
    );
    assert.deepEqual(
      [A.log().slice(offA), B.log().slice(offB)].map((t) => t.match(/^.*Entering .*$/gm) ?? []),
      [[], []],
      'no transition logged by either daemon',
    );
  } finally {
    await Promise.all([stop(A.child), stop(B.child)]);
    await cap.stop();
  }
});
