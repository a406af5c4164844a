/**
 * Notifications from the health checker side (keepalived `check/ipwrapper.c`): real server up/down
 * (`notify_up`/`notify_down`, run exactly as configured), virtual server quorum (`quorum_up`/`quorum_down`),
 * the `RS …`/`VS …` FIFO lines (to `notify_fifo` and `lvs_notify_fifo`), and RS/VS mails.
 * Scripts of one real server / virtual server are queued per owner, like instance notifies.
 */
import { rsFifoLine, vsFifoLine, type FifoWriter } from './fifo.js';
import type { ScriptRunner, ScriptSpec } from './script-runner.js';
import { realServerAlert, virtualServerAlert, type SmtpAlerter } from './smtp.js';

/** Construction options of LvsNotifier. */
export interface LvsNotifierOptions {
  readonly runner: ScriptRunner;
  /** FIFOs receiving LVS lines (`notify_fifo`, `lvs_notify_fifo`). */
  readonly fifos?: readonly FifoWriter[];
  readonly smtp?: SmtpAlerter;
  /** Timeout for each script, ms (default 60000). */
  readonly scriptTimeoutMs?: number;
}

/** One real server transition. `rs`/`vs` are already formatted (`[192.0.2.2]:tcp:80`). */
export interface RsTransition {
  readonly rs: string;
  readonly vs: string;
  readonly up: boolean;
  readonly notifyUp?: ScriptSpec;
  readonly notifyDown?: ScriptSpec;
  /** Mail body (e.g. `=> TCP CHECK failed on service <=`); no mail when absent or smtp_alert is off. */
  readonly mailBody?: string;
  readonly smtpAlert?: boolean;
}

/** One virtual server quorum transition. */
export interface VsTransition {
  readonly vs: string;
  readonly up: boolean;
  readonly quorumUp?: ScriptSpec;
  readonly quorumDown?: ScriptSpec;
  /** e.g. `=> Gained quorum 2+0=2 <= 3 <=`. */
  readonly mailBody?: string;
  readonly smtpAlert?: boolean;
}

/** Sends checker-side notifications. */
export class LvsNotifier {
  constructor(private readonly opts: LvsNotifierOptions) {}

  /** A real server went up or down. Resolves when its script finished. */
  realServer(t: RsTransition): Promise<void> {
    const script = t.up ? t.notifyUp : t.notifyDown;
    const done = script
      ? this.opts.runner
          .run(`rs:${t.rs}:${t.vs}`, script, `RS ${t.rs} ${t.up ? 'notify_up' : 'notify_down'} script`, {
            timeoutMs: this.opts.scriptTimeoutMs ?? 60000,
          })
          .then(() => undefined)
      : Promise.resolve();
    for (const f of this.opts.fifos ?? []) f.writeLine(rsFifoLine(t.rs, t.vs, t.up));
    if (t.smtpAlert && t.mailBody) this.opts.smtp?.send(realServerAlert(t.rs, t.vs, t.up, t.mailBody));
    return done;
  }

  /** A virtual server gained or lost quorum. Resolves when its script finished. */
  virtualServer(t: VsTransition): Promise<void> {
    const script = t.up ? t.quorumUp : t.quorumDown;
    const done = script
      ? this.opts.runner
          .run(`vs:${t.vs}`, script, `VS ${t.vs} ${t.up ? 'quorum_up' : 'quorum_down'} script`, { timeoutMs: this.opts.scriptTimeoutMs ?? 60000 })
          .then(() => undefined)
      : Promise.resolve();
    for (const f of this.opts.fifos ?? []) f.writeLine(vsFifoLine(t.vs, t.up));
    if (t.smtpAlert && t.mailBody) this.opts.smtp?.send(virtualServerAlert(t.vs, t.up, t.mailBody));
    return done;
  }
}
