/**
 * One launched health checker of one real server, as keepalived 2.2.7 schedules it (check_api.c
 * `register_checkers_thread`, and each checker's connect thread and epilog). Sans-IO: the driver asks
 * pollTimeout() when the next probe is due, delivers `timer` then, runs the probe the `runProbe` action names,
 * and hands the outcome back as `probeResult` or `timeout`. Time is monotonic ms passed in; randomness is injected.
 *
 * State follows keepalived's `checker_t`: `is_up`, `has_run`, `retry_it`. At start-up `retry_it = retry`
 * (check_data.c: "one failure is enough initially"), alpha checkers start down, the first probe runs after
 * BOOTSTRAP_DELAY (1 s) plus a random 0…warmup. What a result does is each checker type's own epilog
 * (checker-epilogs.ts, checker-http.ts): they differ in when they retry and in their log texts.
 */
import { randomInt, type Rng } from '../core/rng.js';
import type { CheckAction, CheckerId, CheckerMail, LaunchedCheck } from './actions.js';
import { EPILOGS } from './checker-epilogs.js';

/** keepalived's BOOTSTRAP_DELAY: every checker's first run waits this long (plus warmup). */
export const BOOTSTRAP_DELAY_MS = 1000;

/** How a probe ended, as the IO driver saw it. */
export interface ProbeOutcome {
  readonly ok: boolean;
  /**
   * The failure text where keepalived's message carries one: HTTP_GET/SSL_GET (`Timeout connecting`,
   * `HTTP status code error to`, …), DNS_CHECK (`read timeout from socket`, …), SMTP_CHECK (`Bad HELO response
   * from server [192.0.2.1]:25`, …). Other types build their texts here.
   */
  readonly detail?: string;
  /** UDP_CHECK: a reply came but did not match `reply`. */
  readonly mismatch?: boolean;
  /** MISC_CHECK: the script's exit status (default 0 when ok, 1 when not). */
  readonly exitStatus?: number;
  /** MISC_CHECK: the signal that ended the script. */
  readonly signal?: number;
}

/** Inputs of one checker (time is passed separately). */
export type CheckerEvent =
  /** The deadline from pollTimeout() is reached. */
  | { readonly type: 'timer' }
  | ({ readonly type: 'probeResult'; readonly probe: number } & ProbeOutcome)
  /** The probe timed out (connect_timeout, or misc_timeout for MISC_CHECK). */
  | { readonly type: 'timeout'; readonly probe: number; readonly detail?: string }
  /** The probe could not start (no socket, bind failed): keepalived logs `detail` and tries again after delay_loop. */
  | { readonly type: 'probeSkipped'; readonly probe: number; readonly detail: string }
  /** ha_suspend: the virtual server's address appeared (true) or went (false). */
  | { readonly type: 'enable'; readonly enabled: boolean };

/** A finished probe as the epilogs see it. */
export interface ProbeEnd extends ProbeOutcome {
  readonly timedOut: boolean;
}

/** When to run next: `delayMs` after `fromMs` (default: now); `retry` = not the start of a new round (SMTP_CHECK). */
export interface NextRun {
  readonly delayMs: number;
  readonly fromMs?: number;
  readonly retry?: boolean;
}

/** keepalived's per-checker runtime fields. */
export interface CheckerState {
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;
  /** HTTP_GET/SSL_GET: the url being checked (`url_it`; null = past the last) and the one that failed (`failed_url`). */
  urlIt: number | null;
  failedUrl: number | null;
  /** MISC_CHECK: `last_exit_code`, and when the script was last started (`last_ran`). */
  lastExitCode: number;
  lastRanMs: number;
  /** This checker's part of the real server's effective weight (`cur_weight`). */
  curWeight: number;
}

/** What an epilog may use and do; implemented by CheckerFsm. */
export interface EpilogHost {
  readonly config: LaunchedCheck;
  readonly state: CheckerState;
  /** FMT_CHK: the real server's text. */
  readonly chk: string;
  /** FMT_VS. */
  readonly vsName: string;
  /** `log_all_failures` on the checker or globally (`checker_log_all_failures`). */
  readonly logAll: boolean;
  /** The real server's configured weight (`iweight`). */
  readonly iweight: number;
  log(text: string): void;
  /** update_svr_checker_state(alive): sets is_up/has_run and emits checkerUp/checkerDown. */
  verdict(alive: boolean, mail?: CheckerMail): void;
  /** Changes cur_weight by `delta` and the real server's effective weight with it. */
  adjustWeight(delta: number, announce: boolean): void;
}

/** Options of CheckerFsm. */
export interface CheckerOptions {
  /** FMT_RS and FMT_VS texts. */
  readonly rsName: string;
  readonly vsName: string;
  readonly iweight: number;
  /** global_defs `checker_log_all_failures`. */
  readonly logAllFailures?: boolean;
}

/** The pure state machine of one launched checker. */
export class CheckerFsm implements EpilogHost {
  /** keepalived's runtime fields of the checker. */
  readonly state: CheckerState;
  /** False while ha_suspend holds the checker (it then only reschedules itself). */
  enabled = true;
  /** FMT_CHK: the real server's text. */
  readonly chk: string;
  /** FMT_VS. */
  readonly vsName: string;
  /** The real server's configured weight. */
  readonly iweight: number;
  private deadline: number | undefined;
  private outstanding = 0;
  private seq = 0;
  private roundStart = true;
  private readonly logAllGlobal: boolean;
  private out: CheckAction[] = [];

