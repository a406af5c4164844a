/**
 * The IPVS generic netlink family ("IPVS", version 1; linux/ip_vs.h): command and attribute numbers, encoders for
 * the requests libipvs sends (keepalived's keepalived/check/libipvs.c), and decoders for the kernel's replies
 * (net/netfilter/ipvs/ip_vs_ctl.c, ip_vs_genl_fill_*). Pure: bytes in, bytes out.
 *
 * Byte order: attributes are host order (little-endian here) except ports (be16), the IPv4 persistence netmask
 * (be32) and addresses (16 bytes, `union nf_inet_addr`, an IPv4 address in the first 4).
 */
import { attr, decodeAttrs, field, type AttrInput } from '../../net/netlink/codec.js';
import { formatIpv4, formatIpv6, parseAddress } from '../../core/inet/index.js';
import type { LbCounters, LbDest, LbDestState, LbMethod, LbProtocol, LbService, LbServiceKey, LbServiceState } from '../backend.js';

/** Family name and version. */
export const IPVS_GENL_NAME = 'IPVS';
/** IPVS_GENL_VERSION. */
export const IPVS_GENL_VERSION = 1;

/** IPVS_CMD_*. */
export const IPVS_CMD = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** IPVS_CMD_ATTR_*: top-level attributes. */
export const IPVS_CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;

/** IPVS_SVC_ATTR_*. */
export const IPVS_SVC_ATTR = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  STATS: 10,
  PE_NAME: 11,
  STATS64: 12,
} as const;

/** IPVS_DEST_ATTR_*. */
export const IPVS_DEST_ATTR = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  PERSIST_CONNS: 9,
  STATS: 10,
  ADDR_FAMILY: 11,
  STATS64: 12,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
} as const;

/** IPVS_DAEMON_ATTR_*. */
export const IPVS_DAEMON_ATTR = {
  STATE: 1,
  MCAST_IFN: 2,
  SYNC_ID: 3,
  SYNC_MAXLEN: 4,
  MCAST_GROUP: 5,
  MCAST_GROUP6: 6,
  MCAST_PORT: 7,
  MCAST_TTL: 8,
} as const;

/** IPVS_STATS_ATTR_* (u32 counters in STATS except the byte counts; all u64 in STATS64). */
export const IPVS_STATS_ATTR = {
  CONNS: 1,
  INPKTS: 2,
  OUTPKTS: 3,
  INBYTES: 4,
  OUTBYTES: 5,
  CPS: 6,
  INPPS: 7,
  OUTPPS: 8,
  INBPS: 9,
  OUTBPS: 10,
} as const;

/** IPVS_INFO_ATTR_*. */
export const IPVS_INFO_ATTR = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** IP_VS_SVC_F_* service flags (SCHED1..3 mean per-scheduler things: sh-fallback/sh-port, mh-fallback/mh-port). */
export const IP_VS_SVC_F = { PERSISTENT: 0x1, HASHED: 0x2, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10, SCHED3: 0x20 } as const;

/** IP_VS_CONN_F_* forwarding methods (the low 3 bits). */
export const IP_VS_CONN_F = { MASQ: 0, LOCALNODE: 1, TUNNEL: 2, DROUTE: 3, BYPASS: 4, FWD_MASK: 7 } as const;

/** IP_VS_CONN_F_TUNNEL_TYPE_*. */
export const IP_VS_TUNNEL_TYPE = { ipip: 0, gue: 1, gre: 2 } as const;

/** IP_VS_TUNNEL_ENCAP_FLAG_*. */
export const IP_VS_TUNNEL_ENCAP_FLAG = { nocsum: 0, csum: 1, remcsum: 2 } as const;

/** IP_VS_STATE_* of a sync daemon. */
export const IP_VS_STATE = { NONE: 0, MASTER: 1, BACKUP: 2 } as const;

