/**
 * What the pure health-checking core (checker-fsm.ts, virtual-server.ts) asks its driver to do.
 * Every action names the virtual server it belongs to (keepalived's FMT_VS text), so several virtual servers
 * can return one flat list. The IPVS actions are what keepalived's `ipvs_cmd()` would send, after its
 * inhibit_on_failure translation (a removal of an inhibited server becomes weight 0).
 */
import type { LogRecord } from '../core/log.js';
import type { ScriptCommand } from '../config/model.js';
import type { BfdCheck, CheckerConfig, FileCheck, HttpUrl, RealServerConfig, SorryServerConfig, VirtualServerConfig } from '../config/model-lvs.js';

/** A checker keepalived schedules itself (everything but FILE_CHECK and BFD_CHECK). */
export type LaunchedCheck = Exclude<CheckerConfig, FileCheck | BfdCheck>;

/** keepalived's checker keyword. */
export type CheckerType = CheckerConfig['type'];

/** A checker: its real server's index in the virtual server's `realServers`, and its index in that server's `checkers`. */
export interface CheckerId {
  readonly rs: number;
  readonly checker: number;
}

/** An IPVS destination of a virtual server: a real server by index, or the sorry server. */
export type DestRef = number | 'sorry';

/** The mail a checker asks for with its verdict (keepalived `smtp_alert(SMTP_MSG_RS, …)`). */
export interface CheckerMail {
  readonly body: string;
  /** Only when the checker's own state changed (`checker_was_up` test); MISC_CHECK does not ask for it. */
  readonly onlyOnChange: boolean;
}

/** A checker's verdict, as keepalived's `update_svr_checker_state(UP|DOWN, checker)`. */
export interface CheckerVerdict extends CheckerId {
  readonly kind: 'checkerUp' | 'checkerDown';
  readonly vs: string;
  readonly checkerType: CheckerType;
  /** The checker's state before the verdict (`checker->is_up`). */
  readonly wasUp: boolean;
  /** Whether it had run before (`checker->has_run`). */
  readonly hadRun: boolean;
  readonly alpha: boolean;
  readonly mail?: CheckerMail;
}

/** Everything the health-checking core can ask for. */
export type CheckAction =
  /** Run one probe now. The result goes back with the same `probe` number (stale numbers are ignored). */
  | (CheckerId & {
      readonly kind: 'runProbe';
      readonly vs: string;
      readonly probe: number;
      readonly check: LaunchedCheck;
      /** HTTP_GET/SSL_GET: the url to fetch this time (keepalived checks one url per probe). */
      readonly url?: HttpUrl;
    })
  | CheckerVerdict
  /** A checker changed its weight contribution (misc_dynamic, FILE_CHECK). `announce` = keepalived's update_svr_wgt. */
  | (CheckerId & { readonly kind: 'checkerWeight'; readonly vs: string; readonly delta: number; readonly announce: boolean })
  | { readonly kind: 'log'; readonly vs: string; readonly record: LogRecord }
  /** Create / delete the IPVS service. */
  | { readonly kind: 'addVirtualServer' | 'removeVirtualServer'; readonly vs: string; readonly service: VirtualServerConfig }
  /** IPVS_CMD_NEW_DEST with this weight. */
  | {
      readonly kind: 'addRealServer';
      readonly vs: string;
      readonly dest: DestRef;
      readonly name: string;
      readonly server: RealServerConfig | SorryServerConfig;
      readonly weight: number;
    }
  /** IPVS_CMD_DEL_DEST. */
  | {
      readonly kind: 'removeRealServer';
      readonly vs: string;
      readonly dest: DestRef;
      readonly name: string;
      readonly server: RealServerConfig | SorryServerConfig;
    }
  /** IPVS_CMD_SET_DEST: a new weight for a destination already in the table (0 = inhibited). */
  | {
      readonly kind: 'setWeight';
      readonly vs: string;
      readonly dest: DestRef;
      readonly name: string;
      readonly server: RealServerConfig | SorryServerConfig;
      readonly weight: number;
    }
  /**
   * Run a notify script: a real server's `notify_up`/`notify_down` or the virtual server's `quorum_up`/`quorum_down`.
   * `owner` is the per-server queue key of notify/lvs-notifier.ts; `stopping` = keepalived's shutdown variant
   * (system_call_script with a 1 s timeout).
   */
  | {
      readonly kind: 'notifyScript';
      readonly vs: string;
      readonly owner: string;
      readonly rs?: string;
      readonly which: 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down';
      readonly script: ScriptCommand;
      readonly stopping: boolean;
    }
  /** One line for `notify_fifo` and `lvs_notify_fifo` (newline included). */
  | { readonly kind: 'fifoLine'; readonly vs: string; readonly line: string }
  /**
   * An SNMP notification (keepalived's check_snmp_rs_trap / check_snmp_quorum_trap): realServerStateChange when
   * `rs` is set (its index and state), else virtualServerQuorumStateChange; with the live and total real server
   * counts and the quorum state at that moment. Sent only with enable_snmp_checker and enable_traps.
   */
  | {
      readonly kind: 'snmpTrap';
      readonly vs: string;
      readonly rs?: { readonly index: number; readonly alive: boolean };
      readonly realUp: number;
      readonly realTotal: number;
      readonly quorumUp: boolean;
      readonly stopping: boolean;
    }
  /** A mail: notify/smtp.ts `realServerAlert(rs, vs, up, body)` or `virtualServerAlert(vs, up, body)`. */
  | { readonly kind: 'smtpAlert'; readonly vs: string; readonly rs?: string; readonly up: boolean; readonly body: string };
