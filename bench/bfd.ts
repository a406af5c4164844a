/**
 * Benchmark (root only): BFD false Downs at 10 ms × 3 under CPU starvation (issue 18). Two hosts in network
 * namespaces run KTS_BFD_SESSIONS single-hop sessions (default 4; session i between an extra address on each host,
 * 192.0.2.(100+i) and 192.0.2.(150+i), so each has its own (neighbor, source) pair), min_tx = min_rx = 10 ms,
 * multiplier 3 (Detection Time 30 ms). Pairs, taking turns, one phase each, KTS_BFD_ROUNDS times (default 1) with
 * the order reversed every round:
 * - `keepalived-ts ↔ keepalived-ts`: ours on both hosts (its BFD child takes SCHED_RR 1 by default);
 * - `keepalived 2.2.7 ↔ keepalived 2.2.7`: /usr/sbin/keepalived with only `bfd_instance` blocks (its BFD process,
 *   default scheduling).
 * KTS_BFD_PAIRS (comma list of `ours`, `keepalived`) chooses. Each pair starts without load; "up ms" is from the
 * start of the second daemon until every session is logged Up on both sides. Then busy-loop node workers
 * (KTS_BFD_LOAD_WORKERS, default 16 per CPU) saturate every core for KTS_BFD_SECONDS (default 60). A false Down is
 * an `(NAME) Entering Down state` line (keepalived's text, both daemons) logged during that time: the link stays
 * up throughout.
 * Where a Down comes from, from the wire and the kernel, the same way for both implementations: `tcpdump -tt` of udp
 * port 3784 on both hosts' eth0 gives every packet as its sender's kernel took it and as the receiver's kernel got
 * it. A "silence" is a gap longer than the Detection Time, on the receiver, after a packet in State Up of one
 * session (after a Down the sender slows to idle_tx by design); it is "sender silent" when the sender's own capture
 * has no packet of that session inside it (the sending process did not run or did not send), else the packets were
 * late on the way (kernel delivery). Silences starting within 0.5 s of each other are one event (a stalled
 * process's sessions fall together; the sender's own slow-down to idle_tx after its Down follows). The sysio stall
 * canary (one pinned SCHED_FIFO 90 thread per CPU, waking every 1 ms) records wake-ups later than 5 ms: an event is
 * "at a CPU stall" when a canary stall of at least a third of the Detection Time began within one Detection Time of
 * the event's start (a CPU on which nothing ran, whatever its priority: on a virtual machine, the host not running
 * that vCPU). Packets the kernel dropped for a capture widen gaps; counted. "native sends": packets of ours that
 * left from the transmit watchdog's native threads (its `-D` log lines), not from the event loop. A pair whose
 * sessions are never all Up at once within 30 s before the load is measured anyway ("up ms" -). Each phase also prints its BFD
 * processes' threads by scheduling policy and real-time priority, and the hosts' UDP/IP drop counters.
 * KTS_BFD_TRACE_DIR records the scheduler for the first 3 s of each phase (class SchedTrace). Nothing is asserted.
 * Run: npm run bench -- bfd
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Daemons, stop, waitFor, type RunningDaemon } from '../test/netns/harness/daemons.js';
import type { CanaryStall } from '@keepalived-ts/sysio';
import { sysio } from '../src/net/sysio.js';
import { killChildren, onEveryExit, runBench, Topology } from '../test/netns/harness/topology.js';
import { captureLines, kernelDrops, processTree } from '../test/netns/harness/wire.js';
import { bfdInstance } from '../test/netns/bfd/peers.js';

const envNum = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const SESSIONS = Math.min(50, Math.floor(envNum('KTS_BFD_SESSIONS', 4)));
const SECONDS = envNum('KTS_BFD_SECONDS', 60);
const ROUNDS = envNum('KTS_BFD_ROUNDS', 1);
const WORKERS = envNum('KTS_BFD_LOAD_WORKERS', 16 * availableParallelism());
const INTERVAL_MS = 10;
const MULT = 3;
/** The stall canary: wake-ups later than this are recorded; its threads' SCHED_FIFO priority (above any daemon's). */
const CANARY_MS = 5;
const CANARY_PRIORITY = 90;

