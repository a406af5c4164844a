/**
 * KEEPALIVED-MIB `check` (enterprises.9586.100.5.3): virtualServerGroupTable and its members, virtualServerTable,
 * realServerTable (with the IPVS statistics columns), the lvsSyncDaemon and lvsTimeouts scalars, and the
 * realServerStateChange / virtualServerQuorumStateChange notifications, column for column as keepalived 2.2.7's
 * check/check_snmp.c answers them (Debian's build: 64-bit LVS stats, IPVS tunnel type and checksum, syncd
 * attributes). Pure: built from a MibSource, the checker's IPVS counters and its trap events.
 */
import { IPVS_SVC_FLAG, type LvsForwarding, type RealServerConfig, type VirtualServerConfig } from '../config/model-lvs.js';
import type { RealServerSnapshot } from '../runtime/snapshot.js';
import { VarType, type Oid, type VarBind } from './agentx.js';
import { addressBytes } from './inet.js';
import { KEEPALIVED_OID, scriptText, truth } from './keepalived-mib.js';
import type { MibBuilder } from './mib.js';
import type { MibSource } from './source.js';

/** KEEPALIVED-MIB::check. */
export const CHECK_OID: Oid = [...KEEPALIVED_OID, 3];

/** IPVS counters of a service or destination (keepalived's ip_vs_stats64), summed over a group's services. */
export interface LvsCounters {
  readonly conns: number;
  readonly inpkts: number;
  readonly outpkts: number;
  readonly inbytes: number;
  readonly outbytes: number;
  readonly cps: number;
  readonly inpps: number;
  readonly outpps: number;
  readonly inbps: number;
  readonly outbps: number;
}

/** A destination's counters and connection gauges. */
export interface DestCounters extends LvsCounters {
  readonly activeconns: number;
  readonly inactconns: number;
  readonly persistconns: number;
}

/** One virtual server's counters: its services', its sorry server's and each real server's (configuration order). */
export interface VsCounters {
  readonly vs: LvsCounters;
  readonly sorry?: DestCounters;
  readonly rs: readonly (DestCounters | undefined)[];
}

/** Counters per virtual server, in configuration order (undefined: not read yet, shown as 0). */
export type CheckCounters = readonly (VsCounters | undefined)[];

/** All-zero counters. */
export const ZERO_COUNTERS: DestCounters = {
  conns: 0,
  inpkts: 0,
  outpkts: 0,
  inbytes: 0,
  outbytes: 0,
  cps: 0,
  inpps: 0,
  outpps: 0,
  inbps: 0,
  outbps: 0,
  activeconns: 0,
  inactconns: 0,
  persistconns: 0,
};

/** lb_algo → virtualServerLoadBalancingAlgo. */
const ALGO: Readonly<Record<string, number>> = {
  rr: 1,
  wrr: 2,
  lc: 3,
  wlc: 4,
  lblc: 5,
  lblcr: 6,
  dh: 7,
  sh: 8,
  sed: 9,
  nq: 10,
  fo: 11,
  ovf: 12,
  mh: 13,
  twos: 14,
};

const KIND: Readonly<Record<string, number>> = { NAT: 1, DR: 2, TUN: 3 };
const TUN_TYPE: Readonly<Record<string, number>> = { ipip: 1, gue: 2, gre: 3 };
const TUN_CSUM: Readonly<Record<string, number>> = { nocsum: 1, csum: 2, remcsum: 3 };
const PROTOCOL: Readonly<Record<string, number>> = { TCP: 1, UDP: 2, SCTP: 3 };

/** ms → keepalived's µs (TIMER_HZ). */
const usec = (ms: number | undefined): number => Math.round((ms ?? 0) * 1000);
/** ms → whole seconds (`x / TIMER_HZ`). */
const sec = (ms: number | undefined): number => Math.floor((ms ?? 0) / 1000);

