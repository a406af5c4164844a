/**
 * SMTP_CHECK (keepalived check_smtp.c): connect, then the HELO/QUIT dialogue of smtp-dialogue.ts, each read and
 * write bounded by connect_timeout. Failures carry keepalived's `smtp_final` texts (the core prefixes
 * "SMTP_CHECK "); a socket that cannot be set up skips the run.
 */
import type { SmtpCheck } from '../config/model-lvs.js';
import { addressText } from '../check/format.js';
import { ProbeRun } from './probe-run.js';
import { PROBE_OK, probeFailed, probeTimeout, type ProbeReport } from './report.js';
import { SmtpDialogue } from './smtp-dialogue.js';
import { familyOf, tcpConnect } from './tcp-connect.js';

/** Runs one SMTP_CHECK probe. */
export async function runSmtpProbe(check: SmtpCheck, signal?: AbortSignal): Promise<ProbeReport> {
  const co = check.connection;
  const server = `[${addressText(co.connectIp, familyOf(co.connectIp))}]:${co.connectPort}`;
  const run = new ProbeRun(co.connectTimeoutMs, signal);
  void tcpConnect(co, run).then((c) => {
    if (run.done) return;
    if (!c.ok) {
      if (c.reason === 'timeout') run.finish(probeTimeout(`Connection timeout to server ${server}`));
      else if (c.reason === 'setup') run.finish({ kind: 'skipped', detail: 'SMTP_CHECK socket bind failed. Rescheduling.' });
      else if (c.reason === 'unreachable') run.finish(probeFailed(`Network unreachable for server ${co.connectIp} - real server ${server}`));
      else run.finish(probeFailed(`Could not connect to server ${server}`));
      return;
    }
    const socket = c.socket;
    const dialogue = new SmtpDialogue(check.heloName, server);
    run.step(probeTimeout(dialogue.readFailure(true)));
    socket.on('data', (d: Buffer) => {
      const step = dialogue.receive(d);
      if (step.kind === 'send') {
        socket.write(step.line, 'latin1', (err) => {
          if (err) run.finish(probeFailed(`Write failure to server ${server}`));
        });
        run.step(probeTimeout(dialogue.readFailure(true)));
      } else if (step.kind === 'success') run.finish(PROBE_OK);
      else if (step.kind === 'failure') run.finish(probeFailed(step.text));
    });
    socket.once('end', () => run.finish(probeFailed(dialogue.readFailure(false))));
    socket.once('error', () => run.finish(probeFailed(dialogue.readFailure(false))));
  });
  return run.promise;
}
