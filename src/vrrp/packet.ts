/**
 * VRRP advertisement codec (dns-packet style: encode / decode / encodingLength), VRRPv2 (RFC 3768) and
 * VRRPv3 (RFC 5798, RFC 9568), IPv4 and IPv6. The codec checks only the packet itself — length, version,
 * type, IPv4 total length, checksum — and hands readonly VrrpAdvert values upward; everything that depends
 * on an instance's configuration lives in validate.ts.
 *
 *  0                   1                   2                   3
 * |Ver=2|Type=1 | VRID          | Priority      | Count IPvX    |
 * | Auth Type   | Adver Int (s) | Checksum                      |   v2 (RFC 3768 5.1)
 * |Rsvd | Max Adver Int (cs, 12)| Checksum                      |   v3 (RFC 5798 5.2)
 * | IPvX address(es): Count × 4 or 16 bytes                     |
 * | v2/IPv4 only: Authentication Data, 8 bytes                  |
 *
 * Checksums (RFC 1071): v2 over the whole message incl. the 8 auth bytes; v3 over a pseudo-header + message:
 * IPv4 src, dst, 0, 112, length (RFC 9568 5.2.8, keepalived 2.2.7 default) — or, keepalived's legacy
 * unicast variant (`old_unicast_checksum`, keepalived < 1.3.6), with the multicast group in place of the
 * unicast destination; IPv6 per RFC 8200 8.1 (normally computed and checked by the kernel, IPV6_CHECKSUM).
 */
import { IPPROTO_VRRP, VRRP_TYPE_ADVERTISEMENT, type Family, type VrrpAdvert } from './types.js';
import { internetChecksum, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum } from '../core/inet/checksum.js';
import { decodeIpv4Header, writeIpv4Header, IPPROTO_AH, IPV4_HEADER_LENGTH, type Ipv4Header, type Ipv4HeaderInit } from './ipv4-header.js';
import type { StatName } from './stats.js';
import { ByteReader } from './wire.js';
import { bytesEqual, formatIpv4, formatIpv6, parseAddress, parseIpv4 } from '../core/inet/address.js';

/** Fixed VRRP header length (version/type … checksum). */
export const VRRP_HEADER_LENGTH = 8;
/** VRRPv2 authentication data length (RFC 2338 5.3.10). */
export const VRRP_AUTH_LENGTH = 8;
/** Default IPv4 VRRP multicast group (RFC 5798 5.1.1.2); keepalived `vrrp_mcast_group4`. */
export const VRRP_MCAST_GROUP4 = '224.0.0.18';
/** Default IPv6 VRRP multicast group (RFC 5798 5.1.2.2); keepalived `vrrp_mcast_group6`. */
export const VRRP_MCAST_GROUP6 = 'ff02::12';
/** Largest VRRPv3 Max Adver Int: 12 bits of centiseconds. */
export const V3_MAX_ADVER_INT_CS = 0x0fff;

/**
 * Which IPv4 destination goes into the VRRPv3 pseudo-header.
 * - `'rfc'`: the packet's real destination (RFC 9568 5.2.8; keepalived 2.2.7's default).
 * - `'mcast-group'`: always the multicast group, even for unicast (keepalived `old_unicast_checksum`, < 1.3.6).
 */
export type V3Ipv4ChecksumMode = 'rfc' | 'mcast-group';

/**
 * Receive policy for VRRPv3/IPv4 checksums.
 * - `'auto'` (keepalived default, CHKSUM_COMPATIBILITY_NONE): try `'rfc'`; for a non-group destination also accept
 *   `'mcast-group'` and report it, so the instance can switch (`Setting unicast VRRPv3 checksum to old version`).
 * - `'rfc'` (keepalived `old_unicast_checksum never`): only the RFC form.
 * - `'mcast-group'` (keepalived `old_unicast_checksum`): only the legacy form.
 */
export type V3Ipv4ChecksumPolicy = 'auto' | V3Ipv4ChecksumMode;

/**
 * The advert fields encode() takes; `type` defaults to 1, any given checksum is ignored and recomputed.
 * v2/IPv4 `authData` is written as given (zeros when absent), whatever the auth type, so that
 * encode(decode(x)) reproduces x; keepalived sends the password only with auth_type PASS.
 */
