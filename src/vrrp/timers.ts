/**
 * Timers as data (quinn's TimerTable): a small table of named deadlines in monotonic ms.
 * The driver asks for the earliest deadline and arms a single real timer; nothing here reads a clock.
 */

/** The timers one VRRP instance can have armed. */
export type VrrpTimer =
  /** MASTER: the next advertisement is due (RFC 5798 Adver_Timer, every Advertisement_Interval). */
  | 'Adver_Timer'
  /** BACKUP: the master is declared down (RFC 5798 Master_Down_Timer, Master_Down_Interval after the last advert). */
  | 'Master_Down_Timer'
  /** MASTER: the delayed second GARP burst (garp_master_delay / garp_lower_prio_delay). */
  | 'garpDelayed';

/** One named timer: armed or not, its deadline, and when it was armed relative to the others (`order`). */
interface Slot<K> {
  readonly name: K;
  armed: boolean;
  at: number;
  order: number;
}

/**
 * A table of named deadlines. Each name has a slot, made on its first use and kept: arming and firing a timer every
 * Advertisement_Interval changes numbers in place and allocates nothing (issue 17: a Map's delete and set re-sized
 * its table every advert). Timers due at the same time come out in the order they were armed (re-arming an armed
 * timer keeps its place), as they did from the Map.
 */
export class TimerTable<K extends string> {
  private readonly slots: Slot<K>[] = [];
  private armedSeq = 0;

  private slot(timer: K): Slot<K> {
    for (const s of this.slots) if (s.name === timer) return s;
    const s: Slot<K> = { name: timer, armed: false, at: 0, order: 0 };
    this.slots.push(s);
    return s;
  }

  /** Arms (or re-arms) `timer` to fire at `deadline`. */
  set(timer: K, deadline: number): void {
    const s = this.slot(timer);
    if (!s.armed) s.order = this.armedSeq++;
    s.armed = true;
    s.at = deadline;
  }

  /** Disarms `timer`. */
  clear(timer: K): void {
    for (const s of this.slots) if (s.name === timer) s.armed = false;
  }

  /** Disarms every timer. */
  clearAll(): void {
    for (const s of this.slots) s.armed = false;
  }

  /** The deadline of `timer`, or undefined when not armed. */
  get(timer: K): number | undefined {
    for (const s of this.slots) if (s.name === timer && s.armed) return s.at;
    return undefined;
  }

  /** The earliest armed deadline, or undefined. */
  next(): number | undefined {
    let min: number | undefined;
    for (const s of this.slots) if (s.armed && (min === undefined || s.at < min)) min = s.at;
    return min;
  }

  /** Removes and returns the timers whose deadline is ≤ now, earliest first (then in the order they were armed). */
  takeExpired(now: number): readonly K[] {
    let first: Slot<K> | undefined;
    let due = 0;
    for (const s of this.slots)
      if (s.armed && s.at <= now) {
        first ??= s;
        due++;
      }
    if (first === undefined) return NONE; // the common case (a received advert): nothing to allocate
    first.armed = false;
    if (due === 1) return [first.name]; // the common case on a timer (a master's Adver_Timer): no sorting
    const out: Slot<K>[] = [first];
    for (const s of this.slots) if (s.armed && s.at <= now) out.push(s);
    out.sort((a, b) => a.at - b.at || a.order - b.order);
    for (const s of out) s.armed = false;
    return out.map((s) => s.name);
  }
}

const NONE: readonly never[] = [];

/**
 * Skew_Time in ms, computed in whole microseconds as keepalived does (VRRP_TIMER_SKEW):
 * v2 (256 − priority)/256 s; v3 (256 − priority) × Master_Adver_Interval / 256.
 */
export function skewTime(version: 2 | 3, priority: number, masterAdverIntervalMs: number): number {
  const p = 256 - priority;
  if (version === 3) return Math.floor((p * Math.round(masterAdverIntervalMs / 10) * 625) / 16) / 1000;
  return Math.floor((p * 1_000_000) / 256) / 1000;
}

/** Master_Down_Interval in ms: down_timer_adverts × Master_Adver_Interval + Skew_Time. */
export function masterDownInterval(version: 2 | 3, priority: number, masterAdverIntervalMs: number, downTimerAdverts: number): number {
  return downTimerAdverts * masterAdverIntervalMs + skewTime(version, priority, masterAdverIntervalMs);
}