const AF_INET = 2;
const AF_INET6 = 10;
const PROTO: Record<LbProtocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

/** AF_INET / AF_INET6 for a family. */
export function afOf(family: 4 | 6): number {
  return family === 4 ? AF_INET : AF_INET6;
}

function addr16(family: 4 | 6, text: string): Buffer {
  const b = parseAddress(family, text);
  if (!b) throw new RangeError(`bad IPv${family} address: ${text}`);
  const out = Buffer.alloc(16);
  Buffer.from(b).copy(out, 0);
  return out;
}

function be16(x: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(x);
  return b;
}

/** The persistence netmask as the kernel holds it: an IPv4 mask as be32 bytes, or an IPv6 prefix length (u32). */
export function netmaskValue(family: 4 | 6, bits: number): Buffer {
  if (family === 6) return attr.u32(bits);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
  return b;
}

/** Inverse of netmaskValue (an IPv4 mask that is not contiguous reads as its count of one bits). */
export function netmaskBits(family: 4 | 6, b: Buffer): number {
  if (family === 6) return field.u32(b) ?? 128;
  let v = b.length >= 4 ? b.readUInt32BE(0) : 0xffffffff;
  let n = 0;
  while (v) {
    n += v & 1;
    v >>>= 1;
  }
  return n;
}

/** The attributes that identify a service: AF, then FWMARK, or PROTOCOL + ADDR + PORT. */
export function serviceKeyAttrs(k: LbServiceKey): AttrInput[] {
  const out: AttrInput[] = [{ type: IPVS_SVC_ATTR.AF, value: attr.u16(afOf(k.family)) }];
  if (k.kind === 'fwmark') out.push({ type: IPVS_SVC_ATTR.FWMARK, value: attr.u32(k.fwmark) });
  else {
    out.push({ type: IPVS_SVC_ATTR.PROTOCOL, value: attr.u16(PROTO[k.protocol]) });
    out.push({ type: IPVS_SVC_ATTR.ADDR, value: addr16(k.family, k.address) });
    out.push({ type: IPVS_SVC_ATTR.PORT, value: be16(k.port) });
  }
  return out;
}

/** The full service nest as ipvs_nl_fill_service_attr() writes it: key, scheduler, pe, flags {flags, ~0}, timeout, netmask. */
export function serviceAttrs(s: LbService): AttrInput[] {
  const out = serviceKeyAttrs(s.key);
  out.push({ type: IPVS_SVC_ATTR.SCHED_NAME, value: attr.str(s.scheduler) });
  if (s.persistenceEngine) out.push({ type: IPVS_SVC_ATTR.PE_NAME, value: attr.str(s.persistenceEngine) });
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(((s.flags & ~(IP_VS_SVC_F.PERSISTENT | IP_VS_SVC_F.HASHED)) | (s.timeoutSec > 0 ? IP_VS_SVC_F.PERSISTENT : 0)) >>> 0, 0);
  flags.writeUInt32LE(0xffffffff, 4);
  out.push({ type: IPVS_SVC_ATTR.FLAGS, value: flags });
  out.push({ type: IPVS_SVC_ATTR.TIMEOUT, value: attr.u32(s.timeoutSec) });
  out.push({ type: IPVS_SVC_ATTR.NETMASK, value: netmaskValue(s.key.family, s.netmaskBits) });
  return out;
}

const METHOD: Record<LbMethod, number> = { NAT: IP_VS_CONN_F.MASQ, TUN: IP_VS_CONN_F.TUNNEL, DR: IP_VS_CONN_F.DROUTE };

