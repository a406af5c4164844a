/**
 * The checker runtime (keepalived's `Keepalived_healthcheckers` process): wires the pure health-checking core
 * (src/check, one VirtualServerCheck per `virtual_server`) to the probe drivers (src/probe), the load-balancer
 * data plane (an LbBackend: IPVS over generic netlink, or none), notify scripts, FIFOs and mail.
 *
 * Timers are data in the core: one real timer is armed for the earliest deadline of all virtual servers (each
 * virtual server's earliest deadline is cached and only lowered by a probe result, so a result costs O(1) here).
 * A probe runs with an AbortSignal that a stop or reload pulls. IPVS commands go through LbWriter (serialised
 * per service, keepalived's error texts, only what we created is removed). Without a data plane the checks keep
 * running and the table is not programmed (backend-choice.ts says why and what to do).
 *
 * Reload diffs virtual servers by their service (migrate.ts): an unchanged one is not touched at all; a changed
 * one takes over the old one's state — servers still in the table stay, changed weights are edited in place,
 * removed servers and services are deleted, new ones added.
 */
import { netlinkReceiveBuffer } from '../netlink-bufs.js';
import type { ReceiveBuffer } from '../../net/netlink/rtnl.js';
import { setMaxListeners } from 'node:events';
import type { SecureContext } from 'node:tls';
import type { Logger } from '../../core/log.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { systemRng, type Rng } from '../../core/rng.js';
import { publish } from '../../core/events.js';
import type { KeepalivedConfig } from '../../config/model.js';
import type { RealServerConfig, SorryServerConfig, VirtualServerConfig } from '../../config/model-lvs.js';
import type { CheckAction } from '../../check/actions.js';
import { CheckerFsm } from '../../check/checker-fsm.js';
import type { RemovedChecker } from '../../check/real-server.js';
import type { TrackedFileInfo } from '../../check/checker-file.js';
import { realWeight } from '../../check/format.js';
import { VirtualServerCheck, type CheckGlobals } from '../../check/virtual-server.js';
import type { LbBackend } from '../../lb/backend.js';
import { serviceKeyText } from '../../lb/backend.js';
import { canonicalAddress, destOf, sameDestSettings, sameServiceSettings, servicesOf, type ServiceTarget } from '../../lb/services.js';
import { probeEvent, runProbe, type ProbeReport, type ProbeSpec } from '../../probe/index.js';
import { buildSslContext } from '../../probe/tls-context.js';
import { LvsSyncDaemon } from '../lvs-sync-daemon.js';
import { scriptContextFor, type ScriptContext } from '../../notify/prepare.js';
import { FileTracker } from '../../track/file-tracker.js';
import type { RuntimeContext, VrrpRuntime } from '../port.js';
import type { RealServerSnapshot, RuntimeSnapshot, VirtualServerSnapshot } from '../snapshot.js';
import { backendFactoryFor, openBackend, type BackendFactory } from './backend-choice.js';
import { LbWriter } from './lb-writer.js';
import { readLvs } from './lvs-listing.js';
import { countersOf } from './lvs-counters.js';
import type { CheckCounters } from '../../snmp/check-mib.js';
import type { LvsReport } from '../../lb/report.js';
import { configText, migrateState, vsIdentity } from './migrate.js';
import { CheckNotify } from './notify.js';
import { NftIpvs } from './nft-ipvs.js';
import { FwmarkAllocator, nftIpvsElements } from '../../lb/nft-ipvs.js';
import { spawnNft } from '../vrrp/nft-vips.js';

/** Runs one probe; the default is src/probe's runProbe. */
export type ProbeFn = (spec: ProbeSpec, signal: AbortSignal) => Promise<ProbeReport>;

/** Where ha_suspend learns which addresses the host has (default: rtnetlink). */
export interface AddressMonitor {
  /** The addresses configured now. */
  list(): Promise<readonly string[]>;
  /** Reports each address added (true) or removed (false). */
  watch(fn: (address: string, present: boolean) => void): void;
  close(): void;
}

