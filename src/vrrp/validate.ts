/**
 * Receive validation against one instance's expectations (FRR's layering: packet.ts checks the packet
 * itself, this module checks it against the instance). Pure: decoded advert + RxMeta + a readonly
 * RxExpectations in, accept-with-notes or drop-with-reason out. Order, log texts and counters follow
 * keepalived 2.2.7 vrrp.c vrrp_check_packet (reference §5.6); where keepalived counts nothing the drop's
 * counter is null (wrong version, checksum, v2 interval mismatch, unicast source not a peer).
 *
 * `checkReceived()` runs the whole pipeline (decode + validate) and interleaves the two layers exactly in
 * keepalived's order, so a packet with several faults is reported by the first check keepalived makes.
 */
import { AuthType, type RxMeta, type VrrpAdvert, type VrrpVersion, type Family } from './types.js';
import {
  decode,
  VRRP_MCAST_GROUP4,
  VRRP_MCAST_GROUP6,
  type DecodeContext,
  type DecodeFailure,
  type DecodeErrorReason,
  type V3Ipv4ChecksumMode,
} from './packet.js';
import { VRRP_TTL } from './ipv4-header.js';
import type { StatName, VrrpStats } from './stats.js';
import { bytesEqual, parseAddress } from '../core/inet/address.js';

/** One unicast peer as the validator needs it (keepalived unicast_peer { ADDR min_ttl N max_ttl M }). */
export interface UnicastPeerExpectation {
  readonly address: string;
  /** Default 0. */
  readonly minTtl?: number;
  /** Default 255. */
  readonly maxTtl?: number;
}

/**
 * What an instance expects of adverts for its VRID. Built by the instance from its configuration and
 * runtime state; everything is readonly and plain data.
 */
export interface RxExpectations {
  /** Instance name for log texts, e.g. "VI_1" → "(VI_1) …". */
  readonly instanceName: string;
  readonly vrid: number;
  readonly version: VrrpVersion;
  readonly family: Family;
  /** Configured auth_type (v2 only; 0 for v3). */
  readonly authType: number;
  /** Configured auth_pass as 8 bytes, NUL padded (keepalived's auth_data). Needed when authType is PASS. */
  readonly authData?: Uint8Array;
  /** Own configured advert_int in centiseconds (v2: a multiple of 100). */
  readonly advertIntervalCs: number;
  /** Configured virtual_ipaddress list (textual, any canonical or non-canonical form; compared as bytes). */
  readonly vips: readonly string[];
  /** True when the instance uses unicast_peer (then adverts must arrive unicast, TTL not checked against 255). */
  readonly unicast: boolean;
  readonly unicastPeers?: readonly UnicastPeerExpectation[];
  /** vrrp_check_unicast_src (global) or check_unicast_src (instance). */
  readonly checkUnicastSrc?: boolean;
  /** vrrp_skip_check_adv_addr / skip_check_adv_addr. */
  readonly skipCheckAdvAddr?: boolean;
  /**
   * Source address of the master whose adverts were last accepted — pass it only while BACKUP (keepalived's
   * master_saddr in vrrp_state_backup). With skipCheckAdvAddr and the same source, the count, VIP and
   * unicast-source checks are skipped. A MASTER always checks (leave undefined).
   */
  readonly previousMaster?: string;
}

/** Named drop reasons of the whole receive pipeline (codec reasons included). */
export type DropReason =
  | DecodeErrorReason
  | 'ah-expected' // instance uses AH, packet has no AH header
  | 'ttl'
  | 'version-mismatch'
  | 'invalid-authtype'
  | 'authtype-mismatch'
  | 'auth-failure'
  | 'advert-interval'
  | 'address-count'
  | 'destination-mode'
  | 'vip-missing'
  | 'unicast-source'
  | 'unicast-ttl-range';

/** A note attached to an accepted advert. */
export type AcceptNote =
  /** v3: the master advertises a different interval; the state machine adopts it (RFC 5798 6.4.2). */
  | { readonly kind: 'v3-interval'; readonly advertIntervalCs: number }
  /** v3/IPv4: the advert used keepalived's legacy unicast checksum; switch the send side to it too. */
  | { readonly kind: 'old-unicast-checksum' };

/** An accepted advert: bump `counters` (advert_rcvd, and pri_zero_rcvd for priority 0). */
export interface Accept {
  readonly ok: true;
  readonly advert: VrrpAdvert;
  readonly counters: readonly StatName[];
  readonly notes: readonly AcceptNote[];
  /** Log lines keepalived prints even for an accepted advert (e.g. the checksum compatibility switch). */
  readonly logTexts: readonly string[];
}

