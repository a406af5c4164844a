/**
 * VRRP-MIB (RFC 2787, mib-2.68) for VRRPv2 IPv4 instances and VRRPV3-MIB (RFC 6527, mib-2.207) for every
 * instance (Debian's keepalived is built with _SNMP_REPLY_V3_FOR_V2_: VRRPv2 instances show there too), as
 * keepalived 2.2.7's vrrp_snmp.c serves them (only instances with at least one VIP; indexes are the
 * base interface's ifindex and the VRID, plus the address type for v3). Pure: built from a MibSource.
 */
import type { VrrpInstanceConfig } from '../config/model.js';
import type { InstanceSnapshot } from '../runtime/snapshot.js';
import { compareBytes } from '../core/inet/address.js';
import type { Oid } from './agentx.js';
import { compareOid, type MibBuilder } from './mib.js';
import { addressBytes } from './inet.js';
import { truth } from './keepalived-mib.js';
import { ifindexOf, type MibSource } from './source.js';
import { sumErrors } from './rfc-errors.js';

/** VRRP-MIB::vrrpMIB. */
export const VRRP_RFC_OID: Oid = [1, 3, 6, 1, 2, 1, 68];
/** VRRPV3-MIB::vrrpv3MIB. */
export const VRRP_RFCV3_OID: Oid = [1, 3, 6, 1, 2, 1, 207];

/** keepalived's vrrp_snmp_rfc_state: initialize(1), backup(2), master(3); FAULT and the rest read as initialize. */
function rfcState(s: number): number {
  return s <= 2 ? s + 1 : 1;
}

/** One instance the RFC MIBs show, with its index and runtime state. */
interface RfcRow {
  readonly ic: VrrpInstanceConfig;
  readonly snap: InstanceSnapshot | undefined;
  readonly index: readonly number[];
}

function rows(src: MibSource, version: 2 | 3): RfcRow[] {
  const snaps = new Map(src.snapshot.instances.map((s) => [s.name, s]));
  return src.config.vrrpInstances
    .filter((ic) => ic.virtualIpaddress.length > 0 && (version === 3 || (ic.version === 2 && ic.family === 4)))
    .map((ic) => {
      const ifx = ifindexOf(src.host, ic.interface);
      const index = version === 2 ? [ifx, ic.virtualRouterId] : [ifx, ic.virtualRouterId, ic.family === 4 ? 1 : 2];
      return { ic, snap: snaps.get(ic.name), index };
    })
    .sort((a, b) => compareOid(a.index, b.index));
}

/** Centiseconds from `fromMs` to `toMs` for an instance in BACKUP or MASTER, else 0 (vrrpOperVrUpTime). */
function upTime(snap: InstanceSnapshot | undefined, fromMs: number, toMs: number): number {
  if (!snap || (snap.state !== 1 && snap.state !== 2)) return 0;
  return Math.max(0, Math.floor((toMs - fromMs) / 10));
}

/** The master's address as keepalived's master_saddr holds it: the last advert's source, or all zeroes. */
function masterAddress(snap: InstanceSnapshot | undefined, family: 4 | 6): Buffer {
  return (snap?.lastAdvertSource && addressBytes(snap.lastAdvertSource)) || Buffer.alloc(family === 4 ? 4 : 16);
}

/** The interface's own address of the instance's family (vrrpOperPrimaryIpAddr), or zeroes. */
function primaryAddress(src: MibSource, ic: VrrpInstanceConfig): Buffer | undefined {
  if (!ic.interface) return undefined;
  const b = ic.family === 4 ? src.host.ipv4(ic.interface) : src.host.ipv6(ic.interface);
  return b ?? Buffer.alloc(ic.family === 4 ? 4 : 16);
}

/** The VIPs of an instance, sorted as the association table's index orders them. */
function sortedVips(ic: VrrpInstanceConfig): Buffer[] {
  return ic.virtualIpaddress.map((a) => addressBytes(a.address) ?? Buffer.alloc(0)).sort(compareBytes);
}

