/**
 * All BFD sessions of one process, sans-IO: received datagrams (with source, destination and TTL/hop limit) in,
 * per-session actions out. Demultiplexing and the single-hop TTL rule follow RFC 5880 section 6.8.6 and
 * RFC 5881 section 5 as keepalived 2.2.7 applies them (bfd/bfd_scheduler.c, bfd/bfd.c):
 * - Your Discriminator ≠ 0 selects the session by bfd.LocalDiscr; 0 selects it by (neighbor, source) address;
 * - a packet whose TTL + `max_hops` is below the expected TTL is dropped (`max_hops -1` turns the check off);
 *   the expected TTL is `ttl`/`hoplimit`, by default 255 for IPv4 and 64 for IPv6 (keepalived's value).
 */
import { decodeControl, type BfdRejectReason } from './packet.js';
import { BfdSession, type BfdSessionAction, type BfdSessionConfig } from './session.js';

/** One session's addressing and GTSM settings next to its timing. */
export interface BfdPeerConfig extends BfdSessionConfig {
  /** `neighbor_ip`, canonical text. */
  readonly neighbor: string;
  /** `source_ip`, canonical text, if set. */
  readonly source?: string;
  /** IPv6 neighbor? */
  readonly ipv6: boolean;
  /** TTL/hop limit we send (`ttl`/`hoplimit`; default 255). */
  readonly sendTtl: number;
  /** Lowest TTL/hop limit accepted; undefined: no check (`max_hops -1`). */
  readonly minRxTtl?: number;
}

/** Defaults of a `bfd_instance`'s TTL settings: what we send and the lowest TTL we accept. */
export function ttlRule(ipv6: boolean, ttl: number | undefined, maxHops: number | undefined): { sendTtl: number; minRxTtl?: number } {
  const expected = ttl ?? (ipv6 ? 64 : 255);
  const hops = Math.min(maxHops ?? 0, expected);
  return hops < 0 ? { sendTtl: ttl ?? 255 } : { sendTtl: ttl ?? 255, minRxTtl: expected - hops };
}

/** A datagram as the socket layer saw it. */
export interface BfdDatagram {
  readonly bytes: Uint8Array;
  /** Source address (canonical text). */
  readonly from: string;
  /** Destination address (canonical text), when known. */
  readonly to?: string;
  /** Received TTL/hop limit; 0 or undefined when the kernel did not tell. */
  readonly ttl?: number;
}

/** Why a datagram was not given to a session. */
export type BfdDropReason = BfdRejectReason | 'no-session' | 'ttl' | 'auth';

/** Actions of one session, tagged with it. */
export interface BfdTaggedAction {
  readonly session: BfdSession;
  readonly peer: BfdPeerConfig;
  readonly action: BfdSessionAction;
}

/** Result of receiving one datagram. */
export type BfdReceiveResult =
  | { readonly ok: true; readonly session: BfdSession; readonly peer: BfdPeerConfig; readonly actions: readonly BfdTaggedAction[] }
  | { readonly ok: false; readonly reason: BfdDropReason; readonly text: string };

/** The session table. */
export class BfdSessions {
  private readonly byName = new Map<string, { session: BfdSession; peer: BfdPeerConfig }>();
  private readonly byDiscr = new Map<number, { session: BfdSession; peer: BfdPeerConfig }>();
  /** Counters of dropped datagrams by reason. */
  readonly drops = new Map<BfdDropReason, number>();

  /**
   * @param rng uniform [0, 1): jitter and discriminators
   */
  constructor(private readonly rng: () => number) {}

  /** Adds a session (not started). */
  add(peer: BfdPeerConfig, now: number): BfdSession {
    let discr = 0;
    while (discr === 0 || this.byDiscr.has(discr)) discr = Math.floor(this.rng() * 0xffffffff) >>> 0;
    const session = new BfdSession(peer, discr, this.rng, now);
    const e = { session, peer };
    this.byName.set(peer.name, e);
    this.byDiscr.set(discr, e);
    return session;
  }

  /** Removes a session by name. */
  remove(name: string): void {
    const e = this.byName.get(name);
    if (!e) return;
    this.byName.delete(name);
    this.byDiscr.delete(e.session.localDiscr);
  }

  /** A session and its peer configuration by name. */
  get(name: string): { readonly session: BfdSession; readonly peer: BfdPeerConfig } | undefined {
    return this.byName.get(name);
  }

  /** Every session with its configuration. */
  all(): Array<{ readonly session: BfdSession; readonly peer: BfdPeerConfig }> {
    return [...this.byName.values()];
  }

  /** Decodes, checks, demultiplexes and delivers one datagram. */
  receive(d: BfdDatagram, now: number): BfdReceiveResult {
    const drop = (reason: BfdDropReason, text: string): BfdReceiveResult => {
      this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
      return { ok: false, reason, text };
    };
    const r = decodeControl(d.bytes);
    if (!r.ok) return drop(r.reason, r.text);
    const p = r.packet;
    const e =
      p.yourDiscr !== 0
        ? this.byDiscr.get(p.yourDiscr)
        : [...this.byName.values()].find(
            (x) => x.peer.neighbor === d.from && (x.peer.source === undefined || d.to === undefined || x.peer.source === d.to),
          );
    if (!e) {
      const hex = p.yourDiscr.toString(16).padStart(8, '0');
      return drop('no-session', `Discarding packet from ${d.from} (session is not found - your discriminator field is 0x${hex})`);
    }
    if (e.peer.neighbor !== d.from) return drop('no-session', `Discarding packet from ${d.from} (not the session's neighbor)`);
    if (e.peer.minRxTtl !== undefined && d.ttl && d.ttl < e.peer.minRxTtl)
      return drop('ttl', `Packet ${e.peer.ipv6 ? 'hop_limit' : 'ttl'}(${d.ttl}) < ${e.peer.minRxTtl} - discarding`);
    if (p.authPresent) return drop('auth', `Discarding packet from ${d.from} (auth bit is set, but no authentication is in use)`);
    return {
      ok: true,
      session: e.session,
      peer: e.peer,
      actions: e.session.receive(p, now).map((action) => ({ session: e.session, peer: e.peer, action })),
    };
  }

  /** Runs every session's due timers. */
  tick(now: number): BfdTaggedAction[] {
    return this.all().flatMap(({ session, peer }) => session.tick(now).map((action) => ({ session, peer, action })));
  }

  /** The earliest deadline of all sessions. */
  nextDeadline(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const { session } of this.byName.values()) t = Math.min(t, session.nextDeadline());
    return t;
  }
}
