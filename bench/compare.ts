/**
 * Benchmark (issue 17): keepalived 2.2.7 against keepalived-ts, side by side in one run, alternating, REPS
 * repetitions (default 5), medians and the ratio ts/keepalived:
 *   - `-t` wall time, CPU time and peak RSS on a 1-instance config and on 200 instances + 50 virtual servers × 40
 *     real servers, through the `keepalived-ts` bin (from the startup snapshot) and from the bundle without it;
 *   - start → VIP held: a priority-150 node (v2, advert_int 1) preempting a keepalived master at 100, with its
 *     breakdown: ours' start-up milestones (KEEPALIVED_TS_STARTUP_TRACE, src/daemon/startup-trace.ts; wall and each
 *     process's CPU) and, for both, when the `Entering BACKUP/MASTER STATE` lines arrived;
 *   - RSS (all processes of the daemon) as master with 1 and with 200 instances, and the anonymous part of it;
 *   - CPU and RSS of a backup with 50 instances receiving 50 adverts/s from a keepalived master;
 *   - group `200`: CPU and RSS of a master with 200 instances (200 adverts/s sent, no peer) and of a backup with 200
 *     instances receiving 200 adverts/s from a keepalived master (the issue's "CPU, 200 instances" row); group
 *     `backup200`: the backup alone;
 *   - group `wake` (keepalived-ts only): a backup of 50 instances whose master is keepalived 2.2.7, then one whose
 *     master is keepalived-ts (this build): the VRRP child's wake-ups (`recvmmsg` calls, from `perf record` of the
 *     syscall's exit) per second and datagrams per wake-up, in a window after its CPU window.
 * Node's own floor, measured in the same run: `node -e 0` (wall, CPU, peak RSS) for the `-t` rows, and an idle
 * `node` process living beside the daemon under test (RSS, anonymous RSS and CPU over the same window) times the
 * number of node processes of our daemon. The table shows the floor and keepalived-ts minus it: what is ours.
 * CPU is read from /proc/PID/task/TID/schedstat (nanoseconds run, every thread), not from clock ticks.
 *
 * Environment: REPS; KTS_COMPARE_ONLY (comma-separated groups of `t,start,rss,backup,200,backup200,wake`; default
 * `t,start,rss,backup`);
 * KTS_COMPARE_BEFORE (another build's dist/bundle/main.js, or its bin: measured as a third implementation, "before");
 * KTS_COMPARE_SETTLE_S (4) and KTS_COMPARE_WINDOW_S (10): the backup's CPU window, after its start;
 * KTS_COMPARE_WAIT_MS (120000); KTS_COMPARE_DAEMON (`bin`, the default: our daemons run through the `keepalived-ts` bin,
 * whose `-n` start gives the supervisor its V8 flags; `main.js`: node on the bundle, without them);
 * KTS_COMPARE_TS_ENV (`NAME=value …`: environment of this build's daemons only, e.g. KEEPALIVED_TS_RX_COALESCE_MS=20).
 * Root only: every daemon runs in namespaces from test/netns/harness, with its own pid files and TMPDIR.
 * Prints a table; asserts nothing. Run: npm run bench -- compare   (REPS=3 npm run bench -- compare for a quick look)
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Topology } from '../test/netns/harness/topology.js';
import { BUNDLED_CLI, Daemons, stop, waitFor, type RunningDaemon } from '../test/netns/harness/daemons.js';
import { median, processTree, treeUsage as usage } from '../test/netns/harness/wire.js';
import { CONFIG_TEST_V8_FLAGS } from '../src/daemon/v8-flags.js';
import { STARTUP_TRACE_ENV } from '../src/daemon/startup-trace.js';
import { VRRP_RECV_BATCH } from '../src/net/vrrp-socket.js';
import { vrrpConf } from './lib/vrrp-conf.js';

const REPS = Number(process.env['REPS'] ?? 5);
/** How long a 200- or 50-instance master may take to hold its last VIP (keepalived 2.2.7 took over 40 s at load 30). */
const WAIT_MS = Number(process.env['KTS_COMPARE_WAIT_MS'] ?? 120_000);
const SETTLE_MS = Number(process.env['KTS_COMPARE_SETTLE_S'] ?? 4) * 1000;
const WINDOW_MS = Number(process.env['KTS_COMPARE_WINDOW_S'] ?? 10) * 1000;
const GROUPS = new Set((process.env['KTS_COMPARE_ONLY'] ?? 't,start,rss,backup').split(','));
const LOAD_AT_START = loadAverage();
/** keepalived-ts's daemon: the bundle the `keepalived-ts` bin runs (scripts/bundle.mjs). */
const CLI = BUNDLED_CLI;
/** The `keepalived-ts` bin (src/cli/bin.sh): `-t` starts from the startup snapshot; run with this node first in PATH. */
const BIN = new URL('../bundle/keepalived-ts', import.meta.url).pathname;
process.env['PATH'] = `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`;
const BEFORE = process.env['KTS_COMPARE_BEFORE'];
/** What our daemons run: the bin, as an operator starts it (`-n`: with the supervisor's V8 flags), or `main.js`. */
const DAEMON = process.env['KTS_COMPARE_DAEMON'] === 'main.js' ? CLI : BIN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** keepalived 2.2.7, keepalived-ts (this build), another build of keepalived-ts (KTS_COMPARE_BEFORE). */
type Impl = 'keepalived' | 'ts' | 'before';
const IMPLS: readonly Impl[] = BEFORE ? ['keepalived', 'ts', 'before'] : ['keepalived', 'ts'];

