/**
 * Benchmark (root only): split-brain heals on the wire (issue 14), keepalived 2.2.7 and ours side by side in one
 * run. For each pair, KTS_BENCH_HEALS (default 20) partitions with carriers up, each healed at a random phase of
 * both advert timers (test/netns/harness/heal.ts); per heal, the delay from the loser's step-down to the winner's
 * next GARP, from tcpdump timestamps on the loser's interface. A heal "re-announced" when that GARP came within
 * 10 ms (the issue's goal), "later" when it came later but before the next heal (e.g. keepalived's second burst
 * vrrp_garp_master_delay after an event), "never" when none came before the next heal (or the end). KTS_BENCH_PAIRS (comma list of the keys below) chooses.
 * Nothing is asserted. Run: npm run bench -- heal
 */
import { onEveryExit, runBench, Topology } from '../test/netns/harness/topology.js';
import { Daemons } from '../test/netns/harness/daemons.js';
import { runHeals, type Impl } from '../test/netns/harness/heal.js';

const HEALS = Number(process.env['KTS_BENCH_HEALS']) > 0 ? Number(process.env['KTS_BENCH_HEALS']) : 20;
const HPSA = '  higher_prio_send_advert\n';

interface Pair {
  readonly label: string;
  readonly winner: Impl;
  readonly loser: Impl;
  readonly winnerExtra?: string;
  readonly loserExtra?: string;
}
const PAIRS: Record<string, Pair> = {
  keepalived: { label: 'keepalived 2.2.7 + keepalived 2.2.7 (defaults)', winner: 'keepalived', loser: 'keepalived' },
  'keepalived-hpsa': {
    label: 'keepalived 2.2.7 + keepalived 2.2.7, higher_prio_send_advert',
    winner: 'keepalived',
    loser: 'keepalived',
    winnerExtra: HPSA,
    loserExtra: HPSA,
  },
  ours: { label: 'keepalived-ts + keepalived-ts (defaults)', winner: 'ours', loser: 'ours' },
  'ours-wins': {
    label: 'keepalived-ts wins, keepalived 2.2.7 (higher_prio_send_advert) loses',
    winner: 'ours',
    loser: 'keepalived',
    loserExtra: HPSA,
  },
  'keepalived-wins': { label: 'keepalived 2.2.7 wins, keepalived-ts loses', winner: 'keepalived', loser: 'ours' },
};
const chosen = (process.env['KTS_BENCH_PAIRS'] ?? Object.keys(PAIRS).join(',')).split(',').map((k) => {
  const p = PAIRS[k.trim()];
  if (!p) throw new Error(`KTS_BENCH_PAIRS: unknown ${k} (have ${Object.keys(PAIRS).join(', ')})`);
  return p;
});

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-bench-heal-');
const cleanup = onEveryExit(() => {
  topo.destroy();
  d.removeDir();
});

const quantile = (xs: readonly number[], q: number): number =>
  xs.length ? xs.slice().sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : NaN;
const ms = (s: number): string => (Number.isFinite(s) ? (s * 1000).toFixed(2) : '-');

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const p of chosen) {
    const problems: string[] = [];
    const r = await runHeals(topo, d, {
      ...p,
      heals: HEALS,
      vip: '192.0.2.190',
      check: (what, ok) => {
        if (!ok) problems.push(what);
      },
    });
    const measured = r.filter((x) => !x.problem);
    const delays = measured.map((x) => x.delayS).filter(Number.isFinite);
    const within = measured.filter((x) => x.delayS >= 0 && x.delayS <= 0.01).length;
    rows.push(
      `| ${p.label} | ${r.length} | ${within} | ${delays.length - within} | ${measured.length - delays.length} | ` +
        `${measured.filter((x) => x.loserFirst).length} | ${ms(quantile(delays, 0.5))} | ${ms(Math.max(...delays))} | ${problems.length + r.length - measured.length} |`,
    );
    console.error(`done: ${p.label}${problems.length ? ` (${problems.join('; ')})` : ''}`);
  }
  console.log(`Split-brain heals, ${HEALS} per pair, random phase; delay = winner's GARP after the loser's step-down (tcpdump on the loser)`);
  console.log("| pair | heals | re-announced ≤ 10 ms | later | never | loser's advert crossed first | median ms | max ms | unmeasured / problems |");
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

runBench(main, cleanup);