/** The 32-bit value of a persistence_granularity as keepalived stores it (an IPv4 netmask's s_addr, or a prefix). */
function granularity(g: string | number | undefined): { readonly bytes: Buffer; readonly value: number } {
  const bytes = Buffer.alloc(4);
  if (typeof g === 'string') (addressBytes(g) ?? Buffer.alloc(4, 0xff)).copy(bytes);
  else if (typeof g === 'number') bytes.writeUInt32LE(g);
  else bytes.fill(0xff);
  // the raw s_addr read as a host (little-endian) integer, as ASN_UNSIGNED over the same memory
  return { bytes, value: bytes.readUInt32LE(0) };
}

/** The tunnel columns of a forwarding method (type, GUE port, checksum), present only where keepalived has them. */
function tunnelColumns(m: MibBuilder, o: (c: number) => Oid, f: LvsForwarding, cols: readonly [number, number, number]): void {
  if (f.method !== 'TUN') return;
  const type = f.tunnelType ?? 'ipip';
  m.int(o(cols[0]), TUN_TYPE[type] ?? 0);
  if (type === 'gue') m.gauge(o(cols[1]), f.tunnelPort ?? 0);
  if (type !== 'ipip') m.int(o(cols[2]), TUN_CSUM[f.tunnelChecksum ?? 'nocsum'] ?? 0);
}

/** Where a table's statistics columns start. */
interface StatColumns {
  /** conns (Gauge32). */
  readonly conns: number;
  /** inPkts, outPkts (Counter32), then inBytes, outBytes (Counter64). */
  readonly pkts: number;
  /** The five rates (Gauge32). */
  readonly rates: number;
  /** conns64, inPkts64, outPkts64 (Counter64), then each rate's Low and High halves. */
  readonly wide: number;
}

/**
 * The statistics columns both tables have. keepalived 2.2.7 answers every rate's "Low" column from the wrong
 * buffer (the high word of the last Counter64 it built, which is 0 below 4 GiB); we answer 0 there, as it does
 * in practice, and the true high half in the "High" columns.
 */
function statColumns(m: MibBuilder, o: (c: number) => Oid, s: LvsCounters, at: StatColumns): void {
  const lo = (n: number) => n % 2 ** 32;
  m.gauge(o(at.conns), lo(s.conns));
  m.counter(o(at.pkts), lo(s.inpkts));
  m.counter(o(at.pkts + 1), lo(s.outpkts));
  m.counter64(o(at.pkts + 2), s.inbytes);
  m.counter64(o(at.pkts + 3), s.outbytes);
  [s.cps, s.inpps, s.outpps, s.inbps, s.outbps].forEach((r, i) => {
    m.gauge(o(at.rates + i), lo(r));
    m.gauge(o(at.wide + 3 + 2 * i), 0);
    m.gauge(o(at.wide + 4 + 2 * i), Math.floor(r / 2 ** 32));
  });
  m.counter64(o(at.wide), s.conns);
  m.counter64(o(at.wide + 1), s.inpkts);
  m.counter64(o(at.wide + 2), s.outpkts);
}

/** virtualServerType: fwmark 1, ip 2, group 3. */
function vsType(vs: VirtualServerConfig): number {
  return vs.service.kind === 'group' ? 3 : vs.service.kind === 'fwmark' ? 1 : 2;
}

