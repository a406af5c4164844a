/**
 * The runtime's notification plumbing, built from the configuration: the notifier with its FIFOs (and their reader
 * scripts) and SMTP alerter, an owner's notify scripts prepared (split, user resolved, security checked), and
 * `startup_script` / `shutdown_script` with keepalived's log texts.
 */
import type { Logger } from '../../core/log.js';
import type { KeepalivedConfig, VrrpInstanceConfig } from '../../config/model.js';
import type { FifoWriter } from '../../notify/fifo.js';
import { Notifier, type NotifierOptions, type NotifyScripts } from '../../notify/notifier.js';
import { prepareScript, type ScriptContext } from '../../notify/prepare.js';
import { describeOutcome, runScript, ScriptRunner } from '../../notify/script-runner.js';
import { openNotifyFifos, smtpAlerterFor } from '../../notify/outputs.js';

/** Notify scripts, FIFOs and SMTP alerts (mail only when notification_email and smtp_server are set). */
export function createNotifier(
  cfg: KeepalivedConfig,
  ctx: ScriptContext,
  log: Logger,
  onInstanceNotify?: NotifierOptions['onInstanceNotify'],
): { notifier: Notifier; fifos: FifoWriter[] } {
  const g = cfg.globalDefs;
  const fifos = openNotifyFifos(g, { path: g.vrrpNotifyFifo, script: g.vrrpNotifyFifoScript, kind: 'vrrp ' }, ctx, log);
  const smtp = smtpAlerterFor(g, log);
  // priority-change lines are gated per instance by the runtime (global vrrp_notify_priority_changes or the instance's)
  const notifier = new Notifier({
    runner: new ScriptRunner({ logger: log }),
    logger: log,
    fifos,
    notifyPriorityChanges: true,
    noEmailFaults: g.noEmailFaults,
    ...(smtp ? { smtp } : {}),
    ...(onInstanceNotify ? { onInstanceNotify } : {}),
  });
  return { notifier, fifos };
}

/** Splits and checks an instance's or group's notify scripts (keepalived's quoting, script user, script security). */
export function prepareNotifyScripts(ctx: ScriptContext, notify: VrrpInstanceConfig['notify']): NotifyScripts {
  const out: Record<string, unknown> = {};
  for (const [key, cmd] of Object.entries(notify)) {
    if (!cmd) continue;
    const p = prepareScript(cmd.command, 'notify', ctx, cmd.user, cmd.group);
    if (p) out[key] = p.spec;
  }
  return out as NotifyScripts;
}

/** `startup_script` before anything starts, `shutdown_script` after everything stopped (keepalived's texts). */
export async function runLifecycleScript(cfg: KeepalivedConfig, which: 'startup' | 'shutdown', ctx: ScriptContext, log: Logger): Promise<void> {
  const g = cfg.globalDefs;
  const cmd = which === 'startup' ? g.startupScript : g.shutdownScript;
  if (!cmd) return;
  const prepared = prepareScript(cmd.command, `${which}_script`, ctx, cmd.user, cmd.group);
  if (!prepared) return;
  const name = prepared.spec.argv[0] ?? cmd.command;
  log.log({ level: 'info', text: `Running ${which} script ${name}` });
  const out = await runScript(prepared.spec, { timeoutMs: which === 'startup' ? g.startupScriptTimeoutMs : g.shutdownScriptTimeoutMs });
  // keepalived's own wording, "startup script script failed" included
  if (out.kind === 'exited' && out.status !== 0) log.log({ level: 'info', text: `${which} script script failed, status ${out.status}` });
  else if (out.kind === 'exited') log.log({ level: 'info', text: `${which} script script succeeded`, detail: true });
  else if (out.kind === 'spawnFailed') log.log({ level: 'info', text: `Call of ${which} script ${name} failed` });
  else log.log({ level: 'info', text: `${which} script ${describeOutcome(out)}` });
}

/**
 * Whether an instance reports priority changes (FIFO MASTER_PRIORITY / BACKUP_PRIORITY lines): its own
 * `notify_priority_changes`, else its sync group's, else global_defs' `vrrp_notify_priority_changes` (keepalived
 * vrrp_complete_instance).
 */
export function notifiesPriorityChanges(cfg: KeepalivedConfig, ic: VrrpInstanceConfig): boolean {
  const group = cfg.vrrpSyncGroups.find((g) => g.group.includes(ic.name));
  return ic.notifyPriorityChanges ?? group?.notifyPriorityChanges ?? cfg.globalDefs.vrrpNotifyPriorityChanges;
}
