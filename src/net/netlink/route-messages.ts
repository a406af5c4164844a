/**
 * rtnetlink message bodies (linux/rtnetlink.h, if_addr.h, if_link.h, fib_rules.h):
 *   ifinfomsg 16 bytes · ifaddrmsg 8 bytes · rtmsg 12 bytes · fib_rule_hdr 12 bytes, then attributes.
 */
import { RTAX } from '../../config/parse-static.js';
import { ipv4Bytes, ipv4Text, ipv6Bytes, ipv6Text } from '../sockaddr.js';
import { K } from '../sysio.js';
import { attr, decodeAttrs, encodeAttrs, field, fixedHeader, type AttrInput } from './codec.js';

/** rtnetlink message types. */
export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
  NEWRULE: 32,
  DELRULE: 33,
  GETRULE: 34,
} as const;
/** Link attributes. */
export const IFLA = { ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, LINK: 5, MASTER: 10, OPERSTATE: 16, LINKINFO: 18, EXT_MASK: 29 } as const;
/** Address attributes. */
export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, ANYCAST: 5, CACHEINFO: 6, FLAGS: 8 } as const;
/** Address flags. */
export const IFA_F = { SECONDARY: 0x01, NODAD: 0x02, DADFAILED: 0x08, TENTATIVE: 0x40, PERMANENT: 0x80, NOPREFIXROUTE: 0x200 } as const;
/** Route attributes. */
export const RTA = {
  DST: 1,
  SRC: 2,
  IIF: 3,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  METRICS: 8,
  MULTIPATH: 9,
  FLOW: 11,
  TABLE: 15,
  PREF: 20,
  EXPIRES: 23,
  TTL_PROPAGATE: 26,
} as const;

/** Route metrics nested in RTA_METRICS (RTAX_*): the ids the config model's metrics and lock bitmask use. */
export { RTAX };
/** rtm_flags / rtnh_flags. */
export const RTNH_F_ONLINK = 4;
/** Rule attributes. */
export const FRA = {
  DST: 1,
  SRC: 2,
  IIFNAME: 3,
  GOTO: 4,
  PRIORITY: 6,
  FWMARK: 10,
  FLOW: 11,
  TUN_ID: 12,
  SUPPRESS_IFGROUP: 13,
  SUPPRESS_PREFIXLEN: 14,
  TABLE: 15,
  FWMASK: 16,
  OIFNAME: 17,
  L3MDEV: 19,
  UID_RANGE: 20,
  PROTOCOL: 21,
  IP_PROTO: 22,
  SPORT_RANGE: 23,
  DPORT_RANGE: 24,
} as const;
/** fib_rule_hdr actions. */
export const FR_ACT = { table: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 } as const;
/** fib_rule_hdr flags: `not`. */
export const FIB_RULE_INVERT = 2;
/** Address scopes (rtnetlink.h rt_scope_t). */
export const SCOPE = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
/** Route types. */
export const RTN = { unicast: 1, local: 2, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9 } as const;
/** keepalived's route protocol (RTPROT_KEEPALIVED). */
export const RTPROT_KEEPALIVED = 18;
/** Interface flags. */
export const IFF = { UP: 0x1, BROADCAST: 0x2, LOOPBACK: 0x8, RUNNING: 0x40, NOARP: 0x80, MULTICAST: 0x1000, LOWER_UP: 1 << 16 } as const;

/** A link as the kernel reports it. */
export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  readonly flags: number;
  /** Administratively up (IFF_UP) and carrier present (IFF_LOWER_UP / IFF_RUNNING). */
  readonly up: boolean;
  readonly mac?: string;
  readonly mtu?: number;
  readonly operstate?: number;
  /** IFLA_MASTER: the ifindex of the device this one is enslaved to (a bridge, a bond, a VRF). */
  readonly master?: number;
}

/** An address as the kernel reports it. */
export interface AddressInfo {
  readonly family: 4 | 6;
  readonly ifindex: number;
  readonly address: string;
  readonly prefixLength: number;
  readonly scope: number;
  readonly flags: number;
  readonly label?: string;
  readonly broadcast?: string;
}