/** A dropped advert: `counter` is keepalived's drop counter (null when it counts none); bump all of `counters`. */
export interface Drop {
  readonly ok: false;
  readonly reason: DropReason;
  readonly counter: StatName | null;
  /** Every counter to bump: advert_rcvd too for drops after keepalived counted the advert as received. */
  readonly counters: readonly StatName[];
  /** keepalived's log line (without timestamp). */
  readonly logText: string;
  /** keepalived prints this line only with -D / --log-detail. */
  readonly detailOnly?: boolean;
}

/** Result of validation. */
export type Verdict = Accept | Drop;

const drop = (reason: DropReason, counter: StatName | null, logText: string, extra: readonly StatName[] = []): Drop => ({
  ok: false,
  reason,
  counter,
  counters: counter ? [...extra, counter] : [...extra],
  logText,
});

/** Constant-time equality of two 8-byte auth fields (keepalived memcmp_constant_time). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function isMulticast(family: Family, address: string): boolean {
  if (address === (family === 4 ? VRRP_MCAST_GROUP4 : VRRP_MCAST_GROUP6)) return true; // the usual destination, unparsed
  const b = parseAddress(family, address);
  if (!b) return false;
  return family === 4 ? b[0]! >= 224 && b[0]! <= 239 : b[0] === 0xff;
}

function sameAddress(family: Family, a: string, b: string): boolean {
  const x = parseAddress(family, a);
  const y = parseAddress(family, b);
  return x !== undefined && y !== undefined && bytesEqual(x, y);
}

/** keepalived's check_vip_addr: false only with skip_check_adv_addr and the same master as before. */
export function shouldCheckAddresses(meta: RxMeta, exp: RxExpectations): boolean {
  if (!exp.skipCheckAdvAddr || exp.previousMaster === undefined) return true;
  return !sameAddress(exp.family, meta.source, exp.previousMaster);
}

/** A validation step; `stage` orders it against the codec's checks (see CODEC_STAGE). */
interface Step {
  readonly stage: number;
  readonly run: (a: VrrpAdvert, meta: RxMeta, exp: RxExpectations, n: string) => Drop | undefined;
}

/** Stage of each codec failure in keepalived's order (steps below use the numbers in between). */
const CODEC_STAGE: Record<DecodeErrorReason, number> = {
  truncated: 0,
  'not-vrrp': 0,
  'ah-header': 0,
  length: 1,
  version: 3,
  type: 8,
  'ip-total-length': 10,
  checksum: 11,
};

function checkTtl(meta: RxMeta, exp: RxExpectations, n: string): Drop | undefined {
  if (exp.unicast || meta.ttl < 0 || meta.ttl === VRRP_TTL) return undefined;
  return drop('ttl', 'ip_ttl_err', `(${n}) invalid TTL/HL. Received ${meta.ttl} and expect ${VRRP_TTL}`);
}

function checkAuth(a: VrrpAdvert, _m: RxMeta, exp: RxExpectations, n: string): Drop | undefined {
  if (exp.version !== 2) return undefined;
  if (a.authType !== AuthType.NONE && a.authType !== AuthType.PASS && a.authType !== AuthType.AH) {
    return drop('invalid-authtype', 'invalid_authtype', `(${n}) Invalid auth type: ${a.authType}`);
  }
  if (a.authType !== exp.authType) {
    return drop('authtype-mismatch', 'authtype_mismatch', `(${n}) received a ${a.authType} auth, expecting ${exp.authType}!`);
  }
  if (exp.authType === AuthType.PASS) {
    const want = new Uint8Array(8);
    if (exp.authData) want.set(exp.authData.subarray(0, 8));
    if (!a.authData || !constantTimeEqual(a.authData, want)) {
      return drop('auth-failure', 'auth_failure', `(${n}) received an invalid passwd!`);
    }
  }
  return undefined;
}

function checkInterval(a: VrrpAdvert, _m: RxMeta, exp: RxExpectations, n: string): Drop | undefined {
  if (exp.version !== 2 || a.advertIntervalCs === exp.advertIntervalCs) return undefined;
  const mine = Math.floor(exp.advertIntervalCs / 100);
  return drop('advert-interval', null, `(${n}) advertisement interval mismatch mine=${mine} sec rcv'd=${a.advertIntervalCs / 100} sec`);
}