/** The one real timer (injectable for deterministic tests). */
export interface TimerPort {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Options of the checker runtime (everything has a production default). */
export interface CheckRuntimeOptions {
  readonly clock?: Clock;
  readonly rng?: Rng;
  /** The data plane; default: IPVS when this build and kernel have it. */
  readonly backendFactory?: BackendFactory;
  readonly probe?: ProbeFn;
  readonly addressMonitor?: () => Promise<AddressMonitor | undefined>;
  readonly timers?: TimerPort;
  /**
   * Timer slack: the timer fires at most once per this many ms, so checkers due close together run in one wake-up
   * (their lateness, up to this much, is counted). Default 10 ms with real timers, 0 with injected ones.
   */
  readonly timerSlackMs?: number;
}

/** Counters the bench and tests read. */
export interface CheckRuntimeStats {
  probesStarted: number;
  probesFinished: number;
  /** How late due checkers were run (ms), the latest LATENESS_SAMPLES of them. */
  readonly lateness: number[];
}

/**
 * The most one timer run spends launching probes (ms) before it yields to the event loop. Without it, checkers
 * that came due together run in one long tick, their results come back together and schedule them together
 * again: at 10,000 servers nearly all of them ended up in one tick stalling the loop for seconds.
 */
const FIRE_BUDGET_MS = 20;

/** How many lateness samples are kept. */
const LATENESS_SAMPLES = 100_000;

/** The last probe of a real server. */
interface LastProbe {
  result: NonNullable<RealServerSnapshot['lastResult']>;
  latencyMs: number;
  checker: string;
}

/** One running virtual server. */
interface RunningVs {
  readonly id: string;
  readonly config: VirtualServerConfig;
  readonly check: VirtualServerCheck;
  readonly targets: readonly ServiceTarget[];
  /** Targets whose service is in the kernel (added by us or found there). */
  readonly installed: Set<string>;
  /** The earliest checker deadline (cached). */
  deadline: number | undefined;
  /** The running probe of each checker (`rs:checker` → launch number); a report from any other is stale. */
  readonly probes: Map<string, number>;
  /**
   * Aborts every probe of this virtual server (stop, reload). One controller per virtual server, not per probe:
   * an AbortController and its listener cost more CPU than a TCP_CHECK's own connect. A probe superseded by a
   * relaunch of its checker is not aborted early; it ends at its own timeout and its report is ignored.
   */
  readonly abort: AbortController;
  readonly last: Map<number, LastProbe>;
  quorumUp: boolean;
  stopped: boolean;
  /** While set, IPVS actions are not carried out (lvs_flush_on_stop does it in one go). */
  muteIpvs: boolean;
}

const targetKey = (t: ServiceTarget): string => serviceKeyText(t.service.key) + t.service.key.family;

/** A virtual server's probe abort: every running probe of it listens, so no listener-count warning. */
function probeAbort(): AbortController {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  return ac;
}

/** The checker runtime. Implements the runtime port the daemon drives (start/reload/stop/snapshot/clearStats). */
export class CheckRuntime implements VrrpRuntime {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly timers: TimerPort;
  private readonly probeFn: ProbeFn;
  private config: KeepalivedConfig | undefined;
  private vss: RunningVs[] = [];
  private lb: LbWriter | undefined;
  private backend: LbBackend | undefined;
  private notify: CheckNotify | undefined;
  private scripts: ScriptContext | undefined;
  private readonly trackers = new Map<string, FileTracker>();
  private readonly trackValues = new Map<string, number>();
  /** The bfd_instances whose session is Up (BFD_CHECK). */
  private bfdUp = new Set<string>();
  private addresses: Set<string> | undefined;
  private monitor: AddressMonitor | undefined;
  private timer: unknown;
  private timerAt: number | undefined;
  private readonly slackMs: number;
  private lastFire = -Infinity;
  /** Where the next timer run starts in vss (a run cut short by FIRE_BUDGET_MS resumes there). */
  private fireFrom = 0;
  private stopping = false;
  private latenessNext = 0;
  /** Probes launched so far (tells a checker's current probe from a superseded one). */
  private launches = 0;
  /** Real servers an operator drains (`vsName|rsName`): held at weight 0 until undrained (observe/admin.ts). */
  private readonly drained = new Set<string>();
  /** `lvs_sync_daemon` without an instance: a master and a backup daemon for the checker's lifetime (check_daemon.c). */
  private syncd: LvsSyncDaemon | undefined;
  /** nftables_ipvs: the marks and the maps that set them (created with the data plane; settings fixed from then on). */
  private nftIpvs: NftIpvs | undefined;
  /** SSL_GET's client context (the `SSL` block), built at start and at each reload when an SSL_GET checker exists. */
  private sslContext: SecureContext | undefined;
  /** Probe and timing counters. */
  readonly stats: CheckRuntimeStats = { probesStarted: 0, probesFinished: 0, lateness: [] };

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly opts: CheckRuntimeOptions = {},
  ) {
    this.log = ctx.log;
    this.clock = opts.clock ?? systemClock();
    this.rng = opts.rng ?? systemRng();
    this.timers = opts.timers ?? { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.slackMs = opts.timerSlackMs ?? (opts.timers ? 0 : 10);
    this.probeFn =
      opts.probe ??
      ((spec, signal) =>
        runProbe(
          spec,
          {
            miscScript: (check) => this.notify?.prepare(check.script, 'MISC_CHECK'),
            sslContext: () => this.sslContext,
          },
          signal,
        ));
  }

  /** The data plane in use (undefined: checks run without programming). */
  get lbBackend(): LbBackend | undefined {
    return this.backend;
  }

  /** Opens the data plane, starts trackers and every virtual server's checkers. */
  async start(config: unknown): Promise<void> {
    const cfg = config as KeepalivedConfig;
    this.config = cfg;
    if (!cfg?.virtualServers?.length) return;
    if (!this.initSsl(cfg)) throw new Error('SSL context could not be initialised (see above)');
    this.notify = new CheckNotify(cfg, this.scriptContext(cfg), this.log);
    this.backend = await openBackend(
      this.opts.backendFactory ?? backendFactoryFor(cfg.netNamespaceIpvs),
      this.log,
      cfg.globalDefs.lvsBackend ?? 'auto',
    );
    if (this.stopping) return;
    this.lb = this.backend ? new LbWriter(this.backend, this.log) : undefined;
    this.openNftIpvs(cfg);
    if (this.lb && cfg.globalDefs.lvsFlush) await this.lb.flush();
    await this.applyTimeouts(cfg, undefined);
    await this.openSyncDaemons(cfg);
    this.syncTrackers(cfg);
    await this.syncAddresses(cfg);
    const now = this.clock.now();
    this.vss = cfg.virtualServers.map((vs) => this.startVs(vs, cfg, now));
    this.arm();
    await this.syncNftIpvs(cfg);
    await this.lb?.idle();
  }

  /** Applies a new configuration by diffing virtual servers (see the file comment). */
  async reload(config: unknown): Promise<void> {
    const cfg = config as KeepalivedConfig;
    const prevCfg = this.config;
    this.config = cfg;
    if (this.stopping) return;
    // keepalived's checker exits here (KEEPALIVED_EXIT_FATAL); we keep the previous context and say so
    if (!this.initSsl(cfg)) this.log.log({ level: 'err', text: 'SSL context not rebuilt - SSL_GET checkers keep the previous one' });
    if (!this.notify || configText(notifyGlobals(prevCfg)) !== configText(notifyGlobals(cfg))) {
      await this.notify?.close(0);
      this.scripts = undefined;
      this.notify = new CheckNotify(cfg, this.scriptContext(cfg), this.log);
    }
    if (!this.backend && cfg.virtualServers.length) {
      this.backend = await openBackend(
        this.opts.backendFactory ?? backendFactoryFor(cfg.netNamespaceIpvs),
        this.log,
        cfg.globalDefs.lvsBackend ?? 'auto',
      );
      this.lb = this.backend ? new LbWriter(this.backend, this.log) : undefined;
      this.openNftIpvs(cfg);
    }
    await this.applyTimeouts(cfg, prevCfg);
    if (configText(cfg.globalDefs.lvsSyncDaemon) !== configText(prevCfg?.globalDefs.lvsSyncDaemon)) {
      await this.syncd?.close();
      this.syncd = undefined;
      await this.openSyncDaemons(cfg);
    }
    this.syncTrackers(cfg);
    await this.syncAddresses(cfg);
    const now = this.clock.now();
    const old = new Map(this.vss.map((v) => [v.id, v]));
    const next: RunningVs[] = [];
    for (const vs of cfg.virtualServers) {
      const id = vsIdentity(vs);
      const prev = old.get(id);
      old.delete(id);
      if (!prev) next.push(this.startVs(vs, cfg, now));
      else if (
        configText(prev.config) === configText(vs) &&
        configText(prev.targets) === configText(servicesOf(vs, cfg.virtualServerGroups, this.nftIpvs?.marks))
      ) {
        // kept as it runs, but a weight set over SNMP goes back to the configuration's, as keepalived's rebuild does
        if (!prev.stopped) this.apply(prev, prev.check.handle({ type: 'reloaded' }, now));
        next.push(prev);
      } else next.push(this.replaceVs(prev, vs, cfg, now));
    }
    for (const gone of old.values()) this.stopVs(gone, now);
    this.vss = next;
    this.arm();
    await this.syncNftIpvs(cfg);
    await this.lb?.idle();
  }

  /**
   * SNMP SET of realServerWeight: the `rs`-th real server (0-based, configuration order, sorry server not counted)
   * of the `vs`-th virtual server takes `weight` (keepalived update_svr_wgt: logged, IPVS edited when the server is
   * in the pool, the quorum re-weighed). Returns an error text, or undefined on success.
   */
  setRealServerWeight(vs: number, rs: number, weight: number): string | undefined {
    const v = this.vss[vs];
    if (!v || v.stopped || !v.check.realServers[rs]) return `no real server ${rs + 1} in virtual server ${vs + 1}`;
    this.apply(v, v.check.handle({ type: 'setWeight', rs, weight }, this.clock.now()));
    return undefined;
  }

  /** check_daemon.c start_check: with `lvs_sync_daemon` bound to no vrrp_instance, start a master and a backup daemon. */
  private async openSyncDaemons(cfg: KeepalivedConfig): Promise<void> {
    const s = cfg.globalDefs.lvsSyncDaemon;
    if (!s || s.instance !== undefined) return;
    this.syncd = await LvsSyncDaemon.open(s, this.log);
    await this.syncd?.start('master');
    await this.syncd?.start('backup');
  }

  /** init_ssl_ctx when an SSL_GET checker exists (keepalived's ssl_required); false, with keepalived's lines logged, when a file does not load. */
  private initSsl(cfg: KeepalivedConfig): boolean {
    const required = cfg.virtualServers.some((vs) => vs.realServers.some((rs) => rs.checkers.some((c) => c.type === 'SSL_GET')));
    if (!required) return true;
    const r = buildSslContext(cfg.ssl);
    if (r.ok) this.sslContext = r.context;
    else for (const text of r.lines) this.log.log({ level: 'info', text });
    return r.ok;
  }

  /** nftables_ipvs with a data plane: the marks and maps (net_namespace_ipvs: nft runs in that namespace). */
  private openNftIpvs(cfg: KeepalivedConfig): void {
    const s = cfg.globalDefs.nftablesIpvs;
    if (!s || !this.backend || this.nftIpvs) return;
    const ns = cfg.netNamespaceIpvs;
    const run = ns ? spawnNft(['ip', 'netns', 'exec', ns, 'nft']) : spawnNft();
    this.nftIpvs = new NftIpvs(s, cfg.globalDefs.nftablesCounters, this.log, run);
  }

  /**
   * nftables_ipvs: the maps hold the group addresses of every running virtual server (keepalived: set_vs_fwmark
   * at start, remove_vs_fwmark_entry for an address a reload removed); marks of groups no longer used are dropped.
   */
  private async syncNftIpvs(cfg: KeepalivedConfig): Promise<void> {
    const n = this.nftIpvs;
    if (!n) return;
    const live = this.vss.filter((v) => !v.stopped);
    const elements = live.flatMap((v) => nftIpvsElements(v.config, cfg.virtualServerGroups, n.marks));
    const inUse = new Set(
      live.flatMap((v) => (v.config.service.kind === 'group' ? [FwmarkAllocator.key(v.config.service.group, v.config.protocol ?? 'UDP')] : [])),
    );
    n.marks.retain(inUse);
    await n.sync(elements);
  }

  /** `lvs_timeouts`: set at start, and at a reload that changed them (keepalived: ipvs_set_timeouts when any is set). */
  private async applyTimeouts(cfg: KeepalivedConfig, prev: KeepalivedConfig | undefined): Promise<void> {
    const t = cfg.globalDefs.lvsTimeouts;
    if (!this.backend || !t || configText(t) === configText(prev?.globalDefs.lvsTimeouts)) return;
    const e = await this.backend.setGlobals({ timeouts: t });
    if (e) this.log.log({ level: 'err', text: `IPVS: failed to set the connection timeouts: ${e.message}` });
  }

  /** Stops every checker, removes what we programmed (or flushes, with lvs_flush_on_stop), closes everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    const flush = this.config?.globalDefs.lvsFlushOnStop;
    const now = this.clock.now();
    for (const v of this.vss) {
      v.muteIpvs = flush !== undefined;
      this.stopVs(v, now);
    }
    if (this.lb) {
      if (flush === 'all') await this.lb.flush();
      else if (flush === 'vs') for (const v of this.vss) for (const t of v.targets) void this.lb.delService(t.service.key);
      await this.lb.idle();
    }
    await this.nftIpvs?.close();
    await this.backend?.close();
    await this.syncd?.close();
    this.syncd = undefined;
    for (const t of this.trackers.values()) t.stop();
    this.trackers.clear();
    this.monitor?.close();
    await this.notify?.close();
  }

  /** The virtual servers, their quorum and real servers. */
  snapshot(): RuntimeSnapshot {
    const virtualServers = this.vss.map((v): VirtualServerSnapshot => ({
      name: v.check.vsName,
      quorum: v.config.quorum,
      quorumUp: v.check.quorumStateUp,
      alive: v.installed.size > 0,
      realServers: v.check.realServers.map((rs): RealServerSnapshot => {
        const last = v.last.get(rs.ref);
        return {
          name: rs.name,
          address: rs.server.address,
          port: rs.server.port,
          up: rs.alive,
          failedCheckers: rs.numFailedCheckers,
          ...(this.drained.has(`${v.check.vsName}|${rs.name}`) ? { weight: 0, drained: true } : { weight: realWeight(rs.effectiveWeight) }),
          ...(last
            ? {
                lastResult: last.result,
                lastCheckLatencyMs: Math.round(last.latencyMs * 1000) / 1000,
                lastCheck: `${last.checker} ${last.result} in ${last.latencyMs.toFixed(1)} ms`,
              }
            : {}),
        };
      }),
    }));
    return { instances: [], syncGroups: [], virtualServers };
  }

  /**
   * Admin (observe/admin.ts): drain a real server — weight 0, so IPVS sends it no new connections while its
   * established ones finish — or give it its weight back. `rs` is keepalived's name (`[192.0.2.10]:tcp:80`) or
   * `address:port`. Checks keep running; a drained server that goes down and up again stays at weight 0.
   * Returns an error text, or undefined.
   */
  drainRealServer(vs: string, rs: string, drain: boolean): string | undefined {
    const v = this.vss.find((x) => x.check.vsName === vs || x.targets.some((t) => serviceKeyText(t.service.key) === vs));
    if (!v) return `no virtual server ${vs}`;
    const r = v.check.realServers.find((x) => x.name === rs || `${x.server.address}:${x.server.port}` === rs);
    if (!r) return `no real server ${rs} in ${v.check.vsName}`;
    const key = `${v.check.vsName}|${r.name}`;
    if (drain === this.drained.has(key)) return `${r.name} is ${drain ? 'already draining' : 'not draining'}`;
    if (drain) this.drained.add(key);
    else this.drained.delete(key);
    const weight = drain ? 0 : realWeight(r.effectiveWeight);
    if (r.alive && this.lb && !v.muteIpvs) for (const t of v.targets) void this.lb.editDest(t.service.key, destOf(r.server, t, weight));
    this.log.log({ level: 'info', text: `${drain ? 'Draining' : 'Undraining'} service ${r.name} of VS ${v.check.vsName} (weight ${weight})` });
    publish('keepalived-ts:check:realserver', { vs: v.check.vsName, rs: r.name, up: r.alive && weight > 0, weight, at: this.clock.wallNow() });
    return undefined;
  }

  /** `status --lvs`: what the data plane holds now, once every queued command is applied. */
  async lvs(rates: boolean): Promise<LvsReport | string> {
    await this.lb?.idle();
    return readLvs(this.backend, { rates });
  }

  /** The IPVS counters of every virtual server for KEEPALIVED-MIB (undefined when the data plane cannot list). */
  async checkCounters(): Promise<CheckCounters | undefined> {
    const l = await this.backend?.list();
    if (!l || 'code' in l) return undefined;
    return countersOf(
      this.vss.map((v) => ({
        targets: v.targets,
        realServers: v.config.realServers,
        ...(v.config.sorryServer ? { sorry: v.config.sorryServer } : {}),
      })),
      l,
    );
  }

  /** Zeroes the probe counters and lateness samples. */
  clearStats(): void {
    this.stats.probesStarted = 0;
    this.stats.probesFinished = 0;
    this.stats.lateness.length = 0;
    this.latenessNext = 0;
  }

  /** Resolves when every IPVS command sent so far has been answered. */
  async idle(): Promise<void> {
    await this.lb?.idle();
  }

  // ---- virtual servers -------------------------------------------------------------------------------------

  private globals(cfg: KeepalivedConfig): CheckGlobals {
    const g = cfg.globalDefs;
    return {
      ...(g.checkerLogAllFailures !== undefined ? { checkerLogAllFailures: g.checkerLogAllFailures } : {}),
      ...(g.noCheckerEmails ? { noCheckerEmails: true } : {}),
      ...(g.rsInitNotifies ? { rsInitNotifies: true } : {}),
    };
  }

  private newCheck(vs: VirtualServerConfig, cfg: KeepalivedConfig): VirtualServerCheck {
    const trackFiles = new Map<string, TrackedFileInfo>();
    for (const tf of cfg.trackFiles) trackFiles.set(tf.name, { weight: tf.weight, reverse: tf.reverse, status: this.trackValues.get(tf.name) ?? 0 });
    return new VirtualServerCheck(vs, {
      rng: this.rng,
      globals: this.globals(cfg),
      trackFiles,
      addressPresent: this.addressPresent(vs),
      removedCheckers: this.refusedMiscChecks(vs),
    });
  }

  /**
   * The MISC_CHECKs keepalived would remove before they run, with its log lines: a script whose user cannot be set
   * is dropped while the configuration is read (check_misc.c), one that is not found, not executable or insecure
   * (with enable_script_security) by check_misc_script_security after the alpha checkers were counted as failed.
   */
  private refusedMiscChecks(vs: VirtualServerConfig): Map<number, Map<number, RemovedChecker>> {
    const out = new Map<number, Map<number, RemovedChecker>>();
    if (!this.notify) return out;
    vs.realServers.forEach((rs, r) =>
      rs.checkers.forEach((c, i) => {
        if (c.type !== 'MISC_CHECK') return;
        const o = this.notify!.outcome(c.script, 'MISC_CHECK');
        if (o.ok) return;
        const why: RemovedChecker = o.refused === 'syntax' || o.refused === 'user' ? 'config' : 'security';
        if (o.refused === 'insecure') this.log.log({ level: 'info', text: `Disabling misc script ${o.cmdStr} due to insecure` });
        else if (o.refused === 'notFound') this.log.log({ level: 'info', text: `Disabling misc script ${o.cmdStr} since not found/accessible` });
        out.set(r, (out.get(r) ?? new Map<number, RemovedChecker>()).set(i, why));
      }),
    );
    return out;
  }

  private running(vs: VirtualServerConfig, check: VirtualServerCheck, targets: readonly ServiceTarget[], installed: Set<string>): RunningVs {
    return {
      id: vsIdentity(vs),
      config: vs,
      check,
      targets,
      installed,
      deadline: undefined,
      probes: new Map(),
      abort: probeAbort(),
      last: new Map(),
      quorumUp: check.quorumStateUp,
      stopped: false,
      muteIpvs: false,
    };
  }

  /** A new virtual server: its service, servers and checkers. */
  private startVs(vs: VirtualServerConfig, cfg: KeepalivedConfig, now: number): RunningVs {
    const check = this.newCheck(vs, cfg);
    const v = this.running(vs, check, servicesOf(vs, cfg.virtualServerGroups, this.nftIpvs?.marks), new Set());
    this.apply(v, check.start(now));
    this.bfdCatchUp(v, now);
    v.deadline = check.pollTimeout();
    return v;
  }

  /** A changed virtual server: a new core that takes over the old one's state; only differences reach the kernel. */
  private replaceVs(prev: RunningVs, vs: VirtualServerConfig, cfg: KeepalivedConfig, now: number): RunningVs {
    this.abortProbes(prev);
    prev.stopped = true;
    const check = this.newCheck(vs, cfg);
    const oldWeights = migrateState(prev.check, check);
    const targets = servicesOf(vs, cfg.virtualServerGroups, this.nftIpvs?.marks);
    const v = this.running(vs, check, targets, new Set(prev.installed));
    const lb = this.lb;
    const prevTargets = new Map(prev.targets.map((t) => [targetKey(t), t]));
    const kept = targets.filter((t) => v.installed.has(targetKey(t)));
    if (lb) {
      for (const [k, t] of prevTargets) {
        if (targets.some((n) => targetKey(n) === k)) continue;
        void lb.delService(t.service.key);
        v.installed.delete(k);
      }
      for (const t of kept) {
        const pt = prevTargets.get(targetKey(t));
        if (pt && !sameServiceSettings(pt.service, t.service)) void lb.editService(t.service);
      }
      const ids = new Set(check.realServers.map((rs) => configText([rs.server.family, rs.server.address, rs.server.port])));
      const dropped = prev.check.realServers
        .filter((rs) => rs.set && !ids.has(configText([rs.server.family, rs.server.address, rs.server.port])))
        .map((rs): RealServerConfig | SorryServerConfig => rs.server);
      if (prev.check.sorry?.set && !check.sorry?.set) dropped.push(prev.check.sorry.server);
      for (const server of dropped) {
        for (const t of kept) if (prevTargets.has(targetKey(t))) void lb.delDest(t.service.key, destOf(server, t, 0));
      }
    }
    const newTargets = targets.filter((t) => !v.installed.has(targetKey(t)));
    this.apply(v, check.start(now)); // adds new targets' services and the servers not in the table yet
    if (lb) {
      for (const rs of check.realServers) {
        const oldWeight = oldWeights.get(rs.ref);
        if (oldWeight === undefined || !rs.set) continue;
        const weight = rs.alive || !rs.inhibit ? realWeight(rs.effectiveWeight) : 0;
        const prevRs = prev.check.realServers.find((p) => p.server.address === rs.server.address && p.server.port === rs.server.port);
        for (const t of kept) {
          const changedSettings = prevRs && !sameDestSettings(destOf(prevRs.server, t, weight), destOf(rs.server, t, weight));
          if (weight !== oldWeight || changedSettings) void lb.editDest(t.service.key, destOf(rs.server, t, weight));
        }
        for (const t of newTargets) void lb.addDest(t.service.key, destOf(rs.server, t, weight));
      }
    }
    this.bfdCatchUp(v, now);
    v.deadline = check.pollTimeout();
    return v;
  }

  /** A virtual server going away: its shutdown (servers and service removed, omega notifies). */
  private stopVs(v: RunningVs, now: number): void {
    this.abortProbes(v);
    this.apply(v, v.check.handle({ type: 'shutdown' }, now));
    v.stopped = true;
    v.deadline = undefined;
  }

  private abortProbes(v: RunningVs): void {
    v.abort.abort();
    v.probes.clear();
  }

  // ---- the timer and probes ------------------------------------------------------------------------------

  /** Arms the one timer for the earliest deadline. */
  private arm(): void {
    if (this.stopping) return;
    let min: number | undefined;
    for (const v of this.vss) if (v.deadline !== undefined && (min === undefined || v.deadline < min)) min = v.deadline;
    if (min === this.timerAt && this.timer !== undefined) return;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.timerAt = min;
    if (min === undefined) return;
    const now = this.clock.now();
    this.timer = this.timers.set(() => this.fire(), Math.max(0, min - now, this.lastFire + this.slackMs - now));
  }

  /** The timer: every virtual server with a due checker runs it. */
  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    const now = this.clock.now();
    this.lastFire = now;
    let maxLate = 0;
    const n = this.vss.length;
    for (let k = 0; k < n; k++) {
      const v = this.vss[(this.fireFrom + k) % n]!;
      if (v.stopped || v.deadline === undefined || v.deadline > now) continue;
      if (this.clock.now() - now >= FIRE_BUDGET_MS) {
        // Out of budget: probe results waiting in the event loop go first; the rest runs right after.
        this.fireFrom = (this.fireFrom + k) % n;
        this.lastFire = -Infinity;
        break;
      }
      for (const rs of v.check.realServers) {
        for (const c of rs.checkers.values()) {
          const d = c instanceof CheckerFsm ? c.pollTimeout() : undefined;
          if (d === undefined || d > now) continue;
          this.sampleLateness(now - d);
          if (now - d > maxLate) maxLate = now - d;
        }
      }
      this.apply(v, v.check.handle({ type: 'timer' }, now));
      v.deadline = v.check.pollTimeout();
    }
    this.ctx.noteTimerLateness?.(maxLate);
    this.arm();
  }

