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
import { sysioWatchdogPort, type WatchdogPort } from '../../net/watchdog.js';
import type { RouterAction } from '../../vrrp/router-types.js';
import { VrrpState } from '../../vrrp/types.js';

export type { WatchdogPort };

/** One datagram of an advert as the instance sent it. */
export interface WatchdogDatagram {
  readonly fd: number;
  readonly sockaddr: Uint8Array;
  readonly bytes: Uint8Array;
}

/** How long after the planned advert the native sender steps in: a quarter interval of ordinary event-loop lateness. */
export const WATCHDOG_SLACK = 0.25;
/** The native sender covers at most this long after the last advert sent from the event loop (ms), or 3 intervals. */
export const WATCHDOG_MIN_HOLD_MS = 1000;

/** The watchdog's timing for an advert interval: slack and hold (ms). */
export function watchdogTiming(intervalMs: number): { slackMs: number; holdMs: number } {
  return { slackMs: intervalMs * WATCHDOG_SLACK, holdMs: Math.max(WATCHDOG_MIN_HOLD_MS, 3 * intervalMs) };
}

interface Rec {
  readonly id: number;
  armed: boolean;
  /** The datagrams last given to the native side (compared by identity: the router caches encoded adverts). */
  datagrams: readonly WatchdogDatagram[];
  /** Native sends already handed out (by sent(), take() or remove()). */
  counted: number;
}

/** Per-instance watchdog records over one WatchdogPort (created on first use). */
export class AdvertWatchdog {
  private port: WatchdogPort | undefined;
  private readonly records = new Map<string, Rec>();
  private readonly free: number[] = [];
  private armedCount = 0;

  constructor(private readonly open: () => WatchdogPort = sysioWatchdogPort) {}

  /** True while some instance is armed. */
  get active(): boolean {
    return this.armedCount > 0;
  }

  /** Names of the armed instances. */
  armedNames(): string[] {
    return [...this.records].filter(([, r]) => r.armed).map(([n]) => n);
  }

  /**
   * Instance `name`, MASTER, just sent `datagrams` (one per destination) from the event loop: the watchdog sends
   * them from now on, if the event loop does not send again within interval + slack. Returns the native sends not
   * handed out yet (0 while the event loop keeps time): the caller adds them to advert_sent.
   */
  sent(name: string, datagrams: readonly WatchdogDatagram[], intervalMs: number): number {
    if (!datagrams.length) return 0;
    const port = (this.port ??= this.open());
    let r = this.records.get(name);
    if (!r) {
      const id = this.free.pop() ?? port.add();
      r = { id, armed: false, datagrams: [], counted: port.sent(id) };
      this.records.set(name, r);
    }
    if (!sameDatagrams(r.datagrams, datagrams)) {
      const fd = datagrams[0]!.fd;
      port.set(
        r.id,
        fd,
        datagrams.map((d) => d.bytes),
        datagrams.map((d) => d.sockaddr),
      );
      r.datagrams = datagrams;
    }
    const { slackMs, holdMs } = watchdogTiming(intervalMs);
    const total = port.kick(r.id, intervalMs, slackMs, holdMs);
    if (!r.armed) this.armedCount++;
    r.armed = true;
    const fresh = total - r.counted;
    r.counted = total;
    return fresh;
  }

  /** Stops native sends for `name` (synchronously: nothing of it is in flight when this returns). */
  disarm(name: string): void {
    const r = this.records.get(name);
    if (!r?.armed || !this.port) return;
    this.port.disarm(r.id);
    r.armed = false;
    this.armedCount--;
  }

  /** Native sends for `name` not handed out yet (each counts once in advert_sent). */
  take(name: string): number {
    const r = this.records.get(name);
    if (!r || !this.port) return 0;
    const total = this.port.sent(r.id);
    const n = total - r.counted;
    r.counted = total;
    return n;
  }

  /** Disarms `name` and frees its record; returns its native sends not handed out yet. */
  remove(name: string): number {
    this.disarm(name);
    const n = this.take(name);
    const r = this.records.get(name);
    if (r) {
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
}

function sameDatagrams(a: readonly WatchdogDatagram[], b: readonly WatchdogDatagram[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.fd !== b[i]!.fd || a[i]!.bytes !== b[i]!.bytes || a[i]!.sockaddr !== b[i]!.sockaddr) return false;
  return true;
}

/** What the wiring needs to know of an instance. */
export interface WatchdogSubject {
  /** Its VrrpState now. */
  readonly state: number;
  /** Its advert interval (ms). */
  readonly advertIntervalMs: number;
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
        if (s?.state === VrrpState.MASTER) this.count(name, this.wd.sent(name, datagrams, s.advertIntervalMs));
      }
    if (this.wd.active) for (const name of this.wd.armedNames()) if (this.subject(name)?.state !== VrrpState.MASTER) this.disarm(name);
  }

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