/** An address to add or delete (keepalived's VIP syntax maps onto this). */
export interface AddressSpec {
  readonly family: 4 | 6;
  readonly ifindex: number;
  readonly address: string;
  readonly prefixLength: number;
  readonly broadcast?: string;
  readonly peer?: string;
  readonly scope?: number;
  /** IPv4 label (≤ 15 characters), e.g. eth0:1. */
  readonly label?: string;
  readonly nodad?: boolean;
  readonly noprefixroute?: boolean;
  /** Preferred lifetime in seconds (0 = deprecated, as keepalived does for IPv6 /128 VIPs); omit for forever. */
  readonly preferredLifetime?: number;
}

/** A route to add or delete. */
export interface RouteSpec {
  readonly family: 4 | 6;
  readonly destination: string;
  readonly prefixLength: number;
  readonly gateway?: string;
  readonly ifindex?: number;
  readonly source?: string;
  readonly table?: number;
  readonly metric?: number;
  readonly scope?: number;
  readonly protocol?: number;
  readonly type?: number;
  /** RTA_SRC (`from`, IPv6 source routing). */
  readonly from?: { address: string; prefixLength: number };
  readonly tos?: number;
  readonly onlink?: boolean;
  /** RTA_FLOW. */
  readonly realms?: number;
  readonly expires?: number;
  readonly pref?: number;
  readonly ttlPropagate?: boolean;
  /** RTA_METRICS: numeric RTAX values by id (in keepalived's order of emission), the congestion algorithm, the lock mask. */
  readonly metrics?: { readonly values: readonly (readonly [number, number])[]; readonly congctl?: string; readonly lock?: number };
  /** RTA_MULTIPATH next hops (weight as ip(8) writes it, 1-256). */
  readonly nexthops?: readonly { gateway?: string; ifindex?: number; weight?: number; onlink?: boolean; realms?: number }[];
  /** NLM flags on add: `add` = EXCL, `append` = APPEND, default (keepalived's prepend) neither. */
  readonly mode?: 'add' | 'append';
}

/** A policy rule to add or delete. */
export interface RuleSpec {
  readonly family: 4 | 6;
  readonly from?: { address: string; prefixLength: number };
  readonly to?: { address: string; prefixLength: number };
  readonly table?: number;
  readonly priority?: number;
  readonly fwmark?: number;
  readonly fwmask?: number;
  /** Action (default: to table). */
  readonly action?: keyof typeof FR_ACT;
  readonly invert?: boolean;
  readonly gotoTarget?: number;
  readonly tos?: number;
  readonly realms?: number;
  readonly suppressPrefixLength?: number;
  readonly suppressIfgroup?: number;
  readonly iifName?: string;
  readonly oifName?: string;
  /** u64 tunnel id in decimal. */
  readonly tunnelId?: string;
  readonly uidRange?: { start: number; end: number };
  readonly l3mdev?: boolean;
  readonly protocol?: number;
  readonly ipProto?: number;
  readonly sport?: { start: number; end: number };
  readonly dport?: { start: number; end: number };
}

const afOf = (f: 4 | 6) => (f === 4 ? K.AF_INET : K.AF_INET6) as number;
const bytesOf = (f: 4 | 6, a: string) => (f === 4 ? ipv4Bytes(a) : ipv6Bytes(a));
/** The address of `family` in `b`; undefined when `b` has the other family's (or no) length. */
const textOf = (f: 4 | 6, b: Buffer | undefined): string | undefined =>
  b?.length === 4 && f === 4 ? ipv4Text(b) : b?.length === 16 && f === 6 ? ipv6Text(b) : undefined;

/** Decodes RTM_NEWLINK/DELLINK (a truncated header reads as zeros, attributes of the wrong size are ignored). */
export function decodeLink(payload: Buffer): LinkInfo {
  const p = fixedHeader(payload, 16);
  const flags = p.readUInt32LE(8);
  const a = decodeAttrs(p.subarray(16));
  const name = a.get(IFLA.IFNAME)?.toString('utf8').replace(/\0+$/, '') ?? '';
  const mac = a.get(IFLA.ADDRESS);
  const mtu = field.u32(a.get(IFLA.MTU));
  const operstate = field.u8(a.get(IFLA.OPERSTATE));
  const master = field.u32(a.get(IFLA.MASTER));
  const info: LinkInfo = {
    index: p.readInt32LE(4),
    name,
    flags,
    up: (flags & IFF.UP) !== 0 && (flags & (IFF.LOWER_UP | IFF.RUNNING)) !== 0,
    ...(mac && mac.length === 6 ? { mac: Array.from(mac, (x) => x.toString(16).padStart(2, '0')).join(':') } : {}),
    ...(mtu ? { mtu } : {}),
    ...(operstate ? { operstate } : {}),
    ...(master ? { master } : {}),
  };
  return info;
}