function virtualServerRows(src: MibSource, m: MibBuilder, vs: VirtualServerConfig, i: number, c: VsCounters | undefined): void {
  const o = (col: number): Oid => [...CHECK_OID, 3, 1, col, i];
  const snap = src.snapshot.virtualServers?.[i - 1];
  const s = vs.service;
  m.int(o(2), vsType(vs));
  if (s.kind === 'group') m.str(o(3), s.group);
  if (s.kind === 'fwmark') m.gauge(o(4), s.fwmark);
  m.int(o(5), vs.family === 6 ? 2 : 1);
  if (s.kind === 'address') {
    m.str(o(6), addressBytes(s.address));
    m.gauge(o(7), s.port);
  }
  if (s.kind !== 'fwmark') m.int(o(8), PROTOCOL[vs.protocol ?? ''] ?? 4);
  m.int(o(9), ALGO[vs.scheduler] ?? 99);
  m.int(o(10), KIND[vs.forwarding.method]);
  m.int(o(11), truth(snap?.alive ?? snap !== undefined));
  m.str(o(12), vs.virtualhost);
  m.int(o(13), truth(vs.persistenceTimeoutMs > 0));
  if (vs.persistenceTimeoutMs > 0) m.gauge(o(14), sec(vs.persistenceTimeoutMs));
  // keepalived tests the service address's family: fwmark and group services (no address) show both columns
  const g = granularity(vs.persistenceGranularity);
  const addrFamily = s.kind === 'address' ? vs.family : 0;
  if (addrFamily !== 6) m.str(o(15), g.bytes);
  if (addrFamily !== 4) m.gauge(o(51), g.value);
  m.gauge(o(16), sec(vs.delayLoopMs));
  m.int(o(17), truth(vs.haSuspend));
  m.int(o(37), truth((vs.flags & IPVS_SVC_FLAG.ONEPACKET) !== 0));
  m.int(o(18), truth(vs.alpha));
  m.int(o(19), truth(vs.omega));
  const rsSnaps = snap?.realServers ?? [];
  m.gauge(o(20), vs.realServers.length);
  m.gauge(o(21), rsSnaps.filter((r) => r.up).length);
  m.gauge(o(22), vs.quorum);
  m.int(o(23), truth(snap?.quorumUp ?? true));
  m.str(o(24), scriptText(src, vs.quorumUp));
  m.str(o(25), scriptText(src, vs.quorumDown));
  m.gauge(o(26), vs.hysteresis);
  statColumns(m, o, c?.vs ?? ZERO_COUNTERS, { conns: 27, pkts: 28, rates: 32, wide: 38 });
  m.int(o(52), truth(false)); // IP_VS_SVC_F_HASHED is the kernel's, never in keepalived's flags
  m.int(o(53), truth((vs.flags & IPVS_SVC_FLAG.SCHED1) !== 0));
  m.int(o(54), truth((vs.flags & IPVS_SVC_FLAG.SCHED2) !== 0));
  m.int(o(55), truth((vs.flags & IPVS_SVC_FLAG.SCHED3) !== 0));
  m.int(o(56), truth(!vs.inhibitOnFailure));
  m.gauge(o(57), vs.retry ?? 0);
  m.gauge(o(58), sec(vs.delayBeforeRetryMs));
  m.gauge(o(59), sec(vs.warmupMs));
  m.int(o(60), vs.weight);
  m.int(o(61), truth(vs.smtpAlert));
  m.int(o(62), truth((vs.flags & IPVS_SVC_FLAG.SCHED1) !== 0));
  m.int(o(63), truth((vs.flags & IPVS_SVC_FLAG.SCHED2) !== 0));
  m.gauge(o(64), usec(vs.delayLoopMs));
  m.gauge(o(65), usec(vs.delayBeforeRetryMs));
  m.gauge(o(66), usec(vs.warmupMs));
  m.gauge(o(67), usec(vs.connectTimeoutMs));
  tunnelColumns(m, o, vs.forwarding, [68, 69, 70]);
  m.str(o(71), vs.snmpName);
}

/** The per-server settings a realServerTable row shows (the sorry server has keepalived's zeroed defaults). */
interface RsRow {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly forwarding: LvsForwarding;
  /** Undefined for the sorry server. */
  readonly rs?: RealServerConfig;
  readonly snap?: RealServerSnapshot;
}

