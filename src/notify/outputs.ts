/**
 * The notification outputs both runtimes open from `global_defs`: the FIFOs (`notify_fifo` plus the runtime's own,
 * `vrrp_notify_fifo` or `lvs_notify_fifo`, each with its reader script) and the SMTP alerter (only when
 * `notification_email` and `smtp_server` are set).
 */
import { hostname } from 'node:os';
import type { GlobalDefs } from '../config/model.js';
import type { Logger } from '../core/log.js';
import { FifoWriter } from './fifo.js';
import { prepareScript, type ScriptContext } from './prepare.js';
import { defaultSmtpFrom, SmtpAlerter } from './smtp.js';

/** The runtime's own FIFO besides `notify_fifo`: its path, reader script and line prefix (`vrrp `, `lvs `). */
export interface RoleFifo {
  readonly path: GlobalDefs['notifyFifo'];
  readonly script: GlobalDefs['notifyFifoScript'];
  readonly kind: string;
}

/** Opens `notify_fifo` and the role's FIFO; a FIFO that cannot be opened is logged by FifoWriter and left out. */
export function openNotifyFifos(g: GlobalDefs, role: RoleFifo, ctx: ScriptContext, log: Logger): FifoWriter[] {
  const fifos: FifoWriter[] = [];
  for (const { path, script, kind } of [{ path: g.notifyFifo, script: g.notifyFifoScript, kind: '' }, role]) {
    if (!path) continue;
    const reader = script ? prepareScript(script.command, 'notify_fifo', ctx, script.user, script.group)?.spec : undefined;
    const f = new FifoWriter({ path, kind, ...(reader ? { script: reader } : {}) }, { logger: log });
    if (f.open()) fifos.push(f);
  }
  return fifos;
}

/** The SMTP alerter, when `smtp_server` and at least one `notification_email` are configured. */
export function smtpAlerterFor(g: GlobalDefs, log: Logger): SmtpAlerter | undefined {
  if (!g.smtpServer || !g.notificationEmail.length) return undefined;
  return new SmtpAlerter(
    {
      routerId: g.routerId ?? hostname(),
      to: g.notificationEmail,
      from: g.notificationEmailFrom ?? defaultSmtpFrom(),
      server: g.smtpServer.host,
      port: g.smtpServer.port,
      ...(g.smtpHeloName ? { heloName: g.smtpHeloName } : {}),
      connectTimeoutSec: g.smtpConnectTimeoutMs / 1000,
    },
    log,
  );
}
