/**
 * Coverage-guided fuzzing of one target: `npm run fuzz -- TARGET [--minutes N] [--seed S] [--out DIR] [--save]`.
 * Targets (test/fuzz/targets): vrrp, netlink, config, control, http; `all` runs each in turn for N minutes.
 *
 * jazzer.js is not usable here: its only release that installs without downloading from GitHub (4.0.0, prebuilt
 * libFuzzer inside the npm tarball) needs glibc 2.38, and Debian 12 has 2.36. So the loop is our own: V8 precise
 * block coverage (test/fuzz/coverage.ts) decides which mutated inputs reach new (block, hit-count bucket) features;
 * those join the queue, the rest are dropped. Mutations: bit and byte flips, interesting integers, arithmetic,
 * deletions, duplications, random and dictionary insertions, splices with other queue entries, stacked 1–8 deep.
 *
 * The loop runs in a worker thread; it copies each input into shared memory before running it, so the main thread's
 * watchdog can save an input that hangs (no progress for 30 s), then restarts the worker from the queue on disk.
 * Findings (an exception, a violated property, a hang) are written to OUT/findings/ and reported at the end.
 * `--save` also copies every finding into the corpus as `finding-HASH` (the unit tier's replay always runs those).
 * `--save` merges the queue into test/fuzz/corpus/TARGET: smallest inputs first, each kept only when it adds a
 * feature, at most 256 files of at most 4 KiB. Exit status 1 when there was a finding.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { seededRng, type Rng } from '../src/core/rng.js';

/** The fuzz targets, in the order `all` runs them. */
const TARGETS = ['vrrp', 'netlink', 'config', 'control', 'http'] as const;
const MAX_LEN = 4096;
const HANG_MS = 30_000;
const SAVE_MAX_FILES = 256;

interface TargetModule {
  fuzz(data: Uint8Array): void | Promise<void>;
  readonly dictionary?: readonly string[];
}

interface Job {
  readonly target: string;
  readonly seed: number;
  readonly deadline: number;
  readonly out: string;
  readonly corpusDir: string;
  readonly shared: SharedArrayBuffer;
}

/** What the worker reports. */
type Report =
  | { readonly kind: 'stats'; readonly execs: number; readonly queue: number; readonly features: number }
  | { readonly kind: 'finding'; readonly key: string; readonly file: string; readonly text: string }
  | { readonly kind: 'done'; readonly execs: number; readonly queue: number; readonly features: number };

const repoRoot = new URL('../../', import.meta.url).pathname;

function hash(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('hex').slice(0, 16);
}

function readDir(dir: string): Buffer[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((f) => readFileSync(join(dir, f)));
}

/* ---------------------------------------------------------------------------------------------- mutations -- */

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 16, 20, 24, 28, 32, 40, 64, 255, 256, 4095, 4096];

function mutateOnce(rng: Rng, b: Buffer, others: readonly Buffer[], dict: readonly Buffer[]): Buffer {
  const int = (n: number): number => Math.floor(rng.next() * n);
  const at = int(b.length + 1);
  switch (int(dict.length ? 11 : 10)) {
    case 0: {
      if (!b.length) return Buffer.from([int(256)]);
      const c = Buffer.from(b);
      c[at % c.length]! ^= 1 << int(8);
      return c;
    }
    case 1: {
      if (!b.length) return b;
      const c = Buffer.from(b);
      c[at % c.length] = int(256);
      return c;
    }
    case 2: {
      if (b.length < 2) return b;
      const c = Buffer.from(b);
      const v = INTERESTING[int(INTERESTING.length)]!;
      const o = at % (c.length - 1);
      if (rng.next() < 0.5) c.writeUInt16LE(v & 0xffff, o);
      else c.writeUInt16BE(v & 0xffff, o);
      return c;
    }
    case 3: {
      if (!b.length) return b;
      const c = Buffer.from(b);
      c[at % c.length] = (c[at % c.length]! + int(35) - 17) & 0xff;
      return c;
    }
    case 4:
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(Math.min(64, b.length + 1)))]);
    case 5: {
      const from = int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(from, from + 1 + int(64)), b.subarray(at)]);
    }
    case 6: {
      const r = Buffer.alloc(1 + int(8));
      for (let i = 0; i < r.length; i++) r[i] = int(256);
      return Buffer.concat([b.subarray(0, at), r, b.subarray(at)]);
    }
    case 7:
    case 8: {
      const o = others[int(others.length)];
      if (!o || !o.length) return b;
      const from = int(o.length);
      return Buffer.concat([b.subarray(0, at), o.subarray(from, from + 1 + int(256)), b.subarray(rng.next() < 0.5 ? at : int(b.length + 1))]);
    }
    case 9: {
      if (b.length < 4) return b;
      const c = Buffer.from(b);
      const o = at % (c.length - 3);
      c.writeUInt32LE(INTERESTING[int(INTERESTING.length)]! >>> 0, o);
      return c;
    }
    default: {
      const d = dict[int(dict.length)]!;
      return Buffer.concat([b.subarray(0, at), d, b.subarray(rng.next() < 0.8 ? at : Math.min(b.length, at + d.length))]);
    }
  }
}

