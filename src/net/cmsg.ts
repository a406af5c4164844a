/**
 * Ancillary data of received IP packets: TTL / hop limit and the ingress interface and destination address.
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
}

/** Decodes IP_TTL, IP_PKTINFO, IPV6_HOPLIMIT and IPV6_PKTINFO control messages; others are ignored. */
export function decodeCmsgs(cmsgs: readonly Cmsg[]): PacketInfo {
  const out: PacketInfo = {};
  for (const c of cmsgs) {
    if (c.level === K.SOL_IP && c.type === K.IP_TTL && c.data.length >= 4) out.ttl = c.data.readInt32LE(0);
    else if (c.level === K.SOL_IP && c.type === K.IP_PKTINFO && c.data.length >= 12) {
      // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }
      out.ifindex = c.data.readInt32LE(0);
      out.destination = ipv4Text(c.data, 8);
    } else if (c.level === K.SOL_IPV6 && c.type === K.IPV6_HOPLIMIT && c.data.length >= 4) out.hopLimit = c.data.readInt32LE(0);
    else if (c.level === K.SOL_IPV6 && c.type === K.IPV6_PKTINFO && c.data.length >= 20) {
      // struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; }
      out.destination = ipv6Text(c.data, 0);
      out.ifindex = c.data.readUInt32LE(16);
    }
  }
  return out;
}