  private sampleLateness(ms: number): void {
    const l = this.stats.lateness;
    if (l.length < LATENESS_SAMPLES) l.push(ms);
    else l[this.latenessNext] = ms;
    this.latenessNext = (this.latenessNext + 1) % LATENESS_SAMPLES;
  }

  /** Starts the probe a `runProbe` action asks for; its report goes back to the core. */
  private launch(v: RunningVs, a: Extract<CheckAction, { kind: 'runProbe' }>): void {
    const key = `${a.rs}:${a.checker}`;
    const launchNo = ++this.launches;
    v.probes.set(key, launchNo);
    const signal = v.abort.signal;
    const started = this.clock.now();
    this.stats.probesStarted++;
    const done = (report: ProbeReport): void => {
      if (signal.aborted || v.stopped || v.probes.get(key) !== launchNo) return;
      v.probes.delete(key);
      this.stats.probesFinished++;
      const now = this.clock.now();
      const latencyMs = now - started;
      v.last.set(a.rs, {
        latencyMs,
        checker: a.check.type,
        result: report.kind === 'result' ? (report.outcome.ok ? 'success' : 'failure') : report.kind === 'timeout' ? 'timeout' : 'skipped',
      });
      this.apply(v, v.check.handle({ type: 'checker', rs: a.rs, checker: a.checker, event: probeEvent(a.probe, report) }, now), latencyMs);
      const c = v.check.realServers[a.rs]?.checkers.get(a.checker);
      const d = c instanceof CheckerFsm ? c.pollTimeout() : undefined;
      if (d !== undefined && (v.deadline === undefined || d < v.deadline)) {
        v.deadline = d;
        this.arm();
      }
    };
    let p: Promise<ProbeReport>;
    try {
      p = this.probeFn(a, signal);
    } catch (e) {
      p = Promise.resolve({ kind: 'skipped', detail: `probe failed to start: ${(e as Error)?.message ?? String(e)}` });
    }
    p.then(done, (e: unknown) => done({ kind: 'skipped', detail: `probe failed: ${(e as Error)?.message ?? String(e)}` }));
  }

