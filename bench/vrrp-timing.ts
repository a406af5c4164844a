/**
 * Benchmark (root only): VRRP timing integrity under CPU starvation (issues 5 and 14), keepalived 2.2.7 and ours side
 * by side in one run. Two hosts in network namespaces run one VRRPv3 instance (A: MASTER, priority 200; B: BACKUP,
 * priority 100). Busy-loop node workers (KTS_BENCH_LOAD_WORKERS, default 16 per CPU: 32 on 2 cores, the issue's
 * load) saturate every core during each measured phase (they are stopped while a pair starts and elects, which
 * under that load takes a Node daemon longer than any timeout); the pairs take turns, one phase each, for each
 * advert interval (0.05 s and 0.01 s), KTS_BENCH_ROUNDS times (default 1) with the order reversed every round:
 * - `keepalived 2.2.7`: /usr/sbin/keepalived, default scheduling;
 * - `keepalived-ts (default)`: ours, no scheduling keyword (its VRRP child takes SCHED_RR 1 by default);
 * - `keepalived-ts, vrrp_rt_priority 0`: ours with the default turned off (normal scheduling, what 0.x did);
 * - `keepalived-ts, vrrp_rx_timestamps true`: ours judging adverts by their kernel arrival time, not by when read.
 * KTS_BENCH_VARIANTS (comma list of `keepalived`, `ours`, `ours-nort`, `ours-ts`) chooses; KTS_BENCH_SECONDS (default 600, the
 * issue's 10 minutes) is each phase's measured length, after KTS_BENCH_SETTLE_SECONDS (default 3) for the election.
 *
 * Every figure comes from the wire and the kernel, the same way for both implementations: `tcpdump -tt` on B's eth0
 * timestamps every advert (interval jitter = gap between A's adverts minus advert_int; "gaps > 3×int" are the ones
 * that can let a BACKUP's master-down timer expire), a phase's spurious transitions are the log's `Entering` lines
 * (keepalived's texts, both daemons) plus adverts on the wire from B; and /proc/PID/schedstat of the master's VRRP
 * process gives its run-queue wait (time runnable without a CPU) against its CPU time. "CPU stalls" counts the
 * times a CPU took no timer tick for over STALL_MS while the load kept it busy (a private ftrace instance with
 * irq_vectors:local_timer_entry, HZ ticks per second per busy CPU): nothing runs on that CPU then, whatever its
 * priority — on a virtual machine, the host not running that vCPU. A second, direct measure of the same thing: the
 * sysio stall canary (one thread per CPU, pinned, SCHED_FIFO CANARY_PRIORITY, sleeping 1 ms in a loop) records
 * every wake-up later than CANARY_MS with its CLOCK_REALTIME start. Every takeover by B (a burst of adverts from B on
 * B's link) is then attributed: "explained" when a canary stall at least Master_Down_Interval long overlapped the
 * silence before it (from A's last advert seen on B's link to B's first); "A sent late" when A's own capture has a
 * gap of at least Master_Down_Interval there (the master did not send; else the advert was late on the way).
 * Nothing is asserted.
 * Run: npm run bench -- timing
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { sysio, K } from '../src/net/sysio.js';
import { masterDownInterval } from '../src/vrrp/timers.js';
import { Daemons, confText, pidIn, stop, waitFor, type RunningDaemon } from '../test/netns/harness/daemons.js';
import { killChildren, onEveryExit, runBench, Topology } from '../test/netns/harness/topology.js';
import { captureLines, kernelDrops } from '../test/netns/harness/wire.js';

const VIP = '192.0.2.200';
const envNum = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const SECONDS = envNum('KTS_BENCH_SECONDS', 600);
const SETTLE_S = envNum('KTS_BENCH_SETTLE_SECONDS', 3);
const ROUNDS = envNum('KTS_BENCH_ROUNDS', 1);
const WORKERS = envNum('KTS_BENCH_LOAD_WORKERS', 16 * availableParallelism());
const INTERVALS = (process.env['KTS_BENCH_INTERVALS'] ?? '0.05,0.01')
  .split(',')
  .map(Number)
  .filter((x) => x > 0);

/** One implementation/configuration under test. */
interface Variant {
  readonly key: string;
  readonly label: string;
  /** global_defs lines added to both configurations. */
  readonly globals: string;
  readonly start: (host: string, file: string) => RunningDaemon & { vrrpPidFile: string };
}

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-bench-timing-');
const VARIANTS: Record<string, Variant> = {
  keepalived: { key: 'keepalived', label: 'keepalived 2.2.7', globals: '', start: (h, f) => d.keepalived(h, f) },
  ours: { key: 'ours', label: 'keepalived-ts (default)', globals: '', start: (h, f) => d.ours(h, f) },
  'ours-ts': {
    key: 'ours-ts',
    label: 'keepalived-ts, vrrp_rx_timestamps true',
    globals: '  vrrp_rx_timestamps true\n',
    start: (h, f) => d.ours(h, f),
  },
  'ours-nort': { key: 'ours-nort', label: 'keepalived-ts, vrrp_rt_priority 0', globals: '  vrrp_rt_priority 0\n', start: (h, f) => d.ours(h, f) },
};
const chosen = (process.env['KTS_BENCH_VARIANTS'] ?? 'keepalived,ours,ours-nort').split(',').map((k) => {
  const v = VARIANTS[k.trim()];
  if (!v) throw new Error(`KTS_BENCH_VARIANTS: unknown ${k} (have ${Object.keys(VARIANTS).join(', ')})`);
  return v;
});

