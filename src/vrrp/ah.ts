/**
 * keepalived's VRRPv2 IPsec-AH authentication (`auth_type AH`; keepalived 2.2.7 vrrp.c vrrp_build_ipsecah,
 * vrrp_update_pkt, vrrp_in_chk_ipsecah). Not a real IPsec SA: the advert goes out as IPv4 protocol 51 with an
 * Authentication Header (RFC 2402 layout) in front of the VRRP message:
 *
 * | Next Header = 112 | Payload Len = 4 | Reserved = 0          |
 * | SPI = the sender's IPv4 source address (network order)       |
 * | Sequence Number (one counter per instance, +1 per advert)    |
 * | ICV: HMAC-MD5-96 (RFC 2403), 12 bytes                        |
 *
 * The ICV is HMAC-MD5 keyed with the 8 NUL-padded bytes of auth_pass over IPv4 header + AH + VRRP message, with
 * the mutable IP fields zeroed (TOS, flags/fragment, header checksum; the TTL too for unicast instances) and the
 * ICV field itself zeroed, truncated to 96 bits. The VRRP header carries Auth Type 2 and 8 zero auth bytes.
 * keepalived writes the IP ID itself (its own per-instance counter, so the kernel keeps it and the ICV holds).
 */
import { bytesEqual, constantTimeEqual, hmacMd5, internetChecksum, parseIpv4 } from '../core/inet/index.js';
import { IPV4_HEADER_LENGTH, writeIpv4Header } from './ipv4-header.js';
import { IPPROTO_AH, IPPROTO_VRRP } from './types.js';

/** Length of keepalived's AH header (RFC 2402 fixed part + 96-bit ICV). */
export const AH_HEADER_LENGTH = 24;
/** HMAC-MD5-96: the ICV is the digest's first 12 bytes (RFC 2403 2). */
export const AH_ICV_LENGTH = 12;
/** Payload Len for a 96-bit ICV: AH length in 32-bit words minus 2 (RFC 2402 2.2). */
export const AH_PAYLOAD_LEN = 4;
/** keepalived stops counting here and marks the counter as cycled (vrrp_update_pkt). */
export const AH_SEQUENCE_LIMIT = 0xfffffffd;
const ICV_OFFSET = 12;

/** The fields of a received Authentication Header. */
export interface AhHeader {
  readonly nextHeader: number;
  readonly payloadLength: number;
  /** SPI as an unsigned 32-bit number read big-endian (keepalived puts the source address there). */
  readonly spi: number;
  readonly sequence: number;
  readonly icv: Uint8Array;
}

/** Reads the AH header at `at` (the caller checked that 24 bytes are there). */
export function decodeAhHeader(buf: Uint8Array, at: number): AhHeader {
  const v = new DataView(buf.buffer, buf.byteOffset + at, AH_HEADER_LENGTH);
  return {
    nextHeader: v.getUint8(0),
    payloadLength: v.getUint8(1),
    spi: v.getUint32(4),
    sequence: v.getUint32(8),
    icv: Uint8Array.from(buf.subarray(at + ICV_OFFSET, at + AH_HEADER_LENGTH)),
  };
}

/** What the sender chooses for one AH advert. */
export interface AhSendInit {
  readonly source: string;
  readonly destination: string;
  /** IP ID (keepalived's per-instance counter, never 0). */
  readonly id: number;
  /** IP TTL: 255, or unicast_ttl for unicast instances. */
  readonly ttl: number;
  readonly sequence: number;
  /** auth_pass as 8 NUL-padded bytes. */
  readonly key: Uint8Array;
  /** Unicast instances leave the TTL out of the ICV. */
  readonly unicast: boolean;
  /** Fill the IPv4 header checksum (the kernel does it on send; golden vectors hold it). Default false. */
  readonly ipChecksum?: boolean;
}

/** The ICV over `packet` (IPv4 header of `ihl` bytes, AH, VRRP) with the mutable fields and the ICV zeroed. */
function icvOf(packet: Uint8Array, ihl: number, key: Uint8Array, unicast: boolean): Uint8Array {
  const head = Uint8Array.from(packet.subarray(0, ihl + AH_HEADER_LENGTH)); // a copy (Buffer.slice would be a view)
  head[1] = 0; // TOS
  head[6] = 0; // flags, fragment offset
  head[7] = 0;
  head[10] = 0; // header checksum
  head[11] = 0;
  if (unicast) head[8] = 0; // TTL
  head.fill(0, ihl + ICV_OFFSET, ihl + AH_HEADER_LENGTH);
  return hmacMd5(key, head, packet.subarray(ihl + AH_HEADER_LENGTH)).subarray(0, AH_ICV_LENGTH);
}

/** IPv4 header + AH + `message` (the encoded VRRPv2 advert with Auth Type 2), as keepalived sends it with IP_HDRINCL. */
export function encodeAhPacket(message: Uint8Array, o: AhSendInit): Buffer {
  const src = parseIpv4(o.source);
  if (!src) throw new RangeError(`invalid IPv4 address: ${o.source}`);
  const out = Buffer.alloc(IPV4_HEADER_LENGTH + AH_HEADER_LENGTH + message.length);
  writeIpv4Header(out, {
    source: o.source,
    destination: o.destination,
    payloadLength: AH_HEADER_LENGTH + message.length,
    id: o.id,
    ttl: o.ttl,
    protocol: IPPROTO_AH,
    computeChecksum: false,
  });
  const ah = IPV4_HEADER_LENGTH;
  out[ah] = IPPROTO_VRRP;
  out[ah + 1] = AH_PAYLOAD_LEN;
  out.set(src, ah + 4);
  out.writeUInt32BE(o.sequence >>> 0, ah + 8);
  out.set(message, ah + AH_HEADER_LENGTH);
  out.set(icvOf(out, IPV4_HEADER_LENGTH, o.key, o.unicast), ah + ICV_OFFSET);
  if (o.ipChecksum) out.writeUInt16BE(internetChecksum(out.subarray(0, IPV4_HEADER_LENGTH)), 10);
  return out;
}

/** Why an AH advert fails keepalived's check (vrrp_in_chk_ipsecah), in its order. */
export type AhCheckFailure = 'icv' | 'spi' | 'sequence';

/**
 * keepalived's AH check of a received IPv4 packet whose AH header starts at `ihl`: the ICV, then SPI = source
 * address, then the anti-replay rule (the sequence must be above the instance's counter `lastSequence`).
 */
export function checkAh(packet: Uint8Array, ihl: number, key: Uint8Array, unicast: boolean, lastSequence: number): AhCheckFailure | undefined {
  const ah = decodeAhHeader(packet, ihl);
  if (!constantTimeEqual(ah.icv, icvOf(packet, ihl, key, unicast))) return 'icv';
  if (!bytesEqual(packet.subarray(ihl + 4, ihl + 8), packet.subarray(12, 16))) return 'spi';
  if (ah.sequence <= lastSequence) return 'sequence';
  return undefined;
}
