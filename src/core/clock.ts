/**
 * Time, as the sans-IO cores see it.
 *
 * Every pure module (src/vrrp, src/check, reload diffing) takes `now` as an argument:
 * a monotonic time in milliseconds (a float; sub-millisecond precision allowed).
 * Only the daemon's driver reads a real clock, through this interface.
 */

/** A monotonic clock in milliseconds, plus the wall clock for dumps and mail headers. */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin. Never goes backwards. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch (for timestamps shown to people only). */
  wallNow(): number;
}

/** The process's real clock: `performance.now()` for monotonic time, `Date.now()` for wall time. */
export function systemClock(): Clock {
  return {
    now: () => performance.now(),
    wallNow: () => Date.now(),
  };
}

/** A clock that only moves when told to; for simulations and tests. */
export class ManualClock implements Clock {
  private t: number;
  private readonly wallOrigin: number;

  /**
   * @param start monotonic start time in ms (default 0)
   * @param wallOrigin the wall-clock time (epoch ms) that corresponds to monotonic 0
   */
  constructor(start = 0, wallOrigin = Date.UTC(2026, 0, 1)) {
    this.t = start;
    this.wallOrigin = wallOrigin;
  }

  /** Current virtual monotonic time in ms. */
  now(): number {
    return this.t;
  }

  /** Virtual wall time: wallOrigin + now(). */
  wallNow(): number {
    return this.wallOrigin + this.t;
  }

  /** Moves time to `t`. Throws if `t` is in the past. */
  set(t: number): void {
    if (t < this.t) throw new RangeError(`ManualClock cannot go backwards (${t} < ${this.t})`);
    this.t = t;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.set(this.t + ms);
  }
}