export type AdvertInit = Omit<VrrpAdvert, 'type' | 'checksum'> & { readonly type?: number; readonly checksum?: number };

/** Addressing needed by encode(): only the v3 pseudo-header (and the IPv4 header builder) use it. */
export interface EncodeContext {
  /** IP source of the advert (required for v3/IPv4, and for v3/IPv6 when `ipv6Checksum`). */
  readonly source?: string;
  /** IP destination (group or unicast peer); default the family's multicast group. */
  readonly destination?: string;
  /** v3/IPv4 pseudo-header variant; default `'rfc'`. */
  readonly checksum4?: V3Ipv4ChecksumMode;
  /** Group used by `'mcast-group'`; default 224.0.0.18. */
  readonly mcastGroup4?: string;
  /**
   * IPv6: compute the checksum (RFC 8200 pseudo-header). Default false: 0 is written, as keepalived does,
   * and the kernel fills it (IPV6_CHECKSUM offset 6).
   */
  readonly ipv6Checksum?: boolean;
}

/** How decode() reads its input. */
export interface DecodeContext {
  readonly family: Family;
  /**
   * The buffer starts at the IPv4 header (raw IPv4 receive). Default true for family 4; always false for 6
   * (the kernel strips the IPv6 header; hop limit and addresses come from ancillary data).
   */
  readonly withIpHeader?: boolean;
  /** v3/IPv4 receive checksum policy; default `'auto'`. */
  readonly checksum4?: V3Ipv4ChecksumPolicy;
  /** Default 224.0.0.18. */
  readonly mcastGroup4?: string;
  /** IPv4 without IP header, or IPv6: the packet's addresses (from RxMeta) for the pseudo-header. */
  readonly source?: string;
  readonly destination?: string;
  /** IPv6: verify the checksum too (needs source and destination). Default false: the kernel already did. */
  readonly verifyIpv6Checksum?: boolean;
}

/** Named reasons the codec rejects a packet. */
export type DecodeErrorReason =
  | 'truncated' // shorter than the IP header / VRRP fixed header
  | 'not-vrrp' // IPv4 header is not IPv4 or protocol is neither 112 nor 51
  | 'ah-header' // IPv4 protocol 51 (AH): keepalived-ts does not implement auth_type AH
  | 'length' // received length != expected length for Count (and version)
  | 'version' // version neither 2 nor 3
  | 'type' // type != 1 (ADVERTISEMENT)
  | 'ip-total-length' // IPv4 tot_len != received length
  | 'checksum';

/** A codec rejection: reason, keepalived's counter (null when keepalived counts nothing) and the numbers for its log text. */
export interface DecodeFailure {
  readonly ok: false;
  readonly reason: DecodeErrorReason;
  readonly counter: StatName | null;
  /** VRID when the fixed header was readable (for dispatching the log line to an instance). */
  readonly vrid?: number;
  readonly version?: number;
  /** Received and expected lengths ('length'; 'ip-total-length' uses received = IPv4 tot_len, expected = buffer length). */
  readonly received?: number;
  readonly expected?: number;
  /** The packet type found ('type'). */
  readonly type?: number;
  readonly ip?: Ipv4Header;
  /**
   * The advert as parsed, for failures found after the length and version checks ('type', 'ip-total-length',
   * 'checksum'), so that validate.ts checkReceived() can run the instance checks keepalived performs before those (TTL, auth, interval).
   */
  readonly advert?: VrrpAdvert;
}

/** A decoded advert plus what the packet said about itself. */
export interface DecodeSuccess {
  readonly ok: true;
  readonly advert: VrrpAdvert;
  /** The IPv4 header when decoding started at one (TTL, source, destination, ID …). */
  readonly ip?: Ipv4Header;
  /** v3/IPv4: which pseudo-header matched. */
  readonly checksumMode?: V3Ipv4ChecksumMode;
}

/** decode()'s result: never throws. */
export type DecodeResult = DecodeSuccess | DecodeFailure;

const addrLen = (family: Family): number => (family === 4 ? 4 : 16);
const hasAuthField = (version: number, family: Family): boolean => version === 2 && family === 4;

