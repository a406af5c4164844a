/**
 * The health-checking core of one `virtual_server` (keepalived 2.2.7 ipwrapper.c: `init_service_vs`,
 * `update_svr_checker_state`, `perform_svr_state`, `update_svr_wgt`, `clear_service_vs`). Sans-IO: events and
 * `now` in, CheckAction[] out; the driver runs probes, programs IPVS, runs scripts, writes FIFO lines and mails.
 *
 * A real server is in the pool while none of its checkers is down. Changes reach IPVS only while the quorum is up
 * or no sorry server stands in; with inhibit_on_failure a failed server stays in the table with weight 0.
 * Shut-down follows keepalived's default `lvs_flush_on_stop` (none): every destination and the service are
 * removed, with down notifies only in `omega` mode.
 */
import type { Rng } from '../core/rng.js';
import type { VirtualServerConfig } from '../config/model-lvs.js';
import type { CheckAction, CheckerVerdict } from './actions.js';
import { CheckerFsm, type CheckerEvent } from './checker-fsm.js';
import { FileChecker, type TrackedFileInfo } from './checker-file.js';
import { BfdChecker } from './checker-bfd.js';
import { fmtRs, fmtVs, realWeight } from './format.js';
import { doVsNotifies, logInfo, poolInUse, updateQuorumState, weighLiveRealservers, type QuorumContext } from './quorum.js';
import { doRsNotifies, ipvsDest, RealServer, snmpTrap, type Dest, type RemovedChecker } from './real-server.js';

/** global_defs settings the checker side reads. */
export interface CheckGlobals {
  /** `checker_log_all_failures`. */
  readonly checkerLogAllFailures?: boolean;
  /** `no_checker_emails`: mail only when a real server changes state, not for each checker. */
  readonly noCheckerEmails?: boolean;
  /** `rs_init_notifies`: notify real servers found up at start-up. */
  readonly rsInitNotifies?: boolean;
}

/** Construction options of VirtualServerCheck. */
export interface VirtualServerOptions {
  readonly rng: Rng;
  readonly globals?: CheckGlobals;
  /** For `virtual_server group`: the member number keepalived prints in `[group]:N`. */
  readonly groupMember?: number;
  /** The `track_file`s FILE_CHECKs name, with their values at start-up. */
  readonly trackFiles?: ReadonlyMap<string, TrackedFileInfo>;
  /** ha_suspend: whether the virtual server's address is configured at start-up (default false). */
  readonly addressPresent?: boolean;
  /** MISC_CHECKs whose script was refused at start-up: per real server index, checker index → why. */
  readonly removedCheckers?: ReadonlyMap<number, ReadonlyMap<number, RemovedChecker>>;
}

/** Inputs of a virtual server (time is passed separately). */
export type VirtualServerEvent =
  /** pollTimeout()'s deadline is reached. */
  | { readonly type: 'timer' }
  /** An event for one checker (a probe result, a timeout, …). */
  | { readonly type: 'checker'; readonly rs: number; readonly checker: number; readonly event: CheckerEvent }
  /** A new value read from a `track_file` (FILE_CHECK). */
  | { readonly type: 'trackFile'; readonly file: string; readonly status: number }
  /** A BFD event (BFD_CHECK): the bfd_instance's session came Up (`up`) or fell from Up. */
  | { readonly type: 'bfd'; readonly name: string; readonly up: boolean }
  /** ha_suspend: the virtual server's address appeared or went away. */
  | { readonly type: 'address'; readonly present: boolean }
  /**
   * SNMP SET of KEEPALIVED-MIB realServerWeight (check_snmp_realserver_weight → update_svr_wgt(weight, vs, rs,
   * true)): the real server at index `rs` takes `weight` as its effective weight. It lasts through checker
   * transitions (a server coming up is added with it; misc_dynamic and FILE_CHECK changes move it by their delta)
   * until a reload.
   */
  | { readonly type: 'setWeight'; readonly rs: number; readonly weight: number }
  /**
   * A reload kept this virtual server as it was: keepalived rebuilds it anyway, so the effective weights go back to
   * the configuration's plus the checkers' parts (set_effective_weights), a changed one is announced and edited in
   * IPVS (init_service_rs → update_svr_wgt without the quorum), then the quorum is re-weighed (init_service_vs).
   */
  | { readonly type: 'reloaded' }
  | { readonly type: 'shutdown' };

/** The pure health-checking state of one virtual server and its real servers. */
export class VirtualServerCheck implements QuorumContext {
  /** FMT_VS, the name in every log line, FIFO line and action. */
  readonly vsName: string;
  /** The real servers, in configuration order (their index is the `rs` of events and actions). */
  readonly realServers: readonly RealServer[];
  /** The sorry server's IPVS bookkeeping, when one is configured. */
  readonly sorry: Dest | undefined;
  /** `vs->quorum_state_up`. */
  quorumStateUp: boolean;
  /** The actions of the event being handled. */
  out: CheckAction[] = [];
  private stopped = false;
  private readonly globals: CheckGlobals;