/** One implementation under test, on both hosts. */
interface Pair {
  readonly key: string;
  readonly label: string;
  readonly start: (host: string, file: string) => RunningDaemon;
}

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-bench-bfd-');
const PAIRS: Record<string, Pair> = {
  ours: { key: 'ours', label: 'keepalived-ts ↔ keepalived-ts', start: (h, f) => d.ours(h, f) },
  keepalived: { key: 'keepalived', label: 'keepalived 2.2.7 ↔ keepalived 2.2.7', start: (h, f) => d.keepalivedAll(h, f) },
};
const chosen = (process.env['KTS_BFD_PAIRS'] ?? 'ours,keepalived').split(',').map((k) => {
  const p = PAIRS[k.trim()];
  if (!p) throw new Error(`KTS_BFD_PAIRS: unknown ${k} (have ${Object.keys(PAIRS).join(', ')})`);
  return p;
});

/** Session i's address on host A and on host B. */
const addrA = (i: number): string => `192.0.2.${100 + i}`;
const addrB = (i: number): string => `192.0.2.${150 + i}`;

const workers: ChildProcess[] = [];
/** Every exit path: load workers (by PID), daemons and tcpdump (the topology kills its children), temp files. */
const cleanup = onEveryExit(() => {
  killChildren(workers.splice(0));
  topo.destroy();
  d.removeDir();
  sysio.stallCanaryStop();
  trace?.close();
});

/**
 * KTS_BFD_TRACE_DIR: ftrace's scheduler events (sched_switch, sched_waking, sched_wakeup, sched_migrate_task, on
 * CLOCK_MONOTONIC) for the first 3 s of each measured phase, in an ftrace instance of our own, written to
 * DIR/phase-N.trace with a marker at the load's start and, after `#THREADS`, both hosts' processes and threads (pid/tid
 * name policy priority). It is how the start-of-load silences were traced to V8's helper threads (README, issue 18).
 */
class SchedTrace {
  private readonly inst = `/sys/kernel/tracing/instances/kts-bfd-${process.pid}`;
  constructor(private readonly dir: string) {
    mkdirSync(this.inst);
    this.set('buffer_size_kb', '65536');
    this.set('trace_clock', 'mono');
    for (const e of ['sched_switch', 'sched_waking', 'sched_wakeup', 'sched_migrate_task']) this.set(`events/sched/${e}/enable`, '1');
    this.set('tracing_on', '0');
  }
  private set(file: string, value: string): void {
    writeFileSync(`${this.inst}/${file}`, value);
  }
  /** Empties the buffer and starts recording; the marker carries the phase and the wall-clock time. */
  start(n: number): void {
    this.set('trace', '');
    this.set('tracing_on', '1');
    this.set('trace_marker', `KTS phase ${n} epoch_ms ${Date.now()}`);
  }
  /** Stops recording and writes the phase's file. */
  stop(n: number, threads: string): void {
    this.set('tracing_on', '0');
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, `phase-${n}.trace`), `${readFileSync(`${this.inst}/trace`, 'utf8')}\n#THREADS\n${threads}`);
  }
  /** Removes the instance (every exit path). */
  close(): void {
    try {
      this.set('tracing_on', '0');
      rmdirSync(this.inst);
    } catch {
      /* already gone */
    }
  }
}
let trace: SchedTrace | undefined;

/** Pauses (SIGSTOP) or resumes (SIGCONT) the load workers: they run during each measured phase only. */
function load(sig: 'SIGSTOP' | 'SIGCONT'): void {
  for (const w of workers) if (w.pid) process.kill(w.pid, sig);
}

