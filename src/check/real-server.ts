/**
 * One real server at run time (keepalived's `real_server_t` runtime fields: `alive`, `set`, `num_failed_checkers`,
 * `effective_weight`) with its checkers, and keepalived's `ipvs_cmd()` for destinations: the translation that
 * turns the removal of an `inhibit_on_failure` server into weight 0 and its re-adding into a weight change.
 * A real server is alive when none of its checkers is down.
 */
import type { Rng } from '../core/rng.js';
import type { RealServerConfig, SorryServerConfig, VirtualServerConfig } from '../config/model-lvs.js';
import type { CheckAction, DestRef } from './actions.js';
import { CheckerFsm } from './checker-fsm.js';
import { FileChecker, type TrackedFileInfo } from './checker-file.js';
import { BfdChecker } from './checker-bfd.js';
import { fmtRs, realWeight, rsFifoText } from './format.js';

/** An IPVS destination of a virtual server: a real server or the sorry server. */
export interface Dest {
  readonly ref: DestRef;
  /** FMT_RS. */
  readonly name: string;
  readonly server: RealServerConfig | SorryServerConfig;
  /** inhibit_on_failure (sorry_server_inhibit for the sorry server). */
  readonly inhibit: boolean;
  /** In service (ISALIVE). */
  alive: boolean;
  /** In the IPVS table (`rs->set`). */
  set: boolean;
  numFailedCheckers: number;
  effectiveWeight: number;
}

/** Where the core's actions go, and the virtual server's name for them. */
export interface ActionSink {
  readonly vsName: string;
  readonly out: CheckAction[];
}

/** Construction options of RealServer. */
export interface RealServerOptions {
  readonly index: number;
  readonly vs: VirtualServerConfig;
  readonly vsName: string;
  readonly trackFiles?: ReadonlyMap<string, TrackedFileInfo>;
  readonly logAllFailures?: boolean;
  /** MISC_CHECKs removed at start-up because their script was refused, by checker index (see RemovedChecker). */
  readonly removed?: ReadonlyMap<number, RemovedChecker>;
}

/**
 * Why keepalived 2.2.7 removed a MISC_CHECK before it ever ran. `config`: while reading the configuration
 * (check_misc.c: no script path, its `user` or the default script user cannot be set), so it never existed.
 * `security`: by check_misc_script_security (script not found, not executable, or insecure with
 * enable_script_security), which runs after validate_check_config has counted an alpha checker as failed: the
 * count stays, and that real server never comes up.
 */
export type RemovedChecker = 'config' | 'security';

/** A real server, its checkers and its IPVS bookkeeping. */
export class RealServer implements Dest {
  /** Index in the virtual server's `realServers`. */
  readonly ref: number;
  /** FMT_RS. */
  readonly name: string;
  /** inhibit_on_failure. */
  readonly inhibit: boolean;
  /** ISALIVE(rs): in service. */
  alive = false;
  /** In the IPVS table. */
  set = false;
  /** How many of its checkers are down. */
  numFailedCheckers = 0;
  /** The configured weight plus the checkers' parts (misc_dynamic, FILE_CHECK); IPVS gets it clamped. */
  effectiveWeight: number;
  /** Every checker, by its index in `config.checkers`: launched ones, FILE_CHECKs and BFD_CHECKs. */
  readonly checkers = new Map<number, CheckerFsm | FileChecker | BfdChecker>();

  /** @param server the resolved real_server @param opts its place and the virtual server's names */
  constructor(
    readonly server: RealServerConfig,
    opts: RealServerOptions,
  ) {
    this.ref = opts.index;
    this.name = fmtRs(server, opts.vs);
    this.inhibit = server.inhibitOnFailure;
    let removedFailed = 0;
    server.checkers.forEach((c, i) => {
      const id = { rs: opts.index, checker: i };
      const removed = opts.removed?.get(i);
      if (removed !== undefined) {
        if (removed === 'security' && c.type === 'MISC_CHECK' && c.alpha) removedFailed++;
      } else if (c.type === 'FILE_CHECK') {
        const file = opts.trackFiles?.get(c.trackFile) ?? { weight: 1, reverse: false, status: 0 };
        this.checkers.set(i, new FileChecker(c, id, file, { rs: this.name, vs: opts.vsName }));
      } else if (c.type === 'BFD_CHECK') {
        this.checkers.set(i, new BfdChecker(c, id, { rs: this.name, vs: opts.vsName }));
      } else {
        this.checkers.set(
          i,
          new CheckerFsm(c, id, {
            rsName: this.name,
            vsName: opts.vsName,
            iweight: server.weight,
            ...(opts.logAllFailures !== undefined ? { logAllFailures: opts.logAllFailures } : {}),
          }),
        );
      }
    });
    // set_effective_weights, and the alpha / failed track_file checkers counted as failed (validate_check_config)
    this.effectiveWeight = this.configuredWeight();
    this.numFailedCheckers = removedFailed;
    for (const c of this.checkers.values()) if (!(c instanceof CheckerFsm ? c.state : c).isUp) this.numFailedCheckers++;
  }