/**
 * Decodes RTM_NEWADDR/DELADDR (a truncated header reads as zeros; an address attribute of the wrong length
 * reads as the family's unspecified address, a broadcast of the wrong length is left out).
 */
export function decodeAddress(payload: Buffer): AddressInfo {
  const p = fixedHeader(payload, 8);
  const family = p.readUInt8(0) === K.AF_INET ? 4 : 6;
  const a = decodeAttrs(p.subarray(8));
  const local = textOf(family, a.get(IFA.LOCAL));
  const address = textOf(family, a.get(IFA.ADDRESS));
  const label = a.get(IFA.LABEL)?.toString('utf8').replace(/\0+$/, '');
  const brd = textOf(family, a.get(IFA.BROADCAST));
  return {
    family,
    ifindex: p.readUInt32LE(4),
    address: (family === 4 ? (local ?? address) : (address ?? local)) ?? (family === 4 ? '0.0.0.0' : '::'),
    prefixLength: p.readUInt8(1),
    scope: p.readUInt8(3),
    flags: field.u32(a.get(IFA.FLAGS)) ?? p.readUInt8(2),
    ...(label ? { label } : {}),
    ...(brd ? { broadcast: brd } : {}),
  };
}

/** A route as a dump (RTM_GETROUTE) reports it: the fields that identify it. */
export interface RouteInfo {
  readonly family: 4 | 6;
  readonly destination: string;
  readonly prefixLength: number;
  /** RTA_TABLE when present (tables above 255), else rtm_table. */
  readonly table: number;
  readonly protocol: number;
  readonly type: number;
  readonly scope: number;
  readonly ifindex?: number;
}

/** Decodes RTM_NEWROUTE (a default route has no RTA_DST: the family's unspecified address). */
export function decodeRoute(payload: Buffer): RouteInfo {
  const p = fixedHeader(payload, 12);
  const family = p.readUInt8(0) === K.AF_INET ? 4 : 6;
  const a = decodeAttrs(p.subarray(12));
  const oif = field.u32(a.get(RTA.OIF));
  return {
    family,
    destination: textOf(family, a.get(RTA.DST)) ?? (family === 4 ? '0.0.0.0' : '::'),
    prefixLength: p.readUInt8(1),
    table: field.u32(a.get(RTA.TABLE)) ?? p.readUInt8(4),
    protocol: p.readUInt8(5),
    scope: p.readUInt8(6),
    type: p.readUInt8(7),
    ...(oif !== undefined ? { ifindex: oif } : {}),
  };
}

/** Encodes the body of RTM_NEWADDR/DELADDR. */
export function encodeAddressRequest(s: AddressSpec): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(afOf(s.family), 0);
  h.writeUInt8(s.prefixLength, 1);
  const flags = (s.nodad ? IFA_F.NODAD : 0) | (s.noprefixroute ? IFA_F.NOPREFIXROUTE : 0);
  h.writeUInt8(flags & 0xff, 2);
  h.writeUInt8(s.scope ?? 0, 3);
  h.writeUInt32LE(s.ifindex, 4);
  const local = bytesOf(s.family, s.address);
  const attrs: AttrInput[] = [
    { type: IFA.LOCAL, value: local },
    { type: IFA.ADDRESS, value: s.peer ? bytesOf(s.family, s.peer) : local },
    { type: IFA.FLAGS, value: attr.u32(flags) },
  ];
  if (s.broadcast && s.family === 4) attrs.push({ type: IFA.BROADCAST, value: ipv4Bytes(s.broadcast) });
  if (s.label && s.family === 4) attrs.push({ type: IFA.LABEL, value: attr.str(s.label) });
  if (s.preferredLifetime !== undefined) {
    const ci = Buffer.alloc(16);
    ci.writeUInt32LE(s.preferredLifetime >>> 0, 0);
    ci.writeUInt32LE(0xffffffff, 4);
    attrs.push({ type: IFA.CACHEINFO, value: ci });
  }
  return Buffer.concat([h, encodeAttrs(attrs)]);
}