/** Length of the VRRP message (no IP header) for `count` addresses. */
export function messageLength(version: number, family: Family, count: number): number {
  return VRRP_HEADER_LENGTH + count * addrLen(family) + (hasAuthField(version, family) ? VRRP_AUTH_LENGTH : 0);
}

/** Bytes encode() will produce for `advert`. */
export function encodingLength(advert: Pick<VrrpAdvert, 'version' | 'family' | 'addresses'>): number {
  return messageLength(advert.version, advert.family, advert.addresses.length);
}

function checkRange(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`VRRP ${name} out of range: ${v}`);
}

function intervalField(advert: AdvertInit): number {
  const cs = advert.advertIntervalCs;
  if (advert.version === 2) {
    checkRange('v2 auth type', advert.authType, 255);
    if (!Number.isInteger(cs) || cs % 100 !== 0 || cs / 100 > 255 || cs < 0) {
      throw new RangeError(`VRRPv2 advert interval must be whole seconds 0..255: ${cs} cs`);
    }
    return ((advert.authType & 0xff) << 8) | (cs / 100);
  }
  checkRange('v3 max adver int (cs)', cs, V3_MAX_ADVER_INT_CS);
  return cs; // RFC 5798 5.2.4: 4 reserved bits, zero
}

/** Writes the message (checksum field zero) and returns it. */
function writeMessage(advert: AdvertInit): Buffer {
  checkRange('vrid', advert.vrid, 255);
  checkRange('priority', advert.priority, 255);
  checkRange('type', advert.type ?? VRRP_TYPE_ADVERTISEMENT, 15);
  if (advert.version !== 2 && advert.version !== 3) throw new RangeError(`VRRP version must be 2 or 3: ${advert.version}`);
  if (advert.addresses.length > 255) throw new RangeError(`too many VRRP addresses: ${advert.addresses.length}`);
  const buf = Buffer.alloc(encodingLength(advert));
  buf[0] = (advert.version << 4) | (advert.type ?? VRRP_TYPE_ADVERTISEMENT);
  buf[1] = advert.vrid;
  buf[2] = advert.priority;
  buf[3] = advert.addresses.length;
  buf.writeUInt16BE(intervalField(advert), 4);
  let off = VRRP_HEADER_LENGTH;
  for (const a of advert.addresses) {
    const bytes = parseAddress(advert.family, a);
    if (!bytes) throw new RangeError(`invalid IPv${advert.family} address in advert: ${a}`);
    buf.set(bytes, off);
    off += bytes.length;
  }
  if (hasAuthField(advert.version, advert.family)) {
    if (advert.authData && advert.authData.length > VRRP_AUTH_LENGTH) throw new RangeError('VRRP auth data longer than 8 bytes');
    if (advert.authData) buf.set(advert.authData, off); // as given; the instance supplies it only for PASS
  }
  return buf;
}

function v3Ipv4PseudoSum(source: string, destination: string, mode: V3Ipv4ChecksumMode, group: string, length: number): number | undefined {
  const src = parseIpv4(source);
  const dst = parseIpv4(mode === 'mcast-group' ? group : destination);
  if (!src || !dst) return undefined;
  return ipv4PseudoHeaderSum(src, dst, IPPROTO_VRRP, length);
}

function ipv6PseudoSum(source: string, destination: string, length: number): number | undefined {
  const src = parseAddress(6, source);
  const dst = parseAddress(6, destination);
  if (!src || !dst) return undefined;
  return ipv6PseudoHeaderSum(src, dst, IPPROTO_VRRP, length);
}

/**
 * The checksum the message should carry (checksum field treated as zero), or undefined when the needed
 * addresses are missing/invalid. IPv6 without `ipv6Checksum` yields 0 (left for the kernel).
 */
export function computeChecksum(message: Uint8Array, version: number, family: Family, ctx: EncodeContext): number | undefined {
  let m = message;
  if (m[6] !== 0 || m[7] !== 0) {
    // sum as if the checksum field were zero
    m = Uint8Array.from(message);
    m[6] = 0;
    m[7] = 0;
  }
  if (version === 2 && family === 4) return internetChecksum(m);
  const destination = ctx.destination ?? (family === 4 ? VRRP_MCAST_GROUP4 : VRRP_MCAST_GROUP6);
  if (family === 6) {
    if (!ctx.ipv6Checksum) return 0;
    if (ctx.source === undefined) return undefined;
    const ph = ipv6PseudoSum(ctx.source, destination, m.length);
    return ph === undefined ? undefined : internetChecksum(m, ph);
  }
  if (ctx.source === undefined) return undefined;
  const ph = v3Ipv4PseudoSum(ctx.source, destination, ctx.checksum4 ?? 'rfc', ctx.mcastGroup4 ?? VRRP_MCAST_GROUP4, m.length);
  return ph === undefined ? undefined : internetChecksum(m, ph);
}