/** The destination nest (ipvs_nl_fill_dest_attr): family, address, port, method, weight, thresholds, tunnel settings for TUN. */
export function destAttrs(d: LbDest): AttrInput[] {
  const out: AttrInput[] = [
    { type: IPVS_DEST_ATTR.ADDR_FAMILY, value: attr.u16(afOf(d.family)) },
    { type: IPVS_DEST_ATTR.ADDR, value: addr16(d.family, d.address) },
    { type: IPVS_DEST_ATTR.PORT, value: be16(d.port) },
    { type: IPVS_DEST_ATTR.FWD_METHOD, value: attr.u32(METHOD[d.method]) },
    { type: IPVS_DEST_ATTR.WEIGHT, value: attr.u32(d.weight) },
  ];
  if (d.method === 'TUN' && d.tunnelType) {
    out.push({ type: IPVS_DEST_ATTR.TUN_TYPE, value: attr.u8(IP_VS_TUNNEL_TYPE[d.tunnelType]) });
    if (d.tunnelType !== 'ipip') {
      out.push({ type: IPVS_DEST_ATTR.TUN_PORT, value: be16(d.tunnelPort ?? 0) });
      out.push({ type: IPVS_DEST_ATTR.TUN_FLAGS, value: attr.u16(IP_VS_TUNNEL_ENCAP_FLAG[d.tunnelChecksum ?? 'nocsum']) });
    }
  }
  out.push({ type: IPVS_DEST_ATTR.U_THRESH, value: attr.u32(d.uthreshold) });
  out.push({ type: IPVS_DEST_ATTR.L_THRESH, value: attr.u32(d.lthreshold) });
  return out;
}

/** The key-only destination nest (what DEL_DEST needs): family, address, port. */
export function destKeyAttrs(d: Pick<LbDest, 'family' | 'address' | 'port'>): AttrInput[] {
  return [
    { type: IPVS_DEST_ATTR.ADDR_FAMILY, value: attr.u16(afOf(d.family)) },
    { type: IPVS_DEST_ATTR.ADDR, value: addr16(d.family, d.address) },
    { type: IPVS_DEST_ATTR.PORT, value: be16(d.port) },
  ];
}

/** A request: command and top-level attributes (the genl layer adds the headers). */
export interface IpvsRequest {
  readonly cmd: number;
  readonly attrs: readonly AttrInput[];
  /** True for NLM_F_DUMP requests. */
  readonly dump: boolean;
}

/** IPVS_CMD_NEW_SERVICE / SET_SERVICE with the full service nest. */
export function serviceRequest(cmd: typeof IPVS_CMD.NEW_SERVICE | typeof IPVS_CMD.SET_SERVICE, s: LbService): IpvsRequest {
  return { cmd, attrs: [{ type: IPVS_CMD_ATTR.SERVICE, value: serviceAttrs(s) }], dump: false };
}

/** IPVS_CMD_DEL_SERVICE: the kernel reads only the key. */
export function delServiceRequest(k: LbServiceKey): IpvsRequest {
  return { cmd: IPVS_CMD.DEL_SERVICE, attrs: [{ type: IPVS_CMD_ATTR.SERVICE, value: serviceKeyAttrs(k) }], dump: false };
}

/** IPVS_CMD_GET_SERVICE as a dump of every service. */
export function getServicesRequest(): IpvsRequest {
  return { cmd: IPVS_CMD.GET_SERVICE, attrs: [], dump: true };
}

/** IPVS_CMD_GET_SERVICE for one service (doit). */
export function getServiceRequest(k: LbServiceKey): IpvsRequest {
  return { cmd: IPVS_CMD.GET_SERVICE, attrs: [{ type: IPVS_CMD_ATTR.SERVICE, value: serviceKeyAttrs(k) }], dump: false };
}

/** IPVS_CMD_NEW_DEST / SET_DEST: the service key and the full destination nest. */
export function destRequest(cmd: typeof IPVS_CMD.NEW_DEST | typeof IPVS_CMD.SET_DEST, k: LbServiceKey, d: LbDest): IpvsRequest {
  return {
    cmd,
    attrs: [
      { type: IPVS_CMD_ATTR.SERVICE, value: serviceKeyAttrs(k) },
      { type: IPVS_CMD_ATTR.DEST, value: destAttrs(d) },
    ],
    dump: false,
  };
}

