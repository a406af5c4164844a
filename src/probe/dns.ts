/**
 * DNS_CHECK (keepalived check_dns.c): one query of the configured type and name over connected UDP, judged by
 * dns-packet.ts; connect_timeout bounds the wait ("read timeout from socket"). An ICMP error about the query
 * fails the read as in keepalived ("failed to read socket; errno 111 (Connection refused)").
 */
import { randomInt } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import type { DnsCheck } from '../config/model-lvs.js';
import { encodeQuery, judgeDnsReply } from './dns-packet.js';
import { ProbeRun } from './probe-run.js';
import { PROBE_OK, probeFailed, probeTimeout, type ProbeReport } from './report.js';
import { udpConnect } from './udp-connect.js';

/** strerror() texts for the errors a connected UDP socket reports. */
const STRERROR: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
};

/** Runs one DNS_CHECK probe. */
export async function runDnsProbe(check: DnsCheck, signal?: AbortSignal): Promise<ProbeReport> {
  const run = new ProbeRun(check.connection.connectTimeoutMs, signal);
  run.step(probeTimeout('read timeout from socket'));
  void udpConnect(check.connection, run).then((c) => {
    if (run.done) return;
    if (!c.ok) {
      run.finish({ kind: 'skipped', detail: 'DNS_CHECK UDP socket bind failed. Rescheduling.' });
      return;
    }
    const id = randomInt(0, 0x10000);
    c.socket.on('message', (msg: Buffer) => {
      const v = judgeDnsReply(id, msg);
      if (v.kind === 'ok') run.finish(PROBE_OK);
      else if (v.kind === 'error') run.finish(probeFailed(v.text));
    });
    c.socket.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'EIO';
      const errno = (osConstants.errno as Record<string, number>)[code] ?? 0;
      run.finish(probeFailed(`failed to read socket; errno ${errno} (${STRERROR[code] ?? code})`));
    });
    c.socket.send(encodeQuery(id, check.name, check.queryType), (err) => {
      if (err) run.finish(probeFailed('failed to write socket.'));
    });
  });
  return run.promise;
}
