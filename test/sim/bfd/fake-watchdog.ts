/**
 * A fake native sender for the BFD transmit watchdog's wiring (WatchdogPort, src/net/watchdog.ts): it records every
 * call in order, and plays the native side taking over when the test says so (`native(id, n, nextInMs)`: n native
 * sends happened, and the next claim of that record finds them and gets nextInMs back). Only an armed record may
 * send natively.
 */
import assert from 'node:assert/strict';
import type { WatchdogPort } from '../../../src/net/watchdog.js';

/** One call to the port. */
export type PortCall =
  | { readonly e: 'set'; readonly id: number; readonly fd: number; readonly packets: Uint8Array[] }
  | {
      readonly e: 'claim';
      readonly id: number;
      readonly intervalMs: number;
      readonly slackMs: number;
      readonly holdMs: number;
      readonly jitter: number;
      readonly graceMs: number;
      readonly result: number;
    }
  | { readonly e: 'disarm'; readonly id: number }
  | { readonly e: 'close' };

/** The fake port. */
export class FakeTxPort implements WatchdogPort {
  readonly calls: PortCall[] = [];
  private readonly counts: number[] = [];
  readonly armed: boolean[] = [];
  private readonly took = new Map<number, number>();

  add(): number {
    this.counts.push(0);
    this.armed.push(false);
    return this.counts.length - 1;
  }
  set(id: number, fd: number, packets: readonly Uint8Array[]): void {
    this.calls.push({ e: 'set', id, fd, packets: packets.map((p) => Uint8Array.from(p)) });
  }
  kick(): number {
    throw new Error('the BFD wiring claims, it never kicks');
  }
  claim(id: number, intervalMs: number, slackMs: number, holdMs: number, jitter: number, graceMs: number): number {
    const result = this.took.get(id) ?? -1;
    this.took.delete(id);
    this.armed[id] = true;
    this.calls.push({ e: 'claim', id, intervalMs, slackMs, holdMs, jitter, graceMs, result });
    return result;
  }
  disarm(id: number): void {
    this.armed[id] = false;
    this.took.delete(id);
    this.calls.push({ e: 'disarm', id });
  }
  sent(id: number): number {
    return this.counts[id]!;
  }
  close(): void {
    this.calls.push({ e: 'close' });
  }
  /** Plays `n` native sends of an armed record; its next claim gets `nextInMs` (the native side's next deadline). */
  native(id: number, n: number, nextInMs: number): void {
    assert.ok(this.armed[id], 'only an armed record sends');
    this.counts[id]! += n;
    this.took.set(id, nextInMs);
  }
  /** The calls' kinds, in order. */
  kinds(from = 0): string[] {
    return this.calls.slice(from).map((c) => c.e);
  }
}