function mutate(rng: Rng, b: Buffer, others: readonly Buffer[], dict: readonly Buffer[]): Buffer {
  let c = b;
  for (let k = 1 + Math.floor(rng.next() * 8); k > 0; k--) c = mutateOnce(rng, c, others, dict);
  return c.length > MAX_LEN ? c.subarray(0, MAX_LEN) : c;
}

/* -------------------------------------------------------------------------------------------------- worker -- */

function findingKey(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const frame = (err.stack ?? '').split('\n').find((l) => l.includes('/dist/src/') || l.includes('/dist/test/fuzz/')) ?? '';
  // the message's words without numbers and addresses, so one bug is one finding
  const words = err.message
    .split(/\s+/)
    .filter((w) => !/[\d:.]/.test(w))
    .join(' ');
  return `${err.name}: ${words.slice(0, 80)} @ ${frame.trim().replace(/:\d+\)?$/, '')}`;
}

async function workerMain(job: Job): Promise<void> {
  const { Coverage } = await import('../test/fuzz/coverage.js');
  const target = (await import(join(repoRoot, 'dist/test/fuzz/targets', `${job.target}.js`))) as TargetModule;
  const dict = (target.dictionary ?? []).map((d) => Buffer.from(d, 'latin1'));
  const cov = new Coverage();
  const rng = seededRng(job.seed);
  const seen = new Set<number>();
  const queue: Buffer[] = [];
  const sharedLen = new Int32Array(job.shared, 0, 2);
  const sharedBytes = new Uint8Array(job.shared, 8);
  const keys = new Set<string>();
  const queueDir = join(job.out, 'queue');
  mkdirSync(queueDir, { recursive: true });
  mkdirSync(join(job.out, 'findings'), { recursive: true });
  let execs = 0;

  const run = async (input: Buffer): Promise<boolean> => {
    sharedBytes.set(input.subarray(0, MAX_LEN));
    Atomics.store(sharedLen, 0, input.length);
    Atomics.add(sharedLen, 1, 1);
    try {
      const r = target.fuzz(input);
      if (r) await r;
    } catch (e) {
      const key = findingKey(e);
      if (!keys.has(key)) {
        keys.add(key);
        const file = join(job.out, 'findings', `crash-${hash(input)}`);
        writeFileSync(file, input);
        parentPort?.postMessage({ kind: 'finding', key, file, text: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies Report);
      }
    }
    execs++;
    let fresh = false;
    for (const f of cov.take())
      if (!seen.has(f)) {
        seen.add(f);
        fresh = true;
      }
    return fresh;
  };

  const seeds = [...readDir(job.corpusDir), ...readDir(queueDir)];
  if (seeds.length === 0) seeds.push(Buffer.alloc(0));
  for (const s of seeds) if ((await run(s)) || queue.length === 0) queue.push(s);
  let lastStats = Date.now();
  while (Date.now() < job.deadline) {
    // favour the newest entries (they reached the newest code) and small ones
    const i = rng.next() < 0.5 ? queue.length - 1 - Math.floor(rng.next() * Math.min(queue.length, 16)) : Math.floor(rng.next() * queue.length);
    const input = mutate(rng, queue[i]!, queue, dict);
    if (await run(input)) {
      queue.push(input);
      writeFileSync(join(queueDir, hash(input)), input);
    }
    if (Date.now() - lastStats > 30_000) {
      lastStats = Date.now();
      parentPort?.postMessage({ kind: 'stats', execs, queue: queue.length, features: seen.size } satisfies Report);
    }
  }
  cov.close();
  parentPort?.postMessage({ kind: 'done', execs, queue: queue.length, features: seen.size } satisfies Report);
}

/* ---------------------------------------------------------------------------------------------------- main -- */

interface Summary {
  target: string;
  seconds: number;
  execs: number;
  queue: number;
  features: number;
  findings: { key: string; file: string; text: string }[];
  hangs: string[];
}

function runTarget(target: string, minutes: number, seed: number, out: string): Promise<Summary> {
  const corpusDir = join(repoRoot, 'test/fuzz/corpus', target);
  const t0 = Date.now();
  const deadline = t0 + minutes * 60_000;
  const summary: Summary = { target, seconds: 0, execs: 0, queue: 0, features: 0, findings: [], hangs: [] };
  let execBase = 0;
  return new Promise((resolve) => {
    const start = (restartSeed: number): void => {
      const shared = new SharedArrayBuffer(8 + MAX_LEN);
      const counters = new Int32Array(shared, 0, 2);
      const w = new Worker(new URL(import.meta.url), { workerData: { target, seed: restartSeed, deadline, out, corpusDir, shared } satisfies Job });
      let lastCount = -1;
      let lastChange = Date.now();
      const dog = setInterval(() => {
        const c = Atomics.load(counters, 1);
        // not before the first input ran: loading the target and the queue can take long on a loaded machine
        if (c !== lastCount || c === 0) {
          lastCount = c;
          lastChange = Date.now();
          return;
        }
        if (Date.now() - lastChange < HANG_MS) return;
        clearInterval(dog);
        const input = Buffer.from(new Uint8Array(shared, 8, Math.min(MAX_LEN, Atomics.load(counters, 0))));
        const file = join(out, 'findings', `hang-${hash(input)}`);
        mkdirSync(join(out, 'findings'), { recursive: true });
        writeFileSync(file, input);
        summary.hangs.push(file);
        console.log(`fuzz ${target}: hang (no progress for ${HANG_MS / 1000} s), input saved to ${file}; restarting`);
        execBase += c;
        w.removeAllListeners();
        void w.terminate().then(() => (Date.now() < deadline - 5000 ? start(restartSeed + 1) : finish()));
      }, 1000);
      w.on('message', (r: Report) => {
        if (r.kind === 'finding') {
          summary.findings.push({ key: r.key, file: r.file, text: r.text });
          console.log(`fuzz ${target}: FINDING ${r.key}\n  input: ${r.file}\n  ${r.text.split('\n').slice(0, 6).join('\n  ')}`);
        } else {
          summary.execs = execBase + r.execs;
          summary.queue = r.queue;
          summary.features = r.features;
          const s = (Date.now() - t0) / 1000;
          console.log(
            `fuzz ${target}: ${s.toFixed(0)} s, ${summary.execs} execs (${(summary.execs / s).toFixed(0)}/s), queue ${r.queue}, features ${r.features}, findings ${summary.findings.length + summary.hangs.length}`,
          );
          if (r.kind === 'done') {
            clearInterval(dog);
            void w.terminate().then(finish);
          }
        }
      });
      w.on('error', (e) => {
        clearInterval(dog);
        summary.findings.push({ key: `worker died: ${e.message}`, file: '', text: e.stack ?? e.message });
        console.log(`fuzz ${target}: worker died: ${e.stack ?? e.message}`);
        execBase += Atomics.load(counters, 1);
        if (Date.now() < deadline - 5000) start(restartSeed + 1);
        else finish();
      });
    };
    const finish = (): void => {
      summary.seconds = Math.round((Date.now() - t0) / 1000);
      writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 1));
      resolve(summary);
    };
    start(seed);
  });
}

