/**
 * Running scripts the way keepalived does: execve semantics (no shell) when the program is an executable file,
 * `/bin/sh -c` otherwise; as the script user/group; in a process group of its own; with a timeout that sends SIGTERM
 * to the whole group and SIGKILL after a grace period.
 *
 * `ScriptRunner` adds what keepalived lacks: per-owner FIFO queues (a script for a later transition of one
 * instance never starts before the earlier one finished or timed out), outcome logging, and a bounded drain for
 * STOP notifies at shutdown.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Logger } from '../core/log.js';
import { shellQuote } from './split.js';

/** A script as configured: argv (already split) plus the user/group to run it as. */
export interface ScriptSpec {
  readonly argv: readonly string[];
  /** Numeric uid to run as; omitted = our own. */
  readonly uid?: number;
  /** Numeric gid to run as; omitted = our own. */
  readonly gid?: number;
}

/** How a script run ended. */
export type ScriptOutcome =
  | { readonly kind: 'exited'; readonly status: number }
  | { readonly kind: 'signaled'; readonly signal: string; readonly signo: number }
  | { readonly kind: 'timedOut' }
  | { readonly kind: 'spawnFailed'; readonly error: string };

/** Per-run options. */
export interface RunOptions {
  /** Kill the script's process group after this many ms (0/undefined = no timeout). */
  readonly timeoutMs?: number;
  /** Delay between SIGTERM and SIGKILL after a timeout (keepalived: 2 s). */
  readonly killGraceMs?: number;
  /** Extra arguments appended after the configured argv (generic `notify`, fifo scripts). */
  readonly extraArgs?: readonly string[];
  /** Environment for the child (default: ours). */
  readonly env?: NodeJS.ProcessEnv;
  /** Aborting kills the script's process group (SIGTERM, then SIGKILL after the grace); outcome is then timedOut. */
  readonly signal?: AbortSignal;
}

/** keepalived's wording for an outcome: `exited with status 1`, `due to signal 9`, `timed_out`. */
export function describeOutcome(o: ScriptOutcome): string {
  switch (o.kind) {
    case 'exited':
      return `exited with status ${o.status}`;
    case 'signaled':
      return `due to signal ${o.signo}`;
    case 'timedOut':
      return 'timed_out';
    case 'spawnFailed':
      return `could not be started: ${o.error}`;
  }
}

/** True when `path` names a regular file we may execute. */
function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Chooses the file and arguments to spawn. An executable file (or a bare name, found by PATH search) is
 * exec'd directly with its arguments, no shell. A readable but non-executable file is interpreted by
 * `/bin/sh FILE ARGS…`; anything else goes through `/bin/sh -c` with every word quoted, so the shell's
 * "not found" exit status (127) is what gets logged.
 */
export function execPlan(argv: readonly string[]): { file: string; args: string[] } {
  const prog = argv[0] ?? '';
  if (!prog.includes('/') || isExecutableFile(prog)) return { file: prog, args: argv.slice(1) };
  if (isReadableFile(prog)) return { file: '/bin/sh', args: [...argv] };
  return { file: '/bin/sh', args: ['-c', argv.map(shellQuote).join(' ')] };
}

/** True when `path` names a regular file we may read. */
function isReadableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Sends `signal` to a whole process group, ignoring "no such process". */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* group already gone */
  }
}

/** Runs one script to completion (or timeout). Never rejects. */
export function runScript(spec: ScriptSpec, opts: RunOptions = {}): Promise<ScriptOutcome> {
  const plan = execPlan([...spec.argv, ...(opts.extraArgs ?? [])]);
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (o: ScriptOutcome): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      resolve(o);
    };
    let child;
    try {
      child = spawn(plan.file, plan.args, {
        detached: true,
        stdio: 'ignore',
        uid: spec.uid,
        gid: spec.gid,
        env: opts.env ?? process.env,
      });
    } catch (e) {
      finish({ kind: 'spawnFailed', error: (e as Error).message });
      return;
    }
    const pid = child.pid;
    child.once('error', (e) => finish({ kind: 'spawnFailed', error: e.message }));
    child.once('exit', (code, signal) => {
      if (timedOut) finish({ kind: 'timedOut' });
      else if (signal) finish({ kind: 'signaled', signal, signo: osConstants.signals[signal] ?? 0 });
      else finish({ kind: 'exited', status: code ?? 0 });
      if (timedOut && pid) killGroup(pid, 'SIGKILL');
    });
    const terminate = (): void => {
      if (!pid || timedOut || settled) return;
      timedOut = true;
      killGroup(pid, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(pid, 'SIGKILL'), opts.killGraceMs ?? 2000));
    };
    if (pid && opts.timeoutMs && opts.timeoutMs > 0) timers.push(setTimeout(terminate, opts.timeoutMs));
    if (opts.signal) {
      if (opts.signal.aborted) terminate();
      else opts.signal.addEventListener('abort', terminate, { once: true });
    }
  });
}

/** Constructor options of ScriptRunner. */
export interface ScriptRunnerOptions {
  readonly logger: Logger;
  /** Default timeout for queued scripts, ms (keepalived runs notifies without one; we bound them). */
  readonly defaultTimeoutMs?: number;
  /** SIGTERM→SIGKILL grace, ms. */
  readonly killGraceMs?: number;
  /** Environment for every script (default: ours). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs scripts on behalf of owners (an instance, a group, a checker). Jobs of one owner run strictly one after
 * the other in submission order; different owners run concurrently.
 */
export class ScriptRunner {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly opts: ScriptRunnerOptions) {}

  /** Number of owners with queued or running work. */
  get busyOwners(): number {
    return this.tails.size;
  }

  /** Queues an arbitrary async job behind `owner`'s earlier jobs; resolves with its result. */
  enqueue<T>(owner: string, job: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(owner) ?? Promise.resolve();
    const result = prev.then(job);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(owner, tail);
    this.inFlight.add(tail);
    void tail.then(() => {
      this.inFlight.delete(tail);
      if (this.tails.get(owner) === tail) this.tails.delete(owner);
    });
    return result;
  }

  /** Queues `spec` for `owner`; logs failures with `label` (e.g. `notify_master script for (VI_1)`). */
  run(owner: string, spec: ScriptSpec, label: string, opts: RunOptions = {}): Promise<ScriptOutcome> {
    return this.enqueue(owner, () => this.runNow(spec, label, opts));
  }

  /** Runs `spec` immediately (not queued) and logs a failure. */
  async runNow(spec: ScriptSpec, label: string, opts: RunOptions = {}): Promise<ScriptOutcome> {
    const full: RunOptions = {
      timeoutMs: this.opts.defaultTimeoutMs,
      killGraceMs: this.opts.killGraceMs,
      env: this.opts.env,
      ...opts,
    };
    const outcome = await runScript(spec, full);
    if (!(outcome.kind === 'exited' && outcome.status === 0)) {
      const cmd = [...spec.argv, ...(opts.extraArgs ?? [])].join(' ');
      this.opts.logger.log({ level: 'warning', text: `${label} \`${cmd}\` failed (${describeOutcome(outcome)})` });
    }
    return outcome;
  }

  /** Waits until all queued work is done, or `boundMs` passed. Resolves true if everything finished. */
  async drain(boundMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), boundMs);
    });
    const all = (async (): Promise<boolean> => {
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
      return true;
    })();
    const done = await Promise.race([all, bound]);
    clearTimeout(timer);
    return done;
  }
}
