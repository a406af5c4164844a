/**
 * PING_CHECK: one ICMP (IPv4) or ICMPv6 echo request, and a reply within connect_timeout.
 *
 * keepalived 2.2.7 uses an unprivileged ICMP datagram ("ping") socket and widens net.ipv4.ping_group_range for
 * it; this driver uses a raw socket through the native addon instead (root or CAP_NET_RAW, no sysctl changed)
 * and matches replies by identifier itself. As in keepalived, an ICMP error about the request (destination or
 * port unreachable) fails the probe at once, no reply is a timeout, and `bindto`/`bind_port`/`fwmark` are not
 * used by PING_CHECK (`bind_if` is, via SO_BINDTODEVICE, which keepalived does not do).
 */
import { randomInt } from 'node:crypto';
import type { PingCheck } from '../config/model-lvs.js';
import { addressText } from '../check/format.js';
import { parseSockaddr, sockaddrIn, sockaddrIn6 } from '../net/sockaddr.js';
import { Socket } from '../net/socket.js';
import { K, sysio } from '../net/sysio.js';
import { classifyIcmp, echoRequest } from './icmp-packet.js';
import { ProbeRun } from './probe-run.js';
import { PROBE_OK, probeFailed, probeTimeout, type ProbeReport } from './report.js';
import { familyOf } from './tcp-connect.js';

/** keepalived's SOCK_RECV_BUFF for the ICMP socket. */
const ICMP_RCVBUF = 128 * 1024;

/** Runs one PING_CHECK probe. */
export async function runPingProbe(check: PingCheck, signal?: AbortSignal): Promise<ProbeReport> {
  const co = check.connection;
  const family = familyOf(co.connectIp);
  const dst = addressText(co.connectIp, family);
  const id = randomInt(0, 0x10000);
  const run = new ProbeRun(co.connectTimeoutMs, signal);
  let sock: Socket;
  try {
    sock = Socket.open(
      family === 4 ? (K.AF_INET as number) : (K.AF_INET6 as number),
      K.SOCK_RAW as number,
      family === 4 ? (K.IPPROTO_ICMP as number) : (K.IPPROTO_ICMPV6 as number),
      {
        maxLength: 2048,
        controlLength: 0,
        onMessage: (msg) => {
          const from = parseSockaddr(msg.addr);
          const source = from.family === 'inet' || from.family === 'inet6' ? from.address : '';
          const verdict = classifyIcmp(family, msg.data, source, dst, id);
          if (verdict === 'reply') run.finish(PROBE_OK);
          else if (verdict === 'error') run.finish(probeFailed());
        },
      },
      (fd) => {
        sysio.setsockopt(fd, K.SOL_SOCKET as number, K.SO_RCVBUF as number, ICMP_RCVBUF);
        if (co.bindIf) sysio.setsockopt(fd, K.SOL_SOCKET as number, K.SO_BINDTODEVICE as number, Buffer.from(`${co.bindIf}\0`));
      },
    );
  } catch {
    return { kind: 'skipped', detail: `ICMP${family === 4 ? '' : 'v6'} connect fail to create socket. Rescheduling.` };
  }
  run.onCleanup(() => sock.close());
  run.step(probeTimeout());
  // keepalived: "send ICMP packet fail" is a failed check, not a skipped one
  const problem = sock.trySend(echoRequest(family, id, 0), family === 4 ? sockaddrIn(dst) : sockaddrIn6(dst));
  if (problem) run.finish(probeFailed());
  return run.promise;
}
