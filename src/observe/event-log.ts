/**
 * The ordered event log behind `/events`: VRRP transitions, priority changes, GARP bursts, checker results, BGP
 * route changes and BFD session state changes
 * from the observer channels (src/core/events.ts), each given an id `<boot>.<seq>` in arrival order, kept in a
 * bounded ring so a client can resume after a reconnect (`Last-Event-ID`). The boot part changes with every
 * process, so an id from an earlier run is recognised as such (the client gets everything kept, marked as a reset).
 */
import { randomBytes } from 'node:crypto';
import { subscribe, type EventMap } from '../core/events.js';

/** The event kinds the stream carries, by channel. */
const STREAMED = {
  'keepalived-ts:vrrp:transition': 'transition',
  'keepalived-ts:vrrp:priority': 'priority',
  'keepalived-ts:vrrp:garp': 'garp',
  'keepalived-ts:check:verdict': 'check',
  'keepalived-ts:check:realserver': 'realserver',
  'keepalived-ts:check:quorum': 'quorum',
  'keepalived-ts:process': 'process',
  'keepalived-ts:bgp:route': 'bgp',
  'keepalived-ts:bfd:state': 'bfd',
} as const satisfies Partial<Record<keyof EventMap, string>>;

/** An event kind on the stream (the SSE `event:` field). */
export type StreamKind = (typeof STREAMED)[keyof typeof STREAMED];

/** One logged event. */
export interface LoggedEvent {
  /** `<boot>.<seq>` */
  readonly id: string;
  readonly seq: number;
  readonly kind: StreamKind;
  readonly data: unknown;
}

/** What `since()` found. */
export interface Replay {
  readonly events: readonly LoggedEvent[];
  /** False when events after the client's id have already left the ring (or the id is from another run). */
  readonly complete: boolean;
}

/** The event log. */
export class EventLog {
  /** This process's id prefix. */
  readonly boot: string;
  private readonly ring: LoggedEvent[] = [];
  private seq = 0;
  private readonly listeners = new Set<(e: LoggedEvent) => void>();
  private unsubscribers: (() => void)[] = [];

  /** @param capacity events kept for resuming */
  constructor(
    readonly capacity = 2048,
    boot?: string,
  ) {
    this.boot = boot ?? randomBytes(4).toString('hex');
  }

  /** Subscribes to the observer channels; returns this. */
  attach(): this {
    if (this.unsubscribers.length) return this;
    for (const [channel, kind] of Object.entries(STREAMED) as [keyof typeof STREAMED, StreamKind][]) {
      this.unsubscribers.push(
        subscribe(channel, (payload) => {
          this.push(kind, payload);
        }),
      );
    }
    return this;
  }

  /** Unsubscribes from the channels and drops listeners. */
  detach(): void {
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
    this.listeners.clear();
  }

  /** Appends an event (the channels call this; tests may too). */
  push(kind: StreamKind, data: unknown): LoggedEvent {
    const seq = ++this.seq;
    const e: LoggedEvent = { id: `${this.boot}.${seq}`, seq, kind, data };
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const l of this.listeners) l(e);
    return e;
  }

  /** The last id handed out ('' before any). */
  get lastId(): string {
    return this.seq ? `${this.boot}.${this.seq}` : '';
  }

  /** Events after `lastId` (all kept ones when it is absent, unknown or from another run). */
  since(lastId?: string): Replay {
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    const m = lastId ? /^([0-9a-f]+)\.(\d+)$/.exec(lastId) : null;
    if (!lastId) return { events: [...this.ring], complete: oldest <= 1 };
    if (!m || m[1] !== this.boot) return { events: [...this.ring], complete: false };
    const after = Number(m[2]);
    if (after > this.seq) return { events: [...this.ring], complete: false };
    return { events: this.ring.filter((e) => e.seq > after), complete: after + 1 >= oldest };
  }

  /** Calls `fn` for every new event; returns the function that stops it. */
  listen(fn: (e: LoggedEvent) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }
}
