/**
 * The chaos soak on the wire (root only): 3–5 nodes in network namespaces joined by a bridge, keepalived-ts and
 * Debian's keepalived 2.2.7 alternating (n0 is ours), running the VRIDs of netns-cluster.ts (a VRRPv2 sync group,
 * VRRPv3 at 1 s and 0.05 s, an IPv6 VRID). One disturbance at a time, drawn from the seed like the simulator soak's
 * (test/soak/chaos.ts), plus a CPU hog: each starts, lasts 0.1–6 s, is reverted ("the network allows it again"),
 * and the cluster then has the settle bound before the next one.
 *
 * Invariants, from rtnetlink address events and a capture on the bridge (netns-watch.ts), never from logs:
 * - from the settle bound on (Master_Down_Interval of the slowest backup + one advert interval + preempt_delay,
 *   plus SETTLE_SLACK_MS for this shared machine, plus the script interval after a tracker flip; after a restart
 *   it counts from the daemon's instances being up): every VIP of every VRID has exactly one holder, the same host for all VIPs of
 *   the VRID, and no host holds a VIP the configuration dropped. A hand-over that begins later (a spurious
 *   takeover under load) may overlap or gap for one advert interval + the slack;
 * - the holder has sent a GARP (IPv4) or an unsolicited NA (IPv6) for each VIP since it added it;
 * - no daemon exits without our SIGKILL/SIGTERM, and no VRRP child is replaced behind our back;
 * - a reload never adds or deletes a VIP of an instance it did not change, on any host, until the settle bound.
 * - no leak: a daemon process sampled for 55 minutes has the floor (minimum) of its RSS over its last 5 minutes
 *   within 10 % of the floor over its minutes 5–10 (rss-trend.ts: single samples measure GC phase, not a trend).
 * A failing check re-reads the addresses with a dump first (events may lag under load). RSS of every daemon
 * process is sampled from /proc every 5 s; n0 is never SIGKILLed, so its figures cover the whole run.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { Topology } from '../netns/harness/topology.js';
import { Daemons } from '../netns/harness/daemons.js';
import {
  SOAK_VRIDS,
  SCRIPT_INTERVAL_MS,
  allVipsOf,
  alive,
  clusterSettleMs,
  configText,
  rssKiB,
  vipsOf,
  SoakDaemon,
  type NodePlan,
  type SoakVrid,
} from './netns-cluster.js';
import { VipWatch } from './netns-watch.js';
import { RssTrend, SOAK_RSS_TREND } from './rss-trend.js';
import { NETNS_DISTURBANCES, describe, draw, type NetnsDisturbance } from './netns-schedule.js';

/** Scheduling noise allowed on top of every bound (a shared 2-core machine; events reach us late under load). */
export const SETTLE_SLACK_MS = 750;
/** A (re)started daemon must be up (all instances in BACKUP) this soon, or it is a violation. */
export const STARTUP_LIMIT_MS = 60_000;
/** A GARP/NA must be on the wire this long after the VIP was added. */
const ANNOUNCE_GRACE_MS = 1000;
const TICK_MS = 100;
const RSS_EVERY_MS = 5000;

/** Options of one run. */
export interface NetnsSoakOptions {
  readonly seed: number;
  readonly minutes: number;
  /** Node count; default drawn from the seed in 3..5. */
  readonly nodes?: number;
  /** Every event-log line as it happens (e.g. console.log for --verbose). */
  readonly onLog?: (line: string) => void;
  /** When set, each daemon's own output (diagnosis only) is written there at the end, one file per start. */
  readonly daemonLogDir?: string;
}

/** RSS of one daemon process over its life. */
export interface RssFigure {
  readonly node: string;
  readonly impl: string;
  readonly role: 'parent' | 'vrrp';
  readonly pid: number;
  /** Minutes it was sampled. */
  readonly minutes: number;
  /** KiB at 5 minutes of its life (undefined when it lived less) and at its last sample. */
  readonly at5min: number | undefined;
  readonly last: number;
  /** Floors (KiB): minimum over minutes 5–10 of its life (undefined when it lived less), and over its last 5 minutes. */
  readonly baselineFloor: number | undefined;
  readonly endFloor: number;
}

