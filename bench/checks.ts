/**
 * Benchmark: the checker runtime under 10,000 real servers with TCP_CHECK and `delay_loop 1` (issue 11).
 * 100 virtual servers × 100 real servers; the real servers are 100 TCP listeners on 127.0.0.1 (ports 20000…20099,
 * loopback only) in a child process, so this process's CPU is the checker's own. The data plane is the in-memory
 * backend (no kernel rules). After a warm-up (KTS_BENCH_CHECK_WARMUP_SECONDS, default 4) it measures for
 * KTS_BENCH_CHECK_SECONDS (default 20): probes finished per second, CPU (user+system, % of one core), RSS,
 * event-loop delay, and check lateness (how late each due checker ran behind its deadline: p50/p99/max; goal p99
 * < 100 ms). KTS_BENCH_CHECK_VS / KTS_BENCH_CHECK_RS change the shape. Prints a table; asserts nothing.
 *
 * keepalived 2.2.7 is not measured side by side: its checker process needs IPVS in the kernel, and without it
 * the whole daemon exits (this kernel has none; the UML guest is too small for 10,000 servers).
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildModel, parseConfigTree } from '../src/config/index.js';
import { DiagnosticSink } from '../src/config/diagnostics.js';
import { MemoryLogger } from '../src/core/log.js';
import { MemoryBackend } from '../src/lb/memory.js';
import { createCheckRuntime } from '../src/runtime/check/runtime.js';

const envNum = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const SECONDS = envNum('KTS_BENCH_CHECK_SECONDS', 20);
const WARMUP = envNum('KTS_BENCH_CHECK_WARMUP_SECONDS', 4);
const N_VS = envNum('KTS_BENCH_CHECK_VS', 100);
const N_RS = envNum('KTS_BENCH_CHECK_RS', 100);
const BASE_PORT = 20000;

const LISTENERS = `
const net = require('node:net');
let up = 0;
for (let i = 0; i < ${N_RS}; i++) {
  const s = net.createServer({ pauseOnConnect: true }, (c) => c.destroy());
  s.on('error', (e) => { console.error(String(e)); process.exit(1); });
  s.listen({ host: '127.0.0.1', port: ${BASE_PORT} + i, backlog: 4096 }, () => { if (++up === ${N_RS}) console.log('ready'); });
}
process.on('SIGTERM', () => process.exit(0));
`;

function config(): string {
  const parts: string[] = [];
  for (let v = 0; v < N_VS; v++) {
    parts.push(`virtual_server 192.0.2.1 ${1000 + v} {\n delay_loop 1\n lb_algo rr\n protocol TCP`);
    for (let r = 0; r < N_RS; r++) parts.push(` real_server 127.0.0.1 ${BASE_PORT + r} {\n  TCP_CHECK {\n   connect_timeout 3\n  }\n }`);
    parts.push('}');
  }
  return parts.join('\n');
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['-e', LISTENERS], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (c) => reject(new Error(`listeners exited ${c}`)));
  });
  try {
    const t0 = performance.now();
    const { tree } = parseConfigTree(config(), 'bench.conf');
    const d = new DiagnosticSink();
    const model = buildModel(tree, d);
    const parseMs = performance.now() - t0;
    const log = new MemoryLogger();
    const backend = new MemoryBackend();
    const rt = createCheckRuntime(
      { log, logDetail: 0, releaseVips: false, dontReleaseVrrp: false, addressMonitoring: false },
      {
        backendFactory: () => backend,
      },
    );
    const t1 = performance.now();
    await rt.start(model);
    const startMs = performance.now() - t1;
    await sleep(WARMUP * 1000);
    rt.clearStats();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    let rssMax = 0;
    for (let s = 0; s < SECONDS; s++) {
      await sleep(1000);
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }
    const wallS = (performance.now() - w0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    lag.disable();
    const finished = rt.stats.probesFinished;
    const late = [...rt.stats.lateness].sort((a, b) => a - b);
    const snap = rt.snapshot().virtualServers ?? [];
    const servers = snap.reduce((n, v) => n + v.realServers.length, 0);
    const upNow = snap.reduce((n, v) => n + v.realServers.filter((r) => r.up).length, 0);
    const failures = log.texts().filter((t) => t.includes('failed')).length;
    const inTable = Object.values(backend.table()).reduce((n, dests) => n + Object.keys(dests).length, 0);
    await rt.stop();
    const rows: [string, string][] = [
      ['virtual servers × real servers', `${N_VS} × ${N_RS} = ${servers}`],
      ['config parse / runtime start', `${parseMs.toFixed(0)} ms / ${startMs.toFixed(0)} ms`],
      ['measured', `${wallS.toFixed(1)} s after ${WARMUP} s warm-up`],
      ['checks/s sustained (goal ≈ servers / delay_loop)', `${(finished / wallS).toFixed(0)} (ideal ${servers})`],
      ['CPU (user+sys, % of one core)', `${(((cpu.user + cpu.system) / 1e6 / wallS) * 100).toFixed(1)} %`],
      [
        'CPU per check (so one core sustains ≈)',
        `${((cpu.user + cpu.system) / Math.max(1, finished)).toFixed(0)} µs (${(1e6 / ((cpu.user + cpu.system) / Math.max(1, finished))).toFixed(0)} checks/s)`,
      ],
      ['RSS max', `${(rssMax / 2 ** 20).toFixed(0)} MiB`],
      [
        'check lateness p50 / p99 / max (goal p99 < 100 ms)',
        `${percentile(late, 50).toFixed(1)} / ${percentile(late, 99).toFixed(1)} / ${(late.at(-1) ?? NaN).toFixed(1)} ms (${late.length} samples)`,
      ],
      ['event-loop delay p99 / max', `${(lag.percentile(99) / 1e6).toFixed(1)} / ${(lag.max / 1e6).toFixed(1)} ms`],
      ['servers up at end / in the table', `${upNow} / ${inTable}`],
      ['failure log lines', `${failures}`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log(`| ${'measure'.padEnd(w)} | value |`);
    console.log(`|${'-'.repeat(w + 2)}|-------|`);
    for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${v} |`);
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
