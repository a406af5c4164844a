/**
 * Notification dispatch for VRRP instances and sync groups (keepalived `vrrp_notify.c`).
 *
 * Per transition, in keepalived's order: the state-specific script (`notify_master` …, run exactly as configured),
 * then the generic `notify` script with `INSTANCE|GROUP NAME STATE PRIORITY` appended, then the FIFO line, then
 * the SMTP alert. Scripts of one instance/group are queued (see ScriptRunner): a later transition's scripts never
 * start before the earlier ones finished or timed out. FIFO lines and mail are emitted at once, in call order.
 */
import type { Logger } from '../core/log.js';
import { groupFifoLine, instanceFifoLine, type FifoWriter } from './fifo.js';
import type { ScriptRunner, ScriptSpec } from './script-runner.js';
import { groupAlert, instanceAlert, type SmtpAlerter } from './smtp.js';

/** The states notifications are sent for. */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

/** An instance's or group's notify scripts (already split, user resolved). */
export interface NotifyScripts {
  readonly master?: ScriptSpec;
  readonly backup?: ScriptSpec;
  readonly fault?: ScriptSpec;
  readonly stop?: ScriptSpec;
  readonly deleted?: ScriptSpec;
  /** Generic `notify` script. */
  readonly generic?: ScriptSpec;
  /** `notify_master_rx_lower_pri` (instances only). */
  readonly masterRxLowerPri?: ScriptSpec;
}

/** What the notifier needs to know about one instance. */
export interface InstanceNotifyConfig {
  readonly name: string;
  readonly scripts: NotifyScripts;
  /** `notify_deleted` given: report DELETED (else a deleted instance reports FAULT). */
  readonly notifyDeleted: boolean;
  /** Resolved `smtp_alert` (instance, else smtp_alert_vrrp, else smtp_alert). */
  readonly smtpAlert: boolean;
}

/** What the notifier needs to know about one sync group. */
export interface GroupNotifyConfig {
  readonly name: string;
  readonly scripts: NotifyScripts;
  readonly smtpAlert: boolean;
}

/** Notifier construction options. */
export interface NotifierOptions {
  readonly runner: ScriptRunner;
  readonly logger: Logger;
  /** FIFOs that receive VRRP lines (`notify_fifo`, `vrrp_notify_fifo`). */
  readonly fifos?: readonly FifoWriter[];
  readonly smtp?: SmtpAlerter;
  /** `no_email_faults`. */
  readonly noEmailFaults?: boolean;
  /** `vrrp_notify_priority_changes`. */
  readonly notifyPriorityChanges?: boolean;
  /** Timeout for each notify script, ms (keepalived has none; default 60000). */
  readonly scriptTimeoutMs?: number;
  /** Told each time an instance's notifies go out, with the state they carry (keepalived's DBus signal goes there). */
  readonly onInstanceNotify?: (name: string, state: NotifyState) => void;
}

interface OwnerState {
  notifiesSent: boolean;
  lastEmailState?: NotifyState;
}

/** Picks the state-specific script. */
function stateScript(s: NotifyScripts, state: NotifyState): ScriptSpec | undefined {
  switch (state) {
    case 'MASTER':
      return s.master;
    case 'BACKUP':
      return s.backup;
    case 'FAULT':
      return s.fault;
    case 'STOP':
      return s.stop;
    case 'DELETED':
      return s.deleted;
  }
}

/** Sends instance and group notifications; one per daemon. */
export class Notifier {
  private readonly instances = new Map<string, { cfg: InstanceNotifyConfig; st: OwnerState }>();
  private readonly groups = new Map<string, { cfg: GroupNotifyConfig; st: OwnerState }>();

  constructor(private readonly opts: NotifierOptions) {}

  /** Registers (or replaces, on reload) an instance. */
  setInstance(cfg: InstanceNotifyConfig): void {
    const prev = this.instances.get(cfg.name);
    this.instances.set(cfg.name, { cfg, st: prev?.st ?? { notifiesSent: false } });
  }

  /** Registers (or replaces) a sync group. */
  setGroup(cfg: GroupNotifyConfig): void {
    const prev = this.groups.get(cfg.name);
    this.groups.set(cfg.name, { cfg, st: prev?.st ?? { notifiesSent: false } });
  }

  /** Forgets an instance (after its DELETED notify on reload). Queued scripts still run. */
  removeInstance(name: string): void {
    this.instances.delete(name);
  }

  /** Forgets a sync group. */
  removeGroup(name: string): void {
    this.groups.delete(name);
  }

