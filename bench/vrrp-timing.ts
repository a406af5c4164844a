/**
 * Benchmark (root only): VRRP timing integrity under CPU starvation (issue 5). Two of our daemons in network
 * namespaces run VRRPv3 with `advert_int 0.05` (A: MASTER, priority 200; B: BACKUP, priority 100). After the
 * initial election, an unloaded phase runs (KTS_BENCH_IDLE_SECONDS, default 30), then a loaded phase
 * (KTS_BENCH_SECONDS, default 600) while busy-loop node workers (KTS_BENCH_LOAD_WORKERS, default one per CPU)
 * saturate every core. Counts spurious transitions ("Entering" lines after the election, in either log) and VIP
 * events (`ip monitor address`), samples both daemons' control sockets every KTS_BENCH_SAMPLE_SECONDS (default 5),
 * and the MASTER's run-queue wait (/proc/PID/schedstat), and prints a table per phase with the log lines around any
 * spurious transition. KTS_BENCH_CONFIG_RT=N writes `vrrp_rt_priority N` into both configurations' global_defs (the
 * daemons set SCHED_RR themselves, src/daemon/priorities.ts); KTS_BENCH_RT=N instead puts both daemons under SCHED_RR
 * priority N from outside (`chrt -a -r -p`). Nothing is asserted. Run: npm run bench -- timing
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlRequest } from '../src/daemon/control.js';
import { Daemons, confText, stop, waitFor, type RunningOurs } from '../test/netns/harness/daemons.js';
import { Topology } from '../test/netns/harness/topology.js';

const VIP = '192.0.2.200';
const envNum = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const LOADED_S = envNum('KTS_BENCH_SECONDS', 600);
const IDLE_S = envNum('KTS_BENCH_IDLE_SECONDS', 30);
const SAMPLE_S = envNum('KTS_BENCH_SAMPLE_SECONDS', 5);
const WORKERS = envNum('KTS_BENCH_LOAD_WORKERS', availableParallelism());
const RT = envNum('KTS_BENCH_RT', 0);
const CONFIG_RT = envNum('KTS_BENCH_CONFIG_RT', 0);

/** One reading of a daemon's control socket (cumulative figures since its start). */
interface Sample {
  readonly atMs: number;
  readonly advertSent: number;
  readonly advertRcvd: number;
  readonly becomeMaster: number;
  readonly jitterMeanMs?: number;
  readonly jitterMaxMs?: number;
  readonly jitterLastMs?: number;
  readonly lagLastMs: number;
  readonly lagMaxMs: number;
  /** The daemon's main thread: ns spent runnable but waiting for a CPU, and slices run (/proc/PID/schedstat). */
  readonly rqWaitNs: number;
  readonly slices: number;
}

