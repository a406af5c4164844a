/**
 * The port between the process shell (src/daemon) and a runtime (today the VRRP runtime, src/runtime/vrrp).
 *
 * The daemon owns the process (arguments, logging, pid files, signals, dumps, control socket); the runtime owns
 * the network (sockets, VIPs, the state machines). The daemon hands the runtime a loaded configuration model and
 * asks it for plain snapshots; it never sees runtime objects.
 */
import type { Logger } from '../core/log.js';
import type { RuntimeSnapshot } from './snapshot.js';
import { zeroStats } from './snapshot.js';

/** What a runtime is started with. `config` is the model from src/config's `loadConfig` (opaque here). */
export interface RuntimeContext {
  /** Logger with the `Keepalived_vrrp` identity. */
  readonly log: Logger;
  /** `-D` count. */
  readonly logDetail: number;
  /** `-X/--release-vips`. */
  readonly releaseVips: boolean;
  /** `-V/--dont-release-vrrp`: keep VIPs and routes on stop. */
  readonly dontReleaseVrrp: boolean;
  /** `-a/--address-monitoring`. */
  readonly addressMonitoring: boolean;
  /** Called with how late (ms) the runtime's timer ran; drives max_auto_priority (src/daemon/priorities.ts). */
  readonly noteTimerLateness?: (lateMs: number) => void;
}

/** The VRRP runtime as the daemon drives it. All methods must not throw; failures are logged by the runtime. */
export interface VrrpRuntime {
  /** Brings the configuration up (sockets, initial states). Resolves once startup is complete. */
  start(config: unknown): Promise<void>;
  /**
   * Applies a new, already validated configuration: unchanged instances keep their state and VIPs.
   * Resolves when the reload is complete.
   */
  reload(config: unknown): Promise<void>;
  /** Graceful stop: priority-0 adverts, VIPs removed (unless `-V`), stop notifies. */
  stop(): Promise<void>;
  /** A plain picture of the current state, for dumps and the control socket. */
  snapshot(): RuntimeSnapshot;
  /** Zeroes every instance's counters (keepalived's STATS_CLEAR, after the stats file is written). */
  clearStats(): void;
  /**
   * Admin action: a temporary priority offset on an instance (0 clears it; kept across reloads, gone at restart).
   * Returns an error text, or undefined on success.
   */
  setPriorityOffset?(instance: string, offset: number): string | undefined;
  /** Admin action: sends a GARP/NA burst now for MASTER instances (all, or the one named); returns those refreshed. */
  refreshGarp?(instance?: string): string[];
  /** Admin action (the checker runtime): drain a real server (weight 0) or undrain it; returns an error text or undefined. */
  drainRealServer?(vs: string, rs: string, drain: boolean): string | undefined;
}

/** Builds a runtime for a context: the real one (src/runtime/vrrp), or a trivial one in tests. */
export type RuntimeFactory = (ctx: RuntimeContext) => VrrpRuntime;

/**
 * A runtime that runs nothing: it records what it was asked and reports instance names taken from the
 * configuration (any `vrrp_instances` / `instances` array of objects with a `name`), all in BACKUP with zero
 * counters. Used by the daemon's tests.
 */
export class NullRuntime implements VrrpRuntime {
  /** Calls received, oldest first: 'start', 'reload', 'stop', 'clearStats'. */
  readonly calls: string[] = [];
  private config: unknown;

  constructor(private readonly ctx?: RuntimeContext) {}

  async start(config: unknown): Promise<void> {
    this.calls.push('start');
    this.config = config;
  }

  async reload(config: unknown): Promise<void> {
    this.calls.push('reload');
    this.config = config;
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    this.ctx?.log.log({ level: 'info', text: 'VRRP runtime stopped', detail: true });
  }

  clearStats(): void {
    this.calls.push('clearStats');
  }

  snapshot(): RuntimeSnapshot {
    return { instances: instanceNames(this.config).map(placeholderInstance), syncGroups: [] };
  }
}

/** Instance names found in an opaque config model. */
function instanceNames(config: unknown): string[] {
  if (!config || typeof config !== 'object') return [];
  const c = config as Record<string, unknown>;
  const list = c['vrrpInstances'] ?? c['vrrp_instances'] ?? c['instances'];
  const arr = Array.isArray(list) ? list : list && typeof list === 'object' ? Object.values(list) : [];
  return arr
    .map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>)['name'] : undefined))
    .filter((n): n is string => typeof n === 'string');
}

/** A BACKUP instance with defaults, for the NullRuntime. */
function placeholderInstance(name: string, index: number) {
  return {
    name, vrid: index + 1, version: 2 as const, family: 4 as const, state: 1 as const, wantState: 1 as const,
    vmacIfname: '', basePriority: 100, effectivePriority: 100, masterPriority: 0, lastTransitionMs: 0,
    advertIntervalSec: 1, masterAdvertIntervalSec: 1, garpDelaySec: 5, garpRefreshSec: 0, garpRep: 5,
    garpRefreshRep: 1, garpLowerPrioDelaySec: 5, garpLowerPrioRep: 5, lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false, dontTrackPrimary: false, skipCheckAdvAddr: false, strictMode: false, vipSet: false,
    promoteSecondaries: false, accept: true, nopreempt: false, preemptDelaySec: 0, smtpAlert: false,
    notifyDeleted: false, scripts: {}, vips: [], evips: [], vroutes: [], vrules: [], trackInterfaces: [],
    trackScripts: [], authType: 0 as const, stats: zeroStats(),
  };
}
