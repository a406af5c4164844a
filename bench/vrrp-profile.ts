/**
 * Profile of keepalived-ts's VRRP child at scale (issue 17, sixth pass): a BACKUP of N instances fed N adverts/s by a
 * keepalived 2.2.7 master (`KTS_PROF_MODE=backup`, the default), or a MASTER of N instances with no peer
 * (`KTS_PROF_MODE=master`). After KTS_PROF_SETTLE_S (6), over KTS_PROF_WINDOW_S (10): the VRRP child's CPU (schedstat),
 * its syscalls per second (`perf stat -e 'syscalls:sys_enter_*'`), and, with KTS_PROF_CPU=1, a `--cpu-prof` of the
 * child written at its exit (the self time of the top functions is printed), with KTS_PROF_PERF=1 a
 * `perf record -g` (`--perf-basic-prof`) whose report goes to KTS_PROF_OUT (default: a temp directory, kept).
 * KTS_PROF_N (200); KTS_PROF_CLI (the bundle: dist/bundle/main.js). Root only. Prints; asserts nothing.
 * Run: KTS_PROF_CPU=1 npm run bench -- vrrp-profile
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topology } from '../test/netns/harness/topology.js';
import { BUNDLED_CLI, Daemons, stop, waitFor } from '../test/netns/harness/daemons.js';
import { vrrpConf } from './lib/vrrp-conf.js';
import { defaultV8Flags } from '../src/daemon/v8-flags.js';

const N = Number(process.env['KTS_PROF_N'] ?? 200);
const MODE = process.env['KTS_PROF_MODE'] === 'master' ? 'master' : 'backup';
const SETTLE_MS = Number(process.env['KTS_PROF_SETTLE_S'] ?? 6) * 1000;
const WINDOW_S = Number(process.env['KTS_PROF_WINDOW_S'] ?? 10);
const CPU_PROF = process.env['KTS_PROF_CPU'] === '1';
const PERF = process.env['KTS_PROF_PERF'] === '1';
const OUT = process.env['KTS_PROF_OUT'] ?? mkdtempSync(join(tmpdir(), 'kts-prof-'));
const CLI = process.env['KTS_PROF_CLI'] ?? BUNDLED_CLI;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU ms run by every thread of `pid` (schedstat). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
  return ns / 1e6;
}

/** CPU ms per thread of `pid` (name/tid → ms). */
function threadMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const comm = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
    out.set(`${comm}/${t}`, Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
  }
  return out;
}

/** Self time per function of a .cpuprofile, top `k`. */
function topSelf(file: string, k: number): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    const dt = p.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([key, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`);
}

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-prof-', CLI);
const profDir = join(OUT, 'cpuprof');
mkdirSync(profDir, { recursive: true });
const flags = [
  ...defaultV8Flags('vrrp'),
  ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
  ...(PERF ? ['--perf-basic-prof'] : []),
].join(' ');
try {
  const feeder = MODE === 'backup' ? d.keepalived('a', d.write('m.conf', vrrpConf(N, 'MASTER', 200, 'prof'))) : undefined;
  if (feeder && (await waitFor(() => d.hasVip('a', `203.0.113.${Math.min(N, 250)}`), 120_000)) < 0) throw new Error('feeder not master');
  const ours = d.ours('b', d.write('o.conf', vrrpConf(N, MODE === 'backup' ? 'BACKUP' : 'MASTER', MODE === 'backup' ? 100 : 150, 'prof')), [], {
    env: { KEEPALIVED_TS_V8_FLAGS: flags },
  });
  if (MODE === 'master' && (await waitFor(() => d.hasVip('b', `203.0.113.${Math.min(N, 250)}`), 120_000)) < 0) throw new Error('not master');
  await waitFor(() => existsSync(ours.vrrpPidFile) && readFileSync(ours.vrrpPidFile, 'utf8').trim() !== '', 60_000);
  await sleep(SETTLE_MS);
  const vrrp = Number(readFileSync(ours.vrrpPidFile, 'utf8').trim());
  const c0 = cpuMs(vrrp);
  const th0 = threadMs(vrrp);
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuMs(vrrp) - c0;
  console.log(
    `${MODE}, ${N} instances: VRRP child CPU ${(cpu / 10 / s).toFixed(2)} % over ${s.toFixed(1)} s; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
  for (const [t, ms] of threadMs(vrrp)) {
    const dt = ms - (th0.get(t) ?? 0);
    if (dt > 0) console.log(`  thread ${t}: ${(dt / 10 / s).toFixed(3)} %`);
  }
  const statFile = join(OUT, 'stat.csv');
  execFileSync('perf', ['stat', '-x,', '-o', statFile, '-e', 'syscalls:sys_enter_*', '-p', String(vrrp), '--', 'sleep', String(WINDOW_S)], {
    stdio: 'ignore',
  });
  for (const line of readFileSync(statFile, 'utf8').split('\n')) {
    const [count, , event] = line.split(',');
    if (event?.startsWith('syscalls:') && Number(count) > 0)
      console.log(`${(Number(count) / s).toFixed(1).padStart(9)} /s  ${event.slice('syscalls:sys_enter_'.length)}`);
  }
  if (PERF) {
    execFileSync('perf', ['record', '-q', '-g', '-o', join(OUT, 'perf.data'), '-p', String(vrrp), '--', 'sleep', String(WINDOW_S)], {
      stdio: 'ignore',
    });
  }
  await stop(ours.child);
  if (feeder) await stop(feeder.child);
  for (const f of readdirSync(profDir)) {
    console.log(`\n${f}:`);
    for (const l of topSelf(join(profDir, f), 40)) console.log(l);
  }
  console.log(`\noutput in ${OUT}`);
} finally {
  topo.destroy();
  d.removeDir();
}
