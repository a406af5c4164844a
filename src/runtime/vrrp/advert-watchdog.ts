/**
 * The advert watchdog as the VRRP runtime uses it (issue 14): while an instance is MASTER, every advert it sends is
 * also handed to a native sender (packages/sysio/src/watchdog.c) with exactly the bytes, socket and destinations it
 * went out with. When the event loop is late — a garbage collection, a long reload, the main thread's vCPU stopped
 * by the hypervisor — a native thread on another CPU sends the same advert at the interval, so the BACKUPs do not
 * take over from a master that is alive. The native side stops on its own `hold` after the last advert from here,
 * so a daemon that hangs still loses mastership.
 *
 * The runtime disarms an instance before anything that ends its mastership (a priority-0 advert, a transition out
 * of MASTER, VIP removal, instance removal, shutdown); disarm returns only when no native send is in flight. Native
 * sends are added to the instance's `advert_sent` once, as they are collected (take()).
 */
import type { RouterAction } from '../../vrrp/router-types.js';
import { VrrpState } from '../../vrrp/types.js';
import { WATCHDOG_MIN_HOLD_MS, watchdogHoldMs, WatchdogRecords, type WatchdogDatagram, type WatchdogPort } from '../watchdog-records.js';

export { WATCHDOG_MIN_HOLD_MS, type WatchdogDatagram, type WatchdogPort };

/** How long after the planned advert the native sender steps in: a quarter interval of ordinary event-loop lateness. */
export const WATCHDOG_SLACK = 0.25;

/** The watchdog's timing for an advert interval: slack and hold (ms); the native side covers max(1 s, 3 intervals). */
export function watchdogTiming(intervalMs: number): { slackMs: number; holdMs: number } {
  return { slackMs: intervalMs * WATCHDOG_SLACK, holdMs: watchdogHoldMs(intervalMs) };
}

/** Per-instance watchdog records (src/runtime/watchdog-records.ts) kicked with the advert timing. */
export class AdvertWatchdog extends WatchdogRecords {
  /**
   * Instance `name`, MASTER, just sent `datagrams` (one per destination) from the event loop: the watchdog sends
   * them from now on, if the event loop does not send again within interval + slack. Returns the native sends not
   * handed out yet (0 while the event loop keeps time): the caller adds them to advert_sent.
   */
  sent(name: string, datagrams: readonly WatchdogDatagram[], intervalMs: number): number {
    return this.kick(name, datagrams, { intervalMs, ...watchdogTiming(intervalMs) });
  }
}

/**
 * What the wiring needs to know of an instance: the runtime's own record of it (src/runtime/vrrp/instance.ts Running),
 * so that asking allocates nothing (a master's batch asks once per advert and once per armed instance).
 */
export interface WatchdogSubject {
  /** Its state machine: the VrrpState now and the advert interval (ms). */
  readonly fsm: { readonly state: number; readonly params: { readonly advertIntervalMs: number } };
  /** Its VRRP socket (undefined while it waits for its interface). */
  readonly socket: { readonly fd: number; sockaddrOf(destination: string): Uint8Array } | undefined;
}

/** A `transmit` action. */
type Transmit = Extract<RouterAction, { kind: 'transmit' }>;

/**
 * The watchdog wired to the router's actions: the runtime calls before() with a batch of actions, transmitted()
 * for each advert it sent, and after() once they are all carried out. An instance is disarmed before an action
 * that ends its mastership is carried out, armed (kicked) with exactly the datagrams it sent while it is MASTER,
 * and disarmed after the batch if it is not MASTER any more for any other reason.
 */
export class MasterWatchdog {
  private pending: Map<string, WatchdogDatagram[]> | undefined;

  /**
   * @param wd the records
   * @param subject an instance by name (undefined once it is gone)
   * @param count called with native sends to add to the instance's advert_sent (each send once)
   */
  constructor(
    private readonly wd: AdvertWatchdog,
    private readonly subject: (name: string) => WatchdogSubject | undefined,
    private readonly count: (name: string, sends: number) => void,
  ) {}

  /** Before carrying out `actions`: every instance whose mastership they end stops its native sends now. */
  before(actions: readonly RouterAction[]): void {
    if (!this.wd.active) return;
    for (const a of actions) if (endsMastership(a)) this.disarm(actionInstance(a), a.kind === 'instanceRemoved');
  }

  /** An advert left from the event loop: kept to arm the instance with after the batch (not AH: no replayed sequence). */
  transmitted(a: Transmit): void {
    const s = this.subject(a.instance);
    if (!s?.socket || a.priority === 0 || a.ipHeader) return;
    this.pending ??= new Map();
    let list = this.pending.get(a.instance);
    if (!list) this.pending.set(a.instance, (list = []));
    list.push({ fd: s.socket.fd, sockaddr: s.socket.sockaddrOf(a.destination), bytes: a.bytes });
  }

  /** After the batch: MASTERs that sent are armed with what they sent; armed non-MASTERs are disarmed. */
  after(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p)
      for (const [name, datagrams] of p) {
        const s = this.subject(name);
        if (s?.fsm.state === VrrpState.MASTER) this.count(name, this.wd.sent(name, datagrams, s.fsm.params.advertIntervalMs));
      }
    if (this.wd.active) this.wd.forEachArmed(this.disarmUnlessMaster);
  }

  private readonly disarmUnlessMaster = (name: string): void => {
    if (this.subject(name)?.fsm.state !== VrrpState.MASTER) this.disarm(name);
  };

  /** Stops the native sends of `name` (synchronously) and counts what they were; `remove`: frees its record too. */
  disarm(name: string, remove = false): void {
    if (remove) this.count(name, this.wd.remove(name));
    else {
      this.wd.disarm(name);
      this.count(name, this.wd.take(name));
    }
  }

  /** Counts the native sends so far of `names`. */
  collect(names: Iterable<string>): void {
    for (const n of names) this.count(n, this.wd.take(n));
  }

  /** Disarms and counts every instance of `names`, then stops the native threads. */
  close(names: Iterable<string>): void {
    for (const n of names) this.disarm(n, true);
    this.wd.close();
  }
}

/** True when an action ends its instance's mastership (the watchdog must stop before it is carried out). */
export function endsMastership(a: RouterAction): boolean {
  switch (a.kind) {
    case 'stateChanged':
      return a.transition.from === VrrpState.MASTER && a.transition.to !== VrrpState.MASTER;
    case 'transmit':
      return a.priority === 0;
    case 'instanceRemoved':
    case 'removeVips':
      return true;
    default:
      return false;
  }
}

/** The instance an action names ('' for group-level ones). */
function actionInstance(a: RouterAction): string {
  if (a.kind === 'stateChanged') return a.transition.instance;
  return 'instance' in a ? a.instance : '';
}