/** A CPU without a timer tick for longer than this (ms) while busy counts as stalled. */
const STALL_MS = 30;

/**
 * Stalls of each CPU, from the timer tick (irq_vectors:local_timer_entry) in a private ftrace instance: a busy CPU
 * ticks HZ times a second, so a gap over STALL_MS between two ticks on one CPU is time in which that CPU ran
 * nothing (a vCPU the host did not run, or interrupts off). Unavailable (no tracefs): reads undefined.
 */
class TickWatch {
  private readonly dir = `/sys/kernel/tracing/instances/kts-bench-timing-${process.pid}`;
  private ok = false;

  /** Starts recording (again, from an empty buffer). */
  start(): void {
    try {
      if (!existsSync(this.dir)) mkdirSync(this.dir);
      writeFileSync(`${this.dir}/tracing_on`, '0');
      writeFileSync(`${this.dir}/buffer_size_kb`, '16384');
      writeFileSync(`${this.dir}/trace`, '');
      writeFileSync(`${this.dir}/events/irq_vectors/local_timer_entry/enable`, '1');
      writeFileSync(`${this.dir}/tracing_on`, '1');
      this.ok = true;
    } catch {
      this.ok = false;
    }
  }

  /** Stops recording; the stalls seen since start(): count and longest (ms). */
  read(): { stalls: number; maxMs: number } | undefined {
    if (!this.ok) return undefined;
    writeFileSync(`${this.dir}/tracing_on`, '0');
    const last = new Map<string, number>();
    let stalls = 0,
      maxMs = 0;
    for (const line of readFileSync(`${this.dir}/trace`, 'utf8').split('\n')) {
      const m = /\[(\d+)\]\s+\S+\s+(\d+\.\d+): local_timer_entry/.exec(line);
      if (!m) continue;
      const t = Number(m[2]) * 1000;
      const prev = last.get(m[1]!);
      last.set(m[1]!, t);
      if (prev !== undefined && t - prev > STALL_MS) {
        stalls++;
        maxMs = Math.max(maxMs, t - prev);
      }
    }
    writeFileSync(`${this.dir}/trace`, '');
    return { stalls, maxMs };
  }

  /** Removes the instance. */
  destroy(): void {
    try {
      if (existsSync(this.dir)) {
        writeFileSync(`${this.dir}/tracing_on`, '0');
        rmdirSync(this.dir);
      }
    } catch {
      /* gone */
    }
  }
}
const ticks = new TickWatch();

/** The canary records wake-ups later than this (ms). */
const CANARY_MS = 5;
/** The canary's SCHED_FIFO priority: above every daemon thread (SCHED_RR 1), so only a stopped CPU delays it. */
const CANARY_PRIORITY = 90;

/** A stall the canary saw: CLOCK_REALTIME start and length (ms). */
interface Stall {
  readonly startMs: number;
  readonly durationMs: number;
}

