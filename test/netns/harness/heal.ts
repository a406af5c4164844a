/**
 * Split-brain heals on the wire (issue 14), shared by the netns test and bench/vrrp-heal.ts. Host `a` runs the
 * winner (MASTER, 150), host `b` the loser (BACKUP, 100); a bridge drop rule partitions them with carriers up, `b`
 * takes over, and the rule goes away at a random phase of both advert timers. From tcpdump's (kernel) timestamps on
 * b's interface, each heal gives the delay between the loser's last act as master and the winner's next GARP:
 * the later of the winner's first advert after the heal (the loser steps down on it) and the loser's last advert
 * before it stepped down (its yield advert, or its regular advert when that crossed first).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { capture, type Topology } from './topology.js';
import { stop, waitFor, type Daemons, type RunningDaemon } from './daemons.js';

/** Which implementation runs a side. */
export type Impl = 'ours' | 'keepalived';

/** One heal's outcome. */
export interface HealResult {
  /** True when the loser's advert reached the wire before the winner's first advert after the heal. */
  readonly loserFirst: boolean;
  /** Seconds from the step-down to the winner's next GARP; Infinity when none came before the next heal. */
  readonly delayS: number;
  /** Set when the heal could not be measured (no advert from the winner after it). */
  readonly problem?: string;
  /** When the loser's last act as master was seen (s since the epoch, the capture's clock); absent with `problem`. */
  readonly stepDownS?: number;
}

/** How a run of heals is set up. */
export interface HealRun {
  readonly winner: Impl;
  readonly loser: Impl;
  readonly heals: number;
  readonly vip: string;
  /** Instance lines added on the winner's / loser's side (e.g. `  higher_prio_send_advert\n`). */
  readonly winnerExtra?: string;
  readonly loserExtra?: string;
  /** Called after each heal with its index (a test asserts there; a bench only counts). */
  readonly check?: (what: string, ok: boolean, logs: () => string) => void;
}

/** Runs `heals` partitions and heals between hosts a and b; resolves with one result per heal. */
export async function runHeals(topo: Topology, d: Daemons, r: HealRun): Promise<HealResult[]> {
  const check = r.check ?? (() => {});
  const start = (host: 'a' | 'b', impl: Impl, prio: number, state: string, extra: string): RunningDaemon => {
    const file = d.conf(`split-${host}-${impl}-${prio}.conf`, prio, state, 2, r.vip, extra);
    return impl === 'ours' ? d.ours(host, file) : d.keepalived(host, file);
  };
  const cap = capture(topo, 'b', 'vrrp or arp');
  await cap.ready;
  const a = start('a', r.winner, 150, 'MASTER', r.winnerExtra ?? '');
  const b = start('b', r.loser, 100, 'BACKUP', r.loserExtra ?? '');
  const logs = () => `--- a\n${a.log()}\n--- b\n${b.log()}`;
  const heals: number[] = [];
  try {
    check('a takes the VIP', (await waitFor(() => d.hasVip('a', r.vip), 15_000)) >= 0, logs); // start-up, then Master_Down_Interval
    await sleep(1500);
    for (let i = 0; i < r.heals; i++) {
      topo.partition(['a'], ['b']);
      check(`heal ${i}: b takes over while partitioned`, (await waitFor(() => d.hasVip('b', r.vip), 8000)) >= 0, logs);
      await sleep(Math.random() * 1000); // random phase against both advert timers
      heals.push(Date.now() / 1000);
      topo.heal();
      check(`heal ${i}: b steps down`, (await waitFor(() => !d.hasVip('b', r.vip), 4000)) >= 0, logs);
      check(`heal ${i}: a keeps the VIP`, d.hasVip('a', r.vip), logs);
      // The next partition may start once this heal is measurable: the winner's GARP after the step-down is on the
      // capture, and 0.25 s have passed since the step-down (the loser's adverts up to 0.1 s after the winner's count
      // for the step-down). At most 1.5 s, as the fixed pause this replaces; measure() judges the whole capture.
      const h = heals[i]!;
      await waitFor(() => {
        const [m] = measure(cap.lines(), [h], topo, r.vip);
        const stepDown = m?.stepDownS ?? Infinity;
        return m !== undefined && Number.isFinite(m.delayS) && Date.now() / 1000 >= stepDown + 0.25;
      }, 1500);
    }
  } finally {
    await stop(b.child);
    await stop(a.child);
  }
  return measure(await cap.stop(), heals, topo, r.vip);
}

/** The per-heal delays from a capture on b (`tcpdump -e -tt`) and the heal times (s since the epoch). */
export function measure(lines: readonly string[], heals: readonly number[], topo: Topology, vip: string): HealResult[] {
  const A = topo.host('a');
  const B = topo.host('b');
  const esc = vip.replace(/\./g, '\\.');
  const garpRe = new RegExp(`Request who-has ${esc} .*tell ${esc}`);
  const adverts: { t: number; src: string; prio: number }[] = [];
  const garps: number[] = [];
  for (const line of lines) {
    const ad = /^(\d+\.\d+) .*: (\S+) > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 51, prio (\d+)/.exec(line);
    if (ad) adverts.push({ t: Number(ad[1]), src: ad[2]!, prio: Number(ad[3]) });
    if (line.includes(`${A.mac} > ff:ff:ff:ff:ff:ff`) && garpRe.test(line)) garps.push(Number(line.split(' ')[0]));
  }
  return heals.map((h, i) => {
    const next = heals[i + 1] ?? Infinity; // a GARP after the next heal belongs to that heal
    const winner = adverts.find((x) => x.src === A.ipv4 && x.prio === 150 && x.t > h);
    if (!winner) return { loserFirst: false, delayS: Infinity, problem: 'no advert from the winner after the heal' };
    const loser = adverts.filter((x) => x.src === B.ipv4 && x.prio === 100 && x.t > h && x.t <= winner.t + 0.1).at(-1);
    const stepDown = Math.max(winner.t, loser?.t ?? 0);
    const garp = garps.find((g) => g >= stepDown && g < next);
    const loserFirst = adverts.some((x) => x.src === B.ipv4 && x.prio === 100 && x.t > h && x.t < winner.t);
    return { loserFirst, delayS: garp === undefined ? Infinity : garp - stepDown, stepDownS: stepDown };
  });
}
