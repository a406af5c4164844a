/**
 * UDP_CHECK (keepalived check_udp.c, layer4.c `udp_bind_connect`/`udp_socket_state`): send the payload (without
 * one, keepalived's 32-byte filler) over connected UDP and wait connect_timeout. An ICMP error (port or host
 * unreachable) fails. A reply succeeds, unless `reply` is configured and the reply's length or bytes differ
 * (then `mismatch`). Silence is a success — unless `require_reply` is set, when it is a failure.
 */
import type { UdpCheck } from '../config/model-lvs.js';
import { keepalivedFiller } from './icmp-packet.js';
import { ProbeRun } from './probe-run.js';
import { PROBE_OK, probeFailed, type ProbeReport } from './report.js';
import { udpConnect } from './udp-connect.js';

/** keepalived's UDP_BUFSIZE: the filler sent when no payload is configured. */
export const UDP_FILLER_LENGTH = 32;

/** check_udp_reply: true when `data` does not match the expected reply (length range, then masked bytes). */
export function udpReplyMismatch(check: UdpCheck, data: Buffer): boolean {
  if (data.length < check.minReplyLength || data.length > check.maxReplyLength) return true;
  const reply = check.reply;
  if (!reply) return false;
  const n = Math.min(reply.data.length, data.length);
  for (let i = 0; i < n; i++) {
    const care = ~(reply.mask?.[i] ?? 0) & 0xff;
    if ((data[i]! ^ reply.data[i]!) & care) return true;
  }
  return false;
}

/** Runs one UDP_CHECK probe. */
export async function runUdpProbe(check: UdpCheck, signal?: AbortSignal): Promise<ProbeReport> {
  const run = new ProbeRun(check.connection.connectTimeoutMs, signal);
  run.step(check.requireReply ? probeFailed() : PROBE_OK);
  void udpConnect(check.connection, run).then((c) => {
    if (run.done) return;
    if (!c.ok) {
      run.finish(probeFailed()); // keepalived: a failed bind/connect/send goes straight to udp_epilog(false)
      return;
    }
    c.socket.on('message', (msg: Buffer) => {
      if (check.requireReply && check.reply && udpReplyMismatch(check, msg)) run.finish(probeFailed(undefined, { mismatch: true }));
      else run.finish(PROBE_OK);
    });
    c.socket.on('error', () => run.finish(probeFailed()));
    const payload = check.payload ? Buffer.from(check.payload) : keepalivedFiller(UDP_FILLER_LENGTH);
    c.socket.send(payload, (err) => {
      if (err) run.finish(probeFailed());
    });
  });
  return run.promise;
}
