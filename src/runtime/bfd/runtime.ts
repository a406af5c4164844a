/**
 * The `bfd` child's runtime (keepalived's BFD process): the sans-IO session table (src/bfd) driven by UDP
 * sockets (src/net/bfd-socket.ts) and one timer. Timer integrity as for VRRP adverts: before a due timer is acted
 * on, every receive socket is drained, so an event-loop stall cannot turn packets already queued into a false
 * Down. State changes are logged with keepalived's texts and published (`keepalived-ts:bfd:state`), from where
 * the child forwards them to the supervisor, which relays them to the VRRP and checker children. After a state
 * change, a new detection time or transmit interval, a start, reload or stop the whole picture goes out too
 * (`keepalived-ts:bfd:sessions`, for `status` and the metrics). While a session is Up its periodic packets are also
 * held by the native transmit watchdog (tx-watchdog.ts; `bfd_tx_watchdog false` in global_defs turns it off), so a
 * late event loop does not silence it.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { publish } from '../../core/events.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../core/inet/address.js';
import type { BfdInstanceConfig, KeepalivedConfig } from '../../config/model.js';
import { BFD_CONTROL_PORT, BFD_SOURCE_PORT_MAX, BFD_SOURCE_PORT_MIN, BfdState, diagName, STATE_NAMES } from '../../bfd/packet.js';
import type { BfdSession } from '../../bfd/session.js';
import { BfdSessions, ttlRule, type BfdPeerConfig, type BfdTaggedAction } from '../../bfd/sessions.js';
import { openBfdReceiver, openBfdSender, type BfdRx, type BfdSender } from '../../net/bfd-socket.js';
import type { Socket } from '../../net/socket.js';
import type { TimerPort } from '../check/runtime.js';
import type { Runtime, RuntimeContext } from '../port.js';
import type { BfdSessionStatus, RuntimeSnapshot } from '../snapshot.js';
import type { WatchdogPort } from '../watchdog-records.js';
import { BfdTxWatchdog } from './tx-watchdog.js';

/** Canonical text of an address (what recvmsg reports), or the text unchanged when it does not parse. */
export function canonicalIp(text: string): string {
  const v4 = parseIpv4(text);
  if (v4) return formatIpv4(v4);
  const v6 = parseIpv6(text);
  return v6 ? formatIpv6(v6) : text;
}

/** A `bfd_instance` → the session's configuration (ms → µs, TTL rule, canonical addresses). */
export function peerOf(b: BfdInstanceConfig): BfdPeerConfig {
  const neighbor = canonicalIp(b.neighbor ?? '');
  const ipv6 = neighbor.includes(':');
  return {
    name: b.name,
    neighbor,
    ...(b.source ? { source: canonicalIp(b.source) } : {}),
    ipv6,
    ...ttlRule(ipv6, b.ttl, b.maxHops),
    desiredMinTxUs: Math.round(b.minTxMs * 1000),
    requiredMinRxUs: Math.round(b.minRxMs * 1000),
    idleTxUs: Math.round(b.idleTxMs * 1000),
    detectMult: b.multiplier,
    passive: b.passive,
  };
}

/**
 * Options for tests: another port, clock, random source or timer. A ManualClock needs injected timers too: a real
 * timer armed for (deadline − the manual now) would fire, find nothing due (the manual clock has not moved) and
 * re-arm for the same delay, for ever.
 */
export interface BfdRuntimeOptions {
  readonly port?: number;
  readonly clock?: Clock;
  readonly rng?: () => number;
  readonly timers?: TimerPort;
  /** The native sender of the transmit watchdog (sysio's by default). */
  readonly watchdog?: () => WatchdogPort;
}

/** The BFD runtime. */
export class BfdRuntime implements Runtime {
  private table: BfdSessions;
  private readonly receivers = new Map<'4' | '6', Socket>();
  private readonly senders = new Map<string, BfdSender>();
  private timer: unknown;
  private readonly timers: TimerPort;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly clock: Clock;
  private readonly rng: () => number;
  private readonly port: number;
  private stopped = false;
  private readonly sendErrors = new Set<string>();
  /** The transmit watchdog (bfd_tx_watchdog, on unless set false); undefined while off. */
  private txWatchdog: BfdTxWatchdog | undefined;
  private readonly watchdogPort: (() => WatchdogPort) | undefined;

