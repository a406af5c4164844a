/**
 * Rogue advertiser packets (keepalived-ts addition, for `keepalived-ts-rogue`): the invalid and hostile VRRP an
 * operator can aim at their own pair to see that it holds. Pure: a kind, the target instance's parameters and a
 * random source in; an IPv4 packet with its header (sent with IP_HDRINCL, so the source can be spoofed) out.
 *
 * Kinds, and what a keepalived-compatible receiver makes of them (its counter in brackets):
 *   truncated  a valid advert cut short after the fixed header           [packet_len_err]
 *   oversized  a valid advert padded to 1400 bytes                         [packet_len_err]
 *   ttl        a valid advert with TTL 64 (multicast needs 255)            [ip_ttl_err]
 *   auth       VRRPv2 PASS with a wrong password (PASS instances only), or  [auth_failure]
 *              for an auth_type AH target (`ah`) an IPsec-AH advert (IP protocol 51) whose ICV is keyed with
 *              a wrong password
 *   authtype   VRRPv2 without auth to a PASS instance (or PASS to none)    [authtype_mismatch]
 *   addresses  a valid advert for other VIPs                               [addr_list_err]
 *   version    the other VRRP version                                      (dropped, not counted)
 *   checksum   a valid advert with its checksum flipped                    (dropped, not counted)
 *   interval   VRRPv2 with another advert_int (v3 learns the interval)     (dropped, not counted)
 *   malformed  random bytes after a VRRP-looking first two bytes           (mixed)
 *   spoof      a VALID advert with the given (higher) priority from the given source: VRRP cannot refuse it
 *              unless auth (a password the intruder does not know) or unicast with check_unicast_src applies
 *   flood      the invalid kinds above that apply to the target, in turn (use with a rate)
 * auth, authtype and interval are VRRPv2 kinds (roguePacket throws a RangeError for a v3 target; auth also for a
 * target without a password). An AH target only hears protocol 51, so only auth and spoof (a valid AH advert with
 * the sniffed password and a sequence number far ahead) apply to it.
 * Every invalid packet claims `priority` (default 254), so a receiver that skipped a check would yield to it.
 */
import { encode, type AdvertInit } from './packet.js';
import { IPV4_HEADER_LENGTH, writeIpv4Header } from './ipv4-header.js';
import { AuthType } from './types.js';
import { encodeAhPacket } from './ah.js';

/** The kinds of rogue traffic. */
export const ROGUE_KINDS = [
  'truncated',
  'oversized',
  'ttl',
  'auth',
  'authtype',
  'addresses',
  'version',
  'checksum',
  'interval',
  'malformed',
  'spoof',
  'flood',
] as const;
/** One of ROGUE_KINDS. */
export type RogueKind = (typeof ROGUE_KINDS)[number];

const INVALID_KINDS: readonly RogueKind[] = [
  'truncated',
  'oversized',
  'ttl',
  'auth',
  'authtype',
  'addresses',
  'version',
  'checksum',
  'interval',
  'malformed',
];

/** Whether `kind` can be built for `t` (see the module comment). */
export function kindApplies(kind: RogueKind, t: Pick<RogueTarget, 'version' | 'authPass' | 'ah'>): boolean {
  if (t.ah) return t.version === 2 && t.authPass !== undefined && (kind === 'auth' || kind === 'spoof' || kind === 'flood');
  if (kind === 'auth') return t.version === 2 && t.authPass !== undefined;
  if (kind === 'authtype' || kind === 'interval') return t.version === 2;
  return true;
}

/** The kinds `flood` cycles through for `t` (all invalid). */
export function floodKinds(t: Pick<RogueTarget, 'version' | 'authPass' | 'ah'>): RogueKind[] {
  return INVALID_KINDS.filter((k) => kindApplies(k, t));
}

/** The instance under attack, as its configuration says. */
export interface RogueTarget {
  readonly vrid: number;
  readonly version: 2 | 3;
  /** Its virtual_ipaddress list (IPv4). */
  readonly vips: readonly string[];
  /** Its auth_pass (VRRPv2 PASS, or AH with `ah`), if any. */
  readonly authPass?: string;
  /** Its auth_type is AH: packets are keepalived's IPsec-AH adverts (IP protocol 51). */
  readonly ah?: boolean;
  /** Its advert_int in centiseconds (default 100). */
  readonly advertIntervalCs?: number;
  /** Priority the packets claim (default 254). */
  readonly priority?: number;
  /** IP source of the packets. */
  readonly source: string;
  /** IP destination (default 224.0.0.18). */
  readonly destination?: string;
  /** The password `spoof` uses with PASS (default: the target's, as an intruder who sniffed it would). */
  readonly spoofPass?: string;
}