/** How the takeovers of a phase are explained. */
interface Attribution {
  /** Takeovers by B seen on the wire (bursts of adverts from B). */
  readonly takeovers: number;
  /** Of those, with a canary stall ≥ Master_Down_Interval overlapping the silence before it. */
  readonly explained: number;
  /** Of those, with a gap ≥ Master_Down_Interval in A's own capture (A did not send). */
  readonly sentLate: number;
  /** Canary stalls ≥ Master_Down_Interval in the phase, and the longest canary stall (ms). */
  readonly longStalls: number;
  readonly longestMs: number;
  /** Canary stalls dropped (ring full) or threads without SCHED_FIFO: the attribution is then incomplete. */
  readonly lost: number;
  readonly rtFailed: number;
}

/**
 * Attributes each takeover by B: `fromB` and `fromA` are the adverts on B's link (epoch s), `sentA` A's adverts on
 * A's link, `mdiMs` B's Master_Down_Interval. A takeover starts with an advert from B after a quiet spell of B's.
 */
function attribute(fromA: readonly number[], fromB: readonly number[], sentA: readonly number[], stalls: readonly Stall[], mdiMs: number) {
  const starts = fromB.filter((t, i) => i === 0 || (t - fromB[i - 1]!) * 1000 > 2 * mdiMs);
  let explained = 0,
    sentLate = 0;
  for (const tB of starts) {
    const lastA = fromA.filter((t) => t < tB).pop() ?? tB - mdiMs / 1000;
    const [w0, w1] = [lastA * 1000, tB * 1000];
    if (stalls.some((x) => x.durationMs >= mdiMs && x.startMs < w1 && x.startMs + x.durationMs > w0)) explained++;
    if (sentA.some((t, i) => i > 0 && (t - sentA[i - 1]!) * 1000 >= mdiMs && t * 1000 > w0 && sentA[i - 1]! * 1000 < w1)) sentLate++;
  }
  return { takeovers: starts.length, explained, sentLate };
}

const workers: ChildProcess[] = [];
/** Every exit path: load workers (by PID), daemons and tcpdump (the topology kills its children), temp files. */
const cleanup = onEveryExit(() => {
  killChildren(workers.splice(0));
  topo.destroy();
  d.removeDir();
  ticks.destroy();
  sysio.stallCanaryStop();
});

/** run-queue wait and CPU time (ns) of every thread of a process, from /proc/PID/task/x/schedstat. */
function schedstat(pid: number | undefined): { cpuNs: number; waitNs: number } {
  const out = { cpuNs: 0, waitNs: 0 };
  if (!pid) return out;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const [cpu, wait] = readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').trim().split(' ').map(Number);
      out.cpuNs += cpu ?? 0;
      out.waitNs += wait ?? 0;
    }
  } catch {
    /* gone */
  }
  return out;
}

/** An advert seen on the wire: capture time (s), sender, VRRP priority. */
interface Advert {
  readonly t: number;
  readonly src: string;
  readonly prio: number;
}

/**
 * tcpdump on a host's eth0 for VRRP (B: as received; A: as A's kernel took it from the daemon); the adverts so far.
 * `stop()` ends it and reads how many packets the kernel dropped for it (its buffer full while tcpdump waited for a
 * CPU): a dropped advert shows as a gap that was not on the wire.
 */
function capture(host: 'a' | 'b'): { adverts: Advert[]; stop: () => Promise<number> } {
  const adverts: Advert[] = [];
  const cap = captureLines(topo, host, { filter: 'ip proto 112' }, (l) => {
    const m = /^(\d+\.\d+) IP (\S+) > \S+: VRRPv3, Advertisement, vrid \d+, prio (\d+)/.exec(l);
    if (m) adverts.push({ t: Number(m[1]), src: m[2]!, prio: Number(m[3]) });
  });
  return { adverts, stop: async () => kernelDrops(await cap.stop()) };
}