/**
 * Encodes the VRRP message (no IP header) with its checksum. Throws RangeError on out-of-range fields or
 * missing addressing (v3/IPv4 needs ctx.source) — these are programming errors, not wire input.
 */
export function encode(advert: AdvertInit, ctx: EncodeContext = {}): Buffer {
  const buf = writeMessage(advert);
  const sum = computeChecksum(buf, advert.version, advert.family, ctx);
  if (sum === undefined) throw new RangeError('VRRP checksum needs valid source/destination addresses');
  buf.writeUInt16BE(sum, 6);
  return buf;
}

/**
 * Encodes IPv4 header + VRRP message the way keepalived sends it with IP_HDRINCL (see ipv4-header.ts).
 * The v3 pseudo-header uses `ip.source` / `ip.destination`.
 */
export function encodeIpv4Packet(
  advert: AdvertInit,
  ip: Omit<Ipv4HeaderInit, 'payloadLength'>,
  ctx: Omit<EncodeContext, 'source' | 'destination'> = {},
): Buffer {
  const msg = encode(advert, {
    source: ip.source,
    destination: ip.destination,
    checksum4: ctx.checksum4,
    mcastGroup4: ctx.mcastGroup4,
  });
  const out = Buffer.alloc(IPV4_HEADER_LENGTH + msg.length);
  writeIpv4Header(out, {
    source: ip.source,
    destination: ip.destination,
    payloadLength: msg.length,
    id: ip.id,
    ttl: ip.ttl,
    tos: ip.tos,
    protocol: ip.protocol,
    computeChecksum: ip.computeChecksum,
  });
  out.set(msg, IPV4_HEADER_LENGTH);
  return out;
}

const fail = (f: Omit<DecodeFailure, 'ok'>): DecodeFailure => ({ ok: false, ...f });

interface Framing {
  readonly ip?: Ipv4Header;
  readonly start: number;
}

function frame(buf: Uint8Array, ctx: DecodeContext): Framing | DecodeFailure {
  if (ctx.family === 6 || ctx.withIpHeader === false) return { start: 0 };
  const h = decodeIpv4Header(buf);
  if (!h.ok) {
    return h.reason === 'truncated'
      ? fail({ reason: 'truncated', counter: null, received: buf.length })
      : fail({ reason: 'not-vrrp', counter: null });
  }
  if (h.header.protocol === IPPROTO_AH) return fail({ reason: 'ah-header', counter: 'authtype_mismatch', ip: h.header });
  if (h.header.protocol !== IPPROTO_VRRP) return fail({ reason: 'not-vrrp', counter: null, ip: h.header });
  return { ip: h.header, start: h.header.headerLength };
}

const CHECKSUM_OK = { ok: true } as const;
const MCAST_GROUP4_BYTES = parseIpv4(VRRP_MCAST_GROUP4)!;
const CHECKSUM_BAD = { ok: false } as const;

