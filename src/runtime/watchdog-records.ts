/**
 * Named records of the native sender (packages/sysio/src/watchdog.c) over one WatchdogPort, shared by the VRRP
 * advert watchdog (src/runtime/vrrp/advert-watchdog.ts) and the BFD transmit watchdog (src/runtime/bfd/tx-watchdog.ts):
 * a record per owner name (an instance, a session), created on first use and reused after removal; its datagrams
 * are handed to the native side only when they change; native sends are handed out once each (to be counted as the
 * owner's own sends). The port is opened on first use.
 */
import { sysioWatchdogPort, type WatchdogPort } from '../net/watchdog.js';

export type { WatchdogPort };

/** One prepared datagram: the socket, the destination and the bytes. */
export interface WatchdogDatagram {
  readonly fd: number;
  readonly sockaddr: Uint8Array;
  readonly bytes: Uint8Array;
}

/** How a record is armed (ms; see WatchdogPort.kick and claim). */
export interface WatchdogTiming {
  /** The native period (its longest, with jitter). */
  readonly intervalMs: number;
  /** The first native deadline is intervalMs + slackMs from now (slack may be negative, down to −intervalMs). */
  readonly slackMs: number;
  /** No native send later than this after the last kick or claim. */
  readonly holdMs: number;
  /** Native periods are intervalMs × (1 − jitter × U[0,1)), counted from each native send (0: exactly intervalMs). */
  readonly jitter?: number;
  /** After a claim that found native sends: how long the native side waits past its booked deadline. */
  readonly graceMs?: number;
}

/** The native sender always covers at least this long after the event loop's last sign of life (ms). */
export const WATCHDOG_MIN_HOLD_MS = 1000;

/** The hold for a periodic sender at `intervalMs`: max(1 s, 3 intervals). */
export function watchdogHoldMs(intervalMs: number): number {
  return Math.max(WATCHDOG_MIN_HOLD_MS, 3 * intervalMs);
}

interface Rec {
  readonly id: number;
  armed: boolean;
  /** The datagrams last given to the native side. */
  datagrams: readonly WatchdogDatagram[];
  /** Native sends already handed out. */
  counted: number;
}

/** Per-name records over one WatchdogPort. */
export class WatchdogRecords {
  private port: WatchdogPort | undefined;
  private readonly records = new Map<string, Rec>();
  private readonly free: number[] = [];
  private armedCount = 0;

  constructor(private readonly open: () => WatchdogPort = () => sysioWatchdogPort()) {}

  /** True while some record is armed. */
  get active(): boolean {
    return this.armedCount > 0;
  }

  /** Names of the armed records. */
  armedNames(): string[] {
    return [...this.records].filter(([, r]) => r.armed).map(([n]) => n);
  }

  /**
   * Calls `fn` with the name of each armed record, without copying them (a master's every batch of actions checks
   * them all). `fn` may disarm records, not remove them.
   */
  forEachArmed(fn: (name: string) => void): void {
    for (const [name, r] of this.records) if (r.armed) fn(name);
  }

  /** True while `name` is armed. */
  isArmed(name: string): boolean {
    return this.records.get(name)?.armed === true;
  }

  /**
   * `name` just sent `datagrams` from the event loop: the native side sends them from now on, unless kicked again in
   * time. Returns the native sends not handed out yet.
   */
  kick(name: string, datagrams: readonly WatchdogDatagram[], t: WatchdogTiming): number {
    if (!datagrams.length) return 0;
    const r = this.prepare(name, datagrams);
    const total = this.port!.kick(r.id, t.intervalMs, t.slackMs, t.holdMs, t.jitter);
    this.markArmed(r);
    return this.handOut(r, total);
  }

  /**
   * `name` is about to send `datagrams` from the event loop. `waitMs` −1: send them (the record is armed with `t`);
   * otherwise the native side has been sending (the event loop was late): do not send now, the next send is
   * the event loop's in `waitMs`. `native`: native sends not handed out yet.
   */
  claim(name: string, datagrams: readonly WatchdogDatagram[], t: WatchdogTiming): { waitMs: number; native: number } {
    const r = this.prepare(name, datagrams);
    const waitMs = this.port!.claim(r.id, t.intervalMs, t.slackMs, t.holdMs, t.jitter ?? 0, t.graceMs ?? 0);
    this.markArmed(r);
    return { waitMs, native: this.take(name) };
  }

  /** Replaces the datagrams of an armed `name` when they differ (its timing is unchanged). */
  update(name: string, datagrams: readonly WatchdogDatagram[]): void {
    if (this.records.get(name)?.armed && datagrams.length) this.prepare(name, datagrams);
  }

  /** Stops native sends for `name` (synchronously: nothing of it is in flight when this returns). */
  disarm(name: string): void {
    const r = this.records.get(name);
    if (!r?.armed || !this.port) return;
    this.port.disarm(r.id);
    r.armed = false;
    this.armedCount--;
  }

  /** Native sends for `name` not handed out yet (each is handed out once). */
  take(name: string): number {
    const r = this.records.get(name);
    if (!r || !this.port) return 0;
    return this.handOut(r, this.port.sent(r.id));
  }

  /**
   * Disarms `name` and frees its record; returns its native sends not handed out yet. `release`: the native side
   * also drops its datagrams and its dup of the socket now (else they stay until the record is reused).
   */
  remove(name: string, release = false): number {
    this.disarm(name);
    const n = this.take(name);
    const r = this.records.get(name);
    if (r) {
      if (release && r.datagrams.length) this.port?.set(r.id, -1, [], []);
      this.records.delete(name);
      this.free.push(r.id);
    }
    return n;
  }

  /** Disarms everything and stops the native threads. */
  close(): void {
    for (const name of this.records.keys()) this.disarm(name);
    this.port?.close();
    this.port = undefined;
    this.records.clear();
    this.free.length = 0;
    this.armedCount = 0;
  }

  /** The record of `name` (created on first use) holding `datagrams`. */
  private prepare(name: string, datagrams: readonly WatchdogDatagram[]): Rec {
    const port = (this.port ??= this.open());
    let r = this.records.get(name);
    if (!r) {
      const id = this.free.pop() ?? port.add();
      r = { id, armed: false, datagrams: [], counted: port.sent(id) };
      this.records.set(name, r);
    }
    if (!sameDatagrams(r.datagrams, datagrams)) {
      port.set(
        r.id,
        datagrams[0]!.fd,
        datagrams.map((d) => d.bytes),
        datagrams.map((d) => d.sockaddr),
      );
      r.datagrams = datagrams;
    }
    return r;
  }

  private markArmed(r: Rec): void {
    if (!r.armed) this.armedCount++;
    r.armed = true;
  }

  private handOut(r: Rec, total: number): number {
    const n = total - r.counted;
    r.counted = total;
    return n;
  }
}

/** Same socket, destinations and bytes (the same objects, or equal contents). */
function sameDatagrams(a: readonly WatchdogDatagram[], b: readonly WatchdogDatagram[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i]!.fd !== b[i]!.fd || !sameBytes(a[i]!.bytes, b[i]!.bytes) || !sameBytes(a[i]!.sockaddr, b[i]!.sockaddr)) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
