/**
 * The port between the process shell (src/daemon) and a runtime: the VRRP runtime (src/runtime/vrrp), the
 * checker/load-balancer runtime (src/runtime/check), later BFD — each in its own child process.
 *
 * The daemon owns the process (arguments, logging, signals, dumps, the link to the supervising parent); the
 * runtime owns the network (sockets, VIPs, IPVS, the state machines). The daemon hands the runtime a loaded
 * configuration model and asks it for plain snapshots; it never sees runtime objects.
 */
import type { KeepalivedConfig } from '../config/model.js';
import type { Logger } from '../core/log.js';
import type { CheckCounters } from '../snmp/check-mib.js';
import type { LvsReport } from '../lb/report.js';
import type { RuntimeSnapshot } from './snapshot.js';
import { defaultInstanceSnapshot } from './snapshot.js';

/** What a runtime is built with. */
export interface RuntimeContext {
  /** Logger with the child's identity (`Keepalived_vrrp`, `Keepalived_healthcheckers`). */
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

/** A runtime as the daemon drives it. Methods must not throw for operational failures; those are logged. */
export interface Runtime {
  /** Brings the configuration up (sockets, initial states). Resolves once startup is complete. */
  start(config: KeepalivedConfig): Promise<void>;
  /**
   * Applies a new, already validated configuration: unchanged parts keep their state and kernel objects.
   * Resolves when the reload is complete.
   */
  reload(config: KeepalivedConfig): Promise<void>;
  /** Graceful stop (VRRP: priority-0 adverts, VIPs removed unless `-V`, stop notifies). */
  stop(): Promise<void>;
  /** A plain picture of the current state, for dumps and the control socket. */
  snapshot(): RuntimeSnapshot;
  /** Zeroes the counters (keepalived's STATS_CLEAR, after the stats file is written). */
  clearStats(): void;
  /**
   * Admin action: a temporary priority offset on an instance (0 clears it; kept across reloads, gone at restart).
   * Returns an error text, or undefined on success.
   */
  setPriorityOffset?(instance: string, offset: number): string | undefined;
  /**
   * SNMP SET (keepalived's vrrp_snmp.c write handlers): an instance's base priority and/or preempt setting, kept
   * until the next reload re-reads the configuration. Returns an error text, or undefined on success.
   */
  setInstance?(instance: string, change: InstanceChange): string | undefined;
  /**
   * Admin action: sends a GARP/NA burst now for MASTER instances (all, or the one named); returns those refreshed.
   * `repeat`: that many frames per VIP (default the instance's garp_master_repeat; DBus SendGarp: 1).
   */
  refreshGarp?(instance?: string, repeat?: number): string[];
  /**
   * SNMP SET of KEEPALIVED-MIB realServerWeight (the checker runtime): the `rs`-th real server (0-based, configuration
   * order) of the `vs`-th virtual server takes `weight` until the next reload. Returns an error text or undefined.
   */
  setRealServerWeight?(vs: number, rs: number, weight: number): string | undefined;
  /** Admin action (the checker runtime): drain a real server (weight 0) or undrain it; returns an error text or undefined. */
  drainRealServer?(vs: string, rs: string, drain: boolean): string | undefined;
  /** The checker runtime: its data plane's table for `status --lvs` (with rates: `--rate`); an error text on failure. */
  lvs?(rates: boolean): Promise<LvsReport | string>;
  /** The checker runtime: IPVS counters per virtual server for KEEPALIVED-MIB's check tables. */
  checkCounters?(): Promise<CheckCounters | undefined>;
}

/** The VRRP runtime is a Runtime. */
export type VrrpRuntime = Runtime;

/** Builds a runtime for a context. */
export type RuntimeFactory = (ctx: RuntimeContext) => Runtime;

/**
 * A runtime that runs nothing: it records what it was asked and reports the configuration's VRRP instances,
 * all in BACKUP with zero counters. For tests of the process shell.
 */
export class NullRuntime implements Runtime {
  /** Calls received, oldest first: 'start', 'reload', 'stop', 'clearStats'. */
  readonly calls: string[] = [];
  private config: KeepalivedConfig | undefined;

  constructor(private readonly ctx?: RuntimeContext) {}

  async start(config: KeepalivedConfig): Promise<void> {
    this.calls.push('start');
    this.config = config;
  }

  async reload(config: KeepalivedConfig): Promise<void> {
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
    return { instances: (this.config?.vrrpInstances ?? []).map((i, n) => defaultInstanceSnapshot({ name: i.name, vrid: n + 1 })), syncGroups: [] };
  }
}

/** What an SNMP SET may change in a running VRRP instance. */
export interface InstanceChange {
  readonly priority?: number;
  readonly nopreempt?: boolean;
}