/** IPVS_CMD_DEL_DEST: the service key and the destination key. */
export function delDestRequest(k: LbServiceKey, d: Pick<LbDest, 'family' | 'address' | 'port'>): IpvsRequest {
  return {
    cmd: IPVS_CMD.DEL_DEST,
    attrs: [
      { type: IPVS_CMD_ATTR.SERVICE, value: serviceKeyAttrs(k) },
      { type: IPVS_CMD_ATTR.DEST, value: destKeyAttrs(d) },
    ],
    dump: false,
  };
}

/** IPVS_CMD_GET_DEST: a dump of one service's destinations. */
export function getDestsRequest(k: LbServiceKey): IpvsRequest {
  return { cmd: IPVS_CMD.GET_DEST, attrs: [{ type: IPVS_CMD_ATTR.SERVICE, value: serviceKeyAttrs(k) }], dump: true };
}

/** A sync daemon's settings (IPVS_DAEMON_ATTR_*). */
export interface IpvsDaemon {
  readonly state: 'master' | 'backup';
  readonly ifname: string;
  readonly syncId: number;
  readonly maxlen?: number;
  /** Multicast group (IPv4 or IPv6 text). */
  readonly group?: string;
  readonly port?: number;
  readonly ttl?: number;
}

/** IPVS_CMD_NEW_DAEMON. */
export function newDaemonRequest(d: IpvsDaemon): IpvsRequest {
  const a: AttrInput[] = [
    { type: IPVS_DAEMON_ATTR.STATE, value: attr.u32(d.state === 'master' ? IP_VS_STATE.MASTER : IP_VS_STATE.BACKUP) },
    { type: IPVS_DAEMON_ATTR.MCAST_IFN, value: attr.str(d.ifname) },
    { type: IPVS_DAEMON_ATTR.SYNC_ID, value: attr.u32(d.syncId) },
  ];
  if (d.maxlen) a.push({ type: IPVS_DAEMON_ATTR.SYNC_MAXLEN, value: attr.u16(d.maxlen) });
  if (d.group) {
    const v6 = d.group.includes(':');
    const g = parseAddress(v6 ? 6 : 4, d.group);
    if (!g) throw new RangeError(`bad multicast group: ${d.group}`);
    a.push({ type: v6 ? IPVS_DAEMON_ATTR.MCAST_GROUP6 : IPVS_DAEMON_ATTR.MCAST_GROUP, value: Buffer.from(g) });
  }
  if (d.port) a.push({ type: IPVS_DAEMON_ATTR.MCAST_PORT, value: attr.u16(d.port) });
  if (d.ttl) a.push({ type: IPVS_DAEMON_ATTR.MCAST_TTL, value: attr.u8(d.ttl) });
  return { cmd: IPVS_CMD.NEW_DAEMON, attrs: [{ type: IPVS_CMD_ATTR.DAEMON, value: a }], dump: false };
}

/** IPVS_CMD_DEL_DAEMON for one state. */
export function delDaemonRequest(state: 'master' | 'backup'): IpvsRequest {
  const a = [{ type: IPVS_DAEMON_ATTR.STATE, value: attr.u32(state === 'master' ? IP_VS_STATE.MASTER : IP_VS_STATE.BACKUP) }];
  return { cmd: IPVS_CMD.DEL_DAEMON, attrs: [{ type: IPVS_CMD_ATTR.DAEMON, value: a }], dump: false };
}

/** IPVS_CMD_GET_DAEMON (a dump; one reply per running daemon). */
export function getDaemonsRequest(): IpvsRequest {
  return { cmd: IPVS_CMD.GET_DAEMON, attrs: [], dump: true };
}