  /**
   * An instance entered `state` with effective `priority`. `groupState` is its sync group's current state, if
   * any: member notifies are suppressed when the group already reports that state. Resolves when this
   * transition's scripts have finished (callers need not await).
   */
  instanceTransition(name: string, state: NotifyState, priority: number, groupState?: NotifyState): Promise<void> {
    const entry = this.instances.get(name);
    if (!entry) return Promise.resolve();
    const { cfg, st } = entry;
    if (st.notifiesSent && groupState !== undefined && groupState === state) return Promise.resolve();
    const eff: NotifyState = state === 'DELETED' && !cfg.notifyDeleted ? 'FAULT' : state;
    st.notifiesSent = true;
    const done = this.runScripts(`instance:${name}`, cfg.scripts, eff, ['INSTANCE', name, eff, String(priority)], `(${name})`);
    this.writeFifos(instanceFifoLine(name, eff, priority));
    this.mail(st, cfg.smtpAlert, eff, instanceAlert(name, eff));
    this.opts.onInstanceNotify?.(name, eff);
    return done;
  }

  /** A sync group entered `state`. */
  groupTransition(name: string, state: NotifyState): Promise<void> {
    const entry = this.groups.get(name);
    if (!entry) return Promise.resolve();
    const { cfg, st } = entry;
    st.notifiesSent = true;
    const done = this.runScripts(`group:${name}`, cfg.scripts, state, ['GROUP', name, state, '0'], `VRRP_Group(${name})`);
    this.writeFifos(groupFifoLine(name, state));
    this.mail(st, cfg.smtpAlert, state, groupAlert(name, state));
    return done;
  }

  /** A MASTER received a lower-priority advert: `notify_master_rx_lower_pri` and a FIFO line. */
  masterRxLowerPri(name: string, priority: number): Promise<void> {
    const entry = this.instances.get(name);
    if (!entry) return Promise.resolve();
    const script = entry.cfg.scripts.masterRxLowerPri;
    this.writeFifos(instanceFifoLine(name, 'MASTER_RX_LOWER_PRI', priority));
    if (!script) return Promise.resolve();
    return this.opts.runner
      .run(`instance:${name}`, script, `(${name}) notify_master_rx_lower_pri script`, { timeoutMs: this.opts.scriptTimeoutMs ?? 60000 })
      .then(() => undefined);
  }

  /** Effective priority changed: a `MASTER_PRIORITY`/`BACKUP_PRIORITY` FIFO line if enabled. */
  priorityChange(name: string, state: NotifyState, priority: number): void {
    if (!this.opts.notifyPriorityChanges || (state !== 'MASTER' && state !== 'BACKUP')) return;
    this.writeFifos(instanceFifoLine(name, `${state}_PRIORITY`, priority));
  }

  /**
   * Shutdown: waits up to `boundMs` in total for queued scripts (the STOP notifies), FIFO lines and mail.
   * Resolves true if everything finished within the bound. Never rejects.
   */
  async shutdown(boundMs = 1000): Promise<boolean> {
    const started = performance.now();
    const left = (): number => Math.max(0, boundMs - (performance.now() - started));
    const scripts = await this.opts.runner.drain(boundMs);
    let fifos = true;
    for (const f of this.opts.fifos ?? []) fifos = (await f.flush(left())) && fifos;
    let mail = true;
    if (this.opts.smtp) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), left());
      });
      mail = await Promise.race([this.opts.smtp.idle().then(() => true), bound]);
      clearTimeout(timer);
    }
    return scripts && fifos && mail;
  }

  private runScripts(owner: string, s: NotifyScripts, state: NotifyState, generic: string[], who: string): Promise<void> {
    const specific = stateScript(s, state);
    if (!specific && !s.generic) return Promise.resolve();
    const timeoutMs = this.opts.scriptTimeoutMs ?? 60000;
    const runner = this.opts.runner;
    return runner.enqueue(owner, async (): Promise<void> => {
      if (specific) await runner.runNow(specific, `${who} notify_${state.toLowerCase()} script`, { timeoutMs });
      if (s.generic) await runner.runNow(s.generic, `${who} notify script`, { timeoutMs, extraArgs: generic });
    });
  }

  /** `fifo_write_vrrp_states_on_reload`: the current state of an instance or group as FIFO lines only. */
  fifoState(kind: 'instance' | 'group', name: string, state: NotifyState, priority = 0): void {
    this.writeFifos(kind === 'instance' ? instanceFifoLine(name, state, priority) : groupFifoLine(name, state));
  }

  private writeFifos(line: string): void {
    for (const f of this.opts.fifos ?? []) f.writeLine(line);
  }

  private mail(st: OwnerState, enabled: boolean, state: NotifyState, alert: ReturnType<typeof instanceAlert>): void {
    if (!enabled || !alert || !this.opts.smtp) return;
    if (this.opts.noEmailFaults && state === 'FAULT') return;
    if (st.lastEmailState === state) return;
    st.lastEmailState = state;
    this.opts.smtp.send(alert);
  }
}