function verifyChecksum(
  msg: Uint8Array,
  version: number,
  ctx: DecodeContext,
  ipBytes: Uint8Array | undefined,
): { ok: boolean; mode?: V3Ipv4ChecksumMode } {
  if (ctx.family === 6) {
    if (!ctx.verifyIpv6Checksum) return CHECKSUM_OK;
    if (ctx.source === undefined || ctx.destination === undefined) return CHECKSUM_BAD;
    const ph = ipv6PseudoSum(ctx.source, ctx.destination, msg.length);
    return ph !== undefined && internetChecksum(msg, ph) === 0 ? CHECKSUM_OK : CHECKSUM_BAD;
  }
  if (version === 2) return internetChecksum(msg) === 0 ? CHECKSUM_OK : CHECKSUM_BAD;
  // With the IP header at hand, take the addresses' bytes straight from it (no text round trip).
  const src = ipBytes ? ipBytes.subarray(12, 16) : ctx.source !== undefined ? parseIpv4(ctx.source) : undefined;
  const dst = ipBytes ? ipBytes.subarray(16, 20) : ctx.destination !== undefined ? parseIpv4(ctx.destination) : undefined;
  if (!src || !dst) return { ok: false };
  const policy = ctx.checksum4 ?? 'auto';
  const sumWith = (d: Uint8Array): boolean => internetChecksum(msg, ipv4PseudoHeaderSum(src, d, IPPROTO_VRRP, msg.length)) === 0;
  if (policy !== 'mcast-group' && sumWith(dst)) return { ok: true, mode: 'rfc' };
  const group = ctx.mcastGroup4 === undefined || ctx.mcastGroup4 === VRRP_MCAST_GROUP4 ? MCAST_GROUP4_BYTES : parseIpv4(ctx.mcastGroup4);
  if (!group) return { ok: false };
  if (policy === 'mcast-group' || (policy === 'auto' && !bytesEqual(dst, group))) {
    if (sumWith(group)) return { ok: true, mode: 'mcast-group' };
  }
  return { ok: false };
}

function readAdvert(
  r: ByteReader,
  version: 2 | 3,
  type: number,
  vrid: number,
  priority: number,
  count: number,
  word: number,
  checksum: number,
  family: Family,
): VrrpAdvert {
  const addresses: string[] = [];
  const fmt = family === 4 ? formatIpv4 : formatIpv6;
  for (let i = 0; i < count; i++) addresses.push(fmt(r.data, r.skip(addrLen(family))!));
  const authData = hasAuthField(version, family) ? r.data.slice(r.offset, r.offset + VRRP_AUTH_LENGTH) : undefined;
  return {
    version,
    type,
    vrid,
    priority,
    family,
    addresses,
    advertIntervalCs: version === 2 ? (word & 0xff) * 100 : word & V3_MAX_ADVER_INT_CS,
    authType: version === 2 ? word >> 8 : 0,
    ...(authData ? { authData } : {}),
    checksum,
  };
}

/**
 * Decodes one received advert. For IPv4 the buffer normally starts at the IP header (raw socket receive);
 * for IPv6 it is the bare VRRP message. Checks, in keepalived's relative order: framing, length against
 * Count (and version), version 2/3, type 1, IPv4 total length, checksum. Never throws.
 */
export function decode(buf: Uint8Array, ctx: DecodeContext): DecodeResult {
  const framing = frame(buf, ctx);
  if ('ok' in framing) return framing;
  const { ip, start } = framing;
  const r = new ByteReader(buf, start);
  const vt = r.u8();
  const vrid = r.u8();
  const priority = r.u8();
  const count = r.u8();
  const word = r.u16();
  const checksum = r.u16();
  if (vt === undefined || vrid === undefined || priority === undefined || count === undefined || word === undefined || checksum === undefined) {
    return fail({ reason: 'truncated', counter: null, received: buf.length, ...(vrid !== undefined ? { vrid } : {}), ...(ip ? { ip } : {}) });
  }
  const version = vt >> 4;
  const type = vt & 0x0f;
  const expected = start + messageLength(version, ctx.family, count);
  if (buf.length !== expected) return fail({ reason: 'length', counter: 'packet_len_err', received: buf.length, expected, vrid, version, ip });
  if (version !== 2 && version !== 3) return fail({ reason: 'version', counter: null, vrid, version, ip });
  const advert = readAdvert(r, version, type, vrid, priority, count, word, checksum, ctx.family);
  if (type !== VRRP_TYPE_ADVERTISEMENT) return fail({ reason: 'type', counter: 'invalid_type_rcvd', type, vrid, version, ip, advert });
  if (ip && ip.totalLength !== buf.length) {
    return fail({ reason: 'ip-total-length', counter: 'packet_len_err', received: ip.totalLength, expected: buf.length, vrid, version, ip, advert });
  }
  const sum = verifyChecksum(buf.subarray(start), version, ctx, ip ? buf.subarray(0, start) : undefined);
  if (!sum.ok) return fail({ reason: 'checksum', counter: null, vrid, version, ip, advert });
  return { ok: true, advert, ip, checksumMode: sum.mode };
}