/** Connection timeouts in seconds (`ipvsadm --set tcp tcpfin udp`). */
export interface IpvsTimeouts {
  readonly tcpSec?: number;
  readonly tcpFinSec?: number;
  readonly udpSec?: number;
}

/** IPVS_CMD_SET_CONFIG with the timeouts given (absent ones stay as they are). */
export function setConfigRequest(t: IpvsTimeouts): IpvsRequest {
  const a: AttrInput[] = [];
  if (t.tcpSec !== undefined) a.push({ type: IPVS_CMD_ATTR.TIMEOUT_TCP, value: attr.u32(t.tcpSec) });
  if (t.tcpFinSec !== undefined) a.push({ type: IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, value: attr.u32(t.tcpFinSec) });
  if (t.udpSec !== undefined) a.push({ type: IPVS_CMD_ATTR.TIMEOUT_UDP, value: attr.u32(t.udpSec) });
  return { cmd: IPVS_CMD.SET_CONFIG, attrs: a, dump: false };
}

/** IPVS_CMD_GET_CONFIG. */
export function getConfigRequest(): IpvsRequest {
  return { cmd: IPVS_CMD.GET_CONFIG, attrs: [], dump: false };
}

/** IPVS_CMD_GET_INFO. */
export function getInfoRequest(): IpvsRequest {
  return { cmd: IPVS_CMD.GET_INFO, attrs: [], dump: false };
}

/** IPVS_CMD_FLUSH. */
export function flushRequest(): IpvsRequest {
  return { cmd: IPVS_CMD.FLUSH, attrs: [], dump: false };
}

// ---- decoding replies ----------------------------------------------------------------------------------------

function famOf(af: number | undefined): 4 | 6 {
  return af === AF_INET6 ? 6 : 4;
}

function addrText(family: 4 | 6, b: Buffer | undefined): string {
  if (!b) return family === 4 ? '0.0.0.0' : '::';
  return family === 4 ? formatIpv4(b) : formatIpv6(b);
}

/** Decodes a STATS or STATS64 nest. */
export function decodeStats(b: Buffer | undefined, wide: boolean): LbCounters {
  const a = b ? decodeAttrs(b) : new Map<number, Buffer>();
  const n = (t: number, w: boolean): number => {
    const v = a.get(t);
    if (!v) return 0;
    return w && v.length >= 8 ? Number(v.readBigUInt64LE(0)) : (field.u32(v) ?? 0);
  };
  return {
    connections: n(IPVS_STATS_ATTR.CONNS, wide),
    packetsIn: n(IPVS_STATS_ATTR.INPKTS, wide),
    packetsOut: n(IPVS_STATS_ATTR.OUTPKTS, wide),
    bytesIn: n(IPVS_STATS_ATTR.INBYTES, true),
    bytesOut: n(IPVS_STATS_ATTR.OUTBYTES, true),
    cps: n(IPVS_STATS_ATTR.CPS, wide),
    ppsIn: n(IPVS_STATS_ATTR.INPPS, wide),
    ppsOut: n(IPVS_STATS_ATTR.OUTPPS, wide),
    bpsIn: n(IPVS_STATS_ATTR.INBPS, wide),
    bpsOut: n(IPVS_STATS_ATTR.OUTBPS, wide),
  };
}

const PROTO_NAME: Record<number, LbProtocol> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };

