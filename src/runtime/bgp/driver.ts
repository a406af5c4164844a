/**
 * What the `bgp` child's runtime needs from an announcement engine: apply an action, report its sessions, close.
 * Two implementations: src/runtime/bgp/kernel-driver.ts (a routing table) and src/runtime/bgp/gobgp-driver.ts.
 */
import type { AnnounceAction } from '../../bgp/announcer.js';

/** One BGP session as the engine reports it. */
export interface BgpSessionInfo {
  readonly peer: string;
  readonly peerAs: number;
  /** BGP FSM state (`established`, `active`, …). */
  readonly state: string;
  /** Prefixes we advertise to it. */
  readonly advertised?: number;
}

/** An announcement engine. */
export interface AnnounceDriver {
  /** `kernel` or `gobgp`. */
  readonly engine: string;
  /** Connects (and starts gobgpd when configured). Never rejects: problems are logged and retried. */
  start(): Promise<void>;
  /** Applies one action. Never rejects: failures are logged (and, for gobgp, replayed on reconnect). */
  apply(action: AnnounceAction): Promise<void>;
  /** The engine's sessions (empty for the kernel table). */
  sessions(): Promise<readonly BgpSessionInfo[]>;
  /** Whether the engine is reachable now. */
  connected(): boolean;
  /** Set by the runtime: called when a restarted engine answers again (its routes are gone). */
  onReconnect: () => void;
  /** Releases the engine (stops a gobgpd we started). */
  close(): Promise<void>;
}
