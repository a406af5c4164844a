/**
 * `vrrp_track_process`: counts running processes matching a name (and parameters) and reports whether the
 * count is within [quorum, quorum_max] (keepalived `core/track_process.c`, `vrrp/vrrp_track.c`).
 *
 * Matching (as keepalived): the name is compared exactly with /proc/PID/comm, or with argv[0] of
 * /proc/PID/cmdline when `full_command` — which keepalived also implies when parameters or `param_match`
 * are configured (see `usesFullCommand`); zombies are ignored. Parameters, when given, are compared as the
 * NUL-joined argv[1..]: `exact` (default) = equal, `partial` = configured args are the leading args,
 * `initial` = like partial but the last configured arg may be a prefix of the actual one.
 *
 * `QuorumTracker` is pure (counts and time in); `fork_delay`/`terminate_delay` (`delay` sets both) postpone a
 * change of the reported view, and a count that returns before the delay expires cancels it.
 */
import type { LogRecord } from '../core/log.js';
import type { TrackerResult } from '../vrrp/types.js';

/** How parameters are compared. `none` = no `process` parameters configured. */
export type ParamMatch = 'none' | 'exact' | 'partial' | 'initial';

/** `vrrp_track_process NAME { … }` options, delays in ms. */
export interface TrackProcessOptions {
  readonly name: string;
  /** Process name (comm, or argv[0] with fullCommand). */
  readonly process: string;
  /** Parameters after the process name, if configured. */
  readonly params?: readonly string[];
  /** `param_match` (default exact when params are given, none otherwise). */
  readonly paramMatch?: ParamMatch;
  readonly fullCommand?: boolean;
  /** `quorum` (default 1). */
  readonly quorum?: number;
  /** `quorum_max` (default unlimited). */
  readonly quorumMax?: number;
  readonly forkDelayMs?: number;
  readonly terminateDelayMs?: number;
}

/** One process as seen in /proc. */
export interface ProcInfo {
  readonly pid: number;
  /** /proc/PID/stat comm field (≤15 chars). */
  readonly comm: string;
  /** /proc/PID/cmdline split on NUL. */
  readonly argv: readonly string[];
  readonly zombie?: boolean;
}

/** True when matching uses argv[0] of the command line: `full_command`, or parameters / `param_match` given. */
export function usesFullCommand(o: TrackProcessOptions): boolean {
  return !!o.fullCommand || (o.params !== undefined && o.params.length > 0) || (o.paramMatch !== undefined && o.paramMatch !== 'none');
}

/** True if `p` matches the tracked process spec. */
export function matchesProcess(o: TrackProcessOptions, p: ProcInfo): boolean {
  if (p.zombie) return false;
  const name = usesFullCommand(o) ? p.argv[0] : p.comm;
  if (name !== o.process) return false;
  const mode: ParamMatch = o.paramMatch ?? (o.params && o.params.length > 0 ? 'exact' : 'none');
  if (mode === 'none') return true;
  const want = o.params ?? [];
  const have = p.argv.slice(1);
  if (mode === 'exact') return want.length === have.length && want.every((w, i) => w === have[i]);
  if (have.length < want.length) return false;
  const last = want.length - 1;
  return want.every((w, i) => (mode === 'initial' && i === last ? have[i]!.startsWith(w) : have[i] === w));
}

/** A quorum step's output. */
export interface QuorumStep {
  readonly logs: readonly LogRecord[];
  readonly update?: TrackerResult;
}

/** Pure quorum state with fork/terminate delays. */
export class QuorumTracker {
  private count = 0;
  private reported: boolean | undefined;
  private pendingAt: number | undefined;

  constructor(readonly opts: TrackProcessOptions) {}

  /** True if `n` processes satisfy quorum/quorum_max. */
  quorumMet(n: number): boolean {
    const min = this.opts.quorum ?? 1;
    return n >= min && (this.opts.quorumMax === undefined || n <= this.opts.quorumMax);
  }

  /** The current reported view (undefined before the first count). */
  get ok(): boolean | undefined {
    return this.reported;
  }

  /** Number of matching processes last seen. */
  get processCount(): number {
    return this.count;
  }

  /** When `poll` next wants to run (a pending delayed change), if any. */
  pollTimeout(): number | undefined {
    return this.pendingAt;
  }

  /** Feeds a fresh count at `now`. The first count is reported at once. */
  setCount(now: number, n: number): QuorumStep {
    const prev = this.count;
    this.count = n;
    if (this.reported === undefined) return this.report(this.quorumMet(n), false);
    const want = this.quorumMet(n);
    if (want === this.reported) {
      this.pendingAt = undefined;
      return { logs: [] };
    }
    const delay = n > prev ? (this.opts.forkDelayMs ?? 0) : (this.opts.terminateDelayMs ?? 0);
    if (delay <= 0) return this.report(want, true);
    this.pendingAt ??= now + delay;
    return this.poll(now);
  }

  /** Applies a pending delayed change if due. */
  poll(now: number): QuorumStep {
    if (this.pendingAt === undefined || now < this.pendingAt) return { logs: [] };
    this.pendingAt = undefined;
    const want = this.quorumMet(this.count);
    return want === this.reported ? { logs: [] } : this.report(want, true);
  }

  private report(ok: boolean, log: boolean): QuorumStep {
    this.reported = ok;
    const logs: LogRecord[] = log ? [{ level: 'info', text: `Quorum ${ok ? 'gained' : 'lost'} for tracked process ${this.opts.name}` }] : [];
    return { logs, update: { kind: 'process', name: this.opts.name, ok, value: this.count } };
  }
}