const pass8 = (pw: string): Buffer => {
  const b = Buffer.alloc(8);
  Buffer.from(pw).copy(b, 0, 0, 8);
  return b;
};

function advert(t: RogueTarget, over: Partial<AdvertInit> = {}): AdvertInit {
  const v2pass = t.version === 2 && t.authPass !== undefined && !t.ah;
  return {
    version: t.version,
    vrid: t.vrid,
    priority: t.priority ?? 254,
    family: 4,
    addresses: t.vips,
    advertIntervalCs: t.advertIntervalCs ?? 100,
    authType: v2pass ? AuthType.PASS : t.ah ? AuthType.AH : AuthType.NONE,
    ...(v2pass ? { authData: pass8(t.authPass!) } : {}),
    ...over,
  };
}

function withHeader(t: RogueTarget, msg: Buffer, ttl = 255): Buffer {
  const out = Buffer.alloc(IPV4_HEADER_LENGTH + msg.length);
  writeIpv4Header(out, { source: t.source, destination: t.destination ?? '224.0.0.18', payloadLength: msg.length, ttl });
  msg.copy(out, IPV4_HEADER_LENGTH);
  return out;
}

const ctx = (t: RogueTarget) => ({ source: t.source, destination: t.destination ?? '224.0.0.18' });

/** An IPsec-AH advert keyed with `password`; sequence numbers start far ahead, so only the ICV can refuse it. */
function ahPacket(t: RogueTarget, msg: Buffer, password: string, seq: number): Buffer {
  const destination = t.destination ?? '224.0.0.18';
  const first = Number(destination.split('.')[0]);
  const unicast = first < 224 || first > 239;
  return encodeAhPacket(msg, {
    source: t.source,
    destination,
    id: (seq % 0xffff) + 1,
    ttl: 255,
    sequence: 0x10000000 + seq,
    key: pass8(password),
    unicast,
  });
}

/**
 * One packet of `kind` (IPv4 header included). `flood` takes its kind from `seq`; `random` (0 ≤ x < 1) drives
 * the truncation length and the malformed bytes.
 */
export function roguePacket(kind: RogueKind, t: RogueTarget, seq: number, random: () => number): Buffer {
  const valid = (over: Partial<AdvertInit> = {}): Buffer => encode(advert(t, over), ctx(t));
  if (!kindApplies(kind, t))
    throw new RangeError(`rogue kind ${kind} does not apply to a VRRPv${t.version} target${t.authPass === undefined ? ' without auth_pass' : ''}`);
  if (t.ah && kind !== 'flood') return ahPacket(t, valid(), kind === 'auth' ? `x${t.authPass ?? ''}` : (t.spoofPass ?? t.authPass ?? ''), seq);
  switch (kind) {
    case 'truncated': {
      const m = valid();
      return withHeader(t, m.subarray(0, 8 + Math.floor(random() * (m.length - 8))));
    }
    case 'oversized':
      return withHeader(t, Buffer.concat([valid(), Buffer.alloc(1400 - IPV4_HEADER_LENGTH - valid().length, 0x5a)]));
    case 'ttl':
      return withHeader(t, valid(), 64);
    case 'auth':
      return withHeader(t, valid({ authData: pass8(`x${t.authPass ?? ''}`) }));
    case 'authtype':
      return withHeader(
        t,
        t.authPass !== undefined
          ? valid({ authType: AuthType.NONE, authData: undefined })
          : valid({ authType: AuthType.PASS, authData: pass8('rogue') }),
      );
    case 'addresses':
      return withHeader(t, valid({ addresses: t.vips.map((_, i) => `203.0.113.${(i % 250) + 1}`) }));
    case 'version': {
      const other = t.version === 2 ? 3 : 2;
      return withHeader(t, valid({ version: other, authType: AuthType.NONE, authData: undefined }));
    }
    case 'checksum': {
      const m = valid();
      m[6] = (m[6] ?? 0) ^ 0xff;
      return withHeader(t, m);
    }
    case 'interval':
      return withHeader(t, valid({ advertIntervalCs: ((t.advertIntervalCs ?? 100) + 100) % 25_600 }));
    case 'malformed': {
      const m = Buffer.alloc(2 + Math.floor(random() * 64));
      for (let i = 2; i < m.length; i++) m[i] = Math.floor(random() * 256);
      m[0] = (t.version << 4) | 1;
      m[1] = t.vrid;
      return withHeader(t, m);
    }
    case 'spoof':
      return withHeader(t, valid(t.version === 2 && t.authPass !== undefined ? { authData: pass8(t.spoofPass ?? t.authPass) } : {}));
    default: {
      const kinds = floodKinds(t);
      return roguePacket(kinds[seq % kinds.length]!, t, seq, random);
    }
  }
}
