/**
 * Signals: keepalived's SIGFUNC names and numbers (`lib/signals.c get_signum`), and the injectable signal source.
 *
 * Linux numbers as keepalived prints them with `--signum` (glibc's SIGRTMIN is 34 — the kernel's is 32, glibc
 * reserves two): RELOAD 1 (SIGHUP), STOP 15 (SIGTERM), DATA 10 (SIGUSR1), STATS 12 (SIGUSR2),
 * STATS_CLEAR 63 (SIGRTMAX-1), JSON 36 (SIGRTMIN+2).
 *
 * Node.js limitation: `process.on()` only accepts the named signals of `os.constants.signals`; real-time signals
 * (34..64) cannot be trapped that way, and their default action terminates the process — `kill -36` (JSON) or
 * `kill -63` (STATS_CLEAR) would kill the daemon. What we do about it:
 * - `processSignals()` traps SIGRTMIN+2 and SIGRTMAX-1 through libuv's signal handle, reached via Node's
 *   `process.binding('signal_wrap')` (deprecated internal API, present in Node 20-24; feature-detected, its
 *   deprecation warning silenced). If that ever disappears, `rtSignalsTrapped` is false and the daemon logs it.
 * - Both dumps are also on the control socket (`--status=json`, `--status=stats-clear`), and SIGURG (default
 *   action: ignore, so harmless to send to anything) writes the JSON dump too.
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
  return Object.prototype.hasOwnProperty.call(SIGFUNC_NUMBERS, sigfunc) ? SIGFUNC_NUMBERS[sigfunc as SigFunc] : undefined;
}

/** The signals the daemon traps. SIGJSON = SIGRTMIN+2 (36), SIGSTATS_CLEAR = SIGRTMAX-1 (63). */
export type TrappedSignal = 'SIGHUP' | 'SIGTERM' | 'SIGINT' | 'SIGUSR1' | 'SIGUSR2' | 'SIGURG' | 'SIGJSON' | 'SIGSTATS_CLEAR';

/** Every signal the daemon traps, in handler order. */
export const TRAPPED_SIGNALS: readonly TrappedSignal[] = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGURG', 'SIGJSON', 'SIGSTATS_CLEAR'];

/** Where signals come from: the process in production, a fake in tests (two daemons in one process). */
export interface SignalSource {
  /** Starts delivering `signal` to `handler`. */
  on(signal: TrappedSignal, handler: () => void): void;
  /** Stops delivering `signal` to `handler`. */
  off(signal: TrappedSignal, handler: () => void): void;
  /** False when real-time signals (SIGJSON, SIGSTATS_CLEAR) cannot be trapped on this Node.js. */
  readonly rtSignalsTrapped?: boolean;
}

/** libuv's signal handle as `process.binding('signal_wrap')` exposes it. */
interface SignalWrap {
  onsignal: (signum: number) => void;
  start(signum: number): number;
  close(): void;
  unref?(): void;
}

/** Starts a libuv signal watcher for a real-time signal; undefined when Node.js does not allow it. */
function watchRtSignal(signum: number, handler: () => void): (() => void) | undefined {
  const proc = process as unknown as { binding?: (name: string) => { Signal?: new () => SignalWrap }; noDeprecation?: boolean };
  const saved = proc.noDeprecation;
  try {
    proc.noDeprecation = true;
    const Signal = proc.binding?.('signal_wrap').Signal;
    if (!Signal) return undefined;
    const w = new Signal();
    w.onsignal = () => handler();
    if (w.start(signum) !== 0) {
      w.close();
      return undefined;
    }
    w.unref?.();
    return () => w.close();
  } catch {
    return undefined;
  } finally {
    proc.noDeprecation = saved;
  }
}

/** Whether this Node.js lets us trap real-time signals (probe: start and stop a watcher). */
function canTrapRtSignals(): boolean {
  const stop = watchRtSignal(SIGFUNC_NUMBERS.JSON, () => {});
  stop?.();
  return stop !== undefined;
}

/** The real process's signals (named ones with process.on, SIGJSON/SIGSTATS_CLEAR with a libuv handle). */
export function processSignals(): SignalSource {
  const rt = new Map<() => void, () => void>();
  const rtNumber = (s: TrappedSignal) => (s === 'SIGJSON' ? SIGFUNC_NUMBERS.JSON : s === 'SIGSTATS_CLEAR' ? SIGFUNC_NUMBERS.STATS_CLEAR : undefined);
  return {
    rtSignalsTrapped: canTrapRtSignals(),
    on: (signal, handler) => {
      const n = rtNumber(signal);
      if (n === undefined) {
        process.on(signal as NodeJS.Signals, handler);
        return;
      }
      const stop = watchRtSignal(n, handler);
      if (stop) rt.set(handler, stop);
    },
    off: (signal, handler) => {
      if (rtNumber(signal) === undefined) {
        process.off(signal as NodeJS.Signals, handler);
        return;
      }
      rt.get(handler)?.();
      rt.delete(handler);
    },
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