const STEPS: readonly Step[] = [
  { stage: 2, run: (_a, m, exp, n) => checkTtl(m, exp, n) },
  {
    stage: 3,
    run: (a, _m, exp, n) =>
      a.version === exp.version ? undefined : drop('version-mismatch', null, `(${n}) wrong version. Received ${a.version} and expect ${exp.version}`),
  },
  { stage: 5, run: checkAuth },
  { stage: 7, run: checkInterval },
  {
    stage: 9,
    run: (a, m, exp, n) =>
      !shouldCheckAddresses(m, exp) || a.addresses.length === exp.vips.length
        ? undefined
        : drop('address-count', 'addr_list_err', `(${n}) received an unexpected ip number count ${a.addresses.length}, expected ${exp.vips.length}!`),
  },
  {
    stage: 12,
    run: (_a, m, exp, n) =>
      isMulticast(exp.family, m.destination) !== exp.unicast
        ? undefined
        : drop(
            'destination-mode',
            'addr_list_err',
            exp.unicast
              ? `(${n}) Expected unicast packet but received multicast packet`
              : `(${n}) Expected multicast packet but received unicast packet`,
          ),
  },
];

/**
 * Whether the advert lists `vip`. The decoder writes addresses in canonical text, and a configured VIP usually is:
 * equal text is the same address, found without parsing; otherwise the bytes are compared.
 */
function advertHas(a: VrrpAdvert, vip: string, family: Family): boolean {
  if (a.addresses.includes(vip)) return true;
  const want = parseAddress(family, vip);
  return want !== undefined && a.addresses.some((x) => sameBytes(parseAddress(family, x), want));
}

function sameBytes(x: Uint8Array | undefined, y: Uint8Array): boolean {
  return x !== undefined && bytesEqual(x, y);
}

/** Checks made after keepalived counted the packet as advert_rcvd (stage 13+). */
function checkAfterReceived(a: VrrpAdvert, meta: RxMeta, exp: RxExpectations, n: string): Drop | undefined {
  if (!shouldCheckAddresses(meta, exp)) return undefined;
  for (const vip of exp.vips) {
    if (!advertHas(a, vip, exp.family)) {
      return drop('vip-missing', 'addr_list_err', `(${n}) ip address associated with VRID ${exp.vrid} not present in MASTER advert: ${vip}`, [
        'advert_rcvd',
      ]);
    }
  }
  if (!exp.unicast || !exp.checkUnicastSrc) return undefined;
  const peer = (exp.unicastPeers ?? []).find((p) => sameAddress(exp.family, p.address, meta.source));
  if (!peer) return drop('unicast-source', null, `(${n}) unicast source address ${meta.source} not a unicast peer`, ['advert_rcvd']);
  const min = peer.minTtl ?? 0;
  const max = peer.maxTtl ?? 255;
  if (meta.ttl >= 0 && (meta.ttl < min || meta.ttl > max)) {
    return drop('unicast-ttl-range', 'ip_ttl_err', `(${n}) TTL/HL ${meta.ttl} not in range ${min} - ${max}`, ['advert_rcvd']);
  }
  return undefined;
}

function runSteps(a: VrrpAdvert, meta: RxMeta, exp: RxExpectations, beforeStage: number): Drop | undefined {
  for (const s of STEPS) {
    if (s.stage >= beforeStage) break;
    const d = s.run(a, meta, exp, exp.instanceName);
    if (d) return d;
  }
  return undefined;
}

function accept(a: VrrpAdvert, exp: RxExpectations, checksumMode?: V3Ipv4ChecksumMode): Accept {
  const notes: AcceptNote[] = [];
  const logTexts: string[] = [];
  if (exp.version === 3 && a.advertIntervalCs !== exp.advertIntervalCs) notes.push({ kind: 'v3-interval', advertIntervalCs: a.advertIntervalCs });
  if (checksumMode === 'mcast-group' && exp.unicast) {
    notes.push({ kind: 'old-unicast-checksum' });
    logTexts.push(`(${exp.instanceName}) Setting unicast VRRPv3 checksum to old version`);
  }
  return { ok: true, advert: a, counters: a.priority === 0 ? ['advert_rcvd', 'pri_zero_rcvd'] : ['advert_rcvd'], notes, logTexts };
}

/**
 * Validates an advert the codec accepted against the instance (keepalived order, from the TTL check on).
 * `meta.ttl` < 0 means "not known" (no TTL check), as keepalived's rx_ttl_hop_limit -1.
 */