function realServerRows(
  src: MibSource,
  m: MibBuilder,
  vs: VirtualServerConfig,
  idx: readonly [number, number],
  r: RsRow,
  c: DestCounters | undefined,
): void {
  const o = (col: number): Oid => [...CHECK_OID, 4, 1, col, ...idx];
  const rs = r.rs;
  m.int(o(2), truth(rs !== undefined));
  m.int(o(3), r.family === 6 ? 2 : 1);
  m.str(o(4), addressBytes(r.address));
  m.gauge(o(5), r.port);
  if (rs) {
    m.int(o(6), truth(r.snap?.up));
    m.int(o(7), r.snap?.weight ?? rs.weight);
    if (rs.uthreshold) m.gauge(o(8), rs.uthreshold);
    if (rs.lthreshold) m.gauge(o(9), rs.lthreshold);
    m.int(o(10), truth(!rs.inhibitOnFailure));
    m.str(o(11), scriptText(src, rs.notifyUp));
    m.str(o(12), scriptText(src, rs.notifyDown));
    m.gauge(o(13), r.snap?.failedCheckers ?? 0);
  }
  const s = c ?? ZERO_COUNTERS;
  statColumns(m, o, s, { conns: 14, pkts: 18, rates: 22, wide: 27 });
  m.gauge(o(15), s.activeconns);
  m.gauge(o(16), s.inactconns);
  m.gauge(o(17), s.persistconns);
  m.int(o(40), KIND[r.forwarding.method]);
  m.str(o(41), rs?.virtualhost);
  m.int(o(42), truth(rs?.alpha));
  m.gauge(o(43), rs ? (rs.retry ?? vs.retry ?? 0) : 0);
  const dbr = rs ? (rs.delayBeforeRetryMs ?? vs.delayBeforeRetryMs) : 0;
  const warmup = rs ? (rs.warmupMs ?? vs.warmupMs) : 0;
  const loop = rs ? rs.delayLoopMs : 0;
  m.gauge(o(44), sec(dbr));
  m.gauge(o(45), sec(warmup));
  m.gauge(o(46), sec(loop));
  m.int(o(47), truth(rs?.smtpAlert));
  m.gauge(o(48), usec(dbr));
  m.gauge(o(49), usec(warmup));
  m.gauge(o(50), usec(loop));
  m.gauge(o(51), rs ? usec(rs.connectTimeoutMs) : 0);
  tunnelColumns(m, o, r.forwarding, [52, 53, 54]);
  m.str(o(55), rs?.snmpName);
}

/** virtualServerGroupTable and virtualServerGroupMemberTable: a group's fwmarks first, then its addresses and ranges. */
function groupRows(src: MibSource, m: MibBuilder): void {
  src.config.virtualServerGroups.forEach((g, gi) => {
    m.str([...CHECK_OID, 1, 1, 2, gi + 1], g.name);
    const entries = [...g.entries.filter((e) => e.kind === 'fwmark'), ...g.entries.filter((e) => e.kind === 'range')];
    entries.forEach((e, k) => {
      const o = (col: number): Oid => [...CHECK_OID, 2, 1, col, gi + 1, k + 1];
      if (e.kind === 'fwmark') {
        m.int(o(2), 1);
        m.gauge(o(3), e.fwmark);
        return;
      }
      const range = e.start !== e.end;
      m.int(o(2), range ? 3 : 2);
      m.int(o(4), e.family === 6 ? 2 : 1);
      if (range) {
        m.str(o(6), addressBytes(e.start));
        m.str(o(7), addressBytes(e.end));
      } else m.str(o(5), addressBytes(e.start));
      m.gauge(o(8), e.port);
    });
  });
}

/** lvsSyncDaemon… (check.6) and lvsTimeout… (check.7) scalars, each present only when configured. */
function lvsScalars(src: MibSource, m: MibBuilder): void {
  const g = src.config.globalDefs;
  const o = (...s: number[]): Oid => [...CHECK_OID, ...s, 0];
  const d = g.lvsSyncDaemon;
  m.int(o(6, 1), truth(d !== undefined));
  if (d) {
    m.str(o(6, 2), d.ifname);
    m.str(o(6, 3), d.instance);
    m.int(o(6, 4), d.syncId ?? 0);
    m.int(o(6, 5), d.maxlen ?? 0);
    m.int(o(6, 6), d.port ?? 0);
    m.int(o(6, 7), d.ttl ?? 0);
    const group = d.group ? addressBytes(d.group) : undefined;
    if (group) {
      m.int(o(6, 8), group.length === 4 ? 1 : 2);
      m.str(o(6, 9), group);
    }
  }
  const t = g.lvsTimeouts;
  if (t?.tcpSec) m.int(o(7, 1), t.tcpSec);
  if (t?.tcpFinSec) m.int(o(7, 2), t.tcpFinSec);
  if (t?.udpSec) m.int(o(7, 3), t.udpSec);
}

