/**
 * The netns chaos soak's seeded draws: the cluster (node count, implementations, priorities, nopreempt,
 * preempt_delay, VIP lists) and then one disturbance after another, each complete before it runs, so that a seed
 * names the same cluster and the same sequence of disturbances on every run (`npm run soak -- --seed S --dry-run`
 * prints it). Only how many disturbances fit depends on the wall clock.
 */
import { randomInt, seededRng, type Rng } from '../../src/core/rng.js';
import { DISTURBANCES as SIM_DISTURBANCES } from './chaos.js';
import { SOAK_VRIDS, type ClusterPlan, type NodePlan } from './netns-cluster.js';

/** The disturbance kinds: the simulator soak's, plus a CPU hog in one node's namespace. */
export const NETNS_DISTURBANCES = [...SIM_DISTURBANCES, 'cpuHog'] as const;
/** One kind of disturbance. */
export type NetnsDisturbance = (typeof NETNS_DISTURBANCES)[number];

/** One drawn disturbance: what, on whom, for how long (ms), and the quiet time after its settle bound (ms). */
export type Step = {
  readonly who: string;
  readonly durationMs: number;
  readonly gapMs: number;
} & (
  | { readonly kind: 'linkFlap' | 'oneWayLoss' | 'freeze' | 'crash' | 'tracker' | 'cpuHog' }
  | { readonly kind: 'partition'; readonly side: readonly string[]; readonly other: readonly string[] }
  | { readonly kind: 'lossDelay'; readonly lossPercent: number; readonly delayMs: number }
  /** `changed`: SOAK_VRIDS indexes; `vips`: every node's VIP lists toggle, else `who`'s priorities become `newPriorities`. */
  | { readonly kind: 'reload'; readonly changed: readonly number[]; readonly vips: boolean; readonly newPriorities: readonly number[] }
);

/** A seed's cluster and its stream of disturbances. */
export interface Drawn {
  readonly plans: NodePlan[];
  readonly cluster: ClusterPlan;
  /** The next disturbance. */
  next(): Step;
}

/** Draws the cluster of `seed` (3–5 nodes unless `nodes`; ours and keepalived alternate, n0 is ours). */
export function draw(seed: number, nodes?: number): Drawn {
  const rng = seededRng(seed * 2654435761);
  const count = nodes ?? randomInt(rng, 3, 5);
  const cluster: ClusterPlan = { preemptDelay: rng.next() < 0.3, extraVip: SOAK_VRIDS.map(() => rng.next() < 0.5) };
  const plans: NodePlan[] = [];
  for (let i = 0; i < count; i++) {
    const priorities = SOAK_VRIDS.map(() => randomInt(rng, 2, 25) * 10);
    const nopreempt = SOAK_VRIDS.map(() => rng.next() < 0.15);
    // A sync group's members share one priority and preempt mode on a node (as operators configure them).
    priorities[1] = priorities[0]!;
    nopreempt[1] = nopreempt[0]!;
    plans.push({ name: `n${i}`, impl: i % 2 === 0 ? 'ours' : 'keepalived', priorities, nopreempt });
  }
  const names = plans.map((p) => p.name);
  return { plans, cluster, next: () => drawStep(rng, names) };
}

function drawStep(rng: Rng, names: readonly string[]): Step {
  const kind = NETNS_DISTURBANCES[randomInt(rng, 0, NETNS_DISTURBANCES.length - 1)]!;
  let who = names[randomInt(rng, 0, names.length - 1)]!;
  const durationMs = randomInt(rng, 100, 6000);
  const gapMs = randomInt(rng, 500, 3000);
  const base = { who, durationMs, gapMs };
  switch (kind) {
    case 'partition': {
      const side = names.filter(() => rng.next() < 0.5);
      if (side.length === 0 || side.length === names.length) side.splice(0, side.length, who);
      return { ...base, kind, side, other: names.filter((n) => !side.includes(n)) };
    }
    case 'lossDelay':
      return { ...base, kind, lossPercent: Math.floor(rng.next() * 50), delayMs: randomInt(rng, 0, 300) };
    case 'reload': {
      // One node's priorities, or every node's VIP lists (a rolling reload); sync-group members change together.
      const changed = new Set<number>();
      for (let k = 0; k < SOAK_VRIDS.length; k++) if (rng.next() < 0.35) changed.add(k);
      if (changed.has(0) || changed.has(1)) changed.add(0).add(1);
      const vips = rng.next() < 0.4;
      const newPriorities = SOAK_VRIDS.map(() => randomInt(rng, 2, 25) * 10);
      newPriorities[1] = newPriorities[0]!;
      return { ...base, kind, changed: [...changed].sort((a, b) => a - b), vips, newPriorities };
    }
    case 'crash':
      // n0 is never killed, so that its RSS covers the whole run.
      if (who === names[0]) who = names[randomInt(rng, 1, names.length - 1)]!;
      return { ...base, who, kind };
    default:
      return { ...base, kind };
  }
}

/** One line describing a step, for the event log and --dry-run. */
export function describe(s: Step): string {
  switch (s.kind) {
    case 'linkFlap':
      return `link down ${s.who}`;
    case 'partition':
      return `partition [${s.side.join(',')}] | [${s.other.join(',')}]`;
    case 'oneWayLoss':
      return `one-way loss: nothing from ${s.who} arrives`;
    case 'lossDelay':
      return `loss ${s.lossPercent} %, delay ${s.delayMs} ms where netem exists`;
    case 'freeze':
      return `SIGSTOP ${s.who}`;
    case 'crash':
      return `SIGKILL ${s.who}`;
    case 'tracker':
      return `tracker chk fails on ${s.who}`;
    case 'cpuHog':
      return `CPU hog in ${s.who}`;
    case 'reload':
      return `SIGHUP ${s.vips ? 'every node' : s.who}: ${s.vips ? 'VIP lists' : 'priorities'} of [${s.changed.map((k) => SOAK_VRIDS[k]!.name).join(',')}] changed`;
  }
}
