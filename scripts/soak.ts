/**
 * The chaos soak driver.
 *   npm run soak -- --sim --seeds N [--from S] [--minutes M] [--nodes K]   deterministic simulator, no root
 *   npm run soak -- --sim --seed S --verbose                                one seed, with its event log (replay)
 * Ends with `soak: N disturbances, M violations`; exits 1 on any violation, printing the seed and its event log.
 */
import { parseArgs } from 'node:util';
import { DISTURBANCES, runChaos } from '../test/soak/chaos.js';

const { values } = parseArgs({
  options: {
    sim: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    seed: { type: 'string' },
    from: { type: 'string' },
    minutes: { type: 'string' },
    nodes: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

if (!values.sim) {
  console.error('soak: only the simulator soak (--sim) exists so far; the netns soak is not built');
  process.exit(2);
}
const first = Number(values.seed ?? values.from ?? 1);
const n = values.seed !== undefined ? 1 : Number(values.seeds ?? 100);
const horizonMs = Number(values.minutes ?? 10) * 60_000;
const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
let disturbances = 0;
let violations = 0;
const kinds = Object.fromEntries(DISTURBANCES.map((d) => [d, 0]));
const started = Date.now();
for (let seed = first; seed < first + n; seed++) {
  const r = runChaos(seed, { horizonMs, nodes });
  disturbances += r.disturbances;
  violations += r.violations.length;
  for (const d of DISTURBANCES) kinds[d]! += r.counts[d];
  if (r.violations.length > 0 || values.verbose) {
    console.log(
      `seed ${seed} (${r.nodes} nodes): ${r.violations.length} violations${r.violations.length ? ` — replay: npm run soak -- --sim --seed ${seed} --minutes ${horizonMs / 60_000}${nodes ? ` --nodes ${nodes}` : ''} --verbose` : ''}`,
    );
    for (const v of r.violations) console.log(`  ${v}`);
    for (const line of r.log) console.log(`    ${line}`);
  }
}
console.log(
  `# ${n} seeds × ${horizonMs / 60_000} virtual min in ${((Date.now() - started) / 1000).toFixed(1)} s; ${DISTURBANCES.map((d) => `${d} ${kinds[d]}`).join(', ')}`,
);
console.log(`soak: ${disturbances} disturbances, ${violations} violations`);
process.exit(violations > 0 ? 1 : 0);
