/**
 * Drives a ScriptTracker with real time and real processes: one timer for the next due run, the script run
 * through runScript (own process group, SIGTERM/SIGKILL on timeout), results fed back, updates reported.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { TrackerResult } from '../vrrp/types.js';
import { runScript, type ScriptSpec } from '../notify/script-runner.js';
import { ScriptTracker, type TrackScriptOptions } from './script-tracker.js';

/** Options of ScriptTrackerDriver. */
export interface ScriptTrackerDriverOptions {
  readonly script: ScriptSpec;
  readonly track: TrackScriptOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called when the tracker's good/bad view changes (and on the first result). */
  readonly onUpdate: (r: TrackerResult) => void;
  /** SIGTERM→SIGKILL grace after a timeout, ms (keepalived: 2000). */
  readonly killGraceMs?: number;
}

/** Runs one vrrp_script periodically. */
export class ScriptTrackerDriver {
  /** The pure state; readable for dumps. */
  readonly tracker: ScriptTracker;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private abort: AbortController | undefined;

  constructor(private readonly o: ScriptTrackerDriverOptions) {
    this.tracker = new ScriptTracker(o.track, o.clock.now());
  }

  /** Starts the schedule (first run immediately). */
  start(): void {
    this.stopped = false;
    this.arm();
  }

  /** Stops scheduling and kills a run in progress (its result is not reported). */
  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.abort = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.tracker.pollTimeout();
    if (this.stopped || due === undefined) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, due - this.o.clock.now()));
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.o.clock.now();
    if (!this.tracker.poll(now)) {
      this.arm();
      return;
    }
    this.abort = new AbortController();
    void runScript(this.o.script, {
      timeoutMs: this.tracker.effectiveTimeoutMs,
      killGraceMs: this.o.killGraceMs ?? 2000,
      signal: this.abort.signal,
    }).then((outcome) => {
      this.abort = undefined;
      if (this.stopped) return;
      const step = this.tracker.handleResult(this.o.clock.now(), outcome);
      for (const l of step.logs) this.o.logger.log(l);
      if (step.update) this.o.onUpdate(step.update);
      this.arm();
    });
  }
}