  // ---- actions ---------------------------------------------------------------------------------------------

  /** Carries out the core's actions for `v`. */
  private apply(v: RunningVs, actions: readonly CheckAction[], latencyMs?: number): void {
    const at = this.clock.wallNow();
    for (const a of actions) {
      switch (a.kind) {
        case 'runProbe':
          if (!v.stopped) this.launch(v, a);
          break;
        case 'log':
          this.log.log(a.record);
          break;
        case 'checkerUp':
        case 'checkerDown':
          publish('keepalived-ts:check:verdict', {
            vs: a.vs,
            rs: v.check.realServers[a.rs]?.name ?? '',
            checker: a.checkerType,
            up: a.kind === 'checkerUp',
            ...(latencyMs !== undefined ? { latencyMs } : {}),
            at,
          });
          break;
        case 'checkerWeight':
          break;
        case 'addVirtualServer':
          for (const t of v.targets) {
            if (v.installed.has(targetKey(t))) continue;
            v.installed.add(targetKey(t));
            if (this.lb && !v.muteIpvs) void this.lb.addService(t.service);
          }
          break;
        case 'removeVirtualServer':
          for (const t of v.targets) {
            v.installed.delete(targetKey(t));
            if (this.lb && !v.muteIpvs) void this.lb.delService(t.service.key);
          }
          break;
        case 'addRealServer':
        case 'setWeight':
        case 'removeRealServer': {
          const weight = a.kind === 'removeRealServer' || this.drained.has(`${a.vs}|${a.name}`) ? 0 : a.weight;
          if (this.lb && !v.muteIpvs) {
            for (const t of v.targets) {
              const d = destOf(a.server, t, weight);
              if (a.kind === 'addRealServer') void this.lb.addDest(t.service.key, d);
              else if (a.kind === 'setWeight') void this.lb.editDest(t.service.key, d);
              else void this.lb.delDest(t.service.key, d);
            }
          }
          publish('keepalived-ts:check:realserver', { vs: a.vs, rs: a.name, up: a.kind !== 'removeRealServer' && weight > 0, weight, at });
          break;
        }
        case 'notifyScript':
          this.notify?.script(a.owner, a.which, a.script, a.rs ? `RS ${a.rs}` : `VS ${a.vs}`, a.stopping);
          break;
        case 'fifoLine':
          this.notify?.fifoLine(a.line);
          break;
        case 'snmpTrap': {
          const { kind: _kind, vs: _vs, ...trap } = a;
          publish('keepalived-ts:check:snmptrap', { vs: v.config, ...trap, at });
          break;
        }
        case 'smtpAlert':
          this.notify?.mail(a.vs, a.rs, a.up, a.body);
          break;
      }
    }
    if (v.check.quorumStateUp !== v.quorumUp) {
      v.quorumUp = v.check.quorumStateUp;
      publish('keepalived-ts:check:quorum', { vs: v.check.vsName, up: v.quorumUp, at });
    }
  }