/** The outcome of a run. */
export interface NetnsSoakResult {
  readonly seed: number;
  readonly nodes: readonly NodePlan[];
  readonly disturbances: number;
  readonly counts: Readonly<Record<NetnsDisturbance, number>>;
  readonly violations: readonly string[];
  readonly log: readonly string[];
  readonly rss: readonly RssFigure[];
  /** How loss/delay was made: tc netem, or nftables drop rules (no delay) when the kernel has no sch_netem. */
  readonly lossMethod: 'netem' | 'nft';
}

interface RssTrack {
  node: string;
  impl: string;
  role: 'parent' | 'vrrp';
  first: number;
  at5min?: number;
  last: number;
  lastAt: number;
  trend: RssTrend;
}

/** Runs the soak; resolves when it has ended and everything it created is gone. */
export async function runNetnsSoak(opts: NetnsSoakOptions): Promise<NetnsSoakResult> {
  const { plans, cluster, next } = draw(opts.seed, opts.nodes);
  const names = plans.map((p) => p.name);

  const t0 = Date.now();
  const log: string[] = [];
  const violations: string[] = [];
  const say = (text: string) => {
    const line = `${((Date.now() - t0) / 1000).toFixed(3)} ${text}`;
    log.push(line);
    opts.onLog?.(line);
  };
  const violate = (text: string) => {
    violations.push(`t=${((Date.now() - t0) / 1000).toFixed(3)} ${text}`);
    say(`VIOLATION ${text}`);
  };
  say(
    `seed ${opts.seed}: ${plans.map((p) => `${p.name} ${p.impl} prio [${p.priorities.join(',')}]${p.nopreempt.some(Boolean) ? ` nopreempt [${p.nopreempt.map(Number).join('')}]` : ''}`).join('; ')}; preempt_delay ${cluster.preemptDelay}`,
  );

  const topo = Topology.create({ hosts: names });
  const d = Daemons.inTempDir(topo, 'kts-soak-');
  const okFile = (n: string) => join(d.dir, 'track', `${n}.ok`);
  mkdirSync(join(d.dir, 'track'));
  const daemons = plans.map(
    (p) =>
      new SoakDaemon(p, d, join(d.dir, `${p.name}.conf`), (text) => {
        violate(text);
      }),
  );
  const daemonOf = (n: string) => daemons[names.indexOf(n)]!;
  const writeConfigs = (targets: readonly string[]) => {
    for (const n of targets) daemonOf(n).writeConfig(configText(daemonOf(n).plan, cluster, okFile(n)));
  };
  const watch = new VipWatch(topo, new Set(SOAK_VRIDS.flatMap(allVipsOf)), (text) => {
    say(text);
    onWatchEvent(text);
  });
  const hogs = new Set<ChildProcess>();
  const rss = new Map<number, RssTrack>();
  const counts = Object.fromEntries(NETNS_DISTURBANCES.map((k) => [k, 0])) as Record<NetnsDisturbance, number>;
  let disturbances = 0;
  let lossMethod: 'netem' | 'nft' = 'nft';
  const timers: NodeJS.Timeout[] = [];

  // The invariant state.
  let settledFrom = Infinity;
  const badSince = new Map<string, number>();
  const reported = new Set<string>();
  let reloadWatch: { vips: Set<string>; until: number } | undefined;
  let confirming = false;
  const vrrpPids = new Map<string, number>();
  const restarting = new Set<string>();

  const checkVrid = (v: SoakVrid, k: number): string | undefined => {
    const want = vipsOf(v, cluster.extraVip[k]!);
    const owners = new Set<string>();
    for (const vip of want) {
      const h = watch.holders(vip);
      if (h.length !== 1) return `${v.name} (VRID ${v.vrid}): VIP ${vip} held by [${h.join(',')}]`;
      owners.add(h[0]!);
    }
    if (owners.size !== 1) return `${v.name} (VRID ${v.vrid}): its VIPs are split over [${[...owners].join(',')}]`;
    for (const vip of allVipsOf(v).filter((x) => !want.includes(x))) {
      const h = watch.holders(vip);
      if (h.length > 0) return `${v.name} (VRID ${v.vrid}): VIP ${vip}, no longer configured, still held by [${h.join(',')}]`;
    }
    return undefined;
  };
  const announceProblem = (v: SoakVrid, k: number, now: number): string | undefined => {
    for (const vip of vipsOf(v, cluster.extraVip[k]!)) {
      const [h] = watch.holders(vip);
      if (h === undefined) continue;
      const key = `${h}/${vip}`;
      const won = watch.lastAdd.get(key) ?? 0;
      if (now - won < ANNOUNCE_GRACE_MS) continue;
      const sent = watch.lastAnnounce.get(key) ?? -Infinity;
      if (sent < won - ANNOUNCE_GRACE_MS || sent < (watch.lastDel.get(key) ?? -Infinity))
        return `${h} holds ${vip} of ${v.name} since ${((won - t0) / 1000).toFixed(3)} without a ${v.family === 4 ? 'GARP' : 'NA'} since then`;
    }
    return undefined;
  };

  const tick = async () => {
    const now = Date.now();
    if (now < settledFrom || confirming) {
      badSince.clear();
      return;
    }
    const failing: string[] = [];
    SOAK_VRIDS.forEach((v, k) => {
      const problem = checkVrid(v, k) ?? announceProblem(v, k, now);
      if (problem === undefined) {
        badSince.delete(v.name);
        return;
      }
      const since = badSince.get(v.name) ?? now;
      badSince.set(v.name, since);
      // Bad at the deadline: it did not settle in time. Bad later: a hand-over gets one advert interval + slack.
      const grace = since <= settledFrom + TICK_MS ? 0 : v.advertIntervalMs + SETTLE_SLACK_MS;
      if (now - since >= grace) failing.push(v.name);
    });
    if (failing.length === 0) return;
    // Confirm with a dump before calling it a violation: events can reach us late when the machine is loaded.
    confirming = true;
    try {
      await watch.resyncAll();
    } finally {
      confirming = false;
    }
    if (Date.now() < settledFrom) return;
    for (const name of failing) {
      const k = SOAK_VRIDS.findIndex((v) => v.name === name);
      const v = SOAK_VRIDS[k]!;
      const problem = checkVrid(v, k) ?? announceProblem(v, k, Date.now());
      if (problem === undefined) continue;
      const key = `${problem}@${settledFrom}`;
      if (reported.has(key)) continue;
      reported.add(key);
      violate(`${problem}, ${((Date.now() - settledFrom) / 1000).toFixed(3)} s after the settle bound`);
    }
  };

  const onWatchEvent = (text: string) => {
    // A reload must not move a VIP of an instance it did not change (on any host).
    if (reloadWatch && Date.now() <= reloadWatch.until) {
      const m = /^(\S+) ([+-])(\S+)$/.exec(text);
      if (m && reloadWatch.vips.has(m[3]!)) violate(`reload flapped ${m[3]} of an unchanged instance on ${m[1]} (${m[2]})`);
    }
  };

  const sample = () => {
    const now = Date.now();
    for (const dm of daemons) {
      const parent = dm.parentPid;
      const vrrp = dm.vrrpPid();
      // A VRRP child replaced while we did nothing to it: it crashed and was restarted.
      const prev = vrrpPids.get(dm.plan.name);
      if (vrrp !== undefined && !restarting.has(dm.plan.name)) {
        if (prev !== undefined && prev !== vrrp) violate(`${dm.plan.name} (${dm.plan.impl}): VRRP child ${prev} was replaced by ${vrrp}`);
        else if (prev !== undefined && !alive(prev)) violate(`${dm.plan.name} (${dm.plan.impl}): VRRP child ${prev} is gone`);
        vrrpPids.set(dm.plan.name, vrrp);
      }
      for (const [pid, role] of [
        [parent, 'parent'],
        [vrrp, 'vrrp'],
      ] as const) {
        if (pid === undefined) continue;
        const kib = rssKiB(pid);
        if (kib === undefined) continue;
        const r = rss.get(pid) ?? { node: dm.plan.name, impl: dm.plan.impl, role, first: now, last: kib, lastAt: now, trend: new RssTrend() };
        r.last = kib;
        r.lastAt = now;
        if (r.at5min === undefined && now - r.first >= 300_000) r.at5min = kib;
        r.trend.add(now, kib);
        const v = r.trend.verdict();
        const key = `leak ${pid}`;
        if (v?.leak && !reported.has(key)) {
          reported.add(key);
          violate(
            `${dm.plan.name} (${dm.plan.impl}) ${role} pid ${pid}: RSS floor ${v.end} KiB over the last ${SOAK_RSS_TREND.windowMs / 60_000} min after ${(v.age / 60_000).toFixed(0)} min, ${v.baseline} KiB over minutes 5–10`,
          );
        }
        rss.set(pid, r);
      }
    }
  };

  // Loss and delay: tc netem on the bridge ports when the kernel has it, else nftables drop rules (no delay).
  const detectNetem = () => {
    try {
      topo.switchExec(['tc', 'qdisc', 'add', 'dev', topo.port(names[0]!), 'root', 'netem', 'delay', '1ms']);
      topo.switchExec(['tc', 'qdisc', 'del', 'dev', topo.port(names[0]!), 'root']);
      return true;
    } catch {
      return false;
    }
  };
  const startLoss = (loss: number, delayMs: number) => {
    if (lossMethod === 'netem') {
      for (const n of names)
        topo.switchExec([
          'tc',
          'qdisc',
          'add',
          'dev',
          topo.port(n),
          'root',
          'netem',
          'delay',
          `${delayMs}ms`,
          `${delayMs / 2}ms`,
          'loss',
          `${loss}%`,
        ]);
    } else topo.bridgeFilter('kts_soak_loss', [`numgen random mod 100 < ${loss} drop`]);
  };
  const endLoss = () => {
    if (lossMethod === 'netem') for (const n of names) topo.switchExec(['tc', 'qdisc', 'del', 'dev', topo.port(n), 'root']);
    else topo.removeBridgeFilter('kts_soak_loss');
  };

  const baseSettle = clusterSettleMs(cluster) + SETTLE_SLACK_MS;
  const started = async (dm: SoakDaemon) => {
    if (!(await dm.ready(STARTUP_LIMIT_MS)))
      violate(`${dm.plan.name} (${dm.plan.impl}) did not bring its instances up within ${STARTUP_LIMIT_MS / 1000} s`);
  };
  try {
    lossMethod = detectNetem() ? 'netem' : 'nft';
    say(`loss/delay by ${lossMethod === 'netem' ? 'tc netem' : 'nftables drop rules (no sch_netem in this kernel: no delay)'}`);
    for (const n of names) writeFileSync(okFile(n), '');
    writeConfigs(names);
    await watch.start();
    for (const dm of daemons) dm.start();
    await Promise.all(daemons.map((dm) => started(dm)));
    say('all daemons up');
    settledFrom = Date.now() + baseSettle;
    timers.push(setInterval(() => void tick(), TICK_MS));
    timers.push(setInterval(sample, RSS_EVERY_MS));
    const horizon = t0 + opts.minutes * 60_000;
    await sleep(settledFrom - Date.now() + 2000);

    while (Date.now() + 6000 + baseSettle < horizon) {
      const step = next();
      const { who, durationMs: duration } = step;
      disturbances++;
      counts[step.kind]++;
      settledFrom = Infinity;
      say(describe(step));
      let extra = 0;
      switch (step.kind) {
        case 'linkFlap':
          topo.linkDown(who);
          await sleep(duration);
          say(`revert: link up ${who}`);
          topo.linkUp(who);
          break;
        case 'partition':
          topo.partition(step.side, step.other);
          await sleep(duration);
          say('revert: heal');
          topo.heal();
          break;
        case 'oneWayLoss':
          topo.bridgeFilter('kts_soak_oneway', [`iifname "${topo.port(who)}" drop`]);
          await sleep(duration);
          say('revert: one-way loss');
          topo.removeBridgeFilter('kts_soak_oneway');
          break;
        case 'lossDelay':
          startLoss(step.lossPercent, step.delayMs);
          await sleep(duration);
          say('revert: loss/delay');
          endLoss();
          break;
        case 'freeze':
          daemonOf(who).freeze(true);
          await sleep(duration);
          say(`revert: SIGCONT ${who}`);
          daemonOf(who).freeze(false);
          break;
        case 'crash': {
          const dm = daemonOf(who);
          restarting.add(who);
          await dm.kill();
          await sleep(duration);
          say(`revert: restart ${who} (${dm.plan.impl})`);
          dm.start();
          await started(dm);
          say(`${who} up`);
          vrrpPids.delete(who);
          restarting.delete(who);
          break;
        }
        case 'tracker':
          rmSync(okFile(who), { force: true });
          await sleep(duration);
          say(`revert: tracker chk ok on ${who}`);
          writeFileSync(okFile(who), '');
          extra = SCRIPT_INTERVAL_MS;
          break;
        case 'cpuHog': {
          const hog = topo.spawn(who, 'sh', ['-c', 'while :; do :; done']);
          hogs.add(hog);
          await sleep(duration);
          say(`revert: CPU hog in ${who} ends`);
          if (hog.pid) process.kill(hog.pid, 'SIGKILL');
          hogs.delete(hog);
          break;
        }
        case 'reload': {
          const targets = step.vips ? names : [who];
          // Flaps are told from a settled cluster only (an unsettled one has its violation already).
          const settled = SOAK_VRIDS.every((v, k) => checkVrid(v, k) === undefined);
          for (const k of step.changed) {
            if (step.vips) cluster.extraVip[k] = !cluster.extraVip[k];
            else daemonOf(who).plan.priorities[k] = step.newPriorities[k]!;
          }
          writeConfigs(targets);
          const unchanged = SOAK_VRIDS.filter((_, k) => !step.changed.includes(k));
          if (settled) reloadWatch = { vips: new Set(unchanged.flatMap(allVipsOf)), until: Date.now() + baseSettle + 100 * targets.length };
          else say('the cluster is not settled: no flap check for this reload');
          for (const n of targets) {
            daemonOf(n).reload();
            await sleep(10);
          }
          say('revert: reload sent');
          break;
        }
      }
      settledFrom = Date.now() + baseSettle + extra;
      say(`settle bound ${((baseSettle + extra) / 1000).toFixed(2)} s`);
      await sleep(baseSettle + extra + step.gapMs);
    }
    await sleep(Math.max(0, horizon - Date.now()));
    sample();
  } finally {
    for (const t of timers) clearInterval(t);
    for (const h of hogs) if (h.pid) process.kill(h.pid, 'SIGKILL');
    await Promise.all(daemons.map((dm) => dm.stop()));
    if (opts.daemonLogDir !== undefined) {
      mkdirSync(opts.daemonLogDir, { recursive: true });
      for (const dm of daemons) writeFileSync(join(opts.daemonLogDir, `${dm.plan.name}-${dm.plan.impl}-${dm.starts}.log`), dm.log());
    }
    watch.close();
    topo.destroy();
    d.removeDir();
  }
  const rssOut: RssFigure[] = [...rss].map(([pid, r]) => ({
    node: r.node,
    impl: r.impl,
    role: r.role,
    pid,
    minutes: (r.lastAt - r.first) / 60_000,
    at5min: r.at5min,
    last: r.last,
    baselineFloor: r.trend.verdict()?.baseline,
    endFloor: r.trend.verdict()?.end ?? r.last,
  }));
  say(`soak ended: ${disturbances} disturbances, ${violations.length} violations`);
  return { seed: opts.seed, nodes: plans, disturbances, counts, violations, log, rss: rssOut, lossMethod };
}