/** Encodes the body of RTM_NEWROUTE/DELROUTE. */
export function encodeRouteRequest(s: RouteSpec): Buffer {
  const h = Buffer.alloc(12);
  const table = s.table ?? 254;
  h.writeUInt8(afOf(s.family), 0);
  h.writeUInt8(s.prefixLength, 1);
  h.writeUInt8(s.from?.prefixLength ?? 0, 2);
  h.writeUInt8(s.tos ?? 0, 3);
  h.writeUInt8(table < 256 ? table : 252, 4); // RT_TABLE_COMPAT when the id needs RTA_TABLE
  h.writeUInt8(s.protocol ?? RTPROT_KEEPALIVED, 5);
  h.writeUInt8(s.scope ?? (s.gateway || s.nexthops?.length ? SCOPE.global : SCOPE.link), 6);
  h.writeUInt8(s.type ?? RTN.unicast, 7);
  h.writeUInt32LE(s.onlink ? RTNH_F_ONLINK : 0, 8);
  const attrs: AttrInput[] = [
    { type: RTA.DST, value: bytesOf(s.family, s.destination) },
    { type: RTA.TABLE, value: attr.u32(table) },
  ];
  if (s.from) attrs.push({ type: RTA.SRC, value: bytesOf(s.family, s.from.address) });
  if (s.gateway) attrs.push({ type: RTA.GATEWAY, value: bytesOf(s.family, s.gateway) });
  if (s.ifindex !== undefined) attrs.push({ type: RTA.OIF, value: attr.u32(s.ifindex) });
  if (s.source) attrs.push({ type: RTA.PREFSRC, value: bytesOf(s.family, s.source) });
  if (s.metric !== undefined) attrs.push({ type: RTA.PRIORITY, value: attr.u32(s.metric) });
  if (s.realms) attrs.push({ type: RTA.FLOW, value: attr.u32(s.realms) });
  if (s.expires !== undefined) attrs.push({ type: RTA.EXPIRES, value: attr.u32(s.expires) });
  const metrics = s.metrics ? encodeMetrics(s.metrics) : undefined;
  if (s.pref !== undefined) attrs.push({ type: RTA.PREF, value: attr.u8(s.pref) });
  if (s.ttlPropagate !== undefined) attrs.push({ type: RTA.TTL_PROPAGATE, value: attr.u8(s.ttlPropagate ? 1 : 0) });
  // keepalived (and ip(8)) send RTA_METRICS without NLA_F_NESTED, so it goes as raw bytes
  if (metrics && metrics.length) attrs.push({ type: RTA.METRICS, value: metrics });
  if (s.nexthops?.length) attrs.push({ type: RTA.MULTIPATH, value: encodeMultipath(s.family, s.nexthops) });
  return Buffer.concat([h, encodeAttrs(attrs)]);
}

/** The payload of RTA_METRICS: the congestion algorithm (no NUL, as keepalived), the values, then RTAX_LOCK. */
export function encodeMetrics(m: NonNullable<RouteSpec['metrics']>): Buffer {
  const inner: AttrInput[] = [];
  if (m.congctl !== undefined) inner.push({ type: RTAX.CC_ALGO, value: Buffer.from(m.congctl) });
  for (const [id, v] of m.values) inner.push({ type: id, value: attr.u32(v) });
  if (inner.length && m.lock) inner.push({ type: RTAX.LOCK, value: attr.u32(m.lock) });
  return encodeAttrs(inner);
}