function bigConf(): string {
  const vs = (v: number) => [
    `virtual_server 198.51.100.${v + 1} 80 {`,
    '    delay_loop 6',
    '    lb_algo rr',
    '    lb_kind NAT',
    '    protocol TCP',
    ...Array.from({ length: 40 }, (_, r) => [
      `    real_server 192.0.2.${((v * 40 + r) % 200) + 50} ${8000 + r} {`,
      '        weight 1',
      '        TCP_CHECK {',
      '            connect_port 80',
      '            connect_timeout 3',
      '        }',
      '    }',
    ]).flat(),
    '}',
  ];
  return (
    vrrpConf(200, 'BACKUP', 100) +
    Array.from({ length: 50 }, (_, v) => vs(v))
      .flat()
      .join('\n') +
    '\n'
  );
}

/** CLOCK_MONOTONIC in ms: the clock of the daemons' start-up trace (src/daemon/startup-trace.ts). */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** When each pattern first appeared in the daemon's output (monotonic ms; absent until then). */
function lineTimes(child: ChildProcess, patterns: Record<string, RegExp>): Map<string, number> {
  const at = new Map<string, number>();
  for (const stream of [child.stdout, child.stderr]) {
    let text = '';
    stream?.on('data', (chunk: Buffer) => {
      const now = monotonicMs();
      text += chunk.toString();
      for (const [name, re] of Object.entries(patterns)) if (!at.has(name) && re.test(text)) at.set(name, now);
      text = text.slice(text.lastIndexOf('\n') + 1);
    });
  }
  return at;
}

/** The start-up breakdown's rows: label → where its time comes from (a trace milestone of a process, or a log line). */
const BREAKDOWN: readonly (readonly [string, 'supervisor' | 'child' | 'log', string])[] = [
  ['supervisor: node started', 'supervisor', 'node'],
  ['supervisor: main() entered', 'supervisor', 'main'],
  ['supervisor: runSupervisor entered (parent chunk loaded)', 'supervisor', 'supervisor'],
  ['supervisor: configuration parsed', 'supervisor', 'config'],
  ['supervisor: VRRP child spawned', 'supervisor', 'spawned'],
  ['VRRP child: node started', 'child', 'node'],
  ['VRRP child: main() entered', 'child', 'main'],
  ['VRRP child: runChild entered (child chunk loaded)', 'child', 'child'],
  ['VRRP child: VRRP runtime loaded', 'child', 'runtime'],
  ['VRRP child: configuration ready', 'child', 'child-config'],
  ['VRRP child: instance in BACKUP (timers run)', 'child', 'fsm'],
  ['VRRP child: startup complete', 'child', 'ready'],
  ['log: Entering BACKUP STATE', 'log', 'backup'],
  ['log: Entering MASTER STATE', 'log', 'master'],
  ['VRRP child: MASTER', 'child', 'master'],
  ['VRRP child: VIP added (gratuitous ARP sent)', 'child', 'vip'],
];

