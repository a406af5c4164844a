/**
 * The `bgp` child's runtime: it holds no VRRP or checker state of its own. The supervisor feeds it the other
 * children's facts (instance states from the VRRP child, quorum from the checker child); it computes the routes
 * that should be announced (src/bgp/plan.ts), runs the announcer (src/bgp/announcer.ts, graceful shutdown), and
 * drives the engine: gobgpd over gRPC or a kernel routing table. A stop is a planned withdrawal.
 */
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { KeepalivedConfig } from '../../config/model.js';
import { Announcer, type AnnounceAction } from '../../bgp/announcer.js';
import { NO_FACTS, wantedRoutes, type AnnounceFacts, type PlanEntry } from '../../bgp/plan.js';
import { Rtnl } from '../../net/netlink/rtnl.js';
import type { Runtime, RuntimeContext } from '../port.js';
import type { BgpSnapshot, RuntimeSnapshot } from '../snapshot.js';
import type { AnnounceDriver, BgpSessionInfo } from './driver.js';
import { KernelDriver } from './kernel-driver.js';
import { bgpSettings, buildPlan } from './plan.js';
import type { BgpAnnounceConfig } from '../../config/model-bgp.js';
import { publish, type BgpStateEvent } from '../../core/events.js';

/** How often the engine's sessions are read for `status` and the metrics (ms). */
const SESSION_POLL_MS = 1000;

/** Builds the engine driver for the settings (the gobgp one is loaded only when used: it pulls in gRPC). */
export type DriverFactory = (settings: BgpAnnounceConfig, ctx: RuntimeContext) => Promise<AnnounceDriver>;

/** The real drivers. */
export const defaultDriverFactory: DriverFactory = async (settings, ctx) => {
  if (settings.engine === 'kernel') return new KernelDriver(new Rtnl(), settings, ctx.log);
  const { GobgpDriver } = await import('./gobgp-driver.js');
  return new GobgpDriver(settings, ctx.log);
};

