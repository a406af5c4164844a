/**
 * The checker side's notifications (keepalived check/ipwrapper.c `do_rs_notifies`, `do_vs_notifies`): notify_up /
 * notify_down / quorum_up / quorum_down scripts (split, script user resolved and checked for security once, as
 * keepalived does at configuration time), `RS …`/`VS …` lines to `notify_fifo` and `lvs_notify_fifo` (with their
 * reader scripts), and mails (`smtp_alert`).
 */
import type { Logger } from '../../core/log.js';
import type { KeepalivedConfig, ScriptCommand } from '../../config/model.js';
import type { FifoWriter } from '../../notify/fifo.js';
import { cmdStr, prepareScriptOutcome, type PrepareOutcome, type ScriptContext } from '../../notify/prepare.js';
import { splitCommand } from '../../notify/split.js';
import { ScriptRunner, type ScriptSpec } from '../../notify/script-runner.js';
import { openNotifyFifos, smtpAlerterFor } from '../../notify/outputs.js';
import { realServerAlert, type SmtpAlerter, virtualServerAlert } from '../../notify/smtp.js';

/** keepalived runs shutdown notifies with a 1 s bound (system_call_script at exit). */
const STOPPING_SCRIPT_TIMEOUT_MS = 1000;
/** Bound of a notify script while running (keepalived has none; we do, as for VRRP notifies). */
const SCRIPT_TIMEOUT_MS = 60_000;

/** What the checker runtime sends notifications with. */
export class CheckNotify {
  private readonly fifos: FifoWriter[];
  private readonly smtp: SmtpAlerter | undefined;
  private readonly runner: ScriptRunner;
  private readonly prepared = new Map<string, PrepareOutcome>();
  /** Scripts, FIFO lines and mails sent. */
  readonly counts = { scripts: 0, fifoLines: 0, mails: 0 };

  constructor(
    cfg: KeepalivedConfig,
    private readonly scripts: ScriptContext,
    log: Logger,
  ) {
    const g = cfg.globalDefs;
    this.runner = new ScriptRunner({ logger: log });
    this.fifos = openNotifyFifos(g, { path: g.lvsNotifyFifo, script: g.lvsNotifyFifoScript, kind: 'lvs ' }, scripts, log);
    this.smtp = smtpAlerterFor(g, log);
  }

  /** A script prepared once per command (undefined when refused: logged at preparation). */
  prepare(cmd: ScriptCommand, type: string): ScriptSpec | undefined {
    const o = this.outcome(cmd, type);
    return o.ok ? o.script.spec : undefined;
  }

  /**
   * A script prepared once per command, or why it was refused. A MISC_CHECK's refusal for its user is worded as
   * check_misc.c words it (the checker is `removing`), with the command as keepalived's cmd_str shows it.
   */
  outcome(cmd: ScriptCommand, type: string): PrepareOutcome {
    const key = `${type}\0${cmd.command}\0${cmd.user ?? ''}\0${cmd.group ?? ''}`;
    let o = this.prepared.get(key);
    if (o === undefined) {
      const split = splitCommand(cmd.command);
      const shown = split.ok ? cmdStr(split.argv) : cmd.command;
      const misc = type === 'MISC_CHECK';
      o = prepareScriptOutcome(
        cmd.command,
        type,
        this.scripts,
        cmd.user,
        cmd.group,
        misc ? `Unable to set default user for misc script ${shown} - removing` : undefined,
        misc ? `Failed to set uid/gid for misc checker script ${shown} - removing` : undefined,
      );
      this.prepared.set(key, o);
    }
    return o;
  }

  /** Queues a notify script behind `owner`'s earlier ones. */
  script(owner: string, which: string, cmd: ScriptCommand, label: string, stopping: boolean): void {
    const spec = this.prepare(cmd, 'notify');
    if (!spec) return;
    this.counts.scripts++;
    void this.runner.run(owner, spec, `${label} ${which} script`, { timeoutMs: stopping ? STOPPING_SCRIPT_TIMEOUT_MS : SCRIPT_TIMEOUT_MS });
  }

  /** One line to every LVS FIFO. */
  fifoLine(line: string): void {
    for (const f of this.fifos) {
      f.writeLine(line);
      this.counts.fifoLines++;
    }
  }

  /** A real-server or virtual-server mail. */
  mail(vs: string, rs: string | undefined, up: boolean, body: string): void {
    if (!this.smtp) return;
    this.counts.mails++;
    this.smtp.send(rs !== undefined ? realServerAlert(rs, vs, up, body) : virtualServerAlert(vs, up, body));
  }

  /** Waits (bounded) for scripts and mail, then closes the FIFOs. */
  async close(boundMs = 2000): Promise<void> {
    await this.runner.drain(boundMs);
    if (this.smtp) await Promise.race([this.smtp.idle(), new Promise((r) => setTimeout(r, boundMs))]);
    for (const f of this.fifos) f.close();
    this.fifos.length = 0;
  }
}