/** A captured Control packet: time (s), and whether its State field was Up. */
interface Seen {
  readonly t: number;
  readonly up: boolean;
}

let seq = 0;
/** tcpdump of BFD Control packets on a host's eth0, both directions, to a file: capture times per source address. */
function capture(host: 'a' | 'b'): { times: Map<string, Seen[]>; stop: () => Promise<number> } {
  const times = new Map<string, Seen[]>();
  const cap = captureLines(topo, host, { filter: 'udp dst port 3784', file: join(d.dir, `${host}-${seq++}.pcap`) }, (l) => {
    const m = /^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+)\.\d+ > /.exec(l);
    if (!m) return;
    const list = times.get(m[2]!) ?? [];
    list.push({ t: Number(m[1]), up: / State Up\b/.test(l) });
    times.set(m[2]!, list);
  });
  return { times, stop: async () => kernelDrops(await cap.stop()) };
}

/** Where the silences of one direction of the sessions came from. */
interface Silences {
  /** Gaps on the receiver after a State Up packet longer than the Detection Time. */
  count: number;
  maxMs: number;
  /** Of those, the sender's own capture had no packet of that session inside the gap. */
  senderSilent: number;
  /** The longest gap between two packets of one session in State Up on the sender's own capture. */
  senderGapMaxMs: number;
  /** Start (s) of every silence. */
  starts: number[];
}

/**
 * Silences (both directions) grouped into events: a silence starting within EVENT_S of the first one of an event is
 * part of it (the sessions of a stalled process fall together, and the sender's own slow-down to idle_tx after its
 * Down follows within ~0.1 s). An event is "explained" when a canary stall ≥ Detection Time / 3 began within the
 * Detection Time before the event's first silence began or inside its first Detection Time.
 */
function events(starts: readonly number[], stalls: readonly CanaryStall[]): { events: number; explained: number } {
  const EVENT_S = 0.5;
  const dt = (INTERVAL_MS * MULT) / 1000;
  const firsts: number[] = [];
  for (const t of [...starts].sort((x, y) => x - y)) if (!firsts.length || t > firsts.at(-1)! + EVENT_S) firsts.push(t);
  const explained = firsts.filter((t) =>
    stalls.some((c) => c.durationMs >= (dt * 1000) / 3 && c.startMs / 1000 >= t - dt && c.startMs / 1000 <= t + dt),
  ).length;
  return { events: firsts.length, explained };
}

/** The silences on the receiver of packets from `srcOf(i)`, attributed with the sender's capture. */
function silences(srcOf: (i: number) => string, sent: Map<string, Seen[]>, received: Map<string, Seen[]>, fromS: number): Silences {
  const out: Silences = { count: 0, maxMs: 0, senderSilent: 0, senderGapMaxMs: 0, starts: [] };
  const dtMs = INTERVAL_MS * MULT;
  for (let i = 0; i < SESSIONS; i++) {
    const tx = (sent.get(srcOf(i)) ?? []).filter((x) => x.t >= fromS);
    const rx = (received.get(srcOf(i)) ?? []).filter((x) => x.t >= fromS);
    for (let j = 1; j < tx.length; j++) if (tx[j - 1]!.up) out.senderGapMaxMs = Math.max(out.senderGapMaxMs, (tx[j]!.t - tx[j - 1]!.t) * 1000);
    for (let j = 1; j < rx.length; j++) {
      if (!rx[j - 1]!.up) continue;
      const [t0, t1] = [rx[j - 1]!.t, rx[j]!.t];
      const gapMs = (t1 - t0) * 1000;
      out.maxMs = Math.max(out.maxMs, gapMs);
      if (gapMs <= dtMs) continue;
      out.count++;
      out.starts.push(t0);
      // a packet sent inside the silence (a margin of 1 ms at each end for the two kernels' timestamps)
      if (!tx.some((x) => x.t > t0 + 0.001 && x.t < t1 - 0.001)) out.senderSilent++;
      if (out.count <= 8)
        console.error(
          `  silence ${srcOf(i)}: ${gapMs.toFixed(1)} ms at +${(t0 - fromS).toFixed(3)} s; sent inside: ${tx.filter((x) => x.t > t0 && x.t < t1).length}`,
        );
    }
  }
  return out;
}