  // ---- trackers, addresses, scripts ------------------------------------------------------------------------

  /**
   * BFD_CHECK: the BFD child's session states, relayed by the supervisor as the whole picture after each change.
   * keepalived's BFD process sends the checkers an event when a session comes Up and when it falls from Up; so
   * here a session that changed between Up and not Up (or disappeared while Up) is one event to every virtual
   * server. Sessions not heard of count as down.
   */
  setBfdStates(states: ReadonlyMap<string, boolean>): void {
    const prev = this.bfdUp;
    const next = new Set([...states].filter(([, up]) => up).map(([name]) => name));
    this.bfdUp = next;
    if (this.stopping) return;
    const now = this.clock.now();
    const changed = [...new Set([...prev, ...next])].filter((n) => prev.has(n) !== next.has(n));
    for (const name of changed) {
      const up = next.has(name);
      for (const v of this.vss) if (!v.stopped) this.apply(v, v.check.handle({ type: 'bfd', name, up }, now));
    }
  }

  /** A virtual server (re)built while sessions are Up: those sessions' events, as its BFD_CHECKs have missed them. */
  private bfdCatchUp(v: RunningVs, now: number): void {
    for (const name of this.bfdUp) this.apply(v, v.check.handle({ type: 'bfd', name, up: true }, now));
  }

