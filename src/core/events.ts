/**
 * The event bus for observers: every runtime publishes what happened on `node:diagnostics_channel` channels
 * named `keepalived-ts:*`; metrics, the event stream and the dashboard (src/observe) subscribe. Publishing costs
 * one `hasSubscribers` test when nobody listens. Runtimes never import an observer, observers never reach into a
 * runtime. The pure cores (src/vrrp, src/check) do not publish: their IO drivers do, from the actions they return.
 *
 * Channels (payload types below):
 * - `keepalived-ts:vrrp:transition`   an instance changed state
 * - `keepalived-ts:vrrp:notify`       an instance's notifies went out (scripts, FIFO, mail; keepalived's DBus signal)
 * - `keepalived-ts:vrrp:priority`     an instance's effective priority changed
 * - `keepalived-ts:vrrp:advert`       an advert was received and accepted (per packet: subscribe with care)
 * - `keepalived-ts:vrrp:drop`         a received packet was refused (reason as keepalived counts it)
 * - `keepalived-ts:vrrp:garp`         gratuitous ARPs / unsolicited NAs were sent for an instance
 * - `keepalived-ts:vrrp:jitter`       how late an advert went out on the timer (advert send jitter)
 * - `keepalived-ts:check:verdict`     a checker's result changed a real server's checker state
 * - `keepalived-ts:check:realserver`  a real server went in or out of its pool, or changed weight
 * - `keepalived-ts:check:quorum`      a virtual server gained or lost quorum
 * - `keepalived-ts:check:snmptrap`    the checker core raised an SNMP notification (check_snmp_rs_trap / quorum_trap)
 * - `keepalived-ts:netlink:error`     a netlink request failed
 * - `keepalived-ts:process`           a supervised child started, exited or was restarted
 * - `keepalived-ts:bgp:route`         the `bgp` child announced or withdrew a VIP's route
 * - `keepalived-ts:bgp:state`         the `bgp` child's whole picture (engine, routes, sessions) changed
 * - `keepalived-ts:bfd:state`         a BFD session changed state (the `bfd` child)
 * - `keepalived-ts:bfd:sessions`      the `bfd` child's whole picture (every session) changed
 *
 * The `bgp` and `bfd` children's channels cross processes: the child forwards them to the supervisor, which passes
 * them on to the VRRP child (the one serving the HTTP endpoint), where they are published again
 * (src/cli/child-events.ts).
 */
import { channel, type Channel } from 'node:diagnostics_channel';
import type { CheckTrap } from '../snmp/check-mib.js';

/** An instance changed state. */
export interface VrrpTransitionEvent {
  readonly instance: string;
  readonly vrid: number;
  readonly family: 4 | 6;
  readonly interface: string;
  readonly from: string;
  readonly to: string;
  /** Why, in words an operator reads (`master down timer`, `preempted by 192.0.2.2 prio 150`, …). */
  readonly reason: string;
  readonly priority: number;
  /** Wall-clock ms. */
  readonly at: number;
}

/**
 * An instance's notifies were sent (keepalived's send_instance_notifies): the state as the notify scripts got it
 * (DELETED becomes FAULT without notify_deleted), not sent while a sync group already reported that state.
 */
export interface VrrpNotifyEvent {
  readonly instance: string;
  readonly vrid: number;
  readonly family: 4 | 6;
  /** The configured interface (the VMAC's parent with use_vmac); "" when the instance has none. */
  readonly interface: string;
  readonly state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';
  readonly at: number;
}

/** An instance's effective priority changed. */
export interface VrrpPriorityEvent {
  readonly instance: string;
  readonly from: number;
  readonly to: number;
  readonly at: number;
}

/** An accepted advert. */
export interface VrrpAdvertEvent {
  readonly instance: string;
  readonly source: string;
  readonly priority: number;
  /** This instance's state when it arrived (a peer's advert heard while MASTER feeds the dual-master gauge). */
  readonly localState: string;
  readonly at: number;
}

/** A refused packet. */
export interface VrrpDropEvent {
  readonly instance: string;
  readonly reason: string;
  readonly source: string;
  readonly at: number;
}

/** A GARP/NA burst. */
export interface VrrpGarpEvent {
  readonly instance: string;
  readonly addresses: readonly string[];
  readonly count: number;
  readonly at: number;
}

/** How late an advert was sent (ms after its deadline). */
export interface VrrpJitterEvent {
  readonly lateMs: number;
  readonly at: number;
}

/** A checker verdict. */
export interface CheckVerdictEvent {
  readonly vs: string;
  readonly rs: string;
  readonly checker: string;
  readonly up: boolean;
  /** Probe duration in ms, when the verdict came from a probe. */
  readonly latencyMs?: number;
  readonly at: number;
}

/** A real server's pool membership or weight changed. */
export interface CheckRealServerEvent {
  readonly vs: string;
  readonly rs: string;
  readonly up: boolean;
  readonly weight: number;
  readonly at: number;
}