export function validateAdvert(advert: VrrpAdvert, meta: RxMeta, exp: RxExpectations, checksumMode?: V3Ipv4ChecksumMode): Verdict {
  return runSteps(advert, meta, exp, Infinity) ?? checkAfterReceived(advert, meta, exp, exp.instanceName) ?? accept(advert, exp, checksumMode);
}

/**
 * keepalived's log line for a codec rejection, for the instance its VRID dispatched to ('truncated' is not
 * per instance in keepalived; 'not-vrrp' cannot happen on keepalived's protocol-112 socket: our own text).
 */
export function decodeFailureLogText(exp: Pick<RxExpectations, 'instanceName' | 'family' | 'version'>, f: DecodeFailure): string {
  const name = exp.instanceName;
  const family = exp.family;
  switch (f.reason) {
    case 'truncated':
      return `IPv${family} VRRP packet too short - ${f.received ?? 0} bytes`;
    case 'not-vrrp':
      return `(${name}) received a non-VRRP packet`;
    case 'ah-header':
      return `(${name}) Received AH header but auth type not AH`;
    case 'length': {
      const received = f.received ?? 0;
      const expected = f.expected ?? 0;
      return `(${name}) vrrp packet too ${received > expected ? 'long' : 'short'}, length ${received} and expect ${expected}`;
    }
    case 'version':
      return `(${name}) wrong version. Received ${f.version ?? 0} and expect ${exp.version}`;
    case 'type':
      return `(${name}) Invalid packet type. ${f.type ?? 0} and expect 1`;
    case 'ip-total-length':
      return `(${name}) ip_tot_len mismatch against received length. ${f.received ?? 0} and received ${f.expected ?? 0}`;
    case 'checksum':
      return `(${name}) Invalid VRRPv${f.version ?? 0} checksum`;
  }
}

function fromDecodeFailure(f: DecodeFailure, exp: RxExpectations): Drop {
  return drop(f.reason, f.counter, decodeFailureLogText(exp, f));
}

/**
 * The whole receive pipeline for one instance: decode `buf` (IPv4: from the IP header; IPv6: bare VRRP),
 * then validate, interleaving codec and instance checks in keepalived's order. For IPv4 the TTL and the
 * destination come from the packet's own IP header, as in keepalived; for IPv6 `meta` must carry the
 * destination from IPV6_PKTINFO and the hop limit from IPV6_HOPLIMIT (ttl -1 when the kernel gave none).
 * Call it after dispatching by VRID and only in BACKUP or MASTER (keepalived ignores adverts in INIT/FAULT).
 */
export function checkReceived(buf: Uint8Array, meta: RxMeta, exp: RxExpectations, ctx: Omit<DecodeContext, 'family'> = {}): Verdict {
  if (exp.family === 4 && exp.authType === AuthType.AH) {
    return drop('ah-expected', 'authtype_mismatch', `(${exp.instanceName}) No AH header but auth type is AH`);
  }
  if (exp.family === 6 && isMulticast(6, meta.destination) === exp.unicast) {
    // keepalived's dispatcher discards these before any packet check, uncounted (IPV6_PKTINFO destination).
    const got = exp.unicast ? 'mult' : 'un';
    const mode = exp.unicast ? 'un' : 'mult';
    return { ...drop('destination-mode', null, `(${exp.instanceName}) discarding ${got}icast packet on ${mode}icast instance`), detailOnly: true };
  }
  const useMeta = exp.family === 6 || ctx.withIpHeader === false;
  const r = decode(buf, {
    family: exp.family,
    withIpHeader: ctx.withIpHeader,
    checksum4: ctx.checksum4,
    mcastGroup4: ctx.mcastGroup4,
    verifyIpv6Checksum: ctx.verifyIpv6Checksum,
    source: useMeta ? meta.source : ctx.source,
    destination: useMeta ? meta.destination : ctx.destination,
  });
  const m: RxMeta = r.ip ? { source: meta.source, destination: r.ip.destination, ttl: r.ip.ttl, ifindex: meta.ifindex } : meta;
  if (!r.ok) {
    const stage = CODEC_STAGE[r.reason];
    // Instance checks keepalived makes before the failing codec check (only TTL precedes 'version').
    const earlier = r.advert ? runSteps(r.advert, m, exp, stage) : stage > 2 ? checkTtl(m, exp, exp.instanceName) : undefined;
    return earlier ?? fromDecodeFailure(r, exp);
  }
  return validateAdvert(r.advert, m, exp, r.checksumMode);
}

/** Adds a verdict's counters to an instance's stats. */
export function countVerdict(stats: VrrpStats, v: Verdict): void {
  for (const c of v.counters) stats[c] += 1;
}