/** RTA_MULTIPATH: rtnexthop {len u16, flags u8, hops u8, ifindex s32} each followed by its RTA_GATEWAY/RTA_FLOW. */
function encodeMultipath(family: 4 | 6, hops: NonNullable<RouteSpec['nexthops']>): Buffer {
  const parts: Buffer[] = [];
  for (const nh of hops) {
    const inner: AttrInput[] = [];
    if (nh.gateway) inner.push({ type: RTA.GATEWAY, value: bytesOf(family, nh.gateway) });
    if (nh.realms) inner.push({ type: RTA.FLOW, value: attr.u32(nh.realms) });
    const a = encodeAttrs(inner);
    const rtnh = Buffer.alloc(8);
    rtnh.writeUInt16LE(8 + a.length, 0);
    rtnh.writeUInt8(nh.onlink ? RTNH_F_ONLINK : 0, 2);
    rtnh.writeUInt8(((nh.weight ?? 1) - 1) & 0xff, 3);
    rtnh.writeInt32LE(nh.ifindex ?? 0, 4);
    parts.push(rtnh, a);
  }
  return Buffer.concat(parts);
}

/** Encodes the body of RTM_NEWRULE/DELRULE. */
export function encodeRuleRequest(s: RuleSpec): Buffer {
  const h = Buffer.alloc(12);
  const action = s.action ?? 'table';
  const table = action === 'table' && !s.l3mdev ? (s.table ?? 254) : 0;
  h.writeUInt8(afOf(s.family), 0);
  h.writeUInt8(s.to?.prefixLength ?? 0, 1);
  h.writeUInt8(s.from?.prefixLength ?? 0, 2);
  h.writeUInt8(s.tos ?? 0, 3);
  h.writeUInt8(table < 256 ? table : 0, 4);
  h.writeUInt8(FR_ACT[action], 7);
  h.writeUInt32LE(s.invert ? FIB_RULE_INVERT : 0, 8);
  const attrs: AttrInput[] = [];
  if (table) attrs.push({ type: FRA.TABLE, value: attr.u32(table) });
  if (s.from) attrs.push({ type: FRA.SRC, value: bytesOf(s.family, s.from.address) });
  if (s.to) attrs.push({ type: FRA.DST, value: bytesOf(s.family, s.to.address) });
  if (s.priority !== undefined) attrs.push({ type: FRA.PRIORITY, value: attr.u32(s.priority) });
  if (s.fwmark !== undefined) attrs.push({ type: FRA.FWMARK, value: attr.u32(s.fwmark) });
  if (s.fwmask !== undefined) attrs.push({ type: FRA.FWMASK, value: attr.u32(s.fwmask) });
  if (s.realms) attrs.push({ type: FRA.FLOW, value: attr.u32(s.realms) });
  if (s.suppressPrefixLength !== undefined) attrs.push({ type: FRA.SUPPRESS_PREFIXLEN, value: attr.u32(s.suppressPrefixLength) });
  if (s.suppressIfgroup !== undefined) attrs.push({ type: FRA.SUPPRESS_IFGROUP, value: attr.u32(s.suppressIfgroup) });
  if (s.iifName) attrs.push({ type: FRA.IIFNAME, value: attr.str(s.iifName) });
  if (s.oifName) attrs.push({ type: FRA.OIFNAME, value: attr.str(s.oifName) });
  if (s.tunnelId !== undefined && s.tunnelId !== '0') {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(s.tunnelId));
    attrs.push({ type: FRA.TUN_ID, value: b });
  }
  if (s.uidRange) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(s.uidRange.start >>> 0, 0);
    b.writeUInt32LE(s.uidRange.end >>> 0, 4);
    attrs.push({ type: FRA.UID_RANGE, value: b });
  }
  if (s.l3mdev) attrs.push({ type: FRA.L3MDEV, value: attr.u8(1) });
  if (s.protocol !== undefined) attrs.push({ type: FRA.PROTOCOL, value: attr.u8(s.protocol) });
  if (s.ipProto !== undefined) attrs.push({ type: FRA.IP_PROTO, value: attr.u8(s.ipProto) });
  for (const [type, r] of [
    [FRA.SPORT_RANGE, s.sport],
    [FRA.DPORT_RANGE, s.dport],
  ] as const) {
    if (r) {
      const b = Buffer.alloc(4);
      b.writeUInt16LE(r.start, 0);
      b.writeUInt16LE(r.end, 2);
      attrs.push({ type, value: b });
    }
  }
  if (action === 'goto') attrs.push({ type: FRA.GOTO, value: attr.u32(s.gotoTarget ?? 0) });
  return Buffer.concat([h, encodeAttrs(attrs)]);
}