/** KEEPALIVED-MIB::check (check_snmp.c check_vars). `counters` are the IPVS counters (zero where unknown). */
export function checkRows(src: MibSource, m: MibBuilder, counters: CheckCounters = []): void {
  groupRows(src, m);
  src.config.virtualServers.forEach((vs, i) => {
    const c = counters[i];
    virtualServerRows(src, m, vs, i + 1, c);
    const snaps = src.snapshot.virtualServers?.[i]?.realServers ?? [];
    let k = 0;
    const s = vs.sorryServer;
    if (s) realServerRows(src, m, vs, [i + 1, ++k], { address: s.address, port: s.port, family: s.family, forwarding: s.forwarding }, c?.sorry);
    vs.realServers.forEach((rs, j) => {
      const snap = snaps[j];
      realServerRows(
        src,
        m,
        vs,
        [i + 1, ++k],
        { address: rs.address, port: rs.port, family: rs.family, forwarding: rs.forwarding, rs, ...(snap ? { snap } : {}) },
        c?.rs[j],
      );
    });
  });
  lvsScalars(src, m);
}

/**
 * A checker notification as the core raised it (keepalived's check_snmp_rs_trap / check_snmp_quorum_trap): the
 * virtual server, the real server (its index and state then) for realServerStateChange,
 * the counts at that moment, and whether the daemon is stopping.
 */
export interface CheckTrap {
  /** The virtual server as the checker ran it (a reload may have removed it from the configuration since). */
  readonly vs: VirtualServerConfig;
  readonly rs?: { readonly index: number; readonly alive: boolean };
  readonly realUp: number;
  readonly realTotal: number;
  readonly quorumUp: boolean;
  readonly stopping: boolean;
}

/** The notification for `t` (snmpTrapOID value and objects in keepalived's order); undefined for an unknown real server. */
export function checkNotification(src: MibSource, t: CheckTrap): { readonly trapOid: Oid; readonly varbinds: VarBind[] } | undefined {
  const vs = t.vs;
  const rs = t.rs ? vs.realServers[t.rs.index] : undefined;
  if (t.rs && !rs) return undefined;
  const c = (...s: number[]): Oid => [...CHECK_OID, ...s];
  const int = (oid: Oid, value: number): VarBind => ({ oid, type: VarType.Integer, value });
  const gauge = (oid: Oid, value: number): VarBind => ({ oid, type: VarType.Gauge32, value });
  const str = (oid: Oid, value: Buffer): VarBind => ({ oid, type: VarType.OctetString, value });
  const out: VarBind[] = [];
  if (rs && t.rs) {
    out.push(int(c(4, 1, 3), rs.family === 6 ? 2 : 1));
    out.push(str(c(4, 1, 4), addressBytes(rs.address) ?? Buffer.alloc(4)));
    out.push(gauge(c(4, 1, 5), rs.port));
    out.push(int(c(4, 1, 6), truth(t.rs.alive)));
  }
  const s = vs.service;
  out.push(int(c(3, 1, 2), vsType(vs)));
  if (s.kind === 'group') out.push(str(c(3, 1, 3), Buffer.from(s.group)));
  else if (s.kind === 'fwmark') out.push(gauge(c(3, 1, 4), s.fwmark));
  else {
    out.push(int(c(3, 1, 5), vs.family === 6 ? 2 : 1));
    out.push(str(c(3, 1, 6), addressBytes(s.address) ?? Buffer.alloc(4)));
    out.push(gauge(c(3, 1, 7), s.port));
  }
  // keepalived sends TruthValue(protocol == TCP) here, not the table's protocol enumeration
  out.push(int(c(3, 1, 8), truth(vs.protocol === 'TCP')));
  if (!t.rs) {
    out.push(int(c(3, 1, 23), t.stopping ? 3 : t.quorumUp ? 1 : 2));
    out.push(gauge(c(3, 1, 22), vs.quorum));
  }
  out.push(gauge(c(3, 1, 21), t.realUp));
  out.push(gauge(c(3, 1, 20), t.realTotal));
  out.push(str([...KEEPALIVED_OID, 1, 2, 0], Buffer.from(src.config.globalDefs.routerId ?? src.host.nodeName)));
  return { trapOid: c(5, 0, t.rs ? 1 : 2), varbinds: out };
}
