#!/usr/bin/env node
/**
 * Checks that two builds of the configuration layer read every configuration alike (issue 17, sixth pass: the
 * parser was made faster without changing what it produces):
 *
 *   node scripts/config-same.mjs <before>/dist <after>/dist [mutants per config = 20] [more configuration files…]
 *
 * For each case, both builds' `loadConfigTree` and `loadConfig` (with a seeded `${_RANDOM}` and a fake host for the
 * interface and script checks) are dumped as JSON — the block tree, the typed model with every position, and every
 * diagnostic with its file:line:col, severity and flags — and the two texts must be equal byte for byte. Cases: the
 * unit tests' corpus (test/unit/config/corpus.ts: Debian's samples, the seed configs, every keepalived keyword with a
 * good and a bad value, preprocessor and exit-status cases), seeded mutants of each (byte flips, deletions,
 * duplicated lines, stray braces, definitions, includes: scripts/config-mutate.ts), and the files named after the
 * count (e.g. the large configurations bench/compare.ts and bench/config-parse.ts write), each also with CRLF line ends.
 * Prints the number of cases and exits 1 after the third difference.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [beforeDir, afterDir, mutantsArg, ...files] = process.argv.slice(2);
if (!beforeDir || !afterDir) {
  console.error('usage: node scripts/config-same.mjs <before dist dir> <after dist dir> [mutants per config]');
  process.exit(2);
}
const MUTANTS = Number(mutantsArg ?? 20);
const load = async (dir) => ({
  config: await import(pathToFileURL(resolve(dir, 'src/config/index.js')).href),
  rng: await import(pathToFileURL(resolve(dir, 'src/core/rng.js')).href),
});
const before = await load(beforeDir);
const after = await load(afterDir);
const { corpus } = await import(pathToFileURL(resolve(afterDir, 'test/unit/config/corpus.js')).href);
const { memFs, mutate, pick } = await import(pathToFileURL(resolve(afterDir, 'scripts/config-mutate.js')).href);

/** A host where `eth0`, `eth1` and `kad0` exist, `lo` is the loopback, and scripts under /bin and /usr exist. */
const host = {
  interfaceKind: (n) => (n === 'lo' ? 'loopback' : ['eth0', 'eth1', 'kad0'].includes(n) ? 'ok' : 'missing'),
  scriptFound: (p) => p.startsWith('/bin/') || p.startsWith('/usr/'),
  scriptMissing: (p) => !p.startsWith('/'),
  userExists: (u) => u === 'root' || u === 'nobody',
};

const MAIN = '/etc/keepalived/keepalived.conf';
function dump(build, files, configId) {
  const opts = () => ({ configId: configId ?? 'node1', fs: memFs(files), rng: build.rng.seededRng(7) });
  const tree = build.config.loadConfigTree(MAIN, opts());
  const loaded = build.config.loadConfig(MAIN, { ...opts(), host });
  return JSON.stringify({ tree, loaded });
}

const rng = after.rng.seededRng(1);

const cases = [];
const texts = corpus();
for (const c of texts) cases.push({ name: c.name, files: { [MAIN]: c.text }, configId: c.configId });
const others = texts.map((c) => c.text);
for (const c of texts)
  for (let m = 0; m < MUTANTS; m++) {
    const fs = { [MAIN]: mutate(rng, c.text, others) };
    if (m % 4 === 0) fs['/etc/keepalived/inc.conf'] = mutate(rng, pick(rng, others), others);
    cases.push({ name: `${c.name} mutant ${m}`, files: fs, configId: c.configId });
  }
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  cases.push({ name: f, files: { [MAIN]: text } }, { name: `${f}, CRLF`, files: { [MAIN]: text.replace(/\n/g, '\r\n') } });
}

let differ = 0;
for (const c of cases) {
  const a = dump(before, c.files, c.configId);
  const b = dump(after, c.files, c.configId);
  if (a === b) continue;
  differ++;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  console.log(`DIFFERENT: ${c.name}\n  before: …${a.slice(Math.max(0, i - 200), i + 200)}\n  after:  …${b.slice(Math.max(0, i - 200), i + 200)}`);
  if (differ >= 3) break;
}
console.log(`${cases.length} cases, ${differ} different`);
process.exit(differ ? 1 : 0);
