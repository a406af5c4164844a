/**
 * UDP sockets for single-hop BFD (RFC 5881): the receive socket on port 3784 per address family, with the
 * received TTL / hop limit and destination address as control messages, and one send socket per session, bound to
 * its source address (or the wildcard) on a port in 49152–65535, sending with TTL / hop limit 255 (or `ttl`).
 * Bytes only; the protocol lives in src/bfd.
 */
import type { Msg } from '@keepalived-ts/sysio';
import { decodeCmsgs } from './cmsg.js';
import { parseSockaddr, sockaddrIn, sockaddrIn6 } from './sockaddr.js';
import { Socket, type SocketProblem } from './socket.js';
import { isSysError, K, sysio } from './sysio.js';

/** A received BFD datagram with what the kernel told about it. */
export interface BfdRx {
  readonly bytes: Uint8Array;
  readonly from: string;
  readonly fromPort: number;
  readonly to?: string;
  /** TTL (IPv4) or hop limit (IPv6); undefined when no control message came. */
  readonly ttl?: number;
}

const num = (x: unknown): number => x as number;

/** Opens the receive socket for a family on `port` (3784). */
export function openBfdReceiver(ipv6: boolean, port: number, onPacket: (p: BfdRx) => void, onError: (p: SocketProblem) => void): Socket {
  const onMessage = (m: Msg): void => {
    const a = parseSockaddr(m.addr);
    if (a.family !== 'inet' && a.family !== 'inet6') return;
    const info = decodeCmsgs(m.cmsgs);
    const ttl = ipv6 ? info.hopLimit : info.ttl;
    onPacket({
      bytes: m.data.subarray(0, m.length),
      from: a.address,
      fromPort: a.port,
      ...(info.destination ? { to: info.destination } : {}),
      ...(ttl !== undefined ? { ttl } : {}),
    });
  };
  return Socket.open(
    ipv6 ? num(K.AF_INET6) : num(K.AF_INET),
    num(K.SOCK_DGRAM),
    num(K.IPPROTO_UDP),
    { maxLength: 512, controlLength: 128, onMessage, onError },
    (fd) => {
      sysio.setsockopt(fd, num(K.SOL_SOCKET), num(K.SO_REUSEADDR), 1);
      if (ipv6) {
        sysio.setsockopt(fd, num(K.SOL_IPV6), num(K.IPV6_V6ONLY), 1);
        sysio.setsockopt(fd, num(K.SOL_IPV6), num(K.IPV6_RECVHOPLIMIT), 1);
        sysio.setsockopt(fd, num(K.SOL_IPV6), num(K.IPV6_RECVPKTINFO), 1);
        sysio.bind(fd, sockaddrIn6('::', port));
      } else {
        sysio.setsockopt(fd, num(K.SOL_IP), num(K.IP_RECVTTL), 1);
        sysio.setsockopt(fd, num(K.SOL_IP), num(K.IP_PKTINFO), 1);
        sysio.bind(fd, sockaddrIn('0.0.0.0', port));
      }
    },
  );
}

/** A session's send socket. */
export interface BfdSender {
  readonly socket: Socket;
  readonly port: number;
  /** The neighbor's port 3784 as a sockaddr (what send() sends to). */
  readonly sockaddr: Uint8Array;
  /** Sends one packet to the neighbor's port 3784; a problem as a value. */
  send(bytes: Uint8Array): SocketProblem | undefined;
}

/**
 * Opens a send socket to `neighbor`: bound to `source` (or the wildcard) on the first free port from `firstPort`
 * upward in [min, max] (wrapping), TTL / hop limit `ttl`. Throws a SysError when no port is free.
 */
export function openBfdSender(o: {
  ipv6: boolean;
  neighbor: string;
  source?: string;
  ttl: number;
  firstPort: number;
  min: number;
  max: number;
  dstPort: number;
}): BfdSender {
  let port = o.firstPort;
  const dst = o.ipv6 ? sockaddrIn6(o.neighbor, o.dstPort) : sockaddrIn(o.neighbor, o.dstPort);
  const socket = Socket.open(
    o.ipv6 ? num(K.AF_INET6) : num(K.AF_INET),
    num(K.SOCK_DGRAM),
    num(K.IPPROTO_UDP),
    { maxLength: 512, controlLength: 0, onMessage: () => {} },
    (fd) => {
      if (o.ipv6) sysio.setsockopt(fd, num(K.SOL_IPV6), num(K.IPV6_UNICAST_HOPS), o.ttl);
      else sysio.setsockopt(fd, num(K.SOL_IP), num(K.IP_TTL), o.ttl);
      const src = o.source ?? (o.ipv6 ? '::' : '0.0.0.0');
      for (let tries = 0; ; tries++) {
        try {
          sysio.bind(fd, o.ipv6 ? sockaddrIn6(src, port) : sockaddrIn(src, port));
          return;
        } catch (e) {
          if (!isSysError(e) || e.code !== 'EADDRINUSE' || tries > o.max - o.min) throw e;
          port = port >= o.max ? o.min : port + 1;
        }
      }
    },
  );
  return { socket, port, sockaddr: dst, send: (bytes) => socket.trySend(bytes, dst) };
}