/** One measured phase. */
interface Row {
  readonly variant: string;
  readonly interval: number;
  readonly seconds: number;
  readonly adverts: number;
  readonly transitions: number;
  readonly backupAdverts: number;
  readonly jitterMeanMs: number;
  readonly jitterP99Ms: number;
  readonly jitterMaxMs: number;
  /** The same lateness from A's own capture: what B saw late but A sent on time was delayed in the kernel or the link. */
  readonly sentLateMaxMs: number;
  readonly longGaps: number;
  readonly cpuMsPerS: number;
  readonly waitMsPerS: number;
  /** Packets the kernel dropped for the captures on A and on B (their gaps are not on the wire). */
  readonly drops: readonly [number, number];
  /** 1-minute load average at the end of the phase. */
  readonly load1: number;
  /** CPU stalls over STALL_MS during the phase (either CPU) and the longest (ms); undefined without tracefs. */
  readonly cpuStalls: { stalls: number; maxMs: number } | undefined;
  /** B's Master_Down_Interval (ms) and the takeovers' attribution from the stall canary. */
  readonly mdiMs: number;
  readonly attribution: Attribution;
}

const quantile = (xs: number[], q: number): number =>
  xs.length ? xs.slice().sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : NaN;

async function phase(v: Variant, interval: number): Promise<Row> {
  const conf = (name: string, prio: number, state: string) =>
    d.write(
      `${v.key}-${name}.conf`,
      confText(name, prio, state, 3, VIP)
        .replace('  advert_int 1\n', `  advert_int ${interval}\n`)
        .replace('global_defs {\n', `global_defs {\n${v.globals}`),
    );
  const cap = capture('b');
  const capA = capture('a');
  const A = v.start('a', conf('a', 200, 'MASTER'));
  if ((await waitFor(() => /Entering MASTER STATE/.test(A.log()), 15000)) < 0) throw new Error(`${v.label}: A never became MASTER:\n${A.log()}`);
  const B = v.start('b', conf('b', 100, 'BACKUP'));
  if ((await waitFor(() => /Entering BACKUP STATE/.test(B.log()), 15000)) < 0) throw new Error(`${v.label}: B never started:\n${B.log()}`);
  await sleep(SETTLE_S * 1000);
  const aIp = topo.host('a').ipv4;
  const offA = A.log().length,
    offB = B.log().length,
    offCap = cap.adverts.length,
    offCapA = capA.adverts.length;
  const aPid = pidIn(A.vrrpPidFile);
  const s0 = schedstat(aPid);
  ticks.start();
  sysio.stallCanaryRead(); // empties the ring
  load('SIGCONT');
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  load('SIGSTOP');
  const cpuStalls = ticks.read();
  const canary = sysio.stallCanaryRead();
  const load1 = loadavg()[0]!;
  const s1 = schedstat(aPid);
  const secs = (performance.now() - t0) / 1000;
  const ads = cap.adverts.slice(offCap);
  const sentA = capA.adverts.slice(offCapA).filter((a) => a.prio === 200);
  const transitions =
    (
      A.log()
        .slice(offA)
        .match(/Entering /g) ?? []
    ).length +
    (
      B.log()
        .slice(offB)
        .match(/Entering /g) ?? []
    ).length;
  await Promise.all([stop(B.child), stop(A.child)]);
  await sleep(300);
  const [dropsB, dropsA] = await Promise.all([cap.stop(), capA.stop()]);
  const fromA = ads.filter((a) => a.src === aIp && a.prio === 200).map((a) => a.t);
  const lateness = (ts: readonly number[]): number[] => ts.slice(1).map((t, i) => (t - ts[i]!) * 1000 - interval * 1000);
  const late = lateness(fromA);
  const abs = late.map(Math.abs);
  const mdiMs = masterDownInterval(3, 100, interval * 1000, 3);
  const fromB = ads.filter((a) => a.src !== aIp).map((a) => a.t);
  const sentTimes = sentA.map((a) => a.t);
  const stalls = canary.stalls;
  return {
    mdiMs,
    attribution: {
      ...attribute(fromA, fromB, sentTimes, stalls, mdiMs),
      longStalls: stalls.filter((x) => x.durationMs >= mdiMs).length,
      longestMs: Math.max(0, ...stalls.map((x) => x.durationMs)),
      lost: canary.lost,
      rtFailed: canary.rtFailed,
    },
    variant: v.label,
    interval,
    seconds: Math.round(secs),
    adverts: fromA.length,
    transitions,
    backupAdverts: ads.filter((a) => a.src !== aIp).length,
    jitterMeanMs: abs.reduce((s, x) => s + x, 0) / Math.max(1, abs.length),
    jitterP99Ms: quantile(abs, 0.99),
    jitterMaxMs: Math.max(0, ...late),
    sentLateMaxMs: Math.max(0, ...lateness(sentA.map((a) => a.t))),
    longGaps: late.filter((x) => x > 2 * interval * 1000).length,
    cpuMsPerS: (s1.cpuNs - s0.cpuNs) / 1e6 / secs,
    waitMsPerS: (s1.waitNs - s0.waitNs) / 1e6 / secs,
    cpuStalls,
    load1,
    drops: [dropsA, dropsB],
  };
}

