/**
 * The IO side of health checking: runs the probe a `runProbe` action of the sans-IO core (src/check) asks for and
 * reports how it ended; `probeEvent()` (report.ts) turns that into the core's event. One module per checker type.
 *
 * FILE_CHECK and BFD_CHECK are not probed: FILE_CHECK follows a `track_file`, whose value src/track/file-tracker.ts
 * reads and hands to check/checker-file.ts; BFD_CHECK follows a `bfd_instance`.
 */
import type { SecureContext } from 'node:tls';
import type { ScriptSpec } from '../notify/script-runner.js';
import type { MiscCheck } from '../config/model-lvs.js';
import { runDnsProbe } from './dns.js';
import { runHttpProbe } from './http.js';
import { runMiscProbe } from './misc.js';
import { runPingProbe } from './ping.js';
import type { ProbeReport, ProbeSpec } from './report.js';
import { runSmtpProbe } from './smtp.js';
import { runTcpProbe } from './tcp.js';
import { runUdpProbe } from './udp.js';

export { probeEvent, type ProbeReport, type ProbeSpec } from './report.js';

/** What probes need from the daemon. */
export interface ProbeContext {
  /** MISC_CHECK: the script prepared at start-up (notify/prepare.ts prepareScript), undefined if refused. */
  readonly miscScript: (check: MiscCheck) => ScriptSpec | undefined;
  /** SSL_GET: the client context built from the `SSL` block (tls-context.ts); undefined = no client certificate. */
  readonly sslContext?: () => SecureContext | undefined;
}

/** Runs the probe `spec` names; aborting `signal` ends it early (its report is then to be ignored). */
export function runProbe(spec: ProbeSpec, ctx: ProbeContext, signal?: AbortSignal): Promise<ProbeReport> {
  const check = spec.check;
  switch (check.type) {
    case 'TCP_CHECK':
      return runTcpProbe(check, signal);
    case 'HTTP_GET':
    case 'SSL_GET': {
      const url = spec.url ?? check.urls[0];
      if (!url) return Promise.resolve({ kind: 'result', outcome: { ok: true } }); // keepalived: no url = up
      return runHttpProbe(check, url, signal, ctx.sslContext?.());
    }
    case 'SMTP_CHECK':
      return runSmtpProbe(check, signal);
    case 'MISC_CHECK':
      return runMiscProbe(check, ctx.miscScript(check), signal);
    case 'DNS_CHECK':
      return runDnsProbe(check, signal);
    case 'UDP_CHECK':
      return runUdpProbe(check, signal);
    case 'PING_CHECK':
      return runPingProbe(check, signal);
  }
}
