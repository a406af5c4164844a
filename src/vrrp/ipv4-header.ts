/**
 * The IPv4 header as keepalived builds it for adverts (it sends with IP_HDRINCL; keepalived vrrp.c
 * vrrp_build_ip4): version 4, IHL 5, TOS 0xC0 (internetwork control), DF clear, TTL 255 (unicast_ttl for
 * unicast), protocol 112, source = unicast_src_ip / mcast_src_ip / interface primary address, destination =
 * 224.0.0.18 or the peer. keepalived writes ID 0 and checksum 0 and lets the kernel fill both (the kernel
 * chooses the ID, observed 1, 2, ...). This module also parses the header found in front of received IPv4 adverts.
 */
import { IPPROTO_VRRP } from './types.js';
import { ByteReader } from './wire.js';
import { formatIpv4, parseIpv4 } from '../core/inet/address.js';

/** TOS keepalived puts on adverts: 0xC0, internetwork control (RFC 791 precedence 6). */
export const VRRP_IPV4_TOS = 0xc0;
/** TTL / hop limit of VRRP adverts (RFC 5798 5.1.1.3, 5.1.2.3). */
export const VRRP_TTL = 255;
/** Length of an IPv4 header without options. */
export const IPV4_HEADER_LENGTH = 20;

/** The fields of an IPv4 header that matter for VRRP. */
export interface Ipv4Header {
  /** Header length in bytes (IHL × 4). */
  readonly headerLength: number;
  readonly tos: number;
  /** Total length field (header + payload). */
  readonly totalLength: number;
  readonly id: number;
  /** Flags and fragment offset word (0 for adverts). */
  readonly flagsFragment: number;
  readonly ttl: number;
  readonly protocol: number;
  /** Header checksum as found. */
  readonly checksum: number;
  readonly source: string;
  readonly destination: string;
}

/** What a caller chooses when building an advert's IPv4 header; the rest is keepalived's fixed values. */
export interface Ipv4HeaderInit {
  readonly source: string;
  readonly destination: string;
  /** Length of what follows the header (the VRRP message, or AH + VRRP). */
  readonly payloadLength: number;
  /** IP ID; keepalived leaves 0 for the kernel to choose. Default 0. */
  readonly id?: number;
  /** Default 255; unicast instances use unicast_ttl. */
  readonly ttl?: number;
  /** Default 0xC0. */
  readonly tos?: number;
  /** Default 112 (51 with AH). */
  readonly protocol?: number;
  /** Compute the header checksum (default true). keepalived leaves it 0 because the kernel fills it with IP_HDRINCL. */
  readonly computeChecksum?: boolean;
}

/** Builds a 20-byte IPv4 header the way keepalived's vrrp_build_ip4 does. Throws RangeError on a bad address. */
export function encodeIpv4Header(init: Ipv4HeaderInit): Buffer {
  return writeIpv4Header(Buffer.alloc(IPV4_HEADER_LENGTH), init);
}

/** Writes the header of encodeIpv4Header() into the first 20 bytes of `b` and returns `b`. */
export function writeIpv4Header(b: Buffer, init: Ipv4HeaderInit): Buffer {
  const src = parseIpv4(init.source);
  const dst = parseIpv4(init.destination);
  if (!src || !dst) throw new RangeError(`invalid IPv4 address: ${!src ? init.source : init.destination}`);
  const total = IPV4_HEADER_LENGTH + init.payloadLength;
  if (total > 0xffff) throw new RangeError(`IPv4 packet too long: ${total}`);
  const id = (init.id ?? 0) & 0xffff;
  b[0] = 0x45;
  b[1] = init.tos ?? VRRP_IPV4_TOS;
  b[2] = total >>> 8;
  b[3] = total & 0xff;
  b[4] = id >>> 8;
  b[5] = id & 0xff;
  b[6] = 0;
  b[7] = 0;
  b[8] = init.ttl ?? VRRP_TTL;
  b[9] = init.protocol ?? IPPROTO_VRRP;
  b[10] = 0;
  b[11] = 0;
  for (let i = 0; i < 4; i++) {
    b[12 + i] = src[i]!;
    b[16 + i] = dst[i]!;
  }
  if (init.computeChecksum ?? true) {
    let sum = 0;
    for (let i = 0; i < IPV4_HEADER_LENGTH; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    b[10] = c >>> 8;
    b[11] = c & 0xff;
  }
  return b;
}

/** Why an IPv4 header could not be parsed. */
export type Ipv4HeaderError = 'truncated' | 'not-ipv4' | 'bad-ihl';

/** Parses the IPv4 header at the start of `buf` (options skipped). The header checksum is not verified (the kernel did). */
export function decodeIpv4Header(buf: Uint8Array): { ok: true; header: Ipv4Header } | { ok: false; reason: Ipv4HeaderError } {
  const r = new ByteReader(buf);
  const vihl = r.u8();
  if (vihl === undefined) return { ok: false, reason: 'truncated' };
  if (vihl >> 4 !== 4) return { ok: false, reason: 'not-ipv4' };
  const headerLength = (vihl & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return { ok: false, reason: 'bad-ihl' };
  if (buf.length < headerLength) return { ok: false, reason: 'truncated' };
  const tos = r.u8()!;
  const totalLength = r.u16()!;
  const id = r.u16()!;
  const flagsFragment = r.u16()!;
  const ttl = r.u8()!;
  const protocol = r.u8()!;
  const checksum = r.u16()!;
  const source = formatIpv4(r.bytes(4)!);
  const destination = formatIpv4(r.bytes(4)!);
  return {
    ok: true,
    header: { headerLength, tos, totalLength, id, flagsFragment, ttl, protocol, checksum, source, destination },
  };
}
