#!/usr/bin/env node
// Runs the compiled benchmarks (dist/bench/*.js), or only those whose name contains an argument.
//   npm run bench            -> every benchmark
//   npm run bench -- vrrp    -> dist/bench/vrrp-sim.js
// Benchmarks print tables; none of them is a test and none asserts speed.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = new URL('../dist/bench/', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .sort()
  : [];
const chosen = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (chosen.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ') || '(any)'}; have: ${files.join(', ')}`);
  process.exit(1);
}
let status = 0;
for (const f of chosen) {
  console.log(`\n## ${f}`);
  const r = spawnSync(process.execPath, [join(dir, f)], { stdio: 'inherit' });
  status ||= r.status ?? 1;
}
process.exit(status);