/** The BGP announcement runtime. */
export class BgpRuntime implements Runtime {
  private plan: PlanEntry[] = [];
  private facts: AnnounceFacts = NO_FACTS;
  private announcer = new Announcer(0);
  private driver: AnnounceDriver | undefined;
  private settings: BgpAnnounceConfig | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Actions run one after another, in order. */
  private queue: Promise<void> = Promise.resolve();
  private sessionCache: readonly BgpSessionInfo[] = [];
  private stopped = false;
  private sessionTimer: ReturnType<typeof setInterval> | undefined;
  /** The last published picture (without its time), to publish only changes. */
  private lastState = '';

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly drivers: DriverFactory = defaultDriverFactory,
    private readonly clock: Clock = systemClock(),
  ) {}

  async start(config: KeepalivedConfig): Promise<void> {
    this.settings = bgpSettings(config);
    this.plan = buildPlan(config);
    for (const e of this.plan) {
      if (e.when !== 'master' && e.virtualServers.length === 0)
        this.ctx.log.log({
          level: 'warning',
          text: `BGP: (${e.route.prefix}) bgp_announce ${e.when}: no virtual_server on ${e.route.address} - never announced`,
        });
    }
    this.announcer = new Announcer(this.settings.engine === 'gobgp' ? this.settings.gracefulShutdownMs : 0);
    this.driver = await this.drivers(this.settings, this.ctx);
    // a restarted engine has lost our routes: announce every held route again
    this.driver.onReconnect = () => this.run(this.announcer.replay());
    await this.driver.start();
    this.ctx.log.log({ level: 'info', text: `BGP: ${this.plan.length} route(s) planned, engine ${this.driver.engine}` });
    this.sessionTimer = setInterval(() => void this.pollSessions(), SESSION_POLL_MS);
    this.sessionTimer.unref();
    this.refresh();
    this.publishState();
  }

  async reload(config: KeepalivedConfig): Promise<void> {
    const s = bgpSettings(config);
    if (JSON.stringify({ ...s, pos: undefined }) !== JSON.stringify({ ...this.settings, pos: undefined })) {
      // another engine or other attributes: withdraw everything from the old one, start afresh
      await this.stop();
      this.stopped = false;
      await this.start(config);
      return;
    }
    this.plan = buildPlan(config);
    this.refresh();
    await this.queue;
    this.publishState();
  }

  /** The other children's facts (the supervisor sends the whole picture each time). */
  setFacts(f: AnnounceFacts): void {
    this.facts = f;
    this.refresh();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    if (this.sessionTimer) clearInterval(this.sessionTimer);
    this.sessionTimer = undefined;
    this.run(this.announcer.stop(this.clock.now()));
    const due = this.announcer.nextDeadline();
    if (due !== undefined) {
      this.ctx.log.log({ level: 'info', text: `BGP: graceful shutdown - routes withdrawn in ${Math.max(0, due - this.clock.now())} ms` });
      await new Promise((r) => setTimeout(r, Math.max(0, due - this.clock.now())));
      this.run(this.announcer.tick(this.clock.now()));
    }
    await this.queue;
    await this.driver?.close();
    this.driver = undefined;
    this.sessionCache = [];
    this.publishState();
  }

  snapshot(): RuntimeSnapshot {
    void this.pollSessions();
    return { instances: [], syncGroups: [], bgp: this.bgpSnapshot() };
  }

  clearStats(): void {}

  /** The announcement state for `status`. */
  bgpSnapshot(): BgpSnapshot {
    return {
      engine: this.settings?.engine ?? 'gobgp',
      connected: this.driver?.connected() ?? false,
      routes: this.announcer.routes().map((r) => ({ prefix: r.route.prefix, state: r.state })),
      planned: this.plan.map((e) => ({ prefix: e.route.prefix, instance: e.instance, when: e.when })),
      sessions: this.sessionCache,
    };
  }

  /** Refreshes the session cache (`status` shows the last answer) and publishes what changed. */
  async pollSessions(): Promise<void> {
    if (this.driver) this.sessionCache = await this.driver.sessions();
    this.publishState();
  }

  /** The whole picture for the observers: every planned prefix with its state, the engine, the sessions. */
  stateEvent(at: number): BgpStateEvent {
    const held = new Map(this.announcer.routes().map((r) => [r.route.prefix, r.state]));
    const prefixes = [...new Set([...this.plan.map((e) => e.route.prefix), ...held.keys()])];
    return {
      engine: this.settings?.engine ?? 'gobgp',
      connected: this.driver?.connected() ?? false,
      routes: prefixes.map((prefix) => ({ prefix, state: held.get(prefix) ?? 'withdrawn' })),
      sessions: this.sessionCache,
      at,
    };
  }

  /** Publishes `keepalived-ts:bgp:state` when the picture changed since the last time. */
  private publishState(): void {
    const e = this.stateEvent(Date.now());
    const key = JSON.stringify({ ...e, at: 0 });
    if (key === this.lastState) return;
    this.lastState = key;
    publish('keepalived-ts:bgp:state', e);
  }

  private refresh(): void {
    if (this.stopped || !this.driver) return;
    const now = this.clock.now();
    this.run([...this.announcer.tick(now), ...this.announcer.update(wantedRoutes(this.plan, this.facts), now)]);
    this.arm();
  }

  private run(actions: readonly AnnounceAction[]): void {
    const d = this.driver;
    if (!d) return;
    for (const a of actions) {
      this.queue = this.queue.then(async () => {
        await d.apply(a);
        const gracefulShutdown = a.kind === 'announce' && a.gracefulShutdown;
        publish('keepalived-ts:bgp:route', { prefix: a.route.prefix, action: a.kind, gracefulShutdown, engine: d.engine, at: Date.now() });
        this.publishState();
      });
    }
  }

  /** The timer for the next graceful-shutdown withdrawal. */
  private arm(): void {
    this.clearTimer();
    const due = this.announcer.nextDeadline();
    if (due === undefined) return;
    this.timer = setTimeout(() => this.refresh(), Math.max(0, due - this.clock.now()));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
