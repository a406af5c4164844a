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

/** A table of named deadlines. */
export class TimerTable<K extends string> {
  private readonly deadlines = new Map<K, number>();

  /** Arms (or re-arms) `timer` to fire at `deadline`. */
  set(timer: K, deadline: number): void {
    this.deadlines.set(timer, deadline);
  }

  /** Disarms `timer`. */
  clear(timer: K): void {
    this.deadlines.delete(timer);
  }

  /** Disarms every timer. */
  clearAll(): void {
    this.deadlines.clear();
  }

  /** The deadline of `timer`, or undefined when not armed. */
  get(timer: K): number | undefined {
    return this.deadlines.get(timer);
  }

  /** The earliest armed deadline, or undefined. */
  next(): number | undefined {
    let min: number | undefined;
    for (const d of this.deadlines.values()) if (min === undefined || d < min) min = d;
    return min;
  }

  /** Removes and returns the timers whose deadline is ≤ now, earliest first. */
  takeExpired(now: number): readonly K[] {
    let first: K | undefined;
    let due = 0;
    for (const [k, d] of this.deadlines)
      if (d <= now) {
        first ??= k;
        due++;
      }
    if (first === undefined) return NONE; // the common case (a received advert): nothing to allocate
    if (due === 1) {
      this.deadlines.delete(first); // the common case on a timer (a master's Adver_Timer): no sorting
      return [first];
    }
    const out: [K, number][] = [];
    for (const [k, d] of this.deadlines) if (d <= now) out.push([k, d]);
    out.sort((a, b) => a[1] - b[1]);
    for (const [k] of out) this.deadlines.delete(k);
    return out.map(([k]) => k);
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