/** Pauses (SIGSTOP) or resumes (SIGCONT) the load workers: they run during each measured phase only, not while a pair starts. */
function load(sig: 'SIGSTOP' | 'SIGCONT'): void {
  for (const w of workers) if (w.pid) process.kill(w.pid, sig);
}

async function main(): Promise<void> {
  const threads = sysio.stallCanaryStart(CANARY_MS, CANARY_PRIORITY);
  console.error(
    `stall canary: ${threads} threads, SCHED_FIFO ${CANARY_PRIORITY}, wake-ups over ${CANARY_MS} ms recorded (CLOCK ${K.CLOCK_REALTIME})`,
  );
  for (let i = 0; i < WORKERS; i++) workers.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  await sleep(500);
  load('SIGSTOP');
  const rows: Row[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const interval of INTERVALS) {
      for (const v of r % 2 ? chosen.slice().reverse() : chosen) {
        const row = await phase(v, interval);
        rows.push(row);
        console.error(`done: ${row.variant} at ${interval}: ${row.transitions} transitions in ${row.seconds} s`);
      }
    }
  }
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
  console.log(
    `VRRPv3, A MASTER 200 / B BACKUP 100, ${WORKERS} busy workers on ${availableParallelism()} CPUs ` +
      `(during the measured phases); phases of ${SECONDS} s alternating; jitter from tcpdump timestamps on B (ms); A's VRRP process: CPU and run-queue wait (ms per s); ` +
      `CPU stalls: no timer tick on a CPU for over ${STALL_MS} ms (count, longest ms)`,
  );
  console.log(
    '| pair | advert_int | s | adverts (A) | spurious transitions | per minute | adverts from B | jitter mean | jitter p99 | late max | late max as sent (A) | gaps > 3×int | A cpu ms/s | A rq wait ms/s | CPU stalls | longest stall | capture drops A/B | load |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const table2: string[] = [];
  table2.push(
    `Attribution (stall canary: ${CANARY_MS} ms threshold, SCHED_FIFO ${CANARY_PRIORITY}, one pinned thread per CPU): takeovers by B seen on B's link; ` +
      "explained = a CPU stall ≥ Master_Down_Interval overlapped the silence before it; A sent late = A's own capture has a gap ≥ MDI there",
  );
  table2.push(
    '| pair | advert_int | MDI ms | spurious transitions | takeovers by B | explained by a vCPU stall ≥ MDI | A sent late | canary stalls ≥ MDI | longest canary stall ms | canary lost / no RT |',
  );
  table2.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of rows) {
    console.log(
      `| ${x.variant} | ${x.interval} | ${x.seconds} | ${x.adverts} | ${x.transitions} | ${f((x.transitions * 60) / x.seconds)} | ${x.backupAdverts} | ` +
        `${f(x.jitterMeanMs)} | ${f(x.jitterP99Ms)} | ${f(x.jitterMaxMs)} | ${f(x.sentLateMaxMs)} | ${x.longGaps} | ${f(x.cpuMsPerS)} | ${f(x.waitMsPerS)} | ` +
        `${x.cpuStalls?.stalls ?? '-'} | ${f(x.cpuStalls?.maxMs ?? NaN)} | ${x.drops.join('/')} | ${x.load1.toFixed(1)} |`,
    );
    const a = x.attribution;
    table2.push(
      `| ${x.variant} | ${x.interval} | ${f(x.mdiMs)} | ${x.transitions} | ${a.takeovers} | ${a.explained} / ${a.takeovers} | ${a.sentLate} / ${a.takeovers} | ` +
        `${a.longStalls} | ${f(a.longestMs)} | ${a.lost} / ${a.rtFailed} |`,
    );
  }
  console.log('');
  for (const l of table2) console.log(l);
}

runBench(main, cleanup);
