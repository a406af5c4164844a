/**
 * Fuzzer for the configuration front end: random token soup and mutated real configurations (byte flips,
 * deletions, duplications, brace insertions, line splices) of the seed configs in test/fixtures/seed-configs and
 * Debian's keepalived samples, each loaded through loadConfig from an in-memory file system.
 *
 *   node dist/scripts/fuzz-config.js [iterations=20000] [seed=1]
 *
 * Each parse runs in a worker thread: an exception is a crash, a parse that takes over 2 s is a hang (a worker that
 * does not answer within 2 s is terminated), and a diagnostic without a finite line and column is a bad position.
 * Every finding's input is written to FUZZ_OUT (default: $TMPDIR/keepalived-ts-fuzz), named by seed and iteration.
 * Exits 1 when there is a finding.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { loadConfig } from '../src/config/index.js';
import { seededRng } from '../src/core/rng.js';
import { memFs, mutate, pick, soup } from './config-mutate.js';

const HANG_MS = 2000;
const MAIN = '/fuzz/keepalived.conf';

/** What the worker is asked to load: the main file and the files it may include. */
interface Job {
  readonly files: Record<string, string>;
}
/** What the worker answers. */
interface Answer {
  readonly ms: number;
  readonly crash?: string;
  readonly badPosition?: string;
  readonly errors: number;
}

/** Worker side: load, time, and check every diagnostic's position. */
function serve(): void {
  parentPort?.on('message', (job: Job) => {
    const t0 = performance.now();
    try {
      const r = loadConfig(MAIN, { configId: 'fuzz', fs: memFs(job.files) });
      const ms = performance.now() - t0;
      const bad = r.diagnostics.find((d) => !Number.isFinite(d.pos.line) || !Number.isFinite(d.pos.col) || typeof d.pos.file !== 'string');
      const answer: Answer = {
        ms,
        errors: r.diagnostics.filter((d) => d.severity === 'error').length,
        ...(bad ? { badPosition: JSON.stringify(bad) } : {}),
      };
      parentPort?.postMessage(answer);
    } catch (e) {
      parentPort?.postMessage({
        ms: performance.now() - t0,
        errors: 0,
        crash: e instanceof Error ? (e.stack ?? e.message) : String(e),
      } satisfies Answer);
    }
  });
}

/** The seed configurations and Debian's samples (missing directories are skipped). */
function corpus(): string[] {
  const seedDirs = [new URL('../../test/fixtures/seed-configs/', import.meta.url).pathname];
  const out: string[] = [];
  const seedDir = seedDirs.find((d) => existsSync(d));
  if (seedDir)
    for (const f of readdirSync(seedDir)
      .filter((n) => n.endsWith('.conf'))
      .sort())
      out.push(readFileSync(join(seedDir, f), 'utf8'));
  const samples = '/usr/share/doc/keepalived/samples';
  if (existsSync(samples)) {
    for (const f of readdirSync(samples)
      .filter((n) => n.startsWith('keepalived.conf'))
      .sort()) {
      const raw = readFileSync(join(samples, f));
      out.push((f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
    }
  }
  return out;
}

/** Sends one job; resolves with the answer, or 'hang' after HANG_MS (the worker is then replaced). */
function runJob(state: { worker: Worker }, job: Job): Promise<Answer | 'hang'> {
  return new Promise((resolve) => {
    const w = state.worker;
    const timer = setTimeout(() => {
      w.removeAllListeners('message');
      void w.terminate();
      state.worker = new Worker(new URL(import.meta.url));
      resolve('hang');
    }, HANG_MS);
    w.once('message', (a: Answer) => {
      clearTimeout(timer);
      resolve(a);
    });
    w.postMessage(job);
  });
}

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 20_000);
  const seed = Number(process.argv[3] ?? 1);
  const outDir = process.env.FUZZ_OUT ?? join(tmpdir(), 'keepalived-ts-fuzz');
  const texts = corpus();
  if (texts.length === 0) {
    console.error('no corpus: neither test/fixtures/seed-configs nor the Debian samples were found');
    process.exit(2);
  }
  const words = [
    ...new Set(
      texts
        .join('\n')
        .split(/\s+/)
        .filter((w) => w !== ''),
    ),
  ];
  const rng = seededRng(seed);
  const state = { worker: new Worker(new URL(import.meta.url)) };
  const findings: string[] = [];
  const times: number[] = [];
  let withErrors = 0;
  const record = (kind: string, i: number, job: Job, detail: string): void => {
    mkdirSync(outDir, { recursive: true });
    const base = join(outDir, `${kind}-s${seed}-i${i}`);
    writeFileSync(`${base}.conf`, job.files[MAIN] as string);
    writeFileSync(`${base}.txt`, `${detail}\n\nother files:\n${JSON.stringify(job.files, null, 1)}\n`);
    findings.push(`${kind} at iteration ${i}: ${base}.conf`);
  };
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const main = rng.next() < 0.3 ? soup(rng, words) : mutate(rng, pick(rng, texts), texts);
    const job: Job = {
      files: {
        [MAIN]: main,
        '/fuzz/inc.conf': rng.next() < 0.5 ? mutate(rng, pick(rng, texts), texts) : soup(rng, words),
        '/fuzz/b.conf': 'vrrp_script s {\n script /bin/true\n}\n',
      },
    };
    const a = await runJob(state, job);
    if (a === 'hang') {
      record('hang', i, job, `no answer within ${HANG_MS} ms`);
      continue;
    }
    times.push(a.ms);
    if (a.errors > 0) withErrors++;
    if (a.crash) record('crash', i, job, a.crash);
    else if (a.ms > HANG_MS) record('hang', i, job, `parse took ${a.ms.toFixed(0)} ms`);
    else if (a.badPosition) record('bad-position', i, job, a.badPosition);
  }
  await state.worker.terminate();
  const sorted = [...times].sort((x, y) => x - y);
  const q = (p: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(2);
  console.log(
    `fuzz-config: ${iterations} iterations, seed ${seed}, corpus of ${texts.length} configurations, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`parse ms: median ${q(0.5)}, p99 ${q(0.99)}, max ${q(1)}; inputs with at least one error: ${withErrors}`);
  console.log(
    findings.length === 0 ? 'findings: none (no crash, no hang, no bad position)' : `findings (${findings.length}):\n  ${findings.join('\n  ')}`,
  );
  process.exitCode = findings.length === 0 ? 0 : 1;
}

if (isMainThread) void main();
else serve();