  /** @param config the resolved checker @param id where it sits in its virtual server @param opts names and globals */
  constructor(
    readonly config: LaunchedCheck,
    readonly id: CheckerId,
    opts: CheckerOptions,
  ) {
    this.chk = opts.rsName;
    this.vsName = opts.vsName;
    this.iweight = opts.iweight;
    this.logAllGlobal = opts.logAllFailures ?? false;
    this.state = {
      isUp: !config.alpha,
      hasRun: false,
      retryIt: config.retry,
      urlIt: 0,
      failedUrl: null,
      lastExitCode: 0,
      lastRanMs: 0,
      curWeight: 0,
    };
  }

  /** True when failures are logged before the checker gives up. */
  get logAll(): boolean {
    return this.logAllGlobal || this.config.logAllFailures;
  }

  /** The probe being waited for (0 = none). */
  get pendingProbe(): number {
    return this.outstanding;
  }

  /** When the next probe is due (monotonic ms), or undefined while a probe runs or after stop(). */
  pollTimeout(): number | undefined {
    return this.deadline;
  }

  /** register_checkers_thread: logs (de)activation and arms the first run at 1 s + random 0…warmup. */
  start(now: number, rng: Rng, enabled = true): CheckAction[] {
    this.out = [];
    this.enabled = enabled;
    this.log(`${enabled ? 'A' : 'Dea'}ctivating healthchecker for service ${this.chk} for VS ${this.vsName}`);
    this.deadline = now + BOOTSTRAP_DELAY_MS + (this.config.warmupMs > 0 ? randomInt(rng, 0, this.config.warmupMs) : 0);
    return this.out;
  }

  /** Disarms everything; later results are ignored. */
  stop(): void {
    this.deadline = undefined;
    this.outstanding = 0;
  }

  /** Handles one event at `now` and returns the actions it produced. */
  handle(event: CheckerEvent, now: number): CheckAction[] {
    this.out = [];
    switch (event.type) {
      case 'timer':
        this.onTimer(now);
        break;
      case 'probeResult':
        this.onEnd(event.probe, { ...event, timedOut: false }, now);
        break;
      case 'timeout':
        this.onEnd(event.probe, { ok: false, timedOut: true, ...(event.detail ? { detail: event.detail } : {}) }, now);
        break;
      case 'probeSkipped':
        if (event.probe !== this.outstanding || event.probe === 0) break;
        this.outstanding = 0;
        this.log(event.detail);
        this.schedule({ delayMs: this.config.delayLoopMs }, now);
        break;
      case 'enable':
        if (event.enabled !== this.enabled) {
          this.log(`${event.enabled ? 'Activat' : 'Suspend'}ing healthchecker for service ${this.chk} for VS ${this.vsName}`);
          this.enabled = event.enabled;
        }
        break;
    }
    return this.out;
  }

  /** The run due at the deadline: a probe, or (disabled) just the next run after delay_loop. */
  private onTimer(now: number): void {
    if (this.deadline === undefined || now < this.deadline) return;
    this.deadline = undefined;
    if (!this.enabled) {
      this.schedule({ delayMs: this.config.delayLoopMs }, now);
      return;
    }
    if (this.config.type === 'SMTP_CHECK' && this.roundStart) this.state.retryIt = 0; // smtp_start_check_thread
    this.state.lastRanMs = now;
    this.outstanding = ++this.seq;
    const url = this.config.type === 'HTTP_GET' || this.config.type === 'SSL_GET' ? this.config.urls[this.state.urlIt ?? 0] : undefined;
    this.out.push({
      kind: 'runProbe',
      vs: this.vsName,
      ...this.id,
      probe: this.outstanding,
      check: this.config,
      ...(url ? { url } : {}),
    });
  }

  /** A probe finished: the checker type's epilog decides the verdict and the next run. */
  private onEnd(probe: number, end: ProbeEnd, now: number): void {
    if (probe !== this.outstanding || probe === 0) return;
    this.outstanding = 0;
    this.schedule(EPILOGS[this.config.type](this, end), now);
  }

  private schedule(next: NextRun, now: number): void {
    this.roundStart = !next.retry;
    this.deadline = Math.max(now, (next.fromMs ?? now) + next.delayMs);
  }

  /** Emits a log line (info). */
  log(text: string): void {
    this.out.push({ kind: 'log', vs: this.vsName, record: { level: 'info', text } });
  }

  /** update_svr_checker_state(alive, checker) as seen by the checker: its state, then the verdict action. */
  verdict(alive: boolean, mail?: CheckerMail): void {
    const wasUp = this.state.isUp;
    const hadRun = this.state.hasRun;
    this.state.isUp = alive;
    this.state.hasRun = true;
    this.out.push({
      kind: alive ? 'checkerUp' : 'checkerDown',
      vs: this.vsName,
      ...this.id,
      checkerType: this.config.type,
      wasUp,
      hadRun,
      alpha: this.config.alpha,
      ...(mail ? { mail } : {}),
    });
  }

  /** cur_weight += delta, and the real server's effective weight with it. */
  adjustWeight(delta: number, announce: boolean): void {
    if (delta === 0) return; // keepalived's arithmetic with 0 changes nothing it could show
    this.state.curWeight += delta;
    this.out.push({ kind: 'checkerWeight', vs: this.vsName, ...this.id, delta, announce });
  }
}
