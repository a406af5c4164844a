/**
 * TCP_CHECK (keepalived check_tcp.c): a connect within connect_timeout is a success; the connection is closed
 * at once. Refused/reset/unreachable is a failure, no answer a timeout; a socket that cannot be set up or bound
 * skips the run ("TCP socket bind failed. Rescheduling.").
 */
import type { TcpCheck } from '../config/model-lvs.js';
import { ProbeRun } from './probe-run.js';
import { PROBE_OK, probeFailed, probeTimeout, type ProbeReport } from './report.js';
import { tcpConnect } from './tcp-connect.js';

/** Runs one TCP_CHECK probe. */
export async function runTcpProbe(check: TcpCheck, signal?: AbortSignal): Promise<ProbeReport> {
  const run = new ProbeRun(check.connection.connectTimeoutMs, signal);
  void tcpConnect(check.connection, run).then((c) => {
    if (c.ok) run.finish(PROBE_OK);
    else if (c.reason === 'timeout') run.finish(probeTimeout());
    else if (c.reason === 'setup') run.finish({ kind: 'skipped', detail: 'TCP socket bind failed. Rescheduling.' });
    else run.finish(probeFailed());
  });
  return run.promise;
}