  /** Starts a FileTracker for each track_file a FILE_CHECK names (values go to every virtual server). */
  private syncTrackers(cfg: KeepalivedConfig): void {
    const used = new Set<string>();
    for (const vs of cfg.virtualServers)
      for (const rs of vs.realServers) for (const c of rs.checkers) if (c.type === 'FILE_CHECK') used.add(c.trackFile);
    for (const name of used) {
      if (this.trackers.has(name)) continue;
      const tf = cfg.trackFiles.find((t) => t.name === name);
      if (!tf) continue;
      let initial = true;
      const tracker = new FileTracker({ name, path: tf.path, ...(tf.init ? { initFile: tf.init } : {}) }, this.log, (r) => {
        const value = r.kind === 'file' ? (r.value ?? 0) : 0;
        this.trackValues.set(name, value);
        if (initial) return;
        const now = this.clock.now();
        for (const v of this.vss) if (!v.stopped) this.apply(v, v.check.handle({ type: 'trackFile', file: name, status: value }, now));
      });
      this.trackers.set(name, tracker);
      tracker.start();
      initial = false;
    }
  }

  /** ha_suspend: learns the host's addresses once, then follows address events. */
  private async syncAddresses(cfg: KeepalivedConfig): Promise<void> {
    if (this.addresses || !cfg.virtualServers.some((vs) => vs.haSuspend)) return;
    this.monitor = await (
      this.opts.addressMonitor ?? (() => rtnlMonitor(this.log, netlinkReceiveBuffer(cfg.globalDefs.netlinkRcvBufs?.lvsMonitor)))
    )();
    if (!this.monitor) return;
    this.addresses = new Set((await this.monitor.list()).map((a) => canonicalAddress(a.includes(':') ? 6 : 4, a)));
    this.monitor.watch((address, present) => this.onAddress(address, present));
  }