/**
 * Records the start-up breakdown of one start (ms after the bench spawned the daemon): the milestones the daemon's
 * processes wrote to `trace` (ours, KEEPALIVED_TS_STARTUP_TRACE) and when its log lines arrived (both).
 */
function recordBreakdown(impl: Impl, t0: number, held: number, seen: Map<string, number>, trace: string): void {
  const lines = existsSync(trace) ? readFileSync(trace, 'utf8').trim().split('\n') : [];
  const byPid = new Map<string, Map<string, number>>();
  const cpu = new Map<string, Map<string, number>>();
  for (const l of lines) {
    const [ms, pid, label, cpuMs] = l.split(' ');
    if (!byPid.has(pid!)) byPid.set(pid!, new Map());
    if (!cpu.has(pid!)) cpu.set(pid!, new Map());
    byPid.get(pid!)!.set(label!, Number(ms));
    cpu.get(pid!)!.set(label!, Number(cpuMs));
  }
  // CPU time each process had used by its milestones
  for (const [pid, m] of cpu) {
    const proc = byPid.get(pid)!.has('supervisor') ? 'supervisor' : byPid.get(pid)!.has('child') ? 'VRRP child' : undefined;
    if (!proc) continue;
    for (const [label, v] of m)
      if (label !== 'node' && label !== 'master' && label !== 'vip') record(`start breakdown, CPU: ${proc} by ${label} (ms)`, impl, v);
  }
  const procs = [...byPid.values()];
  const who = { supervisor: procs.find((m) => m.has('supervisor')), child: procs.find((m) => m.has('child')), log: seen };
  for (const [label, proc, key] of BREAKDOWN) {
    const v = who[proc]?.get(key);
    if (v !== undefined) record(`start breakdown: ${label} (ms after spawn)`, impl, v - t0);
  }
  const fsm = who.child?.get('fsm') ?? seen.get('backup');
  if (fsm !== undefined) record('start breakdown: spawn → instance in BACKUP (ms)', impl, fsm - t0);
  if (fsm !== undefined) record('start breakdown: instance in BACKUP → VIP held (ms)', impl, held - fsm);
}

/** Waits for `pred`; throws naming `what` after `ms`. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  if ((await waitFor(pred, ms)) < 0) throw new Error(`timed out waiting for ${what}`);
}

/** Samples per measure: each implementation's, and Node's floor for it (already multiplied out). */
type Samples = Record<Impl | 'floor', number[]>;
const results = new Map<string, Samples>();
function record(name: string, impl: Impl | 'floor', v: number): void {
  if (!results.has(name)) results.set(name, { keepalived: [], ts: [], before: [], floor: [] });
  results.get(name)![impl].push(v);
}

/** CPU time (ms) run by every thread of a process tree, from schedstat (ns; exact, unlike utime/stime ticks). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const p of processTree(pid))
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) ns += Number(readFileSync(`/proc/${p}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* exited */
    }
  return ns / 1e6;
}

/** The node processes of a daemon (1 for keepalived's C processes: no floor). */
function nodeProcesses(pid: number): number {
  return processTree(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'node';
    } catch {
      return false;
    }
  }).length;
}

/**
 * Wall time, CPU time (user+sys, of the command and its children: bash's `times`, to the millisecond) and peak RSS
 * (GNU time) of one command in host a.
 */