  /** keepalived's set_effective_weights: the configured weight plus each checker's part (misc_dynamic, FILE_CHECK). */
  configuredWeight(): number {
    let w = this.server.weight;
    for (const c of this.checkers.values()) w += (c instanceof CheckerFsm ? c.state : c).curWeight;
    return w;
  }

  /** The launched checkers. */
  launched(): CheckerFsm[] {
    return [...this.checkers.values()].filter((c): c is CheckerFsm => c instanceof CheckerFsm);
  }

  /** Arms every launched checker's first run. */
  startCheckers(now: number, rng: Rng, enabled: boolean): CheckAction[] {
    return this.launched().flatMap((c) => c.start(now, rng, enabled));
  }

  /** `checker->is_up` of the checker at `index` (true when there is none). */
  checkerUp(index: number): boolean {
    const c = this.checkers.get(index);
    if (c === undefined) return true;
    return c instanceof CheckerFsm ? c.state.isUp : c.isUp;
  }
}

/**
 * keepalived's `ipvs_cmd()` for a destination. `force` is clear_service_rs' removal, which ignores inhibit.
 * add: a new destination (weight 0 if inhibited and failing), or a weight change for an inhibited one already set.
 * del: weight 0 for an inhibited destination, else the removal.
 */
export function ipvsDest(cmd: 'add' | 'del' | 'edit', d: Dest, sink: ActionSink, force = false): void {
  const base = { vs: sink.vsName, dest: d.ref, name: d.name, server: d.server };
  if (cmd === 'edit') {
    sink.out.push({ kind: 'setWeight', ...base, weight: realWeight(d.effectiveWeight) });
  } else if (cmd === 'del') {
    if (d.inhibit && !force) {
      sink.out.push({ kind: 'setWeight', ...base, weight: 0 });
    } else {
      d.set = false;
      sink.out.push({ kind: 'removeRealServer', ...base });
    }
  } else if (d.inhibit && d.set) {
    sink.out.push({ kind: 'setWeight', ...base, weight: realWeight(d.effectiveWeight) });
  } else {
    const zero = !d.set && d.inhibit && d.numFailedCheckers > 0;
    d.set = true;
    sink.out.push({ kind: 'addRealServer', ...base, weight: zero ? 0 : realWeight(d.effectiveWeight) });
  }
}

/** A virtual server as the SNMP notifications see it: its real servers and quorum state. */
export interface TrapSink extends ActionSink {
  readonly realServers: readonly RealServer[];
  readonly quorumStateUp: boolean;
}

/** check_snmp_rs_trap (with `rs`) or check_snmp_quorum_trap (without): the counts and states of this moment. */
export function snmpTrap(sink: TrapSink, rs: RealServer | undefined, stopping: boolean): void {
  sink.out.push({
    kind: 'snmpTrap',
    vs: sink.vsName,
    ...(rs ? { rs: { index: rs.ref, alive: rs.alive } } : {}),
    realUp: sink.realServers.filter((r) => r.alive).length,
    realTotal: sink.realServers.length,
    quorumUp: sink.quorumStateUp,
    stopping,
  });
}

/** do_rs_notifies: the real server's notify_up/notify_down script, its FIFO line and SNMP notification. */
export function doRsNotifies(rs: RealServer, sink: TrapSink, stopping: boolean): void {
  const script = rs.alive ? rs.server.notifyUp : rs.server.notifyDown;
  if (script) {
    sink.out.push({
      kind: 'notifyScript',
      vs: sink.vsName,
      owner: `rs:${rs.name}:${sink.vsName}`,
      rs: rs.name,
      which: rs.alive ? 'notify_up' : 'notify_down',
      script,
      stopping,
    });
  }
  sink.out.push({ kind: 'fifoLine', vs: sink.vsName, line: rsFifoText(rs.name, sink.vsName, rs.alive) });
  snmpTrap(sink, rs, stopping);
}
