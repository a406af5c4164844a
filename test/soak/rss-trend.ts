/**
 * The soak's leak check on a process's resident set (issue 16: "RSS after 1 h within 10 % of RSS after 5 min").
 * Single samples do not work for a Node.js process: its heap swings by several MB between garbage collections
 * (garbage from script runs, netlink dumps, reloads), so one sample at 5 minutes against one at the end measured
 * the sawtooth's phase, not a trend (seed 7: 61.1 → 78.8 MiB, with a flat floor). What a leak moves is the floor:
 * memory that no collection gives back. So both ends are floors — the minimum over a window — taken after V8's
 * warm-up:
 * - the baseline: the minimum RSS from `warmupMs` to `warmupMs + windowMs` of the process's life;
 * - the end: the minimum over the trailing `windowMs`;
 * - a leak: the end floor above the baseline floor × `ratio`, once the process has been sampled `judgeAfterMs`.
 * Pure: samples in (ms, KiB), verdicts out; test/unit/soak/rss-trend.test.ts and the real-process test
 * test/netns/soak/leak-check.test.ts (a leak injected into a VRRP child is caught, steady garbage is not).
 */

/** How the floors are taken and compared. */
export interface RssTrendOptions {
  /** Warm-up not judged (V8 grows its heap to its working size). */
  readonly warmupMs: number;
  /** Length of both windows whose minimum is taken. */
  readonly windowMs: number;
  /** Allowed growth of the end floor over the baseline floor (1.1: 10 %). */
  readonly ratio: number;
  /** No verdict before the process has been sampled this long. */
  readonly judgeAfterMs: number;
}

/** The soak's figures: baseline floor over minutes 5–10, end floor over the last 5 minutes, judged after 55 min. */
export const SOAK_RSS_TREND: RssTrendOptions = { warmupMs: 5 * 60_000, windowMs: 5 * 60_000, ratio: 1.1, judgeAfterMs: 55 * 60_000 };

/** What the floors say so far. */
export interface RssVerdict {
  /** Minimum RSS (KiB) over the baseline window, once that window has passed. */
  readonly baseline: number | undefined;
  /** Minimum RSS (KiB) over the trailing window. */
  readonly end: number;
  /** ms sampled. */
  readonly age: number;
  /** True when judged (age ≥ judgeAfterMs) and end > baseline × ratio. */
  readonly leak: boolean;
}

/** The RSS samples of one process, reduced to the baseline floor and a trailing window. */
export class RssTrend {
  private first: number | undefined;
  private baselineMin = Infinity;
  private baselineDone = false;
  private readonly recent: { t: number; kib: number }[] = [];

  constructor(private readonly opts: RssTrendOptions = SOAK_RSS_TREND) {}

  /** One sample: `kib` of RSS at `t` (ms, monotonic). */
  add(t: number, kib: number): void {
    this.first ??= t;
    const age = t - this.first;
    if (age >= this.opts.warmupMs && age <= this.opts.warmupMs + this.opts.windowMs) this.baselineMin = Math.min(this.baselineMin, kib);
    else if (age > this.opts.warmupMs + this.opts.windowMs) this.baselineDone = true;
    this.recent.push({ t, kib });
    while (this.recent.length > 1 && this.recent[0]!.t < t - this.opts.windowMs) this.recent.shift();
  }

  /** The floors so far (undefined before the first sample). */
  verdict(): RssVerdict | undefined {
    if (this.first === undefined || this.recent.length === 0) return undefined;
    const last = this.recent[this.recent.length - 1]!.t;
    const age = last - this.first;
    const end = Math.min(...this.recent.map((s) => s.kib));
    const baseline = this.baselineDone && Number.isFinite(this.baselineMin) ? this.baselineMin : undefined;
    const leak = baseline !== undefined && age >= this.opts.judgeAfterMs && end > baseline * this.opts.ratio;
    return { baseline, end, age, leak };
  }
}