function timed(topo: Topology, d: Daemons, argv: readonly string[]): { wallMs: number; cpuMs: number; maxRssMb: number } {
  const out = `${d.dir}/time.out`;
  const t0 = process.hrtime.bigint();
  const times = execFileSync(
    'ip',
    ['netns', 'exec', topo.host('a').netns, '/usr/bin/time', '-f', '%M', '-o', out, 'bash', '-c', '"$@" >/dev/null 2>&1; times', 'bash', ...argv],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TMPDIR: d.dir } },
  );
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  // the second line is the children's: "0m0.123s 0m0.045s"
  const [, um, us, sm, ss] = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(times.trim().split('\n')[1] ?? '') ?? [];
  const kb = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
  return { wallMs, cpuMs: (Number(um) * 60 + Number(us) + Number(sm) * 60 + Number(ss)) * 1000, maxRssMb: kb / 1024 };
}

function cliOf(impl: Impl): string {
  return impl === 'before' ? BEFORE! : BIN;
}

/** `-t` on `file` (`cli`: ours from the bundle unless told), recorded as wall, CPU and peak RSS under `label`. */
function configTest(topo: Topology, d: Daemons, impl: Impl, file: string, label: string, cli = cliOf(impl)): void {
  const argv =
    impl === 'keepalived' ? ['/usr/sbin/keepalived', '-t', '-f', file] : [...(cli.endsWith('.js') ? [process.execPath] : []), cli, '-t', '-f', file];
  const r = timed(topo, d, argv);
  record(`\`-t\`, ${label} (ms)`, impl, r.wallMs);
  record(`\`-t\`, ${label}, CPU (ms)`, impl, r.cpuMs);
  record(`\`-t\`, ${label}, peak RSS (MB)`, impl, r.maxRssMb);
}

/** Node's floor for the `-t` rows: `node -e 0`, timed like them. */
function nodeFloor(topo: Topology, d: Daemons, labels: readonly string[]): void {
  const r = timed(topo, d, [process.execPath, '-e', '0']);
  for (const l of labels) {
    record(`\`-t\`, ${l} (ms)`, 'floor', r.wallMs);
    record(`\`-t\`, ${l}, CPU (ms)`, 'floor', r.cpuMs);
    record(`\`-t\`, ${l}, peak RSS (MB)`, 'floor', r.maxRssMb);
  }
}

/**
 * What starting node from any snapshot of its own costs: node from a snapshot of an empty script, built with the
 * flags of ours (CONFIG_TEST_V8_FLAGS). Node reads the file into memory (two copies of ~4 MB) where its built-in
 * snapshot is part of the binary. Recorded as a row of its own (ts column), the floor column being `node -e 0`.
 */
