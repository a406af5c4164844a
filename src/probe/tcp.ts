/**
 * TCP_CHECK (keepalived check_tcp.c): a connect within connect_timeout is a success; the connection is closed
 * at once. Refused/reset/unreachable is a failure, no answer a timeout; a socket that cannot be created, set up
 * or bound skips the run ("TCP connect fail to create socket. Rescheduling." / "TCP socket bind failed.
 * Rescheduling.").
 *
 * The connect is src/net/tcp-connect.ts (a bare fd on the addon, no node:net socket): a TCP_CHECK never reads or
 * writes, and node:net's socket cost about 130 µs of CPU per check. The other stream checkers (HTTP, SMTP) keep
 * node:net through ./tcp-connect.ts.
 */
import type { CheckerConnection, TcpCheck } from '../config/model-lvs.js';
import { SOCKET_FAILED, tcpConnect, tcpTarget, type TcpConnectResult, type TcpTarget } from '../net/tcp-connect.js';
import { PROBE_ABORTED } from './probe-run.js';
import { PROBE_OK, probeFailed, probeTimeout, type ProbeReport } from './report.js';

/** Encoded targets per connection settings (config objects live as long as their configuration). */
const targets = new WeakMap<CheckerConnection, TcpTarget | string>();

const BIND_FAILED: ProbeReport = { kind: 'skipped', detail: 'TCP socket bind failed. Rescheduling.' };
const SOCKET_FAILED_REPORT: ProbeReport = { kind: 'skipped', detail: 'TCP connect fail to create socket. Rescheduling.' };
const FAILED = probeFailed();
const TIMEOUT = probeTimeout();

function target(co: CheckerConnection): TcpTarget | undefined {
  let t = targets.get(co);
  if (t === undefined) {
    try {
      t = tcpTarget(co);
    } catch (e) {
      t = (e as Error).message; // a bad address or unknown bind_if: every run is skipped, as a failing bind is
    }
    targets.set(co, t);
  }
  return typeof t === 'string' ? undefined : t;
}

/** The probe report for a connect result. */
export function tcpReport(r: TcpConnectResult): ProbeReport {
  switch (r.kind) {
    case 'connected':
      return PROBE_OK;
    case 'failed':
      return FAILED;
    case 'timeout':
      return TIMEOUT;
    case 'aborted':
      return PROBE_ABORTED;
    case 'setup':
      return r.error === SOCKET_FAILED ? SOCKET_FAILED_REPORT : BIND_FAILED;
  }
}

/** Runs one TCP_CHECK probe. */
export function runTcpProbe(check: TcpCheck, signal?: AbortSignal): Promise<ProbeReport> {
  const t = target(check.connection);
  if (!t) return Promise.resolve(BIND_FAILED);
  return new Promise((resolve) => tcpConnect(t, check.connection.connectTimeoutMs, signal, (r) => resolve(tcpReport(r))));
}