  private addressPresent(vs: VirtualServerConfig): boolean {
    if (vs.service.kind !== 'address') return true;
    return this.addresses?.has(canonicalAddress(vs.family, vs.service.address)) ?? true;
  }

  /** An address came or went: ha_suspend virtual servers on it resume or suspend their checkers. */
  private onAddress(address: string, present: boolean): void {
    const a = canonicalAddress(address.includes(':') ? 6 : 4, address);
    if (this.addresses?.has(a) === present) return;
    if (present) this.addresses?.add(a);
    else this.addresses?.delete(a);
    this.log.log({ level: 'info', text: `Netlink reflector reports IP ${a} ${present ? 'added' : 'removed'}` });
    const now = this.clock.now();
    for (const v of this.vss) {
      if (v.stopped || !v.config.haSuspend || v.config.service.kind !== 'address') continue;
      if (canonicalAddress(v.config.family, v.config.service.address) !== a) continue;
      this.apply(v, v.check.handle({ type: 'address', present }, now));
    }
  }

  private scriptContext(cfg: KeepalivedConfig): ScriptContext {
    this.scripts ??= scriptContextFor(cfg.globalDefs, this.log);
    return this.scripts;
  }
}

/** The global settings the notification wiring depends on. */
function notifyGlobals(cfg: KeepalivedConfig | undefined): unknown {
  const g = cfg?.globalDefs;
  return (
    g && [
      g.notifyFifo,
      g.notifyFifoScript,
      g.lvsNotifyFifo,
      g.lvsNotifyFifoScript,
      g.smtpServer,
      g.notificationEmail,
      g.notificationEmailFrom,
      g.routerId,
      g.scriptUser,
      g.enableScriptSecurity,
    ]
  );
}

/** ha_suspend's default address source: an rtnetlink dump and address events. */
async function rtnlMonitor(log: Logger, receiveBuffer?: ReceiveBuffer): Promise<AddressMonitor | undefined> {
  const { Rtnl } = await import('../../net/netlink/rtnl.js');
  const rtnl = new Rtnl((p) => log.log({ level: 'err', text: `Netlink: ${p.syscall} ${p.code}` }));
  return {
    list: async () => (await rtnl.listAddresses()).map((a) => a.address),
    watch: (fn) =>
      rtnl.subscribe(
        (e) => {
          if (e.kind === 'address') fn(e.address.address, !e.deleted);
        },
        undefined,
        receiveBuffer,
      ),
    close: () => rtnl.close(),
  };
}

/** Builds the checker runtime for the daemon's 'check' role. */
export function createCheckRuntime(ctx: RuntimeContext, opts: CheckRuntimeOptions = {}): CheckRuntime {
  return new CheckRuntime(ctx, opts);
}