  /** @param config the resolved virtual_server @param opts randomness, globals and start-up facts */
  constructor(
    readonly config: VirtualServerConfig,
    private readonly opts: VirtualServerOptions,
  ) {
    this.globals = opts.globals ?? {};
    this.vsName = fmtVs(config, opts.groupMember);
    this.realServers = config.realServers.map(
      (rs, index) =>
        new RealServer(rs, {
          index,
          vs: config,
          vsName: this.vsName,
          ...(opts.trackFiles ? { trackFiles: opts.trackFiles } : {}),
          ...(opts.removedCheckers?.has(index) ? { removed: opts.removedCheckers.get(index)! } : {}),
          ...(this.globals.checkerLogAllFailures !== undefined ? { logAllFailures: this.globals.checkerLogAllFailures } : {}),
        }),
    );
    const s = config.sorryServer;
    this.sorry = s && {
      ref: 'sorry',
      name: fmtRs(s, config),
      server: s,
      inhibit: s.inhibit,
      alive: false,
      set: false,
      numFailedCheckers: 0,
      effectiveWeight: 1,
    };
    this.quorumStateUp = 0 >= config.quorum + config.hysteresis; // set_quorum_states, before any server is up
  }

  /** init_service_vs + register_checkers_thread. */
  start(now: number): CheckAction[] {
    return [...this.initService(), ...this.registerCheckers(now)];
  }

  /** init_service_vs: the IPVS service, the real servers not failing from the start, the quorum, the sorry server. */
  initService(): CheckAction[] {
    this.out = [];
    this.out.push({ kind: 'addVirtualServer', vs: this.vsName, service: this.config });
    for (const rs of this.realServers) {
      if ((!rs.numFailedCheckers && !rs.alive) || (rs.inhibit && !rs.set)) {
        ipvsDest('add', rs, this);
        if (!rs.numFailedCheckers) {
          rs.alive = true;
          if (this.globals.rsInitNotifies) doRsNotifies(rs, this, false);
        }
      }
    }
    updateQuorumState(this, true);
    const sorry = this.sorry;
    if (sorry && sorry.inhibit && !sorry.set) {
      sorry.numFailedCheckers = 1; // so that it is added with weight 0
      ipvsDest('add', sorry, this);
      sorry.numFailedCheckers = 0;
    }
    return this.out;
  }

  /** register_checkers_thread: arms every checker (suspended under ha_suspend until the address is there). */
  registerCheckers(now: number): CheckAction[] {
    const enabled = !this.config.haSuspend || (this.opts.addressPresent ?? false);
    return this.realServers.flatMap((rs) => rs.startCheckers(now, this.opts.rng, enabled));
  }

  /** The earliest checker deadline (monotonic ms), or undefined. */
  pollTimeout(): number | undefined {
    let min: number | undefined;
    for (const rs of this.realServers) {
      for (const c of rs.launched()) {
        const d = c.pollTimeout();
        if (d !== undefined && (min === undefined || d < min)) min = d;
      }
    }
    return min;
  }

  /** Handles one event at `now` and returns the actions it produced. */
  handle(event: VirtualServerEvent, now: number): CheckAction[] {
    this.out = [];
    if (this.stopped) return this.out;
    switch (event.type) {
      case 'timer': {
        const due = this.realServers.flatMap((rs) => rs.launched()).filter((c) => (c.pollTimeout() ?? Infinity) <= now);
        due.sort((a, b) => a.pollTimeout()! - b.pollTimeout()!);
        for (const c of due) this.apply(c.handle({ type: 'timer' }, now));
        break;
      }
      case 'checker': {
        const c = this.realServers[event.rs]?.checkers.get(event.checker);
        if (c instanceof CheckerFsm) this.apply(c.handle(event.event, now));
        break;
      }
      case 'trackFile':
        for (const rs of this.realServers) {
          for (const c of rs.checkers.values()) if (c instanceof FileChecker && c.config.trackFile === event.file) this.apply(c.update(event.status));
        }
        break;
      case 'bfd':
        for (const rs of this.realServers) {
          for (const c of rs.checkers.values()) if (c instanceof BfdChecker && c.config.name === event.name) this.apply(c.update(event.up));
        }
        break;
      case 'address':
        for (const rs of this.realServers) for (const c of rs.launched()) this.apply(c.handle({ type: 'enable', enabled: event.present }, now));
        break;
      case 'setWeight': {
        const rs = this.realServers[event.rs];
        if (rs) this.updateSvrWgt(rs, event.weight, true);
        break;
      }
      case 'reloaded':
        for (const rs of this.realServers) this.updateSvrWgt(rs, rs.configuredWeight(), false);
        updateQuorumState(this, true);
        break;
      case 'shutdown':
        this.shutdown();
        break;
    }
    return this.out;
  }

