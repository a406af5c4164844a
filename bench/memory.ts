/**
 * Benchmark (issue 17): where a keepalived-ts daemon's memory goes, per process, under V8 flag variants.
 * Each variant starts the bundled daemon with N VRRP instances as master (`-P`: supervisor + VRRP child) in a
 * namespace, waits until the last VIP is held plus SETTLE_MS, then reads per process: RSS (anonymous / file-backed),
 * PSS (shared pages of the node binary divided among the processes that map them), threads, and — through a small
 * `--import` probe — V8's heap (used, committed), `external` and array buffers.
 * Root only. Prints a table; asserts nothing.
 * A variant is node flags (`default`: none) and may start with `detached`: the daemon is started without `-n`, as a
 * service would be, so the supervisor is the detached copy with its own flags (src/daemon/v8-flags.ts).
 *   npm run bench -- memory     KTS_MEM_INSTANCES=200 KTS_MEM_VARIANTS='default;detached;--jitless'
 *   KTS_MEM_CLI=path/to/main.js (another build), KTS_MEM_ENV='K=V …' (extra environment for the daemon)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../test/netns/harness/topology.js';
import { BUNDLED_CLI, Daemons, stop, waitFor } from '../test/netns/harness/daemons.js';
import { vrrpConf } from './lib/vrrp-conf.js';

const N = Number(process.env['KTS_MEM_INSTANCES'] ?? 200);
const SETTLE_MS = Number(process.env['KTS_MEM_SETTLE_MS'] ?? 5000);
const VARIANTS = (process.env['KTS_MEM_VARIANTS'] ?? 'default').split(';').map((v) => v.trim());
const ENV_EXTRA = process.env['KTS_MEM_ENV'] ?? '';
const CLI = process.env['KTS_MEM_CLI'] ?? BUNDLED_CLI;

/** The probe every process loads with `--import`: writes its V8 figures to DIR/mem-PID.json once a second. */
const PROBE = `import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';
const out = process.env.KTS_MEM_DIR + '/mem-' + process.pid + '.json';
setInterval(() => {
  const m = process.memoryUsage();
  const h = v8.getHeapStatistics();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_size / 1024)]));
  writeFileSync(out, JSON.stringify({ heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, code: h.total_physical_size, spaces }));
}, 1000).unref();
`;

function tree(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return [pid, ...kids.flatMap(tree)];
}

function field(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

interface Proc {
  pid: number;
  cmd: string;
  rss: number;
  anon: number;
  file: number;
  pss: number;
  threads: number;
  heap?: { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; spaces: Record<string, number> };
}

function procs(root: number, dir: string): Proc[] {
  const out: Proc[] = [];
  for (const pid of tree(root)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmd[0]!.endsWith('node')) continue;
      let heap: Proc['heap'];
      try {
        heap = JSON.parse(readFileSync(join(dir, `mem-${pid}.json`), 'utf8'));
      } catch {
        heap = undefined;
      }
      const role = cmd.find((a) => a.startsWith('--ts-child=')) ?? 'supervisor';
      out.push({
        pid,
        cmd: role.replace('--ts-child=', ''),
        rss: field(status, 'VmRSS'),
        anon: field(status, 'RssAnon'),
        file: field(status, 'RssFile'),
        pss: field(roll, 'Pss'),
        threads: field(status, 'Threads'),
        ...(heap ? { heap } : {}),
      });
    } catch {
      /* exited */
    }
  }
  return out;
}

const mb = (kb: number) => (kb / 1024).toFixed(1);
const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-mem-', CLI);
const probe = d.write('probe.mjs', PROBE);
const file = d.write('m.conf', vrrpConf(N, 'MASTER', 150));
const last = `203.0.113.${((N - 1) % 250) + 1}`;
console.log(`${N} instances, master, -P; settle ${SETTLE_MS} ms; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
console.log('| variant | process | RSS MB | anon | file | PSS MB | threads | V8 heap used / committed MB | external MB |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
try {
  for (const [k, variant] of VARIANTS.entries()) {
    const words = variant.split(/\s+/).filter((w) => w !== 'default');
    const detached = words[0] === 'detached';
    const flags = detached ? words.slice(1) : words;
    for (const withProbe of [false, true]) {
      const tag = `v${k}${withProbe ? 'p' : ''}`;
      const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: d.dir, KTS_MEM_DIR: d.dir };
      for (const kv of ENV_EXTRA.split(/\s+/).filter(Boolean)) env[kv.split('=')[0]!] = kv.slice(kv.indexOf('=') + 1);
      const child = topo.spawn(
        'b',
        process.execPath,
        [
          ...flags,
          ...(withProbe ? ['--import', probe] : []),
          CLI,
          ...(detached ? [] : ['-n']),
          '-l',
          '-P',
          '-f',
          file,
          '-p',
          join(d.dir, `${tag}.pid`),
          '-r',
          join(d.dir, `${tag}-vrrp.pid`),
          '-c',
          join(d.dir, `${tag}-chk.pid`),
          `--control-socket=${join(d.dir, `${tag}.sock`)}`,
        ],
        { env, stdio: 'ignore' },
      );
      if ((await waitFor(() => d.hasVip('b', last), 60_000)) < 0) throw new Error(`${variant}: ${last} not held`);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      // `ip netns exec` is the spawned pid and the daemon its (exec'd) self, unless it detached (then: the pid file)
      const root = detached ? Number(readFileSync(join(d.dir, `${tag}.pid`), 'utf8').trim()) : child.pid!;
      const ps = procs(root, d.dir);
      let sum = { rss: 0, pss: 0 };
      for (const p of ps) {
        sum = { rss: sum.rss + p.rss, pss: sum.pss + p.pss };
        const h = p.heap ? `${(p.heap.heapUsed / 2 ** 20).toFixed(1)} / ${(p.heap.heapTotal / 2 ** 20).toFixed(1)}` : '';
        const e = p.heap ? (p.heap.external / 2 ** 20).toFixed(1) : '';
        console.log(
          `| ${variant}${withProbe ? ' (probe)' : ''} | ${p.cmd} | ${mb(p.rss)} | ${mb(p.anon)} | ${mb(p.file)} | ${mb(p.pss)} | ${p.threads} | ${h} | ${e} |`,
        );
      }
      if (process.env['KTS_MEM_SPACES']) for (const p of ps) if (p.heap) console.log(`<!-- ${p.cmd} spaces KB ${JSON.stringify(p.heap.spaces)} -->`);
      console.log(`| ${variant}${withProbe ? ' (probe)' : ''} | **sum** | ${mb(sum.rss)} | | | ${mb(sum.pss)} | | | |`);
      if (detached) process.kill(root, 'SIGTERM');
      else await stop(child);
      await waitFor(() => !d.hasVip('b', last), 10_000);
    }
  }
} finally {
  topo.destroy();
  d.removeDir();
}