/** Greedy set cover of the queue, smallest first, into the repository corpus (run in a worker for coverage). */
async function saveCorpus(target: string, out: string): Promise<number> {
  const w = new Worker(new URL(import.meta.url), { workerData: { save: true, target, out } });
  return new Promise((resolve, reject) => {
    w.once('message', (n: number) => void w.terminate().then(() => resolve(n)));
    w.once('error', reject);
  });
}

async function saveWorker(target: string, out: string): Promise<void> {
  const { Coverage } = await import('../test/fuzz/coverage.js');
  const mod = (await import(join(repoRoot, 'dist/test/fuzz/targets', `${target}.js`))) as TargetModule;
  const corpusDir = join(repoRoot, 'test/fuzz/corpus', target);
  const inputs = [...readDir(corpusDir), ...readDir(join(out, 'queue'))].filter((b) => b.length <= MAX_LEN).sort((a, b) => a.length - b.length);
  const cov = new Coverage();
  const seen = new Set<number>();
  const keep = new Map<string, Buffer>();
  for (const b of inputs) {
    try {
      const r = mod.fuzz(b);
      if (r) await r;
    } catch {
      continue; // findings are regression inputs, named by hand
    }
    let fresh = false;
    for (const f of cov.take())
      if (!seen.has(f)) {
        seen.add(f);
        fresh = true;
      }
    if (fresh && keep.size < SAVE_MAX_FILES) keep.set(hash(b), b);
  }
  mkdirSync(corpusDir, { recursive: true });
  const old = new Set(readdirSync(corpusDir));
  for (const [h, b] of keep) if (!old.has(h)) writeFileSync(join(corpusDir, h), b);
  // every finding (crash or hang) joins the corpus for good: the unit tier's replay always runs `finding-*` files
  for (const b of readDir(join(out, 'findings'))) if (!old.has(`finding-${hash(b)}`)) writeFileSync(join(corpusDir, `finding-${hash(b)}`), b);
  parentPort?.postMessage(keep.size);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
  };
  const name = args[0];
  if (!name || !(name === 'all' || (TARGETS as readonly string[]).includes(name))) {
    console.error(`usage: npm run fuzz -- TARGET [--minutes N] [--seed S] [--out DIR] [--save]\ntargets: ${TARGETS.join(', ')}, all`);
    process.exit(2);
  }
  const minutes = Number(opt('--minutes', '1'));
  const seed = Number(opt('--seed', String(Date.now() % 1_000_000)));
  const list = name === 'all' ? [...TARGETS] : [name];
  let findings = 0;
  for (const t of list) {
    const out = join(opt('--out', join(tmpdir(), 'keepalived-ts-fuzz')), t);
    mkdirSync(out, { recursive: true });
    console.log(`fuzz ${t}: ${minutes} min, seed ${seed}, work dir ${out}`);
    const s = await runTarget(t, minutes, seed, out);
    findings += s.findings.length + s.hangs.length;
    console.log(
      `fuzz ${t}: done: ${s.seconds} s, ${s.execs} execs (${(s.execs / Math.max(1, s.seconds)).toFixed(0)}/s), queue ${s.queue}, features ${s.features}, findings ${s.findings.length}, hangs ${s.hangs.length}`,
    );
    if (args.includes('--save')) console.log(`fuzz ${t}: corpus saved: ${await saveCorpus(t, out)} inputs in test/fuzz/corpus/${t}`);
  }
  process.exitCode = findings ? 1 : 0;
}

if (isMainThread) void main();
else if ((workerData as { save?: boolean }).save) void saveWorker((workerData as { target: string }).target, (workerData as { out: string }).out);
else void workerMain(workerData as Job);