  /** Passes checker actions on, acting on verdicts and weight changes where they occur. */
  private apply(actions: readonly CheckAction[]): void {
    for (const a of actions) {
      this.out.push(a);
      if (a.kind === 'checkerUp' || a.kind === 'checkerDown') this.onVerdict(a);
      else if (a.kind === 'checkerWeight') {
        const rs = this.realServers[a.rs]!;
        if (a.announce) this.updateSvrWgt(rs, rs.effectiveWeight + a.delta, true);
        else rs.effectiveWeight += a.delta;
      }
    }
  }

  /** update_svr_checker_state, then the checker's mail (smtp_alert with keepalived's conditions). */
  private onVerdict(v: CheckerVerdict): void {
    const rs = this.realServers[v.rs]!;
    const alive = v.kind === 'checkerUp';
    const rsWasAlive = rs.alive;
    if (v.wasUp === alive) {
      if (!v.hadRun && (v.alpha || !alive)) doRsNotifies(rs, this, false);
    } else {
      if (alive ? rs.numFailedCheckers <= 1 : rs.numFailedCheckers === 0) this.performSvrState(alive, rs);
      if (!alive) rs.numFailedCheckers++;
      else if (rs.numFailedCheckers) rs.numFailedCheckers--;
    }
    const mail = v.mail;
    if (mail && rs.server.smtpAlert && (!mail.onlyOnChange || v.wasUp !== alive) && (rsWasAlive !== rs.alive || !this.globals.noCheckerEmails)) {
      this.out.push({ kind: 'smtpAlert', vs: this.vsName, rs: rs.name, up: rs.alive, body: mail.body });
    }
  }

  /** perform_svr_state: puts a real server in or out of the pool. */
  private performSvrState(alive: boolean, rs: RealServer): void {
    if (rs.alive === alive) return;
    const verb = alive ? (rs.inhibit ? 'Enabl' : 'Add') : rs.inhibit ? 'Disabl' : 'Remov';
    logInfo(this, `${verb}ing service ${rs.name} ${rs.inhibit ? 'of' : alive ? 'to' : 'from'} VS ${this.vsName}`);
    if (poolInUse(this)) ipvsDest(alive ? 'add' : 'del', rs, this);
    rs.alive = alive;
    doRsNotifies(rs, this, false);
    updateQuorumState(this, false);
  }

  /** update_svr_wgt: a new effective weight; IPVS (and the quorum, with `updateQuorum`) follow when the IPVS weight changes. */
  private updateSvrWgt(rs: RealServer, weight: number, updateQuorum: boolean): void {
    const oldWeight = realWeight(rs.effectiveWeight);
    const newWeight = realWeight(weight);
    rs.effectiveWeight = weight;
    if (newWeight === oldWeight) return;
    logInfo(this, `Changing weight from ${oldWeight} to ${newWeight} for ${rs.alive ? '' : 'in'}active service ${rs.name} of VS ${this.vsName}`);
    if (rs.set && rs.alive && poolInUse(this)) ipvsDest('edit', rs, this);
    if (updateQuorum) updateQuorumState(this, false);
  }

  /** clear_service_vs(stopping): stops the checkers, removes every destination and the service. */
  private shutdown(): void {
    this.stopped = true;
    for (const rs of this.realServers) for (const c of rs.launched()) c.stop();
    const sorry = this.sorry;
    if (sorry?.set) {
      ipvsDest('del', sorry, this, true);
      sorry.alive = false;
    }
    for (const rs of this.realServers) this.clearServiceRs(rs);
    const weightSum = weighLiveRealservers(this);
    this.quorumStateUp = false;
    doVsNotifies(this, false, this.config.quorum - this.config.hysteresis, weightSum, true);
    this.out.push({ kind: 'removeVirtualServer', vs: this.vsName, service: this.config });
  }

  /** clear_service_rs(stopping): removes the server (inhibit or not); down notifies only with omega. */
  private clearServiceRs(rs: RealServer): void {
    logInfo(this, `Shutting down ${rs.inhibit && !rs.alive ? '(inhibited) ' : ''}service ${rs.name} from VS ${this.vsName}`);
    if (!rs.set) return;
    ipvsDest('del', rs, this, true);
    if (!rs.alive) return;
    rs.alive = false;
    // keepalived always sends the SNMP notification on shutdown; the other notifies only in omega mode
    if (!this.config.omega) return snmpTrap(this, rs, true);
    doRsNotifies(rs, this, true);
    if (rs.server.smtpAlert) this.out.push({ kind: 'smtpAlert', vs: this.vsName, rs: rs.name, up: false, body: '=> Shutting down <=' });
  }
}