/** Decodes one service from a reply's top-level attributes (IPVS_CMD_ATTR_SERVICE nest); undefined if absent. */
export function decodeService(top: Buffer): Omit<LbServiceState, 'dests'> | undefined {
  const nest = decodeAttrs(top).get(IPVS_CMD_ATTR.SERVICE);
  if (!nest) return undefined;
  const a = decodeAttrs(nest);
  const family = famOf(field.u16(a.get(IPVS_SVC_ATTR.AF)));
  const fwmark = field.u32(a.get(IPVS_SVC_ATTR.FWMARK)) ?? 0;
  const key: LbServiceKey = fwmark
    ? { kind: 'fwmark', family, fwmark }
    : {
        kind: 'address',
        family,
        protocol: PROTO_NAME[field.u16(a.get(IPVS_SVC_ATTR.PROTOCOL)) ?? 6] ?? 'TCP',
        address: addrText(family, a.get(IPVS_SVC_ATTR.ADDR)),
        port: field.u16be(a.get(IPVS_SVC_ATTR.PORT)) ?? 0,
      };
  const rawFlags = field.u32(a.get(IPVS_SVC_ATTR.FLAGS)) ?? 0;
  const persistent = (rawFlags & IP_VS_SVC_F.PERSISTENT) !== 0;
  const pe = cstr(a.get(IPVS_SVC_ATTR.PE_NAME));
  const s64 = a.get(IPVS_SVC_ATTR.STATS64);
  const base = {
    key,
    scheduler: cstr(a.get(IPVS_SVC_ATTR.SCHED_NAME)),
    flags: rawFlags & ~(IP_VS_SVC_F.PERSISTENT | IP_VS_SVC_F.HASHED),
    timeoutSec: persistent ? (field.u32(a.get(IPVS_SVC_ATTR.TIMEOUT)) ?? 0) : 0,
    netmaskBits: a.get(IPVS_SVC_ATTR.NETMASK) ? netmaskBits(family, a.get(IPVS_SVC_ATTR.NETMASK)!) : family === 4 ? 32 : 128,
    counters: s64 ? decodeStats(s64, true) : decodeStats(a.get(IPVS_SVC_ATTR.STATS), false),
  };
  return pe ? { ...base, persistenceEngine: pe } : base;
}

const METHOD_NAME: Record<number, LbMethod> = {
  [IP_VS_CONN_F.MASQ]: 'NAT',
  [IP_VS_CONN_F.LOCALNODE]: 'NAT',
  [IP_VS_CONN_F.TUNNEL]: 'TUN',
  [IP_VS_CONN_F.DROUTE]: 'DR',
};
const TUN_NAME = ['ipip', 'gue', 'gre'] as const;
const CSUM_NAME: Record<number, 'nocsum' | 'csum' | 'remcsum'> = { 0: 'nocsum', 1: 'csum', 2: 'remcsum' };

/** A destination as decoded, with the raw forwarding method (LOCALNODE is reported by the kernel for local addresses). */
export type IpvsDestState = LbDestState & { readonly forward: number; readonly persistentConnections: number };

/** Decodes one destination from a reply's top-level attributes (IPVS_CMD_ATTR_DEST nest); `svcFamily` when the kernel gives no ADDR_FAMILY. */
export function decodeDest(top: Buffer, svcFamily: 4 | 6): IpvsDestState | undefined {
  const nest = decodeAttrs(top).get(IPVS_CMD_ATTR.DEST);
  if (!nest) return undefined;
  const a = decodeAttrs(nest);
  const afAttr = a.get(IPVS_DEST_ATTR.ADDR_FAMILY);
  const family = afAttr ? famOf(field.u16(afAttr)) : svcFamily;
  const forward = (field.u32(a.get(IPVS_DEST_ATTR.FWD_METHOD)) ?? 0) & IP_VS_CONN_F.FWD_MASK;
  const method = METHOD_NAME[forward] ?? 'NAT';
  const u32 = (t: number): number => field.u32(a.get(t)) ?? 0;
  const s64 = a.get(IPVS_DEST_ATTR.STATS64);
  const d: IpvsDestState = {
    family,
    address: addrText(family, a.get(IPVS_DEST_ATTR.ADDR)),
    port: field.u16be(a.get(IPVS_DEST_ATTR.PORT)) ?? 0,
    method,
    weight: field.i32(a.get(IPVS_DEST_ATTR.WEIGHT)) ?? 0,
    uthreshold: u32(IPVS_DEST_ATTR.U_THRESH),
    lthreshold: u32(IPVS_DEST_ATTR.L_THRESH),
    activeConnections: u32(IPVS_DEST_ATTR.ACTIVE_CONNS),
    inactiveConnections: u32(IPVS_DEST_ATTR.INACT_CONNS),
    persistentConnections: u32(IPVS_DEST_ATTR.PERSIST_CONNS),
    counters: s64 ? decodeStats(s64, true) : decodeStats(a.get(IPVS_DEST_ATTR.STATS), false),
    forward,
  };
  if (method !== 'TUN') return d;
  const tt = field.u8(a.get(IPVS_DEST_ATTR.TUN_TYPE)) ?? 0;
  const tunnelType = TUN_NAME[tt] ?? 'ipip';
  if (tunnelType === 'ipip') return { ...d, tunnelType };
  return {
    ...d,
    tunnelType,
    tunnelPort: field.u16be(a.get(IPVS_DEST_ATTR.TUN_PORT)) ?? 0,
    tunnelChecksum: CSUM_NAME[field.u16(a.get(IPVS_DEST_ATTR.TUN_FLAGS)) ?? 0] ?? 'nocsum',
  };
}

