/**
 * Ancillary data of received IP packets: TTL / hop limit, the ingress interface and destination address, and the
 * kernel's receive time (SO_TIMESTAMPNS).
 * IPv4 raw sockets also deliver the IP header in front of the payload; IPv6 raw sockets do not, so the hop
 * limit (RFC 5798 5.1.2.3 requires 255) is only known through IPV6_HOPLIMIT.
 */
import type { Cmsg } from '@keepalived-ts/sysio';
import { ipv4Text, ipv6Text } from './sockaddr.js';
import { K } from './sysio.js';

/** What the control messages told about a packet. */
export interface PacketInfo {
  ttl?: number;
  hopLimit?: number;
  ifindex?: number;
  destination?: string;
  /** SCM_TIMESTAMPNS: when the kernel received the packet, CLOCK_REALTIME ms since the epoch. */
  receivedRealtimeMs?: number;
}

/** Decodes IP_TTL, IP_PKTINFO, IPV6_HOPLIMIT, IPV6_PKTINFO and SCM_TIMESTAMPNS control messages; others are ignored. */
export function decodeCmsgs(cmsgs: readonly Cmsg[]): PacketInfo {
  const out: PacketInfo = {};
  for (const c of cmsgs) {
    if (c.level === K.SOL_IP && c.type === K.IP_TTL && c.data.length >= 4) out.ttl = c.data.readInt32LE(0);
    else if (c.level === K.SOL_IP && c.type === K.IP_PKTINFO && c.data.length >= 12) {
      // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }
      out.ifindex = c.data.readInt32LE(0);
      out.destination = ipv4Text(c.data, 8);
    } else if (c.level === K.SOL_IPV6 && c.type === K.IPV6_HOPLIMIT && c.data.length >= 4) out.hopLimit = c.data.readInt32LE(0);
    else if (c.level === K.SOL_SOCKET && c.type === K.SCM_TIMESTAMPNS && c.data.length >= 16)
      // struct timespec { time_t tv_sec; long tv_nsec; } (64-bit)
      out.receivedRealtimeMs = Number(c.data.readBigInt64LE(0)) * 1000 + Number(c.data.readBigInt64LE(8)) / 1e6;
    else if (c.level === K.SOL_IPV6 && c.type === K.IPV6_PKTINFO && c.data.length >= 20) {
      // struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; }
      out.destination = ipv6Text(c.data, 0);
      out.ifindex = c.data.readUInt32LE(16);
    }
  }
  return out;
}
