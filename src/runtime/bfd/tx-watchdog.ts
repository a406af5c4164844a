/**
 * The BFD transmit watchdog (issue 18): while a session is Up, the native sender of the addon
 * (packages/sysio/src/watchdog.c, records in src/runtime/watchdog-records.ts) holds the session's periodic Control
 * packet, exactly the bytes the session would send, on a dup of its send socket. When the event loop is late — a
 * garbage collection, a reload, its vCPU stopped by the hypervisor — a native thread on another CPU sends it, so
 * the peer does not declare the session Down while this side is alive. RFC 5880 section 6.8.7 holds on the wire:
 * - before each periodic packet the event loop claims the deadline (one compare-and-swap: exactly one side sends);
 *   the native deadline is the event loop's own next packet + a grace of 20 % of the interval (10 % with
 *   `multiplier 1`), and never later than the negotiated interval (90 % of it with `multiplier 1`) after the packet
 *   just sent;
 * - native periods are jittered within [75 %, 80 %] of the interval, counted from each native send; when the event loop comes back it takes over at the native side's next deadline, which
 *   is booked for it (the native side sends a grace later only if the event loop still has not);
 * - the native side stops max(1 s, 3 intervals) after the event loop's last claim: a hung daemon still lets its
 *   sessions go Down, that much later.
 * Not armed outside Up: Down and Init send at `idle_tx` (≥ 1 s), far longer than any stall this covers. The runtime
 * disarms a session before anything that takes it out of Up is carried out (its Down or AdminDown packet then
 * leaves after the last native one), on removal and at shutdown; disarm returns only when no native send is in
 * flight. A packet that changes while Up (Poll cleared by a Final, new intervals) replaces the prepared one at once.
 */
import { jitterRange } from '../../bfd/session.js';
import { sysioWatchdogPort } from '../../net/watchdog.js';
import { watchdogHoldMs, WatchdogRecords, type WatchdogDatagram, type WatchdogPort, type WatchdogTiming } from '../watchdog-records.js';

/** The native threads' name (/proc/PID/task/TID/comm). */
export const BFD_WATCHDOG_THREAD = 'bfd-tx-wd';

/** How much native periods are jittered, as a fraction of the transmit interval: [75 %, 80 %]. */
export const BFD_WATCHDOG_JITTER = 0.05;

/**
 * The grace, as a fraction of the transmit interval, by which the event loop may be late (after its own planned
 * packet, or a deadline booked for it) before native sends start: what the jitter range leaves once the native
 * periods took theirs, 20 % (10 % with `multiplier 1`), so that the grace after the longest native period still ends
 * inside the limit.
 */
export function bfdWatchdogGrace(detectMult: number): number {
  const [lo, hi] = jitterRange(detectMult);
  return hi - lo - BFD_WATCHDOG_JITTER;
}
/** Below this transmit interval (ms) sessions are not armed (the addon's native period must be at least 1 ms). */
export const BFD_WATCHDOG_MIN_INTERVAL_MS = 2;

/**
 * The native timing for a session at `txIntervalUs` (before jitter) that sends now and plans its next periodic
 * packet at `nextTxAt` (monotonic ms); undefined when the interval is too short to arm.
 */
export function bfdWatchdogTiming(txIntervalUs: number, detectMult: number, now: number, nextTxAt: number): WatchdogTiming | undefined {
  const interval = txIntervalUs / 1000;
  if (!(interval >= BFD_WATCHDOG_MIN_INTERVAL_MS)) return undefined;
  const [lo, hi] = jitterRange(detectMult);
  const graceMs = bfdWatchdogGrace(detectMult) * interval;
  const longest = (lo + BFD_WATCHDOG_JITTER) * interval;
  const due = Math.min(Math.max(nextTxAt - now, lo * interval) + graceMs, hi * interval);
  return { intervalMs: longest, slackMs: due - longest, holdMs: watchdogHoldMs(interval), jitter: 1 - (lo * interval) / longest, graceMs };
}

/** What the wiring needs of a session about to send a periodic packet. */
export interface TxSubject {
  /** The session's name (the record's). */
  readonly name: string;
  /** The transmit interval in use (µs, before jitter). */
  readonly txIntervalUs: number;
  readonly detectMult: number;
  /** Its next periodic packet after this one (monotonic ms). */
  readonly nextTxAt: number;
}

/** Per-session records of the native sender. */
export class BfdTxWatchdog {
  private readonly records: WatchdogRecords;

  /** @param open the native port (sysio's by default, threads named `bfd-tx-wd`; tests pass a fake) */
  constructor(open: () => WatchdogPort = () => sysioWatchdogPort(BFD_WATCHDOG_THREAD)) {
    this.records = new WatchdogRecords(open);
  }

  /**
   * An Up session's periodic packet `datagram` is due now. `send`: it is the event loop's to send (the session is
   * armed with it); else native sends took over and the next periodic packet is the event loop's at now + waitMs.
   * `native`: native sends of the session not counted yet.
   */
  periodic(s: TxSubject, datagram: WatchdogDatagram, now: number): { send: boolean; waitMs: number; native: number } {
    const t = bfdWatchdogTiming(s.txIntervalUs, s.detectMult, now, s.nextTxAt);
    if (!t) return { send: true, waitMs: -1, native: this.disarm(s.name) };
    const r = this.records.claim(s.name, [datagram], t);
    return { send: r.waitMs < 0, waitMs: r.waitMs, native: r.native };
  }

  /** The Up session's periodic packet is now `datagram` (Poll cleared, new intervals): the native side's copy too. */
  refresh(name: string, datagram: WatchdogDatagram): void {
    this.records.update(name, [datagram]);
  }

  /** True while `name` is armed. */
  armed(name: string): boolean {
    return this.records.isArmed(name);
  }

  /** Names of the armed sessions. */
  armedNames(): string[] {
    return this.records.armedNames();
  }

  /** Stops native sends of `name` (synchronously); its native sends not counted yet. */
  disarm(name: string): number {
    this.records.disarm(name);
    return this.records.take(name);
  }

  /** Disarms and frees `name`'s record (its dup of the socket is closed); its native sends not counted yet. */
  remove(name: string): number {
    return this.records.remove(name, true);
  }

  /** Disarms everything and stops the native threads. */
  close(): void {
    this.records.close();
  }
}
