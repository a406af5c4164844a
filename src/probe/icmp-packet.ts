/**
 * The pure part of PING_CHECK: ICMP/ICMPv6 echo requests as keepalived 2.2.7 sends them (check_ping.c `ping_it`:
 * an 8-byte header and 128 bytes of keepalived's filler), and the classification of what a raw socket receives:
 * the echo reply to our request, an ICMP error about our request (destination unreachable, time exceeded), or
 * someone else's packet.
 */
import { internetChecksum } from '../core/inet/checksum.js';
import { formatIpv4, formatIpv6 } from '../core/inet/address.js';

/** keepalived's ICMP_BUFSIZE: payload bytes after the ICMP header. */
export const ICMP_PAYLOAD_LENGTH = 128;

/** keepalived's `set_buf()`: "keepalived check - " repeated (and cut) to `length` bytes. */
export function keepalivedFiller(length: number): Buffer {
  const unit = Buffer.from('keepalived check - ', 'latin1');
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = unit[i % unit.length]!;
  return b;
}

/** An echo request; IPv6 leaves the checksum to the kernel (raw ICMPv6 sockets always compute it). */
export function echoRequest(family: 4 | 6, id: number, seq: number): Buffer {
  const b = Buffer.concat([Buffer.alloc(8), keepalivedFiller(ICMP_PAYLOAD_LENGTH)]);
  b[0] = family === 4 ? 8 : 128;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  if (family === 4) b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

/** What a received packet means for our probe. */
export type IcmpVerdict = 'reply' | 'error' | 'other';

/** The ICMP message inside what a raw socket returned (IPv4 raw sockets include the IP header). */
function icmpPart(family: 4 | 6, data: Buffer): Buffer | undefined {
  if (family === 6) return data;
  if (data.length < 20 || data[0]! >> 4 !== 4) return undefined;
  return data.subarray((data[0]! & 0x0f) * 4);
}

/** True when `inner` (an IP packet quoted by an ICMP error) is our echo request to `dst`. */
function quotesOurEcho(family: 4 | 6, inner: Buffer, dst: string, id: number): boolean {
  if (family === 4) {
    if (inner.length < 28 || inner[0]! >> 4 !== 4 || inner[9] !== 1) return false;
    const icmp = inner.subarray((inner[0]! & 0x0f) * 4);
    return formatIpv4(inner, 16) === dst && icmp.length >= 8 && icmp[0] === 8 && icmp.readUInt16BE(4) === id;
  }
  if (inner.length < 48 || inner[0]! >> 4 !== 6 || inner[6] !== 58) return false;
  return formatIpv6(inner, 24) === dst && inner[40] === 128 && inner.readUInt16BE(44) === id;
}

/**
 * Classifies one received packet from `source` for our echo request (`id`) to `dst` (canonical text).
 * Replies must come from `dst`; errors may come from any router but must quote our request.
 */
export function classifyIcmp(family: 4 | 6, data: Buffer, source: string, dst: string, id: number): IcmpVerdict {
  const icmp = icmpPart(family, data);
  if (!icmp || icmp.length < 8) return 'other';
  const type = icmp[0]!;
  const reply = family === 4 ? 0 : 129;
  if (type === reply) return source === dst && icmp.readUInt16BE(4) === id ? 'reply' : 'other';
  const errors = family === 4 ? [3, 11] : [1, 3];
  if (errors.includes(type) && quotesOurEcho(family, icmp.subarray(8), dst, id)) return 'error';
  return 'other';
}
