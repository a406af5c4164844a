/**
 * The seeded chaos soak in the deterministic simulator (no root): a cluster of 3–5 nodes with several VRIDs (a
 * VRRPv2 pair of VRIDs at 1 s in a sync group, VRRPv3 VRIDs at 1 s and at 0.05 s), and a schedule of
 * disturbances drawn from one seed: link flaps, partitions, one-way loss, packet loss and delay, node freeze
 * (SIGSTOP), crash + restart, reloads with changed and unchanged instances, tracker flips.
 *
 * Disturbances come one at a time: each starts, lasts a while, is reverted ("the network allows it again"), and the
 * cluster gets the settle bound (Master_Down_Interval + one advert interval + the link's worst latency, plus the
 * preempt delay) before the next one. Invariants, checked after every instant of virtual time:
 * - once settled: exactly one MASTER per VRID among live nodes, and exactly one holder per VIP (a preemption's
 *   hand-over may show two for at most one link latency, the time the new master's first advert takes);
 * - once settled: the MASTER has sent GARP since it last became MASTER, and no instance is in FAULT;
 * - a reload never flaps an instance it did not change (no transition, no VIP removed, until the next disturbance).
 * A violation names the seed and the event log, so `runChaos(seed)` replays it exactly.
 */
import { seededRng, randomInt } from '../../src/core/rng.js';
import { masterDownInterval } from '../../src/vrrp/timers.js';
import type { VrrpInstanceParamsInput } from '../../src/vrrp/instance-params.js';
import { stateName, VrrpState } from '../../src/vrrp/types.js';
import { SimNetwork, type SimNode } from '../sim/network.js';

/** The kinds of disturbance the schedule draws from. */
export const DISTURBANCES = ['linkFlap', 'partition', 'oneWayLoss', 'lossDelay', 'freeze', 'crash', 'reload', 'tracker'] as const;
/** One kind of disturbance. */
export type Disturbance = (typeof DISTURBANCES)[number];

/** The outcome of one seed. */
export interface ChaosResult {
  readonly seed: number;
  readonly nodes: number;
  readonly disturbances: number;
  /** Invariant violations, each a sentence with its virtual time. */
  readonly violations: readonly string[];
  /** What happened: disturbances and state changes, one line each, for replay. */
  readonly log: readonly string[];
  /** Disturbances by kind. */
  readonly counts: Readonly<Record<Disturbance, number>>;
}

/** Options of one run. */
export interface ChaosOptions {
  /** Virtual duration in ms (default 10 min). */
  readonly horizonMs?: number;
  /** Node count; default drawn from the seed in 3..5. */
  readonly nodes?: number;
}

const MAX_LATENCY_MS = 2;
const TRACKER = 'chk';

interface VridSpec {
  readonly name: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly advertIntervalMs: number;
}
/** The cluster's instances: a v2 sync group at 1 s, a v3 VRID at 1 s and a v3 VRID at 0.05 s. */
export const VRIDS: readonly VridSpec[] = [
  { name: 'VI_G1', vrid: 10, version: 2, advertIntervalMs: 1000 },
  { name: 'VI_G2', vrid: 11, version: 2, advertIntervalMs: 1000 },
  { name: 'VI_3', vrid: 30, version: 3, advertIntervalMs: 1000 },
  { name: 'VI_F', vrid: 50, version: 3, advertIntervalMs: 50 },
];
/** The sync group of the first two VRIDS. */
export const GROUPS = { SG: ['VI_G1', 'VI_G2'] };

/** Per-node configuration: priorities differ per VRID so that different nodes win different VRIDs. */
export interface NodeConfig {
  priorities: number[];
  nopreempt: boolean[];
}

