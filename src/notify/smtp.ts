/**
 * SMTP alerts, keepalived style (`keepalived/core/smtp.c`), sent with nodemailer.
 *
 * Subjects are `[router_id] <text>`, the body is one `=> … <=` line, `X-Mailer: Keepalived`. Sending is
 * asynchronous and serialised through a bounded queue: VRRP never waits for mail, a dead or failing server is
 * logged with keepalived's texts, retried a bounded number of times, and never grows memory without bound.
 */
import { hostname, userInfo } from 'node:os';
import type { Logger } from '../core/log.js';

/** Global SMTP settings (`global_defs`). */
export interface SmtpOptions {
  /** `router_id`, used in the subject prefix. */
  readonly routerId: string;
  /** `notification_email` recipients; no mail is sent when empty. */
  readonly to: readonly string[];
  /** `notification_email_from`. */
  readonly from: string;
  /** `smtp_server` host (IP or name); no mail is sent when absent. */
  readonly server?: string;
  /** `smtp_server` port (default 25). */
  readonly port?: number;
  /** `smtp_helo_name` (default: the host name). */
  readonly heloName?: string;
  /** `smtp_connect_timeout`, seconds (default 30). */
  readonly connectTimeoutSec?: number;
}

/** Options of the queue and retry behaviour. */
export interface SmtpQueueOptions {
  /** Max queued (not yet sent) messages; more are dropped with a log line (default 32). */
  readonly maxQueued?: number;
  /** Attempts per message (default 2). */
  readonly maxAttempts?: number;
  /** Delay between attempts, ms (default 5000). */
  readonly retryDelayMs?: number;
  /** Wall clock for the Date: header (default Date.now). */
  readonly wallNow?: () => number;
}

/** One alert: the subject text after `[router_id] ` and the body line. */
export interface Alert {
  readonly subject: string;
  readonly body: string;
}

const INSTANCE_TEXTS: Readonly<Record<string, readonly [string, string]>> = {
  MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
  BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  STOP: ['Stopping', '=> VRRP Instance stopping <='],
  DELETED: ['Deleted', '=> VRRP Deleted at reload <='],
};

const GROUP_TEXTS: Readonly<Record<string, readonly [string, string]>> = {
  MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
  STOP: ['Stopping', '=> All VRRP group instances are now stopping <='],
};

/** The alert for a VRRP instance entering `state`, or undefined for states keepalived doesn't mail. */
export function instanceAlert(name: string, state: string): Alert | undefined {
  const t = INSTANCE_TEXTS[state];
  return t && { subject: `VRRP Instance ${name} - ${t[0]}`, body: t[1] };
}

/** The alert for a sync group entering `state` (no DELETED mail for groups, as keepalived). */
export function groupAlert(name: string, state: string): Alert | undefined {
  const t = GROUP_TEXTS[state];
  return t && { subject: `VRRP Group ${name} - ${t[0]}`, body: t[1] };
}

/** A real server alert: `Realserver [ip]:tcp:80 of virtual server <vs> - UP`, body as given by the checker. */
export function realServerAlert(rs: string, vs: string, up: boolean, body: string): Alert {
  return { subject: `Realserver ${rs} of virtual server ${vs} - ${up ? 'UP' : 'DOWN'}`, body };
}

/** A virtual server quorum alert: `Virtualserver <vs> - UP`, body e.g. `=> Gained quorum 2+0=2 <= 3 <=`. */
export function virtualServerAlert(vs: string, up: boolean, body: string): Alert {
  return { subject: `Virtualserver ${vs} - ${up ? 'UP' : 'DOWN'}`, body };
}

/** keepalived's default `notification_email_from`: `<running user>@<hostname>`. */
export function defaultSmtpFrom(): string {
  let user = 'root';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return `${user}@${hostname()}`;
}

/** `[ip]:port`, as keepalived prints the server in its messages. */
function serverText(host: string, port: number): string {
  return `[${host}]:${port}`;
}

/** Maps a nodemailer error to keepalived's log text. */
export function smtpErrorText(err: unknown, host: string, port: number): string {
  const e = err as { code?: string; command?: string; responseCode?: number; message?: string };
  const srv = serverText(host, port);
  if (e.responseCode && e.command) {
    const cmd = e.command.split(/[ :]/)[0]!.toUpperCase();
    return `Error processing ${cmd} cmd on SMTP server ${srv}. SMTP status code = ${e.responseCode}`;
  }
  if (e.code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? '')) return `Timeout connecting SMTP server ${srv}.`;
  return `SMTP connection ERROR to ${srv}. (${e.message ?? String(err)})`;
}

/** Sends alerts one at a time from a bounded queue. */
export class SmtpAlerter {
  private readonly queue: Alert[] = [];
  private running: Promise<void> | undefined;
  /** Messages dropped because the queue was full. */
  dropped = 0;
  /** Messages successfully handed to the server. */
  sent = 0;
  /** Messages given up on after all attempts. */
  failed = 0;

  constructor(
    private readonly opts: SmtpOptions,
    private readonly logger: Logger,
    private readonly q: SmtpQueueOptions = {},
  ) {}

  /** True when mail can be sent at all (a server and at least one recipient). */
  get enabled(): boolean {
    return !!this.opts.server && this.opts.to.length > 0;
  }

  /** Queues an alert; returns immediately. Use `idle()` to await delivery. */
  send(alert: Alert): void {
    if (!this.enabled) return;
    if (this.queue.length >= (this.q.maxQueued ?? 32)) {
      this.dropped++;
      this.logger.log({ level: 'warning', text: `SMTP alert queue full - dropping alert '${alert.subject}'` });
      return;
    }
    this.queue.push(alert);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when the queue is empty and nothing is in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let a = this.queue.shift(); a; a = this.queue.shift()) await this.deliver(a);
  }

  /** Tries to deliver one alert up to maxAttempts times; logs every failure. */
  private async deliver(alert: Alert): Promise<void> {
    const attempts = this.q.maxAttempts ?? 2;
    for (let i = 1; i <= attempts; i++) {
      try {
        await this.sendOnce(alert);
        this.sent++;
        this.logger.log({ level: 'info', text: 'SMTP alert successfully sent.', detail: true });
        return;
      } catch (err) {
        this.logger.log({ level: 'info', text: smtpErrorText(err, this.opts.server!, this.opts.port ?? 25) });
        if (i < attempts) await new Promise((r) => setTimeout(r, this.q.retryDelayMs ?? 5000));
      }
    }
    this.failed++;
  }

  private async sendOnce(alert: Alert): Promise<void> {
    const timeoutMs = Math.max(1, this.opts.connectTimeoutSec ?? 30) * 1000;
    // loaded on the first mail, not at start-up: most daemons never send one (issue 17: ~1 MB of heap per process)
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: this.opts.server,
      port: this.opts.port ?? 25,
      secure: false,
      ignoreTLS: true,
      name: this.opts.heloName,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    try {
      await transport.sendMail({
        from: this.opts.from,
        to: this.opts.to.join(', '),
        subject: `[${this.opts.routerId}] ${alert.subject}`,
        text: `${alert.body}\n`,
        date: new Date((this.q.wallNow ?? Date.now)()),
        headers: { 'X-Mailer': 'Keepalived' },
      });
    } finally {
      transport.close();
    }
  }
}
