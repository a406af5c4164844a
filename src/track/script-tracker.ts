/**
 * `vrrp_script` tracking as a pure state machine (keepalived `vrrp_scheduler.c vrrp_script_child_thread`).
 *
 * keepalived keeps a counter `result` in 0 … rise+fall-1; the script is "good" while result ≥ rise.
 * A success from below rise-1 counts up; reaching rise flips to good and jumps to rise+fall-1. A failure from
 * above rise counts down; reaching rise-1 flips to bad and drops to 0. Initially result = rise-1 (one success
 * is enough), or 0 with `init_fail`; the first result always reports (init state).
 *
 * Sans-IO: the driver asks `poll(now)` whether to start a run, and feeds `handleResult(now, outcome)`.
 */
import type { LogRecord } from '../core/log.js';
import type { TrackerResult } from '../vrrp/types.js';
import type { ScriptOutcome } from '../notify/script-runner.js';

/** `vrrp_script NAME { … }` options, in milliseconds. */
export interface TrackScriptOptions {
  readonly name: string;
  /** `interval`, ms (default 1000). */
  readonly intervalMs: number;
  /** `timeout`, ms (0 = same as interval). */
  readonly timeoutMs: number;
  /** `rise` (≥1). */
  readonly rise: number;
  /** `fall` (≥1). */
  readonly fall: number;
  /** `init_fail`: start in the failed state. */
  readonly initFail: boolean;
}

/** What handling a result produced: log records, and a tracker update when the good/bad view changed. */
export interface ScriptTrackerStep {
  readonly logs: readonly LogRecord[];
  readonly update?: TrackerResult;
}

/** Pure vrrp_script state. */
export class ScriptTracker {
  private result: number;
  private lastStatus = 0;
  private running = false;
  private nextRunAt: number;
  private init = true;

  constructor(
    readonly opts: TrackScriptOptions,
    startAt = 0,
  ) {
    this.result = opts.initFail ? 0 : opts.rise - 1;
    this.nextRunAt = startAt;
  }

  /** True while the script is considered successful (result ≥ rise). */
  get ok(): boolean {
    return this.result >= this.opts.rise;
  }

  /** True until the first result arrived (instances with weight-0 scripts wait for it). */
  get inInit(): boolean {
    return this.init;
  }

  /** The effective run timeout in ms. */
  get effectiveTimeoutMs(): number {
    return this.opts.timeoutMs > 0 ? this.opts.timeoutMs : this.opts.intervalMs;
  }

  /** The time at which `poll` next wants to be called, or undefined while a run is outstanding. */
  pollTimeout(): number | undefined {
    return this.running ? undefined : this.nextRunAt;
  }

  /** Returns true (and marks the script running) when a run is due at `now`. */
  poll(now: number): boolean {
    if (this.running || now < this.nextRunAt) return false;
    this.running = true;
    this.nextRunAt = now + this.opts.intervalMs;
    return true;
  }

  /** Feeds the outcome of the run started by the last successful `poll`. */
  handleResult(now: number, outcome: ScriptOutcome): ScriptTrackerStep {
    this.running = false;
    if (this.nextRunAt < now) this.nextRunAt = now;
    const logs: LogRecord[] = [];
    const name = this.opts.name;
    let success = false;
    let verdict: string;
    if (outcome.kind === 'exited') {
      if (outcome.status !== this.lastStatus) logs.push({ level: 'info', text: `Script \`${name}\` now returning ${outcome.status}` });
      this.lastStatus = outcome.status;
      success = outcome.status === 0;
      verdict = success ? 'succeeded' : `failed (exited with status ${outcome.status})`;
    } else if (outcome.kind === 'timedOut') {
      verdict = 'timed_out';
    } else if (outcome.kind === 'signaled') {
      verdict = `failed (due to signal ${outcome.signo})`;
    } else {
      verdict = `failed (${outcome.error})`;
    }
    const flipped = success ? this.countSuccess() : this.countFailure();
    this.init = false;
    if (!flipped) return { logs };
    logs.push({ level: 'info', text: `VRRP_Script(${name}) ${verdict}` });
    return { logs, update: { kind: 'script', name, ok: this.ok } };
  }

  /** Applies a success; true if the view flipped to good. */
  private countSuccess(): boolean {
    const { rise, fall } = this.opts;
    if (this.result < rise - 1) {
      this.result++;
      return false;
    }
    if (this.result === rise + fall - 1) return false;
    const flips = this.result < rise;
    this.result = rise + fall - 1;
    return flips;
  }

  /** Applies a failure; true if the view flipped to bad (or this is the first result). */
  private countFailure(): boolean {
    const { rise } = this.opts;
    if (this.result > rise) {
      this.result--;
      return false;
    }
    const flips = this.result === rise || this.init;
    this.result = 0;
    return flips;
  }
}
