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
 * up throughout. "tx gap max" is the longest gap after a packet of one session from host A in State Up (after a
 * Down the sender slows to idle_tx by design), from `tcpdump -tt` of udp port 3784 on B's eth0 (packets the kernel
 * dropped for the capture widen gaps; counted).
 * Nothing is asserted.
 * Run: npm run bench -- bfd
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Daemons, stop, waitFor, type RunningDaemon } from '../test/netns/harness/daemons.js';
import { killChildren, onEveryExit, Topology } from '../test/netns/harness/topology.js';
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
});

/** Pauses (SIGSTOP) or resumes (SIGCONT) the load workers: they run during each measured phase only. */
function load(sig: 'SIGSTOP' | 'SIGCONT'): void {
  for (const w of workers) if (w.pid) process.kill(w.pid, sig);
}

/** A captured Control packet: time (s), and whether its State field was Up. */
interface Sent {
  readonly t: number;
  readonly up: boolean;
}

/** tcpdump of BFD control packets on B's eth0: capture times (s) per source address; stop() reads kernel drops. */
function capture(): { times: Map<string, Sent[]>; stop: () => Promise<number> } {
  const proc = topo.spawn('b', 'tcpdump', ['-i', 'eth0', '-n', '-tt', '-l', '-p', '-B', '8192', '-Q', 'in', 'udp dst port 3784']);
  const times = new Map<string, Sent[]>();
  let rest = '';
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  proc.stdout?.on('data', (b: Buffer) => {
    const lines = (rest + b.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+)\.\d+ > /.exec(l);
      if (!m) continue;
      const list = times.get(m[2]!) ?? [];
      list.push({ t: Number(m[1]), up: / State Up\b/.test(l) });
      times.set(m[2]!, list);
    }
  });
  const closed = new Promise<void>((r) => proc.once('close', () => r()));
  const stop = async (): Promise<number> => {
    proc.kill('SIGTERM');
    await Promise.race([closed, sleep(5000)]);
    return Number(/(\d+) packets? dropped by kernel/.exec(err)?.[1] ?? NaN);
  };
  return { times, stop };
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
  readonly gapMaxMs: number;
  /** Gaps after a State Up packet longer than the Detection Time. */
  readonly longGaps: number;
  readonly drops: number;
  readonly load1: number;
}

const downs = (log: string): number => (log.match(/\) Entering Down state/g) ?? []).length;

async function phase(p: Pair, n: number): Promise<Row> {
  const A = p.start('a', d.write(`${p.key}-${n}-a.conf`, confFor(addrA, addrB)));
  await sleep(1000);
  const t0 = performance.now();
  const B = p.start('b', d.write(`${p.key}-${n}-b.conf`, confFor(addrB, addrA)));
  const up = await waitFor(() => allUp(A.log()) && allUp(B.log()), 30_000);
  if (up < 0) throw new Error(`${p.label}: sessions never all Up\n--- A\n${A.log().slice(-3000)}\n--- B\n${B.log().slice(-3000)}`);
  const upMs = performance.now() - t0;
  await sleep(1000);
  const cap = capture();
  await sleep(500);
  const offA = A.log().length,
    offB = B.log().length;
  load('SIGCONT');
  const t1 = performance.now();
  await sleep(SECONDS * 1000);
  load('SIGSTOP');
  const secs = (performance.now() - t1) / 1000;
  const load1 = loadavg()[0]!;
  const falseDowns = downs(A.log().slice(offA)) + downs(B.log().slice(offB));
  for (const [who, text] of [
    ['A', A.log().slice(offA)],
    ['B', B.log().slice(offB)],
  ] as const)
    for (const l of text
      .split('\n')
      .filter((x) => /Entering Down state|Expired after/.test(x))
      .slice(0, 6))
      console.error(`${p.key} ${who}: ${l}`);
  const drops = await cap.stop();
  await Promise.all([stop(B.child), stop(A.child)]);
  await sleep(500);
  // only gaps after a State Up packet: after a Down the sender slows to idle_tx (1 s) by design
  let gapMaxMs = 0,
    longGaps = 0;
  for (let i = 0; i < SESSIONS; i++) {
    const ts = cap.times.get(addrA(i)) ?? [];
    for (let j = 1; j < ts.length; j++) {
      if (!ts[j - 1]!.up) continue;
      const gap = (ts[j]!.t - ts[j - 1]!.t) * 1000;
      gapMaxMs = Math.max(gapMaxMs, gap);
      if (gap > INTERVAL_MS * MULT) longGaps++;
    }
  }
  return { pair: p.label, seconds: Math.round(secs), falseDowns, upMs, gapMaxMs, longGaps, drops, load1 };
}

async function main(): Promise<void> {
  for (let i = 0; i < SESSIONS; i++) {
    topo.exec('a', ['ip', 'addr', 'add', `${addrA(i)}/24`, 'dev', 'eth0']);
    topo.exec('b', ['ip', 'addr', 'add', `${addrB(i)}/24`, 'dev', 'eth0']);
  }
  for (let i = 0; i < WORKERS; i++) workers.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  await sleep(500);
  load('SIGSTOP');
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
  console.log(
    `BFD single hop, ${SESSIONS} sessions at ${INTERVAL_MS} ms × ${MULT} (Detection Time ${INTERVAL_MS * MULT} ms), ` +
      `${WORKERS} busy workers on ${availableParallelism()} CPUs during the measured phases; false Downs: both sides' ` +
      `"Entering Down state" lines while the link is up; tx gap max: after a State Up packet of A's, per session, as captured on B (gaps > Detection Time counted); load: 1-minute average at the end`,
  );
  console.log(
    `| pair | sessions | s | false downs | per minute | up ms | tx gap max ms | tx gaps > ${INTERVAL_MS * MULT} ms | capture drops | load |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of rows)
    console.log(
      `| ${x.pair} | ${SESSIONS} | ${x.seconds} | ${x.falseDowns} | ${((x.falseDowns * 60) / x.seconds).toFixed(2)} | ` +
        `${x.upMs.toFixed(0)} | ${f(x.gapMaxMs)} | ${x.longGaps} | ${Number.isFinite(x.drops) ? x.drops : '-'} | ${x.load1.toFixed(1)} |`,
    );
}

main().then(
  () => cleanup(),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    cleanup();
    process.exitCode = 1;
  },
);