function emptySnapshotFloor(topo: Topology, d: Daemons): void {
  const blob = `${d.dir}/empty.blob`;
  if (!existsSync(blob)) {
    const entry = d.write('empty-snapshot.cjs', "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});\n");
    execFileSync(process.execPath, [...CONFIG_TEST_V8_FLAGS, '--snapshot-blob', blob, '--build-snapshot', entry], { stdio: 'ignore', cwd: d.dir });
  }
  const r = timed(topo, d, ['env', 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1', process.execPath, ...CONFIG_TEST_V8_FLAGS, '--snapshot-blob', blob, 'x']);
  record('node from an empty snapshot, as the bin starts it (ms)', 'ts', r.wallMs);
  record('node from an empty snapshot, CPU (ms)', 'ts', r.cpuMs);
  record('node from an empty snapshot, peak RSS (MB)', 'ts', r.maxRssMb);
  const f = timed(topo, d, [process.execPath, '-e', '0']);
  record('node from an empty snapshot, as the bin starts it (ms)', 'floor', f.wallMs);
  record('node from an empty snapshot, CPU (ms)', 'floor', f.cpuMs);
  record('node from an empty snapshot, peak RSS (MB)', 'floor', f.maxRssMb);
}

/** An idle node process in host `host`, living beside a daemon: the floor of its RSS and CPU. */
function idleNode(topo: Topology, host: string): ChildProcess {
  return topo.spawn(host, process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
}

/** RSS rows of `pid` (ours: with the floor, an idle node process's RSS per node process of the daemon). */
function recordRss(name: string, impl: Impl, pid: number, idle: ChildProcess | undefined, anon?: string): void {
  const u = usage(pid);
  record(name, impl, u.rssMb);
  if (anon) record(anon, impl, u.anonMb);
  if (impl !== 'ts' || !idle) return;
  const f = usage(idle.pid!);
  const n = nodeProcesses(pid);
  record(name, 'floor', n * f.rssMb);
  if (anon) record(anon, 'floor', n * f.anonMb);
}

async function oneRep(topo: Topology, d: Daemons, impl: Impl): Promise<void> {
  const ours = impl !== 'keepalived';
  if (GROUPS.has('t')) {
    const one = d.write('one.conf', vrrpConf(1, 'BACKUP', 100));
    const big = d.write('big.conf', bigConf());
    configTest(topo, d, impl, one, '1 instance');
    configTest(topo, d, impl, big, '200 instances + 50 VS × 40 RS');
    // the same from the ES-module bundle without the snapshot (keepalived has one build; "before" is measured as given)
    if (impl !== 'before') {
      configTest(topo, d, impl, one, '1 instance, no snapshot', impl === 'ts' ? CLI : undefined);
      configTest(topo, d, impl, big, '200 instances + …, no snapshot', impl === 'ts' ? CLI : undefined);
    }
    if (impl === 'ts')
      nodeFloor(topo, d, ['1 instance', '200 instances + 50 VS × 40 RS', '1 instance, no snapshot', '200 instances + …, no snapshot']);
    if (impl === 'ts') emptySnapshotFloor(topo, d);
  }

  const idle = ours ? idleNode(topo, 'b') : undefined;
  try {
    if (GROUPS.has('start')) {
      // start → VIP held: b (150) preempts a keepalived master (100)
      const master = d.keepalived('a', d.write('m100.conf', vrrpConf(1, 'MASTER', 100)));
      await until(() => d.hasVip('a', '203.0.113.1'), 8000, '203.0.113.1 on a');
      const trace = `${d.dir}/startup-trace-${impl}.txt`;
      rmSync(trace, { force: true });
      const t0 = monotonicMs();
      const b = start(impl, 'b', d.write('p150.conf', vrrpConf(1, 'BACKUP', 150)), { [STARTUP_TRACE_ENV]: trace });
      const seen = lineTimes(b.child, { backup: /\(VI_0\) Entering BACKUP STATE/, master: /\(VI_0\) Entering MASTER STATE/ });
      await until(() => d.hasVip('b', '203.0.113.1'), 30_000, '203.0.113.1 on b');
      const held = monotonicMs();
      record('start → VIP held, prio 150 preempting (ms)', impl, held - t0);
      recordBreakdown(impl, t0, held, seen, trace);
      recordRss('RSS, 1 instance, master (MB)', impl, b.child.pid!, idle);
      await stop(b.child);
      await stop(master.child);
    }

    if (GROUPS.has('rss')) {
      const m200 = start(impl, 'b', d.write('m200.conf', vrrpConf(200, 'MASTER', 150)));
      await until(() => d.hasVip('b', '203.0.113.200'), WAIT_MS, '203.0.113.200 on b');
      await sleep(2000);
      recordRss('RSS, 200 instances, master (MB)', impl, m200.child.pid!, idle, 'anonymous RSS, 200 instances, master (MB)');
      await stop(m200.child);
    }

    if (GROUPS.has('backup')) await backupWindow(d, impl, 50, idle);

    if (GROUPS.has('200')) {
      // a master with 200 instances sending 200 adverts/s (no peer), then a backup with 200 receiving them
      const m200 = start(impl, 'b', d.write('m200.conf', vrrpConf(200, 'MASTER', 150)));
      await until(() => d.hasVip('b', '203.0.113.200'), WAIT_MS, '203.0.113.200 on b');
      await sleep(SETTLE_MS);
      await cpuWindow('CPU, master, 200 instances, 200 adverts/s sent (%)', impl, m200.child.pid!, idle);
      recordRss('RSS, master, 200 instances (MB)', impl, m200.child.pid!, idle);
      await stop(m200.child);
    }
    if (GROUPS.has('200') || GROUPS.has('backup200')) await backupWindow(d, impl, 200, idle);

    if (GROUPS.has('wake') && ours) {
      await backupWindow(d, impl, 50, idle, 'keepalived');
      await backupWindow(d, impl, 50, idle, 'ts');
    }
  } finally {
    if (idle) await stop(idle);
  }
}

/** CPU (%) of the process tree `pid` over WINDOW_MS, recorded under `name`, with the idle node floor for ours. */
async function cpuWindow(name: string, impl: Impl, pid: number, idle: ChildProcess | undefined): Promise<void> {
  const c0 = cpuMs(pid);
  const i0 = idle ? cpuMs(idle.pid!) : 0;
  const w0 = performance.now();
  await sleep(WINDOW_MS);
  const s = (performance.now() - w0) / 1000;
  record(name, impl, (cpuMs(pid) - c0) / 10 / s);
  if (impl === 'ts' && idle) record(name, 'floor', (nodeProcesses(pid) * (cpuMs(idle.pid!) - i0)) / 10 / s);
}

/**
 * A backup with `n` instances in b receiving n adverts/s from a master in a (keepalived 2.2.7 unless `feeder` says
 * ours): its CPU and RSS; with `feeder` (group `wake`), instead its VRRP child's wake-ups: `recvmmsg` calls per second
 * and datagrams per call over WINDOW_MS, from `perf record` of the syscall's exit (the return value is the count).
 */
async function backupWindow(d: Daemons, impl: Impl, n: number, idle: ChildProcess | undefined, feeder?: 'keepalived' | 'ts'): Promise<void> {
  const conf = d.write(`m${n}.conf`, vrrpConf(n, 'MASTER', 200));
  const master = feeder === 'ts' ? d.ours('a', conf) : d.keepalived('a', conf);
  await until(() => d.hasVip('a', `203.0.113.${n}`), WAIT_MS, `203.0.113.${n} on a`);
  const backup = start(impl, 'b', d.write(`b${n}.conf`, vrrpConf(n, 'BACKUP', 100)));
  try {
    await sleep(SETTLE_MS);
    if (feeder) {
      const vrrp = impl === 'keepalived' ? undefined : Number(readFileSync(backup.vrrpPidFile, 'utf8').trim());
      const w = wakeups(d, vrrp!, WINDOW_MS / 1000);
      w.calls = Math.max(w.calls, 1);
      const m = feeder === 'ts' ? 'keepalived-ts' : 'keepalived 2.2.7';
      record(`wake-ups (recvmmsg) per s, backup, ${n} instances, master ${m}`, impl, w.calls / (WINDOW_MS / 1000));
      record(`datagrams per wake-up, backup, ${n} instances, master ${m}`, impl, w.datagrams / w.calls);
      record(`epoll returns (2 per loop iteration) per s, backup, ${n} instances, master ${m}`, impl, w.loops / (WINDOW_MS / 1000));
      return;
    }
    await cpuWindow(`CPU, backup, ${n} instances, ${n} adverts/s (%)`, impl, backup.child.pid!, idle);
    recordRss(`RSS, backup, ${n} instances (MB)`, impl, backup.child.pid!, idle);
  } finally {
    await stop(backup.child);
    await stop(master.child);
  }
}

/**
 * Wake-ups of `pid`'s VRRP socket over `seconds` and the datagrams they read (perf record of sys_exit_recvmmsg): each
 * wake-up reads until a `recvmmsg` returns fewer than a full batch, so the calls that did not return a full batch;
 * and the returns from epoll_wait/epoll_pwait (two per loop iteration: node turns on libuv's idle-time metrics, which
 * polls with a zero timeout first).
 */
function wakeups(d: Daemons, pid: number, seconds: number): { calls: number; datagrams: number; loops: number } {
  const data = `${d.dir}/wake.perf`;
  execFileSync(
    'perf',
    [
      'record',
      '-q',
      '-e',
      'syscalls:sys_exit_recvmmsg,syscalls:sys_exit_epoll_wait,syscalls:sys_exit_epoll_pwait',
      '-o',
      data,
      '-p',
      String(pid),
      '--',
      'sleep',
      String(seconds),
    ],
    {
      stdio: 'ignore',
    },
  );
  const script = execFileSync('perf', ['script', '-i', data, '-F', 'event,trace'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  let calls = 0;
  let datagrams = 0;
  // one line per call: "syscalls:sys_exit_recvmmsg: 0x3" (an error is a negative number shown as 64-bit hex)
  for (const m of script.matchAll(/sys_exit_recvmmsg:\s+(0x[0-9a-f]+|-?\d+)/g)) {
    const r = Number(m[1]);
    if (r !== VRRP_RECV_BATCH) calls++; // a full batch is followed by another call in the same wake-up
    if (r > 0 && r <= 1024) datagrams += r;
  }
  const loops = [...script.matchAll(/sys_exit_epoll_p?wait:/g)].length;
  return { calls, datagrams, loops };
}

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-compare-', DAEMON);
const dBefore = BEFORE ? Daemons.inTempDir(topo, 'kts-compare-before-', BEFORE) : undefined;
/** KTS_COMPARE_TS_ENV (`NAME=value` words): added to this build's daemons' environment only (an experiment's switch). */
const TS_ENV = Object.fromEntries(
  (process.env['KTS_COMPARE_TS_ENV'] ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
);
function start(impl: Impl, host: string, file: string, env: NodeJS.ProcessEnv = {}): RunningDaemon & { readonly vrrpPidFile: string } {
  if (impl === 'keepalived') return d.keepalived(host, file);
  return impl === 'before' ? dBefore!.ours(host, file, [], { env }) : d.ours(host, file, [], { env: { ...TS_ENV, ...env } });
}
const f = (x: number) => (Number.isNaN(x) ? '–' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(Math.abs(x) >= 10 ? 1 : 2));
try {
  let reps = 0;
  try {
    for (; reps < REPS; reps++) {
      // a different implementation goes first in each repetition
      for (let i = 0; i < IMPLS.length; i++) await oneRep(topo, d, IMPLS[(i + reps) % IMPLS.length]!);
      process.stderr.write(`rep ${reps + 1}/${REPS} done\n`);
    }
  } catch (e) {
    process.exitCode = 1;
    console.log(`stopped in repetition ${reps + 1}: ${(e as Error).message}; the table has what was measured`);
  }
  console.log(
    `keepalived 2.2.7 vs keepalived-ts (Node ${process.version}), medians of up to ${REPS}, alternating; load average at the start ${LOAD_AT_START}, at the end ${loadAverage()}\n`,
  );
  const before = BEFORE ? ' keepalived-ts before |' : '';
  console.log(`| measure | keepalived 2.2.7 |${before} keepalived-ts | ratio | node floor | keepalived-ts − floor |`);
  console.log(`|---|---:|${BEFORE ? '---:|' : ''}---:|---:|---:|---:|`);
  for (const [name, v] of results) {
    const k = median(v.keepalived);
    const t = median(v.ts);
    const fl = median(v.floor);
    const b = BEFORE ? ` ${f(median(v.before))} |` : '';
    console.log(`| ${name} | ${f(k)} |${b} ${f(t)} | ${k > 0 ? (t / k).toFixed(2) : '–'} | ${f(fl)} | ${f(t - fl)} |`);
  }
} finally {
  topo.destroy();
  d.removeDir();
  dBefore?.removeDir();
}
