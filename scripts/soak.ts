/**
 * The chaos soak driver.
 *   npm run soak -- --minutes N [--nodes K] [--seed S] [--verbose]   on the wire (root): netns, ours + keepalived 2.2.7
 *     (--daemon-logs DIR: each daemon's own output there at the end, for diagnosis)
 *   npm run soak -- --seed S [--nodes K] --dry-run                     the cluster and first disturbances a seed draws
 *   npm run soak -- --sim --seeds N [--from S] [--minutes M] [--nodes K]   deterministic simulator, no root
 *   npm run soak -- --sim --seed S --verbose                                one seed, with its event log (replay)
 * Ends with `soak: N disturbances, M violations`; exits 1 on any violation, printing the seed and its event log.
 */
import { parseArgs } from 'node:util';
import { DISTURBANCES, runChaos } from '../test/soak/chaos.js';
import { runNetnsSoak } from '../test/soak/netns.js';
import { describe, draw } from '../test/soak/netns-schedule.js';

const { values } = parseArgs({
  options: {
    sim: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    seed: { type: 'string' },
    from: { type: 'string' },
    minutes: { type: 'string' },
    nodes: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    'daemon-logs': { type: 'string' },
  },
});

if (!values.sim) await wire();
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

/** The soak on the wire: one seed, in real time; exits. */
async function wire(): Promise<never> {
  if (process.getuid?.() !== 0 && !values['dry-run']) {
    console.error('soak: the netns soak needs root (network namespaces); `--sim` runs the simulator soak without it');
    process.exit(2);
  }
  const seed = Number(values.seed ?? 1);
  const minutes = Number(values.minutes ?? 10);
  const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
  if (values['dry-run']) {
    const drawn = draw(seed, nodes);
    for (const p of drawn.plans)
      console.log(`${p.name} ${p.impl} priorities [${p.priorities.join(',')}] nopreempt [${p.nopreempt.map(Number).join('')}]`);
    console.log(`preempt_delay ${drawn.cluster.preemptDelay}, second VIP [${drawn.cluster.extraVip.map(Number).join('')}]`);
    for (let i = 0; i < minutes * 6; i++) console.log(describe(drawn.next()));
    process.exit(0);
  }
  const r = await runNetnsSoak({
    seed,
    minutes,
    nodes,
    onLog: values.verbose ? (l) => console.log(`  ${l}`) : undefined,
    daemonLogDir: values['daemon-logs'],
  });
  if (r.violations.length > 0) {
    console.log(
      `seed ${seed}: ${r.violations.length} violations — replay: npm run soak -- --seed ${seed} --minutes ${minutes}${nodes ? ` --nodes ${nodes}` : ''} --verbose`,
    );
    for (const v of r.violations) console.log(`  ${v}`);
    if (!values.verbose) for (const line of r.log) console.log(`    ${line}`);
  }
  console.log(
    `# ${r.nodes.map((p) => `${p.name} ${p.impl}`).join(', ')}; loss by ${r.lossMethod}; ${Object.entries(r.counts)
      .map(([k, c]) => `${k} ${c}`)
      .join(', ')}`,
  );
  for (const f of r.rss)
    if (f.minutes >= 1)
      console.log(
        `# RSS ${f.node} ${f.impl} ${f.role} pid ${f.pid}: ${f.minutes.toFixed(1)} min, ${f.at5min === undefined ? '' : `${(f.at5min / 1024).toFixed(1)} MiB at 5 min, `}${(f.last / 1024).toFixed(1)} MiB at the end; floors ${f.baselineFloor === undefined ? '-' : (f.baselineFloor / 1024).toFixed(1)} MiB (min 5–10) → ${(f.endFloor / 1024).toFixed(1)} MiB (last 5 min)`,
      );
  console.log(`soak: ${r.disturbances} disturbances, ${r.violations.length} violations`);
  process.exit(r.violations.length > 0 ? 1 : 0);
}