/** The instances of node `index` (address 192.0.2.index+1), tracking the script `chk`. */
export function instancesOf(index: number, cfg: NodeConfig, extraVip: readonly boolean[], preemptDelayMs: number): VrrpInstanceParamsInput[] {
  return VRIDS.map((v, k) => ({
    name: v.name,
    vrid: v.vrid,
    version: v.version,
    advertIntervalMs: v.advertIntervalMs,
    primaryAddress: `192.0.2.${index + 1}`,
    priority: cfg.priorities[k]!,
    nopreempt: cfg.nopreempt[k]!,
    preemptDelayMs: k === 2 ? preemptDelayMs : 0,
    vips: extraVip[k]! ? [`203.0.113.${v.vrid}`, `198.51.100.${v.vrid}`] : [`203.0.113.${v.vrid}`],
    trackers: [{ kind: 'script', name: TRACKER, weight: -60, reverse: false }],
  }));
}

/** The settle bound of one VRID: Master_Down_Interval of its lowest priority + one advert interval + latency. */
function settleBound(v: VridSpec, preemptDelayMs: number): number {
  return masterDownInterval(v.version, 1, v.advertIntervalMs, 3) + v.advertIntervalMs + MAX_LATENCY_MS + preemptDelayMs;
}

/** Runs one seed of the chaos schedule and checks the invariants all the time. */
export function runChaos(seed: number, options: ChaosOptions = {}): ChaosResult {
  const rng = seededRng(seed * 2654435761);
  const horizon = options.horizonMs ?? 600_000;
  const count = options.nodes ?? randomInt(rng, 3, 5);
  const preemptDelayMs = rng.next() < 0.3 ? 2000 : 0;
  const net = new SimNetwork({ latencyMs: 1, jitterMs: MAX_LATENCY_MS - 1, loss: 0, duplicate: 0.02 }, seed);
  net.recordAll = process.env.SOAK_DEBUG === '1';
  const names: string[] = [];
  const configs: NodeConfig[] = [];
  // VIP lists are the same on every node (a mismatch is a misconfiguration: adverts are dropped, as keepalived does).
  const extraVip = VRIDS.map(() => rng.next() < 0.5);
  for (let i = 0; i < count; i++) {
    const cfg: NodeConfig = {
      priorities: VRIDS.map(() => randomInt(rng, 2, 25) * 10),
      nopreempt: VRIDS.map(() => rng.next() < 0.15),
    };
    // A sync group's members share one priority on a node (as operators configure them).
    cfg.priorities[1] = cfg.priorities[0]!;
    cfg.nopreempt[1] = cfg.nopreempt[0]!;
    configs.push(cfg);
    names.push(`N${i}`);
    net.addNode(`N${i}`, instancesOf(i, cfg, extraVip, preemptDelayMs), GROUPS);
  }
  const settle = Math.max(...VRIDS.map((v) => settleBound(v, preemptDelayMs)));
  const log: string[] = [];
  const violations: string[] = [];
  const counts = Object.fromEntries(DISTURBANCES.map((d) => [d, 0])) as Record<Disturbance, number>;
  const say = (text: string) => log.push(`${(net.now / 1000).toFixed(3)} ${text}`);
  const violate = (text: string) => {
    if (violations.length < 20) {
      violations.push(`t=${(net.now / 1000).toFixed(3)} ${text}`);
      say(`VIOLATION ${text}`);
    }
  };

  // The world outside the routers: tracker results, which the routers are told again after a restart.
  const trackerOk = new Map(names.map((n) => [n, true]));
  let shaping: ((from: SimNode, to: SimNode) => { drop: boolean; delayMs: number }) | undefined;
  const shapeRng = seededRng(seed ^ 0x5eed);
  net.shaper = (from, to) => shaping?.(from, to) ?? { drop: false, delayMs: 0 };

  /** Virtual time from which the invariants hold (the last revert + the settle bound). */
  let settledFrom = settle + 1000;
  /** Unchanged instances of a reload: [node, instance], watched until the next disturbance. */
  let frozenByReload: { nodes: Set<string>; instances: Set<string>; until: number } | undefined;
  const lastWon = new Map<string, number>();
  const lastGarp = new Map<string, number>();
  let seen = 0;
  const overlapSince = new Map<string, number>();

  const tellTracker = (name: string) => {
    const n = net.node(name);
    if (!n.alive) return;
    for (const v of VRIDS) net.inject(name, v.name, { type: 'tracker', result: { kind: 'script', name: TRACKER, ok: trackerOk.get(name)! } });
  };

  net.afterStep = () => {
    // Follow the timeline: state changes (for the log, GARP since winning, reload flaps) and GARP bursts.
    for (; seen < net.timeline.length; seen++) {
      const e = net.timeline[seen]!;
      if (e.kind === 'state') {
        say(`${e.node} ${e.instance} ${stateName(e.from)} -> ${stateName(e.to)}`);
        if (e.to === VrrpState.MASTER) lastWon.set(`${e.node}/${e.instance}`, net.now);
        if (
          frozenByReload !== undefined &&
          frozenByReload.nodes.has(e.node) &&
          frozenByReload.instances.has(e.instance) &&
          net.now <= frozenByReload.until
        ) {
          violate(`reload flapped unchanged ${e.node} ${e.instance}: ${stateName(e.from)} -> ${stateName(e.to)}`);
        }
      } else if (e.kind === 'garp') {
        lastGarp.set(`${e.node}/${e.instance}`, net.now);
      }
    }
    if (net.now < settledFrom) return;
    for (const n of net.nodes) {
      if (!n.alive) continue;
      for (const inst of n.router.instances())
        if (inst.fsm.state === VrrpState.FAULT) violate(`${n.name} ${inst.fsm.name} is still in FAULT with its link up`);
    }
    for (const v of VRIDS) {
      const masters = net.masters(v.name);
      // A preemption is a hand-over: the new master's first advert takes one link latency to reach the old one.
      if (masters.length > 1) {
        const since = overlapSince.get(v.name) ?? net.now;
        overlapSince.set(v.name, since);
        if (net.now - since <= MAX_LATENCY_MS) continue;
      } else overlapSince.delete(v.name);
      if (masters.length !== 1) {
        violate(
          `${v.name} (VRID ${v.vrid}) has ${masters.length} masters [${masters.join(',')}] ${net.now - settledFrom + settle} ms after the network allowed one`,
        );
        continue;
      }
      const m = masters[0]!;
      const key = `${m}/${v.name}`;
      if ((lastGarp.get(key) ?? -1) < (lastWon.get(key) ?? Infinity)) violate(`${m} ${v.name} is MASTER without GARP since it won`);
      for (const vip of net.node(m).router.instance(v.name)!.spec.params.vips) {
        const holders = net.holdersOf(vip);
        if (holders.length !== 1 || holders[0] !== m) violate(`VIP ${vip} of ${v.name} held by [${holders.join(',')}], master ${m}`);
      }
    }
  };

  // The schedule: one disturbance at a time, reverted, then the settle bound.
  let t = settle + 2000;
  let disturbances = 0;
  while (t < horizon - settle - 5000) {
    const kind = DISTURBANCES[randomInt(rng, 0, DISTURBANCES.length - 1)]!;
    const who = names[randomInt(rng, 0, names.length - 1)]!;
    const duration = randomInt(rng, 100, 6000);
    const start = t;
    const end = kind === 'reload' ? start + 100 : start + duration;
    disturbances++;
    counts[kind]++;
    const revert = (text: string, fn: () => void) =>
      net.at(end, () => {
        say(`revert ${text}`);
        fn();
        settledFrom = net.now + settle;
      });
    // Invariants are suspended from the start of a disturbance until its revert has settled.
    net.at(start, () => {
      settledFrom = Infinity;
    });
    switch (kind) {
      case 'linkFlap':
        net.at(start, () => {
          say(`link down ${who}`);
          net.setLink(who, false);
        });
        revert(`link up ${who}`, () => net.setLink(who, true));
        break;
      case 'partition': {
        const side = names.filter(() => rng.next() < 0.5);
        if (side.length === 0 || side.length === names.length) side.splice(0, side.length, who);
        const other = names.filter((n) => !side.includes(n));
        net.at(start, () => {
          say(`partition [${side.join(',')}] | [${other.join(',')}]`);
          net.partition(side, other);
        });
        revert('heal', () => net.heal());
        break;
      }
      case 'oneWayLoss':
        net.at(start, () => {
          say(`one-way loss: nothing from ${who} arrives`);
          shaping = (from) => ({ drop: from.name === who, delayMs: 0 });
        });
        revert('one-way loss', () => {
          shaping = undefined;
        });
        break;
      case 'lossDelay': {
        const loss = rng.next() * 0.5;
        const delay = randomInt(rng, 0, 300);
        net.at(start, () => {
          say(`loss ${(loss * 100).toFixed(0)} % delay up to ${delay} ms`);
          shaping = () => ({ drop: shapeRng.next() < loss, delayMs: shapeRng.next() * delay });
        });
        revert('loss/delay', () => {
          shaping = undefined;
        });
        break;
      }
      case 'freeze':
        net.at(start, () => {
          say(`SIGSTOP ${who}`);
          net.freeze(who);
        });
        revert(`SIGCONT ${who}`, () => net.thaw(who));
        break;
      case 'crash':
        net.at(start, () => {
          say(`SIGKILL ${who}`);
          net.crash(who);
        });
        revert(`restart ${who}`, () => {
          net.start(who);
          tellTracker(who);
        });
        break;
      case 'tracker':
        net.at(start, () => {
          say(`tracker ${TRACKER} fails on ${who}`);
          trackerOk.set(who, false);
          tellTracker(who);
        });
        revert(`tracker ${TRACKER} ok on ${who}`, () => {
          trackerOk.set(who, true);
          tellTracker(who);
        });
        break;
      case 'reload': {
        // Either one node's priorities change (a local edit), or a VIP list changes on every node (a rolling
        // reload, 10 ms apart). Sync-group members change together; the other instances must not move.
        const changed = new Set<number>();
        for (let k = 0; k < VRIDS.length; k++) if (rng.next() < 0.35) changed.add(k);
        if (changed.has(0) || changed.has(1)) {
          changed.add(0);
          changed.add(1);
        }
        const vips = rng.next() < 0.4;
        const newPrio = VRIDS.map(() => randomInt(rng, 2, 25) * 10);
        const targets = vips ? names : [who];
        const unchanged = new Set(VRIDS.filter((_, k) => !changed.has(k)).map((v) => v.name));
        net.at(start, () => {
          say(
            `SIGHUP ${targets.join(',')}: ${vips ? 'VIP lists' : 'priorities'} of [${VRIDS.filter((_, k) => changed.has(k))
              .map((v) => v.name)
              .join(',')}] changed`,
          );
          frozenByReload = { nodes: new Set(targets), instances: unchanged, until: start + settle };
          for (const k of [...changed].sort((x, y) => x - y)) {
            if (vips) extraVip[k] = !extraVip[k];
            else {
              const cfg = configs[names.indexOf(who)]!;
              cfg.priorities[k] = k === 1 ? cfg.priorities[0]! : newPrio[k]!;
            }
          }
        });
        targets.forEach((n, j) =>
          net.at(start + j * 10, () => net.reload(n, instancesOf(names.indexOf(n), configs[names.indexOf(n)]!, extraVip, preemptDelayMs), GROUPS)),
        );
        net.at(start + targets.length * 10, () => {
          settledFrom = net.now + settle;
        });
        break;
      }
    }
    t = end + settle + randomInt(rng, 500, 3000);
  }
  net.start();
  net.runUntil(horizon);
  if (process.env.SOAK_DEBUG === '1') {
    const [from, to] = (process.env.SOAK_DEBUG_WINDOW ?? '0-10').split('-').map((x) => Number(x) * 1000);
    for (const n of names) for (const l of net.logs(n)) if (l.t >= from! && l.t <= to!) console.log(n, (l.t / 1000).toFixed(3), l.text);
  }
  return { seed, nodes: count, disturbances, violations, log, counts };
}
