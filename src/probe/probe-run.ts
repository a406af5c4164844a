/**
 * The lifetime of one probe: keepalived's per-step timeout and the caller's abort.
 *
 * keepalived arms connect_timeout again for every IO step of a checker (the connect, each write, each read:
 * `thread_add_read(…, co->connection_to, …)`), and the text it logs on a timeout names the step ("Timeout
 * connecting", "Timeout HTTP read", …). `step()` re-arms the timer with the report for that step. The first of
 * finish(), the timer and the abort signal settles the probe; cleanups (closing sockets) run once, at settlement.
 */
import type { ProbeReport } from './report.js';

/** The report of a probe whose caller gave up on it (the checker stopped); the core ignores it anyway. */
export const PROBE_ABORTED: ProbeReport = { kind: 'skipped', detail: 'probe aborted' };

/** One running probe; `promise` settles exactly once. */
export class ProbeRun {
  /** Settles with the probe's report. */
  readonly promise: Promise<ProbeReport>;
  private resolve!: (r: ProbeReport) => void;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  private readonly cleanups: (() => void)[] = [];

  /** @param stepMs the timeout of each IO step (connect_timeout) @param signal aborts the probe */
  constructor(
    readonly stepMs: number,
    private readonly signal?: AbortSignal,
  ) {
    this.promise = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (signal?.aborted) this.finish(PROBE_ABORTED);
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** True once the probe has its report. */
  get done(): boolean {
    return this.settled;
  }

  /** Starts (or restarts) the step timer: after stepMs the probe ends with `onTimeout`. */
  step(onTimeout: ProbeReport, ms = this.stepMs): void {
    if (this.settled) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(onTimeout), ms);
  }

  /** Registers something to undo when the probe ends (runs at once if it already has). */
  onCleanup(fn: () => void): void {
    if (this.settled) fn();
    else this.cleanups.push(fn);
  }

  /** Ends the probe with `report` (later calls are ignored). */
  finish(report: ProbeReport): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        /* a failing close must not hide the report */
      }
    }
    this.resolve(report);
  }

  private readonly onAbort = (): void => this.finish(PROBE_ABORTED);
}
