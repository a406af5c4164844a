/**
 * Signals: keepalived's SIGFUNC names and numbers (`lib/signals.c get_signum`), and the injectable signal source.
 *
 * Linux numbers as keepalived prints them with `--signum` (glibc's SIGRTMIN is 34 — the kernel's is 32, glibc
 * reserves two): RELOAD 1 (SIGHUP), STOP 15 (SIGTERM), DATA 10 (SIGUSR1), STATS 12 (SIGUSR2),
 * STATS_CLEAR 63 (SIGRTMAX-1), JSON 36 (SIGRTMIN+2).
 *
 * Node.js limitation: `process.on()` only accepts the named signals of `os.constants.signals`; real-time signals
 * (34..64) cannot be trapped, and their default action terminates the process. So `kill -36` (JSON) and
 * `kill -63` (STATS_CLEAR) would kill a keepalived-ts daemon. keepalived-ts offers both through its control
 * socket (`keepalived-ts --status=json`, `--status=stats-clear`) and traps SIGURG (default action: ignore, so a
 * stray one is harmless to any process) as a JSON-dump signal. Trapping the RT signals needs signalfd/sigaction
 * from the native addon (packages/sysio); see the report.
 */

/** A SIGFUNC name accepted by `--signum`. */
export type SigFunc = 'STOP' | 'RELOAD' | 'DATA' | 'STATS' | 'STATS_CLEAR' | 'JSON';

/** glibc's SIGRTMIN on Linux (the kernel's 32 plus the two NPTL reserves). */
export const GLIBC_SIGRTMIN = 34;
/** SIGRTMAX on Linux. */
export const SIGRTMAX = 64;

/** Signal numbers per SIGFUNC, as keepalived 2.2.7 prints them on Linux. */
export const SIGFUNC_NUMBERS: Readonly<Record<SigFunc, number>> = {
  STOP: 15,
  RELOAD: 1,
  DATA: 10,
  STATS: 12,
  STATS_CLEAR: SIGRTMAX - 1,
  JSON: GLIBC_SIGRTMIN + 2,
};

/** `--signum=SIGFUNC`: the number, or undefined for an unknown name (keepalived: `Unknown sigfunc X`, exit 1). */
export function signumOf(sigfunc: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(SIGFUNC_NUMBERS, sigfunc)
    ? SIGFUNC_NUMBERS[sigfunc as SigFunc]
    : undefined;
}

/** The signals the daemon traps. */
export type TrappedSignal = 'SIGHUP' | 'SIGTERM' | 'SIGINT' | 'SIGUSR1' | 'SIGUSR2' | 'SIGURG';

/** Every signal the daemon traps, in handler order. */
export const TRAPPED_SIGNALS: readonly TrappedSignal[] = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGURG'];

/** Where signals come from: the process in production, a fake in tests (two daemons in one process). */
export interface SignalSource {
  /** Starts delivering `signal` to `handler`. */
  on(signal: TrappedSignal, handler: () => void): void;
  /** Stops delivering `signal` to `handler`. */
  off(signal: TrappedSignal, handler: () => void): void;
}

/** The real process's signals. */
export function processSignals(): SignalSource {
  return {
    on: (signal, handler) => { process.on(signal, handler); },
    off: (signal, handler) => { process.off(signal, handler); },
  };
}

/** A signal source driven by hand, for tests. */
export class FakeSignals implements SignalSource {
  private readonly handlers = new Map<TrappedSignal, Set<() => void>>();

  on(signal: TrappedSignal, handler: () => void): void {
    let set = this.handlers.get(signal);
    if (!set) this.handlers.set(signal, (set = new Set()));
    set.add(handler);
  }

  off(signal: TrappedSignal, handler: () => void): void {
    this.handlers.get(signal)?.delete(handler);
  }

  /** Delivers `signal` to every handler; returns how many there were. */
  raise(signal: TrappedSignal): number {
    const set = [...(this.handlers.get(signal) ?? [])];
    for (const h of set) h();
    return set.length;
  }
}
