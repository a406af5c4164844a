/**
 * A deterministic two-node BFD network for the simulation tier: each node is a BfdSessions table; encoded packets
 * travel over a link with a fixed one-way delay, which can be cut; a node can be frozen (a stopped process: no
 * timers, packets queue) and thawed (the queue is drained before its timers run, as the runtime does).
 */
import { BfdSessions, type BfdPeerConfig } from '../../../src/bfd/sessions.js';
import { decodeControl, type BfdControl, type BfdState } from '../../../src/bfd/packet.js';
import type { BfdSessionAction } from '../../../src/bfd/session.js';

/** One simulated BFD speaker. */
export interface SimNode {
  readonly addr: string;
  readonly table: BfdSessions;
  frozen: boolean;
  readonly inbox: Array<{ at: number; bytes: Uint8Array; from: string }>;
  /** Every state change of its sessions: [time ms, session name, from, to, diag]. */
  readonly changes: Array<[number, string, BfdState, BfdState, number]>;
  /** Every packet it sent: [time ms, decoded]. */
  readonly sent: Array<[number, BfdControl]>;
  readonly logs: string[];
}

/** A deterministic uniform [0, 1) stream. */
export function lcg(seed = 1): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A session configuration in keepalived's units (ms) toward `neighbor`. */
export function peerConfig(
  name: string,
  neighbor: string,
  o: { minTx?: number; minRx?: number; idleTx?: number; mult?: number; passive?: boolean } = {},
): BfdPeerConfig {
  return {
    name,
    neighbor,
    ipv6: false,
    sendTtl: 255,
    minRxTtl: 255,
    desiredMinTxUs: (o.minTx ?? 10) * 1000,
    requiredMinRxUs: (o.minRx ?? 10) * 1000,
    idleTxUs: (o.idleTx ?? 1000) * 1000,
    detectMult: o.mult ?? 3,
    passive: o.passive ?? false,
  };
}

/** Two nodes, one link. */
export class BfdSim {
  now = 0;
  cut = false;
  readonly a: SimNode;
  readonly b: SimNode;

  constructor(
    readonly delayMs = 0.2,
    seed = 1,
  ) {
    const mk = (addr: string, s: number): SimNode => ({
      addr,
      table: new BfdSessions(lcg(s)),
      frozen: false,
      inbox: [],
      changes: [],
      sent: [],
      logs: [],
    });
    this.a = mk('192.0.2.1', seed);
    this.b = mk('192.0.2.2', seed + 1000);
  }

  /** Starts every session of both nodes. */
  start(): void {
    for (const n of [this.a, this.b])
      for (const { session, peer } of n.table.all())
        this.apply(
          n,
          session.start(this.now).map((action) => ({ peer, action })),
        );
  }

  private other(n: SimNode): SimNode {
    return n === this.a ? this.b : this.a;
  }

  private apply(n: SimNode, actions: ReadonlyArray<{ peer: BfdPeerConfig; action: BfdSessionAction }>): void {
    for (const { peer, action } of actions) {
      if (action.kind === 'send') {
        const d = decodeControl(action.bytes);
        if (!d.ok) throw new Error(`sent an undecodable packet: ${d.text}`);
        n.sent.push([this.now, d.packet]);
        if (!this.cut) this.other(n).inbox.push({ at: this.now + this.delayMs, bytes: action.bytes, from: n.addr });
      } else if (action.kind === 'state') n.changes.push([this.now, peer.name, action.from, action.to, action.diag]);
      else if (action.kind === 'log') n.logs.push(action.text);
    }
  }

  private nextEvent(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const n of [this.a, this.b]) {
      if (n.frozen) continue;
      t = Math.min(t, n.table.nextDeadline(), ...n.inbox.map((m) => m.at));
    }
    return t;
  }

  /** Runs until `until` (ms). */
  run(until: number): void {
    for (;;) {
      const t = this.nextEvent();
      if (t > until) break;
      this.now = t;
      for (const n of [this.a, this.b]) {
        if (n.frozen) continue;
        // drain arrived packets before timers (the runtime's rule)
        n.inbox.sort((x, y) => x.at - y.at);
        while (n.inbox.length && n.inbox[0]!.at <= this.now) {
          const m = n.inbox.shift()!;
          const r = n.table.receive({ bytes: m.bytes, from: m.from, ttl: 255 }, this.now);
          if (r.ok) this.apply(n, r.actions);
        }
        this.apply(n, n.table.tick(this.now));
      }
    }
    this.now = until;
  }

  /** The state of a node's session. */
  state(n: SimNode, name: string): BfdState {
    return n.table.get(name)!.session.sessionState;
  }
}