  constructor(
    private readonly ctx: RuntimeContext,
    o: BfdRuntimeOptions = {},
  ) {
    this.watchdogPort = o.watchdog;
    this.clock = o.clock ?? systemClock();
    this.rng = o.rng ?? Math.random;
    this.port = o.port ?? BFD_CONTROL_PORT;
    this.timers = o.timers ?? { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.table = new BfdSessions(this.rng);
  }

  async start(config: KeepalivedConfig): Promise<void> {
    this.configureWatchdog(config);
    for (const b of config.bfdInstances) this.addSession(peerOf(b));
    const now = this.clock.now();
    for (const { session, peer } of this.table.all()) this.apply(session.start(now).map((action) => ({ session, peer, action })));
    this.publishPicture();
    this.arm();
  }

  async reload(config: KeepalivedConfig): Promise<void> {
    this.configureWatchdog(config);
    const wanted = new Map(config.bfdInstances.map((b) => [b.name, peerOf(b)] as const));
    const now = this.clock.now();
    for (const { session, peer } of this.table.all()) {
      const w = wanted.get(peer.name);
      const sameAddressing =
        w && w.neighbor === peer.neighbor && w.source === peer.source && w.sendTtl === peer.sendTtl && w.minRxTtl === peer.minRxTtl;
      if (w && sameAddressing) {
        session.reconfigure(w);
        session.resync();
        Object.assign(this.table.get(peer.name)!.peer, w);
        wanted.delete(peer.name);
        continue;
      }
      this.apply(session.adminDown(now).map((action) => ({ session, peer, action })));
      this.removeSession(peer.name);
    }
    for (const p of wanted.values()) {
      const s = this.addSession(p);
      if (s) this.apply(s.start(now).map((action) => ({ session: s, peer: p, action })));
    }
    this.settleWatchdog(this.table.all().map((e) => e.peer.name)); // new timers of kept sessions change their packet
    this.publishPicture();
    this.arm();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    const now = this.clock.now();
    for (const { session, peer } of this.table.all()) this.apply(session.adminDown(now).map((action) => ({ session, peer, action })));
    this.publishPicture();
    for (const name of [...this.senders.keys()]) this.removeSession(name);
    this.txWatchdog?.close();
    this.txWatchdog = undefined;
    for (const r of this.receivers.values()) r.close();
    this.receivers.clear();
  }

  /** Turns the transmit watchdog on or off as the configuration says (at start and on reload). */
  private configureWatchdog(cfg: KeepalivedConfig): void {
    if (cfg.globalDefs?.bfdTxWatchdog !== false) this.txWatchdog ??= new BfdTxWatchdog(this.watchdogPort);
    else if (this.txWatchdog) {
      for (const name of this.txWatchdog.armedNames()) {
        const e = this.table.get(name);
        const n = this.txWatchdog.disarm(name);
        if (e) this.countNative(e.session, name, n);
      }
      this.txWatchdog.close();
      this.txWatchdog = undefined;
    }
  }

  /** Native sends of a session: counted as its own, and logged with -D. */
  private countNative(session: BfdSession, name: string, sends: number): void {
    if (sends <= 0) return;
    session.countSentElsewhere(sends);
    this.ctx.log.log({ level: 'info', text: `(${name}) tx watchdog sent ${sends} packet(s) while the event loop was late`, detail: true });
  }

  /**
   * After a batch touching `names`: an armed session that is not Up any more is disarmed (a backstop: the state
   * action already did), one still Up gets its current periodic packet prepared (a Final clears the Poll bit, new
   * intervals, a reload's new timers).
   */
  private settleWatchdog(names: Iterable<string>): void {
    const wd = this.txWatchdog;
    if (!wd) return;
    for (const name of names) {
      if (!wd.armed(name)) continue;
      const e = this.table.get(name);
      const sender = this.senders.get(name);
      if (!e || !sender || e.session.sessionState !== BfdState.Up) {
        if (e) this.countNative(e.session, name, wd.disarm(name));
        else wd.disarm(name);
      } else wd.refresh(name, { fd: sender.socket.fd, sockaddr: sender.sockaddr, bytes: e.session.periodicPacket() });
    }
  }

  snapshot(): RuntimeSnapshot {
    return { instances: [], syncGroups: [], bfd: this.sessions() };
  }

  /** Every session for `status` and the metrics: the session's view, its addresses, wall-clock times. */
  private sessions(): BfdSessionStatus[] {
    const now = this.clock.now();
    const wall = this.clock.wallNow();
    return this.table.all().map(({ session, peer }) => {
      const s = session.snapshot();
      return {
        ...s,
        neighbor: peer.neighbor,
        ...(peer.source ? { source: peer.source } : {}),
        rxIntervalUs: Math.max(peer.requiredMinRxUs, s.remoteDesiredMinTxUs),
        sinceWallMs: Math.round(wall - (now - s.sinceMs)),
      };
    });
  }

  /** Publishes the whole picture (`keepalived-ts:bfd:sessions`). */
  private publishPicture(): void {
    publish('keepalived-ts:bfd:sessions', { sessions: this.sessions(), at: this.clock.wallNow() });
  }

  clearStats(): void {}

  private addSession(p: BfdPeerConfig): ReturnType<BfdSessions['add']> | undefined {
    const fam = p.ipv6 ? '6' : '4';
    if (!this.receivers.has(fam)) {
      try {
        this.receivers.set(
          fam,
          openBfdReceiver(
            p.ipv6,
            this.port,
            (rx) => this.onPacket(rx),
            (e) => this.ctx.log.log({ level: 'err', text: `recvmsg() error (${e.code})` }),
          ),
        );
      } catch (e) {
        this.ctx.log.log({ level: 'err', text: `Unable to open listening socket (${(e as Error).message})` });
      }
    }
    try {
      const first = BFD_SOURCE_PORT_MIN + Math.floor(this.rng() * (BFD_SOURCE_PORT_MAX - BFD_SOURCE_PORT_MIN + 1));
      const sender = openBfdSender({
        ipv6: p.ipv6,
        neighbor: p.neighbor,
        ...(p.source ? { source: p.source } : {}),
        ttl: p.sendTtl,
        firstPort: first,
        min: BFD_SOURCE_PORT_MIN,
        max: BFD_SOURCE_PORT_MAX,
        dstPort: this.port,
      });
      this.senders.set(p.name, sender);
    } catch (e) {
      this.ctx.log.log({ level: 'err', text: `(${p.name}) Unable to open output socket, disabling instance (${(e as Error).message})` });
      return undefined;
    }
    return this.table.add(p, this.clock.now());
  }

  private removeSession(name: string): void {
    const e = this.table.get(name);
    const native = this.txWatchdog?.remove(name) ?? 0; // before its socket closes
    if (e) this.countNative(e.session, name, native);
    this.senders.get(name)?.socket.close();
    this.senders.delete(name);
    this.table.remove(name);
  }

  private onPacket(rx: BfdRx): void {
    if (this.stopped) return;
    const r = this.table.receive(
      { bytes: rx.bytes, from: rx.from, ...(rx.to ? { to: rx.to } : {}), ...(rx.ttl !== undefined ? { ttl: rx.ttl } : {}) },
      this.clock.now(),
    );
    if (!r.ok) {
      if (this.ctx.logDetail > 0)
        this.ctx.log.log({
          level: 'err',
          text:
            r.reason === 'no-session' || r.reason === 'ttl' || r.reason === 'auth' ? r.text : `Discarding bogus packet from ${rx.from}: ${r.text}`,
        });
      return;
    }
    this.apply(r.actions, r.peer.name);
    this.arm();
  }

  /**
   * Carries out actions; anything but a send (a state change, a log such as a new detection time, a new transmit
   * interval) republishes the picture.
   */
  private apply(actions: readonly BfdTaggedAction[], received?: string): void {
    let changed = false;
    const wd = this.txWatchdog;
    const touched = new Set<string>(received === undefined ? [] : [received]);
    const now = this.clock.now();
    for (const { session, peer, action } of actions) {
      if (action.kind !== 'send') changed = true;
      touched.add(peer.name);
      if (action.kind === 'state' && action.from === BfdState.Up && wd) {
        // out of Up: no native Up packet may follow this state's own packets
        this.countNative(session, peer.name, wd.disarm(peer.name));
      }
      if (action.kind === 'send') {
        const sender = this.senders.get(peer.name);
        if (wd && sender && action.control.state === BfdState.Up && !action.control.final) {
          const subject = { name: peer.name, txIntervalUs: session.txIntervalUs(), detectMult: peer.detectMult, nextTxAt: session.nextTxAt() };
          const r = wd.periodic(subject, { fd: sender.socket.fd, sockaddr: sender.sockaddr, bytes: action.bytes }, now);
          this.countNative(session, peer.name, r.native);
          if (!r.send) {
            // the native side sent this interval's packet; the next is ours at its next deadline (waitMs counts
            // from inside the claim: a clock read after it never places that deadline early)
            session.deferTx(this.clock.now() + r.waitMs);
            continue;
          }
        }
        const problem = sender?.send(action.bytes);
        if (problem && !this.sendErrors.has(peer.name)) {
          this.sendErrors.add(peer.name);
          this.ctx.log.log({ level: 'err', text: `(${peer.name}) Error sending packet (${problem.code})` });
        } else if (!problem) this.sendErrors.delete(peer.name);
      } else if (action.kind === 'log') {
        this.ctx.log.log({ level: action.level, text: action.text });
      } else if (action.kind === 'state') {
        publish('keepalived-ts:bfd:state', {
          name: peer.name,
          from: STATE_NAMES[action.from]!,
          to: STATE_NAMES[action.to]!,
          diag: diagName(action.diag),
          at: this.clock.wallNow(),
        });
      }
    }
    this.settleWatchdog(touched);
    if (changed && !this.stopped) this.publishPicture();
  }

  /** One timer for every session: drain the sockets, then run what is due. */
  private arm(): void {
    if (this.stopped) return;
    const due = this.table.nextDeadline();
    if (due === this.timerAt && this.timer !== undefined) return;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.timerAt = due;
    if (!Number.isFinite(due)) return;
    this.timer = this.timers.set(() => this.onTimer(), Math.max(0, due - this.clock.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    for (const r of this.receivers.values()) r.drain();
    const now = this.clock.now();
    this.apply(this.table.tick(now));
    this.arm();
  }
}