/** Reads stats from `json` and the timing object (from `json`, else from the `status` snapshot). */
async function sample(d: RunningOurs): Promise<Sample> {
  const r = await controlRequest(d.controlSocket, 'json', 5000);
  if (!r.ok || r.text === undefined) throw new Error(`control json: ${JSON.stringify(r)}`);
  const item = (JSON.parse(r.text) as { stats: Record<string, number>; timing?: Record<string, number> }[])[0];
  if (!item) throw new Error('control json: no instance');
  let t = item.timing;
  if (!t) {
    const s = await controlRequest(d.controlSocket, 'status', 5000);
    const st = s.ok ? s.status?.snapshot.timing : undefined;
    t = st ? { advert_jitter_mean_ms: st.advertJitterMeanMs, advert_jitter_max_ms: st.advertJitterMaxMs,
      advert_jitter_last_ms: st.advertJitterLastMs, loop_lag_last_ms: st.loopLagLastMs, loop_lag_max_ms: st.loopLagMaxMs } as Record<string, number> : {};
  }
  const [, wait, slices] = readFileSync(`/proc/${d.child.pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return {
    atMs: performance.now(), rqWaitNs: wait ?? 0, slices: slices ?? 0, advertSent: item.stats['advert_sent'] ?? 0, advertRcvd: item.stats['advert_rcvd'] ?? 0,
    becomeMaster: item.stats['become_master'] ?? 0, jitterMeanMs: t['advert_jitter_mean_ms'], jitterMaxMs: t['advert_jitter_max_ms'],
    jitterLastMs: t['advert_jitter_last_ms'], lagLastMs: t['loop_lag_last_ms'] ?? 0, lagMaxMs: t['loop_lag_max_ms'] ?? 0,
  };
}

/** Figures of one phase, from the samples taken at its start, during it and at its end. */
interface PhaseRow {
  readonly phase: string;
  readonly seconds: number;
  readonly advertsSent: number;
  readonly advertsRcvdByBackup: number;
  readonly transitions: number;
  readonly vipEvents: number;
  readonly jitterMean: string;
  readonly jitterMax: string;
  readonly jitterLastMax: string;
  readonly lagMaxMaster: string;
  readonly lagMaxBackup: string;
  readonly rqWaitMsPerS: number;
  readonly rqWaitPerSliceMs: number;
}

const f2 = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(2));

/**
 * The phase's maximum from cumulative maxima: the new maximum if it rose during the phase, else only a bound.
 */
function phaseMax(start: number | undefined, end: number | undefined): string {
  if (end === undefined) return '-';
  return start !== undefined && end <= start ? `≤${f2(end)}` : f2(end);
}

/**
 * Mean advert lateness within the phase: the cumulative means weighted by timer-driven adverts (advert_sent
 * minus the one sent on each MASTER entry).
 */
function phaseMean(a: Sample, b: Sample): string {
  const na = a.advertSent - a.becomeMaster;
  const nb = b.advertSent - b.becomeMaster;
  if (b.jitterMeanMs === undefined || nb <= na) return '-';
  return f2((b.jitterMeanMs * nb - (a.jitterMeanMs ?? 0) * na) / (nb - na));
}

/** Counts regex matches in `text` from character offset `from`. */
const countFrom = (text: string, from: number, re: RegExp): number => (text.slice(from).match(re) ?? []).length;

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-bench-timing-');
const workers: ChildProcess[] = [];
/** Kills the load workers (by PID); idempotent. */
function stopLoad(): void {
  for (const w of workers.splice(0)) if (w.pid && w.exitCode === null && w.signalCode === null) {
    try { process.kill(w.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
let cleaned = false;
/** Every exit path: load workers, daemons and monitors (the topology kills its children), temp files. */
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  stopLoad();
  topo.destroy();
  d.removeDir();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { cleanup(); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });

/** `ip monitor address` in a host; returns the text seen so far. */
function monitor(host: string): () => string {
  const child = topo.spawn(host, 'ip', ['-o', 'monitor', 'address', 'dev', 'eth0']);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  return () => out;
}

async function main(): Promise<void> {
  const extra = '  advert_int 0.05\n';
  const rtLine = CONFIG_RT ? `  vrrp_rt_priority ${CONFIG_RT}\n` : '';
  const conf = (name: string, prio: number, state: string) => d.write(name, confText(name, prio, state, 3, VIP).replace('  advert_int 1\n', extra)
    .replace('global_defs {\n', `global_defs {\n${rtLine}`));
  const monA = monitor('a');
  const monB = monitor('b');
  const realtime = (r: RunningOurs) => { if (RT) execFileSync('chrt', ['-a', '-r', '-p', String(RT), String(r.child.pid)]); };
  const A = d.ours('a', conf('a.conf', 200, 'MASTER'));
  realtime(A);
  if (await waitFor(() => /Entering MASTER STATE/.test(A.log()) && d.hasVip('a', VIP), 15000) < 0) throw new Error(`A never became MASTER:\n${A.log()}`);
  const B = d.ours('b', conf('b.conf', 100, 'BACKUP'));
  realtime(B);
  if (await waitFor(() => /Entering BACKUP STATE \(init\)/.test(B.log()), 15000) < 0) throw new Error(`B never started:\n${B.log()}`);
  await sleep(2000);
  if (/Entering MASTER/.test(B.log()) || !d.hasVip('a', VIP)) throw new Error(`election went wrong:\nA:\n${A.log()}\nB:\n${B.log()}`);

  const vipRe = new RegExp(` ${VIP.replace(/\./g, '\\.')}/`, 'g');
  const rows: PhaseRow[] = [];
  const spurious: string[] = [];
  const runPhase = async (phase: string, seconds: number): Promise<void> => {
    const offA = A.log().length, offB = B.log().length, offMa = monA().length, offMb = monB().length;
    const first = [await sample(A), await sample(B)] as const;
    let jitterLastMax: number | undefined;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(Math.min(SAMPLE_S * 1000, seconds * 1000 - (performance.now() - t0)));
      const s = await sample(A);
      if (s.jitterLastMs !== undefined) jitterLastMax = Math.max(jitterLastMax ?? 0, s.jitterLastMs);
      if (process.env['KTS_BENCH_VERBOSE']) console.error(`${phase} +${((s.atMs - t0) / 1000).toFixed(0)}s ${JSON.stringify(s)}`);
    }
    const [a1, b1] = [await sample(A), await sample(B)];
    const entering = /^.*Entering .*$/gm;
    for (const [who, text, off] of [['A', A.log(), offA], ['B', B.log(), offB]] as const) {
      const lines = text.slice(off).split('\n');
      lines.forEach((l, i) => {
        if (/Entering /.test(l)) spurious.push(`${phase}, ${who}:`, ...lines.slice(Math.max(0, i - 3), i + 1).map((x) => `    ${x}`));
      });
    }
    rows.push({
      phase, seconds: Math.round((a1.atMs - first[0].atMs) / 100) / 10, advertsSent: a1.advertSent - first[0].advertSent,
      advertsRcvdByBackup: b1.advertRcvd - first[1].advertRcvd,
      transitions: countFrom(A.log(), offA, entering) + countFrom(B.log(), offB, entering),
      vipEvents: countFrom(monA(), offMa, vipRe) + countFrom(monB(), offMb, vipRe),
      jitterMean: phaseMean(first[0], a1), jitterMax: phaseMax(first[0].jitterMaxMs, a1.jitterMaxMs), jitterLastMax: f2(jitterLastMax),
      lagMaxMaster: phaseMax(first[0].lagMaxMs, a1.lagMaxMs), lagMaxBackup: phaseMax(first[1].lagMaxMs, b1.lagMaxMs),
      rqWaitMsPerS: (a1.rqWaitNs - first[0].rqWaitNs) / 1e6 / ((a1.atMs - first[0].atMs) / 1000),
      rqWaitPerSliceMs: (a1.rqWaitNs - first[0].rqWaitNs) / 1e6 / Math.max(1, a1.slices - first[0].slices),
    });
  };

  await runPhase('unloaded', IDLE_S);
  for (let i = 0; i < WORKERS; i++) workers.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  await runPhase(`loaded (${WORKERS} busy workers)`, LOADED_S);
  stopLoad();
  await Promise.all([stop(B.child), stop(A.child)]);

  const sched = CONFIG_RT ? `vrrp_rt_priority ${CONFIG_RT}` : RT ? `SCHED_RR ${RT} (chrt)` : 'SCHED_OTHER';
  console.log(`VRRPv3, advert_int 0.05 s (20 adverts/s expected), A MASTER 200 vs B BACKUP 100, ${sched}; times in ms`);
  console.log('| phase | s | adverts sent (A) | /s | adverts rcvd (B) | transitions | VIP events | jitter mean | jitter max | max sampled jitter_last | loop lag max A | loop lag max B | A rq wait ms/s | A rq wait/slice |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.phase} | ${r.seconds} | ${r.advertsSent} | ${(r.advertsSent / r.seconds).toFixed(1)} | ${r.advertsRcvdByBackup} | ${r.transitions} | ` +
      `${r.vipEvents} | ${r.jitterMean} | ${r.jitterMax} | ${r.jitterLastMax} | ${r.lagMaxMaster} | ${r.lagMaxBackup} | ${f2(r.rqWaitMsPerS)} | ${f2(r.rqWaitPerSliceMs)} |`);
  }
  if (spurious.length) console.log(`\nspurious transitions (with the three log lines before each):\n${spurious.join('\n')}`);
}

main().then(() => cleanup(), (e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  cleanup();
  process.exitCode = 1;
});