/** Decodes one sync daemon from a GET_DAEMON reply. */
export function decodeDaemon(top: Buffer): IpvsDaemon | undefined {
  const nest = decodeAttrs(top).get(IPVS_CMD_ATTR.DAEMON);
  if (!nest) return undefined;
  const a = decodeAttrs(nest);
  const st = field.u32(a.get(IPVS_DAEMON_ATTR.STATE));
  const g4 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP);
  const g6 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP6);
  const out: { -readonly [K in keyof IpvsDaemon]: IpvsDaemon[K] } = {
    state: st === IP_VS_STATE.BACKUP ? 'backup' : 'master',
    ifname: cstr(a.get(IPVS_DAEMON_ATTR.MCAST_IFN)),
    syncId: field.u32(a.get(IPVS_DAEMON_ATTR.SYNC_ID)) ?? 0,
  };
  const maxlen = a.get(IPVS_DAEMON_ATTR.SYNC_MAXLEN);
  if (field.u16(maxlen) !== undefined) out.maxlen = field.u16(maxlen);
  if (g6 && g6.some((x) => x !== 0)) out.group = formatIpv6(g6);
  else if (g4) out.group = formatIpv4(g4);
  const port = a.get(IPVS_DAEMON_ATTR.MCAST_PORT);
  if (field.u16(port) !== undefined) out.port = field.u16(port);
  const ttl = a.get(IPVS_DAEMON_ATTR.MCAST_TTL);
  if (field.u8(ttl) !== undefined) out.ttl = field.u8(ttl);
  return out;
}

/** Decodes a GET_CONFIG reply. */
export function decodeConfig(top: Buffer): Required<IpvsTimeouts> {
  const a = decodeAttrs(top);
  return {
    tcpSec: field.u32(a.get(IPVS_CMD_ATTR.TIMEOUT_TCP)) ?? 0,
    tcpFinSec: field.u32(a.get(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN)) ?? 0,
    udpSec: field.u32(a.get(IPVS_CMD_ATTR.TIMEOUT_UDP)) ?? 0,
  };
}

/** IPVS version and connection table size (GET_INFO). */
export interface IpvsInfo {
  /** e.g. 0x010201 for 1.2.1. */
  readonly version: number;
  readonly connTabSize: number;
}

/** Decodes a GET_INFO reply. */
export function decodeInfo(top: Buffer): IpvsInfo {
  const a = decodeAttrs(top);
  return { version: field.u32(a.get(IPVS_INFO_ATTR.VERSION)) ?? 0, connTabSize: field.u32(a.get(IPVS_INFO_ATTR.CONN_TAB_SIZE)) ?? 0 };
}

function cstr(b: Buffer | undefined): string {
  if (!b) return '';
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
}