/** VRRP-MIB (RFC 2787). */
export function rfcv2Rows(src: MibSource, m: MibBuilder, nowMs: number): void {
  const o = (...s: number[]): Oid => [...VRRP_RFC_OID, ...s];
  m.int(o(1, 1, 0), 2);
  m.int(o(1, 2, 0), truth(src.config.globalDefs.snmp?.traps));
  const all = rows(src, 2);
  // keepalived 2.2.7's snmp_rfcv2_header_list_table skips every instance with an interface once a row index is
  // given (`ifp ? IF_BASE_INDEX(ifp) : 0 < target[0]` binds as `ifp ? … : (0 < …)`), so a walk of the oper and
  // statistics tables meets their first row only
  const first = all.slice(0, 1);
  for (const { ic, snap, index } of first) {
    const c = (col: number): Oid => o(1, 3, 1, col, ...index);
    const dev = snap?.vmacIfname || ic.interface;
    if (dev) m.str(c(2), src.host.hwaddr(dev) ?? Buffer.alloc(0));
    m.int(c(3), rfcState(snap?.state ?? 0));
    m.int(c(4), 1);
    m.int(c(5), snap?.basePriority ?? ic.priority);
    m.int(c(6), ic.virtualIpaddress.length);
    m.ip(c(7), masterAddress(snap, 4));
    const pip = primaryAddress(src, ic);
    if (pip) m.ip(c(8), pip);
    m.int(c(9), (ic.authentication ? (ic.authentication.type === 'PASS' ? 1 : 2) : 0) + 1);
    m.int(c(11), Math.floor(ic.advertIntervalMs / 1000));
    m.int(c(12), truth(!(snap?.nopreempt ?? ic.nopreempt)));
    // keepalived 2.2.7: the subagent's uptime when the instance left INIT (RFC 2787's definition; a constant)
    m.ticks(c(13), upTime(snap, src.startedWallMs, src.upSinceMs.get(ic.name) ?? nowMs));
    m.int(c(14), 1);
    m.int(c(15), 1);
    const s = snap?.stats;
    const t = (col: number): Oid => o(2, 4, 1, col, ...index);
    m.counter(t(1), s?.become_master ?? 0);
    m.counter(t(2), s?.advert_rcvd ?? 0);
    m.counter(t(3), s?.advert_interval_err ?? 0);
    m.counter(t(4), s?.auth_failure ?? 0);
    m.counter(t(5), s?.ip_ttl_err ?? 0);
    m.counter(t(6), s?.pri_zero_rcvd ?? 0);
    m.counter(t(7), s?.pri_zero_sent ?? 0);
    m.counter(t(8), s?.invalid_type_rcvd ?? 0);
    m.counter(t(9), s?.addr_list_err ?? 0);
    m.counter(t(10), s?.invalid_authtype ?? 0);
    m.counter(t(11), s?.authtype_mismatch ?? 0);
    m.counter(t(12), s?.packet_len_err ?? 0);
  }
  for (const { ic, index } of all) for (const a of sortedVips(ic)) m.int(o(1, 4, 1, 2, ...index, ...a), 1);
  // summed over the instances shown; keepalived 2.2.7 never counts VRID errors
  const sum = sumErrors(
    src.rfcErrors,
    all.map((r) => r.ic.name),
  );
  m.counter(o(2, 1, 0), sum.checksum);
  m.counter(o(2, 2, 0), sum.version);
  m.counter(o(2, 3, 0), 0);
}

/**
 * vrrpv3StatisticsNewMasterReason: notMaster(0), priority(1: a priority 0 advert), preempted(2: we preempted a
 * lower priority master), masterNoResponse(3), from the words of the last transition that made us master.
 */
export function masterReason(snap: InstanceSnapshot | undefined, reason?: string): number {
  if (!snap || (snap.stats.become_master === 0 && reason === undefined)) return 0;
  const why = reason ?? snap.lastTransitionReason ?? '';
  return /sent priority 0/.test(why) ? 1 : /preempting /.test(why) ? 2 : 3;
}

/** VRRPV3-MIB (RFC 6527). */
export function rfcv3Rows(src: MibSource, m: MibBuilder, nowMs: number): void {
  const o = (...s: number[]): Oid => [...VRRP_RFCV3_OID, ...s];
  const all = rows(src, 3);
  for (const { ic, snap, index } of all) {
    const c = (col: number): Oid => o(1, 1, 1, 1, col, ...index);
    const pip = primaryAddress(src, ic);
    // keepalived's vrrpv3OperMasterIpAddr falls through to the primary address when MASTER
    if (snap?.state === 2) m.str(c(3), pip);
    else m.str(c(3), masterAddress(snap, ic.family));
    m.str(c(4), pip);
    const dev = snap?.vmacIfname || ic.interface;
    if (dev) m.str(c(5), src.host.hwaddr(dev) ?? Buffer.alloc(0));
    m.int(c(6), rfcState(snap?.state ?? 0));
    m.gauge(c(7), snap?.basePriority ?? ic.priority);
    m.int(c(8), ic.virtualIpaddress.length);
    m.int(c(9), Math.floor(ic.advertIntervalMs / 10));
    m.int(c(10), truth(!(snap?.nopreempt ?? ic.nopreempt)));
    m.int(c(11), truth(ic.accept));
    // keepalived 2.2.7: how long since the instance left INIT
    m.ticks(c(12), upTime(snap, src.upSinceMs.get(ic.name) ?? src.startedWallMs, nowMs));
    m.int(c(13), 1);
    for (const a of sortedVips(ic)) m.int(o(1, 1, 2, 1, 2, ...index, ...a), 1);
    const s = snap?.stats;
    const t = (col: number): Oid => o(1, 2, 5, 1, col, ...index);
    m.counter(t(1), s?.become_master ?? 0);
    m.int(t(2), masterReason(snap));
    m.counter64(t(3), s?.advert_rcvd ?? 0);
    m.counter64(t(4), s?.advert_interval_err ?? 0);
    m.counter64(t(5), s?.ip_ttl_err ?? 0);
    m.int(t(6), src.rfcErrors?.get(ic.name)?.protoReason ?? 0);
    m.counter64(t(7), s?.pri_zero_rcvd ?? 0);
    m.counter64(t(8), s?.pri_zero_sent ?? 0);
    m.counter64(t(9), s?.invalid_type_rcvd ?? 0);
    m.counter64(t(10), s?.addr_list_err ?? 0);
    m.counter64(t(11), s?.packet_len_err ?? 0);
    m.ticks(t(12), 0);
    m.gauge(t(13), Math.floor(ic.advertIntervalMs / 10) * 10);
  }
  const sum = sumErrors(
    src.rfcErrors,
    all.map((r) => r.ic.name),
  );
  m.counter64(o(1, 2, 1, 0), sum.checksum);
  m.counter64(o(1, 2, 2, 0), sum.version);
  m.counter64(o(1, 2, 3, 0), 0);
  m.ticks(o(1, 2, 4, 0), 0);
}