/** Threads of a daemon's process tree by scheduling policy (0 other, 1 FIFO, 2 RR) and real-time priority, from /proc. */
/** A thread of a process tree, from /proc: its process, id, name, scheduling policy and real-time priority. */
interface ThreadSched {
  readonly pid: number;
  readonly tid: string;
  readonly name: string;
  readonly policy: string;
  readonly rt: string;
}
function threadsOf(pid: number | undefined): ThreadSched[] {
  return (pid ? processTree(pid) : []).flatMap((p) => {
    try {
      return readdirSync(`/proc/${p}/task`).map((tid) => {
        const st = readFileSync(`/proc/${p}/task/${tid}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        return { pid: p, tid, name: readFileSync(`/proc/${p}/task/${tid}/comm`, 'utf8').trim(), policy: f[38]!, rt: f[37]! };
      });
    } catch {
      return []; // gone
    }
  });
}
function threadPolicies(pid: number | undefined): string {
  const n = new Map<string, number>();
  for (const t of threadsOf(pid)) {
    const key = `${t.name}:${t.policy}/${t.rt}`;
    n.set(key, (n.get(key) ?? 0) + 1);
  }
  return [...n].map(([k, v]) => `${k}×${v}`).join(' ');
}

/** The configuration of one host: a `bfd_instance` per session. */
function confFor(local: (i: number) => string, peer: (i: number) => string): string {
  let text = '';
  for (let i = 0; i < SESSIONS; i++)
    text += bfdInstance(`s${i}`, { neighbor: peer(i), source: local(i), minRx: INTERVAL_MS, minTx: INTERVAL_MS, mult: MULT });
  return text;
}

/** True when every session's last state line in `log` is "Entering Up state". */
function allUp(log: string): boolean {
  for (let i = 0; i < SESSIONS; i++) {
    const up = log.lastIndexOf(`(s${i}) Entering Up state`);
    if (up < 0 || up < log.lastIndexOf(`(s${i}) Entering Down state`)) return false;
  }
  return true;
}

/** One measured phase. */
interface Row {
  readonly pair: string;
  readonly seconds: number;
  readonly falseDowns: number;
  readonly upMs: number;
  /** Packets from A to B, then from B to A. */
  readonly aToB: Silences;
  readonly bToA: Silences;
  readonly canaryMaxMs: number;
  /** Silences grouped into events, and those with a CPU stall at their start. */
  readonly events: { events: number; explained: number };
  /** Canary stalls ≥ Detection Time / 3 during the phase. */
  readonly longStalls: number;
  readonly sendErrors: number;
  /** Packets our transmit watchdog sent natively (both sides; `-D` log lines). */
  readonly nativeSends: number;
  readonly drops: string;
  readonly load1: number;
}

const downs = (log: string): number => (log.match(/\) Entering Down state/g) ?? []).length;

async function phase(p: Pair, n: number): Promise<Row> {
  const A = p.start('a', d.write(`${p.key}-${n}-a.conf`, confFor(addrA, addrB)));
  await sleep(1000);
  const t0 = performance.now();
  const B = p.start('b', d.write(`${p.key}-${n}-b.conf`, confFor(addrB, addrA)));
  const up = await waitFor(() => allUp(A.log()) && allUp(B.log()), 30_000);
  // a pair that never has every session Up at once (starved before any load) is still measured: its row says so
  if (up < 0) console.error(`${p.label}: sessions never all Up in 30 s; measuring anyway`);
  const upMs = up < 0 ? NaN : performance.now() - t0;
  await sleep(1000);
  const capA = capture('a');
  const capB = capture('b');
  await sleep(500);
  const offA = A.log().length,
    offB = B.log().length;
  sysio.stallCanaryRead(); // empties the ring
  const fromS = Date.now() / 1000;
  // read before the load starts, while /proc answers quickly
  const listing = (host: string, r: RunningDaemon): string =>
    [host, ...threadsOf(r.child.pid).map((t) => `${t.pid}/${t.tid} ${t.name} ${t.policy} ${t.rt}`)].join('\n');
  const threads = trace ? `${listing('A', A)}\n${listing('B', B)}` : '';
  trace?.start(n);
  load('SIGCONT');
  const t1 = performance.now();
  if (trace) {
    await sleep(Math.min(SECONDS * 1000, 3000));
    trace.stop(n, threads);
  }
  await sleep(SECONDS * 1000 - (performance.now() - t1));
  load('SIGSTOP');
  const secs = (performance.now() - t1) / 1000;
  const toS = Date.now() / 1000;
  const canary = sysio.stallCanaryRead();
  const load1 = loadavg()[0]!;
  const logs = [A.log().slice(offA), B.log().slice(offB)] as const;
  const falseDowns = downs(logs[0]) + downs(logs[1]);
  const nativeSends = logs.reduce((n, l) => n + [...l.matchAll(/tx watchdog sent (\d+) packet/g)].reduce((k, m) => k + Number(m[1]), 0), 0);
  const sendErrors = logs.reduce((n, l) => n + (l.match(/Error sending packet/g) ?? []).length, 0);
  for (const [who, text] of [
    ['A', logs[0]],
    ['B', logs[1]],
  ] as const)
    for (const l of text
      .split('\n')
      .filter((x) => /Entering Down state|Expired after/.test(x))
      .slice(0, 6))
      console.error(`${p.key} ${who}: ${l}`);
  for (const [who, r] of [
    ['A', A],
    ['B', B],
  ] as const)
    console.error(`${p.key} ${who} threads by policy/rtprio: ${threadPolicies(r.child.pid)}`);
  for (const h of ['a', 'b'])
    console.error(
      `${p.key} ${h}: ` +
        topo
          .exec(h, ['nstat', '-az'])
          .split('\n')
          .filter((l) => /^(Udp(In|Rcvbuf|Sndbuf)Errors|UdpNoPorts|IpInDiscards|IpOutDiscards|IpOutNoRoutes|TcpExtArpFilter)\s/.test(l))
          .map((l) => l.split(/\s+/).slice(0, 2).join('='))
          .join(' ') +
        '\n' +
        topo.exec(h, ['ip', '-s', 'neigh', 'show', 'dev', 'eth0']),
    );
  await Promise.all([stop(B.child), stop(A.child)]);
  const drops = await Promise.all([capA.stop(), capB.stop()]);
  const within = (m: Map<string, Seen[]>): Map<string, Seen[]> => new Map([...m].map(([k, v]) => [k, v.filter((x) => x.t <= toS)]));
  const [sentA, rcvdA, sentB, rcvdB] = [within(capA.times), within(capB.times), within(capB.times), within(capA.times)];
  const aToB = silences(addrA, sentA, rcvdA, fromS);
  const bToA = silences(addrB, sentB, rcvdB, fromS);
  const canaryMaxMs = canary.stalls.reduce((m, c) => Math.max(m, c.durationMs), 0);
  for (const c of canary.stalls.filter((x) => x.durationMs >= (INTERVAL_MS * MULT) / 3))
    console.error(`  canary stall: cpu ${c.cpu} ${c.durationMs.toFixed(1)} ms at +${(c.startMs / 1000 - fromS).toFixed(3)} s`);
  const ev = events([...aToB.starts, ...bToA.starts], canary.stalls);
  const after = (xs: number[]): string => xs.map((x) => `+${(x - fromS).toFixed(3)}`).join(',') || '-';
  console.error(`${p.key} silences start (s into the load): A→B ${after(aToB.starts)}; B→A ${after(bToA.starts)}`);
  const longStalls = canary.stalls.filter((c) => c.durationMs >= (INTERVAL_MS * MULT) / 3).length;
  return {
    pair: p.label,
    seconds: Math.round(secs),
    falseDowns,
    upMs,
    aToB,
    bToA,
    canaryMaxMs,
    events: ev,
    longStalls,
    sendErrors,
    nativeSends,
    drops: drops.join('/'),
    load1,
  };
}

async function main(): Promise<void> {
  for (let i = 0; i < SESSIONS; i++) {
    topo.exec('a', ['ip', 'addr', 'add', `${addrA(i)}/24`, 'dev', 'eth0']);
    topo.exec('b', ['ip', 'addr', 'add', `${addrB(i)}/24`, 'dev', 'eth0']);
  }
  for (let i = 0; i < WORKERS; i++) workers.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  await sleep(500);
  load('SIGSTOP');
  if (process.env['KTS_BFD_TRACE_DIR']) trace = new SchedTrace(process.env['KTS_BFD_TRACE_DIR']);
  const threads = sysio.stallCanaryStart(CANARY_MS, CANARY_PRIORITY);
  const rows: Row[] = [];
  let n = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of r % 2 ? chosen.slice().reverse() : chosen) {
      const row = await phase(p, n++);
      rows.push(row);
      console.error(`done: ${row.pair}: ${row.falseDowns} false Downs in ${row.seconds} s`);
    }
  }
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const dt = INTERVAL_MS * MULT;
  console.log(
    `BFD single hop, ${SESSIONS} sessions at ${INTERVAL_MS} ms × ${MULT} (Detection Time ${dt} ms), ` +
      `${WORKERS} busy workers on ${availableParallelism()} CPUs during the measured phases; false Downs: both sides' ` +
      `"Entering Down state" lines while the link is up; silences: gaps > ${dt} ms after a State Up packet as received ` +
      `(A→B + B→A), "sender silent" when the sender's own capture has none of that session's packets inside; events: ` +
      `silences starting within 0.5 s of each other, "CPU stall" when a canary stall ≥ ${f(dt / 3)} ms began within ` +
      `${dt} ms of the event's start (${threads} canary threads, SCHED_FIFO ${CANARY_PRIORITY}, one pinned per CPU); ` +
      `gap max: per direction, on the receiver / on the sender; load: 1-minute average at the end`,
  );
  console.log(
    `| pair | sessions | s | false downs | per minute | up ms | silences | sender silent | events | at a CPU stall | canary stalls ≥ ${f(dt / 3)} ms | longest canary stall ms | gap max A→B ms (rx / tx) | gap max B→A ms (rx / tx) | send errors | native sends | capture drops A/B | load |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of rows)
    console.log(
      `| ${x.pair} | ${SESSIONS} | ${x.seconds} | ${x.falseDowns} | ${((x.falseDowns * 60) / x.seconds).toFixed(2)} | ${Number.isFinite(x.upMs) ? x.upMs.toFixed(0) : '-'} | ` +
        `${x.aToB.count + x.bToA.count} | ${x.aToB.senderSilent + x.bToA.senderSilent} | ${x.events.events} | ${x.events.explained} | ` +
        `${x.longStalls} | ${f(x.canaryMaxMs)} | ${f(x.aToB.maxMs)} / ${f(x.aToB.senderGapMaxMs)} | ${f(x.bToA.maxMs)} / ${f(x.bToA.senderGapMaxMs)} | ` +
        `${x.sendErrors} | ${x.nativeSends} | ${x.drops} | ${x.load1.toFixed(1)} |`,
    );
}

runBench(main, cleanup);
