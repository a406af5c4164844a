/**
 * The native sender of the addon (packages/sysio/src/watchdog.c) behind a small port, so the runtimes' wiring can
 * be tested with a fake: records of prepared datagrams that native threads send when they are not kicked or claimed
 * in time (VRRP adverts, BFD Control packets).
 */
import type { Watchdog } from '@keepalived-ts/sysio';
import { sysio } from './sysio.js';

/** The addon calls the watchdog needs (sysio's, or a fake in tests). */
export interface WatchdogPort {
  /** A new disarmed record; its id. */
  add(): number;
  /** The record's datagrams (`packets[i]` to `sockaddrs[i]` on `fd`). */
  set(id: number, fd: number, packets: readonly Uint8Array[], sockaddrs: readonly Uint8Array[]): void;
  /** Arms or re-arms the record (native periods jittered by `jitter` when given); returns its native sends so far. */
  kick(id: number, intervalMs: number, slackMs: number, holdMs: number, jitter?: number): number;
  /**
   * The event loop is about to send the record's next datagram: −1 when that send is the event loop's (the record
   * is armed as by kick); otherwise native sends took over, and the ms until the native side's next deadline,
   * which is booked for the event loop (the native side sends `graceMs` after it unless claimed again first).
   */
  claim(id: number, intervalMs: number, slackMs: number, holdMs: number, jitter: number, graceMs: number): number;
  /** Disarms; returns once no native send of the record is in flight. */
  disarm(id: number): void;
  /** The record's native sends so far. */
  sent(id: number): number;
  /** Stops everything (threads joined). */
  close(): void;
}

/** The real addon, one watchdog object (threads, named `name`, start with the first armed record). */
export function sysioWatchdogPort(name?: string): WatchdogPort {
  const wd: Watchdog = sysio.watchdogCreate(name);
  return {
    add: () => sysio.watchdogAdd(wd),
    set: (id, fd, packets, sockaddrs) => sysio.watchdogSet(wd, id, fd, packets, sockaddrs),
    kick: (id, intervalMs, slackMs, holdMs, jitter) => sysio.watchdogKick(wd, id, intervalMs, slackMs, holdMs, jitter),
    claim: (id, intervalMs, slackMs, holdMs, jitter, graceMs) => sysio.watchdogClaim(wd, id, intervalMs, slackMs, holdMs, jitter, graceMs),
    disarm: (id) => sysio.watchdogDisarm(wd, id),
    sent: (id) => sysio.watchdogStats(wd, id).sent,
    close: () => sysio.watchdogClose(wd),
  };
}