/** A virtual server's quorum changed. */
export interface CheckQuorumEvent {
  readonly vs: string;
  readonly up: boolean;
  readonly at: number;
}

/**
 * An SNMP notification of the checker core: realServerStateChange when `rs` is set, else
 * virtualServerQuorumStateChange.
 */
export interface CheckSnmpTrapEvent extends CheckTrap {
  readonly at: number;
}

/** A failed netlink request. */
export interface NetlinkErrorEvent {
  readonly what: string;
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

/** A BFD session changed state (the `bfd` child). */
export interface BfdStateEvent {
  readonly name: string;
  /** keepalived's state names: AdminDown, Down, Init, Up. */
  readonly from: string;
  readonly to: string;
  /** The local diagnostic text. */
  readonly diag: string;
  readonly at: number;
}

/** One BFD session in the `bfd` child's picture (the runtime snapshot's BfdSessionStatus has these and more). Times in µs. */
export interface BfdSessionFacts {
  readonly name: string;
  readonly neighbor: string;
  readonly source?: string;
  readonly state: string;
  readonly remoteState: string;
  readonly localDiag: string;
  readonly txIntervalUs: number;
  readonly rxIntervalUs: number;
  readonly detectTimeUs: number;
  readonly upTransitions: number;
  readonly downTransitions: number;
  /** Wall-clock ms the session entered its state. */
  readonly sinceWallMs: number;
}

/** The `bfd` child's whole picture, published after a state change, a new detection time, a start, reload or stop. */
export interface BfdSessionsEvent {
  readonly sessions: readonly BfdSessionFacts[];
  /** Wall-clock ms. */
  readonly at: number;
}

/** A supervised child's life. */
export interface ProcessEvent {
  readonly child: 'vrrp' | 'check' | 'bfd';
  readonly event: 'started' | 'exited' | 'restarted';
  readonly pid: number;
  readonly status?: number | string;
  readonly at: number;
}

/** A route announced (or re-announced with GRACEFUL_SHUTDOWN) or withdrawn by the `bgp` child. */
export interface BgpRouteEvent {
  readonly prefix: string;
  readonly action: 'announce' | 'withdraw';
  readonly gracefulShutdown: boolean;
  /** `gobgp` or `kernel`. */
  readonly engine: string;
  readonly at: number;
}

/** The `bgp` child's whole picture, published whenever a part of it changes. */
export interface BgpStateEvent {
  readonly engine: string;
  /** The engine answers (always true for the kernel table; false while the `bgp` child is gone). */
  readonly connected: boolean;
  /** Every planned prefix with its state (`withdrawn` when not held). */
  readonly routes: readonly { readonly prefix: string; readonly state: 'announced' | 'draining' | 'withdrawn' }[];
  readonly sessions: readonly { readonly peer: string; readonly peerAs: number; readonly state: string; readonly advertised?: number }[];
  readonly at: number;
}

/** Channel name → payload. */
export interface EventMap {
  'keepalived-ts:vrrp:transition': VrrpTransitionEvent;
  'keepalived-ts:vrrp:notify': VrrpNotifyEvent;
  'keepalived-ts:vrrp:priority': VrrpPriorityEvent;
  'keepalived-ts:vrrp:advert': VrrpAdvertEvent;
  'keepalived-ts:vrrp:drop': VrrpDropEvent;
  'keepalived-ts:vrrp:garp': VrrpGarpEvent;
  'keepalived-ts:vrrp:jitter': VrrpJitterEvent;
  'keepalived-ts:check:verdict': CheckVerdictEvent;
  'keepalived-ts:check:realserver': CheckRealServerEvent;
  'keepalived-ts:check:quorum': CheckQuorumEvent;
  'keepalived-ts:check:snmptrap': CheckSnmpTrapEvent;
  'keepalived-ts:netlink:error': NetlinkErrorEvent;
  'keepalived-ts:process': ProcessEvent;
  'keepalived-ts:bgp:route': BgpRouteEvent;
  'keepalived-ts:bgp:state': BgpStateEvent;
  'keepalived-ts:bfd:state': BfdStateEvent;
  'keepalived-ts:bfd:sessions': BfdSessionsEvent;
}

/** Every channel name. */
export type EventName = keyof EventMap;

/** The channel object for `name` (diagnostics_channel keeps one per name process-wide). */
export function eventChannel<N extends EventName>(name: N): Channel {
  return channel(name);
}

/** Publishes `payload` on `name` when someone listens. */
export function publish<N extends EventName>(name: N, payload: EventMap[N]): void {
  const c = channel(name);
  if (c.hasSubscribers) c.publish(payload);
}

/** Subscribes to `name`; returns the function that unsubscribes. */
export function subscribe<N extends EventName>(name: N, fn: (payload: EventMap[N]) => void): () => void {
  const c = channel(name);
  const h = (m: unknown) => fn(m as EventMap[N]);
  c.subscribe(h);
  return () => {
    c.unsubscribe(h);
  };
}
