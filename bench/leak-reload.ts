/**
 * Issue 16 (the soak's RSS floor of the VRRP child, +11 % in an hour): what a VRRP child's reload costs in memory,
 * outside the kernel. Each variant is a child node with the VRRP child's V8 flags (src/daemon/v8-flags.ts) plus the
 * variant's, which parses the soak's n0 keepalived.conf (test/soak/netns-cluster.ts, VIP lists and a priority
 * changing each time), plans the reload, builds the FSM parameters and applies it to a VrrpRouter, RELOADS times;
 * after GC it prints heap used, heap committed, code space and RSS at the start (reload 100) and every tenth.
 * Also `script` mode: the soak's tracked script (`/usr/bin/test -e FILE`) run through runScript, RUNS times.
 * Run: npx tsc -p . && node dist/bench/leak-reload.js [RELOADS]   (or npm run bench -- leak)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { defaultV8Flags } from '../src/daemon/v8-flags.js';

interface Point {
  readonly n: number;
  readonly heapKiB: number;
  readonly committedKiB: number;
  readonly codeKiB: number;
  readonly rssMiB: number;
}

function point(n: number): Point {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  gc();
  const m = process.memoryUsage();
  const code = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'code_space')?.space_used_size ?? 0;
  return {
    n,
    heapKiB: Math.round(m.heapUsed / 1024),
    committedKiB: Math.round(m.heapTotal / 1024),
    codeKiB: Math.round(code / 1024),
    rssMiB: +(m.rss / 1048576).toFixed(1),
  };
}

async function reloads(count: number): Promise<Point[]> {
  const { configText } = await import('../test/soak/netns-cluster.js');
  const { loadConfig } = await import('../src/config/index.js');
  const { planReload } = await import('../src/runtime/vrrp/reload-plan.js');
  const { fsmParams } = await import('../src/runtime/vrrp/params.js');
  const { VrrpRouter } = await import('../src/vrrp/router.js');
  type Cfg = NonNullable<ReturnType<typeof loadConfig>['config']>;
  const dir = mkdtempSync(join(tmpdir(), 'kts-leak-'));
  const file = join(dir, 'n0.conf');
  const write = (k: number) =>
    writeFileSync(
      file,
      configText(
        { name: 'n0', impl: 'ours', priorities: [250, 250, 190, 20 + (k % 7), 100], nopreempt: [false, false, false, false, false] },
        { extraVip: [k % 2 === 0, false, k % 3 === 0, k % 5 === 0, k % 2 === 1], preemptDelay: false },
        join(dir, 'ok'),
      ),
    );
  const spec = (cfg: Cfg, ic: Cfg['vrrpInstances'][number]) => ({
    params: fsmParams(cfg, ic, '192.0.2.1'),
    socketKey: `v${ic.family}`,
    ifindex: 2,
    source: '192.0.2.1',
    group: ic.family === 6 ? 'ff02::12' : '224.0.0.18',
  });
  try {
    write(0);
    let old = loadConfig(file, { configId: 'n0' }).config!;
    const router = new VrrpRouter();
    for (const ic of old.vrrpInstances) router.addInstance(spec(old, ic));
    const groups = [{ name: 'SG', members: ['VI_G1', 'VI_G2'] }];
    router.setSyncGroups(groups);
    let now = 0;
    for (const ic of old.vrrpInstances) router.event(ic.name, { type: 'startup' }, now);
    const out: Point[] = [];
    for (let k = 1; k <= count; k++) {
      write(k);
      const cfg = loadConfig(file, { configId: 'n0' }).config!;
      const plan = planReload(old, cfg);
      router.applyReload({ remove: plan.remove, update: plan.update.map((ic) => spec(cfg, ic)) }, now);
      router.setSyncGroups(groups);
      router.timeout((now += 1000));
      old = cfg;
      if (k === 100 || k % (count / 10) === 0) out.push(point(k));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scripts(count: number): Promise<Point[]> {
  const { runScript } = await import('../src/notify/script-runner.js');
  const spec = { argv: ['/usr/bin/test', '-e', tmpdir()] };
  const out: Point[] = [];
  for (let k = 1; k <= count; k++) {
    const o = await runScript(spec, { timeoutMs: 1000, killGraceMs: 2000, signal: new AbortController().signal });
    if (o.kind !== 'exited') throw new Error(`script: ${JSON.stringify(o)}`);
    if (k === 100 || k % (count / 10) === 0) out.push(point(k));
  }
  return out;
}

const VARIANTS: readonly { readonly name: string; readonly flags: readonly string[]; readonly env?: Record<string, string> }[] = [
  { name: 'VRRP child flags', flags: [] },
  { name: '+ --no-opt', flags: ['--no-opt'] },
  { name: '+ --no-concurrent-recompilation', flags: ['--no-concurrent-recompilation'] },
  { name: '+ --single-threaded', flags: ['--single-threaded'] },
  { name: "without --v8-pool-size=1 (Node's default: 4 workers)", flags: ['--v8-pool-size=4'] },
  { name: 'MALLOC_ARENA_MAX=2', flags: [], env: { MALLOC_ARENA_MAX: '2' } },
];

const [mode, arg] = process.argv.slice(2);
if (mode === 'reload' || mode === 'script') {
  const n = Number(arg);
  console.log(JSON.stringify(await (mode === 'reload' ? reloads(n) : scripts(n))));
} else {
  const count = Number(mode ?? 3000);
  const self = fileURLToPath(import.meta.url);
  const runs: [string, string, readonly string[], Record<string, string> | undefined][] = [
    ...VARIANTS.map((v) => ['reload', v.name, v.flags, v.env] as [string, string, readonly string[], Record<string, string> | undefined]),
    ['script', 'VRRP child flags', [], undefined],
    ['script', '+ --no-opt', ['--no-opt'], undefined],
  ];
  console.log('| mode | variant | heap used KiB (first → last) | committed KiB | code KiB | RSS MiB (first → min–max after warm-up → last) |');
  console.log('|---|---|---|---|---|---|');
  for (const [m, name, flags, env] of runs) {
    const n = m === 'reload' ? count : Math.min(count, 1000);
    const r = spawnSync(process.execPath, ['--expose-gc', ...defaultV8Flags('vrrp'), ...flags, self, m, String(n)], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    if (r.status !== 0) throw new Error(`${m} ${name}: ${r.stderr}`);
    const p = JSON.parse(r.stdout) as Point[];
    const first = p[0]!;
    const last = p.at(-1)!;
    const later = p.slice(Math.ceil(p.length / 2)).map((x) => x.rssMiB);
    console.log(
      `| ${m} ×${n} | ${name} | ${first.heapKiB} → ${last.heapKiB} | ${first.committedKiB} → ${last.committedKiB} | ${first.codeKiB} → ${last.codeKiB} | ` +
        `${first.rssMiB} → ${Math.min(...later)}–${Math.max(...later)} → ${last.rssMiB} |`,
    );
  }
}
