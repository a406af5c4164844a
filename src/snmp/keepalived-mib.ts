/**
 * KEEPALIVED-MIB (enterprises.9586.100.5): the global scalars (…5.1) and the VRRP subtree (…5.2: sync groups,
 * their members, instances, tracked interfaces and scripts, addresses), column for column as keepalived 2.2.7's
 * core/snmp.c and vrrp/vrrp_snmp.c answer them. Pure: built from a MibSource per request.
 */
import { isIPv4 } from 'node:net';
import type { ScriptCommand, TrackRef, VirtualAddress, VrrpInstanceConfig } from '../config/model.js';
import { cmdStr } from '../notify/prepare.js';
import { splitCommand } from '../notify/split.js';
import type { InstanceSnapshot } from '../runtime/snapshot.js';
import type { Oid } from './agentx.js';
import type { MibBuilder } from './mib.js';
import { ifindexOf, type MibSource } from './source.js';
import { addressBytes } from './inet.js';

/** KEEPALIVED-MIB::keepalived. */
export const KEEPALIVED_OID: Oid = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
/** KEEPALIVED-MIB::global. */
export const GLOBAL_OID: Oid = [...KEEPALIVED_OID, 1];
/** KEEPALIVED-MIB::vrrp. */
export const VRRP_OID: Oid = [...KEEPALIVED_OID, 2];

/** SNMP TruthValue: 1 true, 2 false. */
export function truth(b: boolean | undefined): number {
  return b ? 1 : 2;
}

/** keepalived's vrrp_snmp_state: INIT 0, BACKUP 1, MASTER 2, FAULT 3, anything else 4. */
export function snmpState(s: number): number {
  return s <= 3 ? s : 4;
}

/** Linux scope → InetScopeType (core/snmp.c snmp_scope). */
function snmpScope(scope: string | undefined): number {
  switch (scope ?? 'global') {
    case 'global':
    case '0':
      return 14;
    case 'host':
    case '254':
      return 1;
    case 'link':
    case '253':
      return 2;
    case 'site':
    case '200':
      return 5;
    default:
      return 0;
  }
}

/** A script as keepalived's cmd_str renders it (its path resolved), or undefined. */
export function scriptText(src: MibSource, s: ScriptCommand | undefined): string | undefined {
  if (!s) return undefined;
  const r = splitCommand(s.command);
  if (!r.ok) return s.command;
  const [first, ...rest] = r.argv;
  return cmdStr(first?.startsWith('/') ? [src.host.realPath(first), ...rest] : r.argv);
}

/** The tri-state smtp_alert scalars: unset 3, true 1, false 2. */
function triState(b: boolean | undefined): number {
  return b === undefined ? 3 : b ? 1 : 2;
}

/** KEEPALIVED-MIB::global (core/snmp.c global_vars). */
export function globalRows(src: MibSource, m: MibBuilder): void {
  const g = src.config.globalDefs;
  const o = (...s: number[]): Oid => [...GLOBAL_OID, ...s];
  m.str(o(1, 0), src.version);
  m.str(o(2, 0), g.routerId ?? src.host.nodeName);
  const smtp = g.smtpServer;
  const smtpBytes = smtp ? addressBytes(smtp.host) : undefined;
  m.int(o(3, 1, 0), smtpBytes?.length === 4 ? 1 : 2);
  m.str(o(3, 2, 0), smtpBytes ?? Buffer.alloc(4));
  m.gauge(o(3, 3, 0), smtp ? Math.floor(g.smtpConnectTimeoutMs / 1000) : 0);
  const from = g.notificationEmailFrom ?? (smtp ? `root@${src.host.nodeName}` : undefined);
  m.str(o(3, 4, 0), from);
  g.notificationEmail.forEach((a, i) => m.str(o(3, 5, 1, 2, i + 1), a));
  m.gauge(o(3, 6, 0), smtp?.port ?? 0);
  m.int(o(3, 7, 0), truth(!g.noEmailFaults));
  m.int(o(3, 8, 0), triState(g.smtpAlert));
  m.int(o(3, 9, 0), triState(g.smtpAlertVrrp));
  m.int(o(3, 10, 0), triState(g.smtpAlertChecker));
  m.int(o(4, 0), truth(g.snmp?.traps));
  m.int(o(5, 0), g.linkbeatUsePolling ? 2 : 1);
  m.int(o(6, 0), truth(g.lvsFlush));
  m.int(o(7, 0), 1);
  m.str(o(8, 0), src.config.netNamespace ?? '');
  m.int(o(9, 0), 2);
  m.int(o(10, 0), truth(g.dynamicInterfaces));
  m.int(o(11, 0), g.lvsFlushOnStop === 'all' ? 1 : g.lvsFlushOnStop === 'vs' ? 3 : 2);
}

/** The instance's configured state (keepalived's configured_state: MASTER 2, BACKUP 1). */
function initialState(ic: VrrpInstanceConfig): number {
  return ic.state === 'MASTER' ? 2 : 1;
}

/** The instance's multicast group, or undefined when it is unicast. */
export function mcastGroup(src: MibSource, ic: VrrpInstanceConfig): string | undefined {
  if (ic.unicastPeers.length) return undefined;
  const g = src.config.globalDefs;
  return ic.mcastDstIp ?? (ic.family === 6 ? g.vrrpMcastGroup6 : g.vrrpMcastGroup4);
}

/** The instance's effective advert interval for the MIBs: whole seconds for VRRPv2, centiseconds for VRRPv3. */
function advertInt(ic: VrrpInstanceConfig): number {
  return ic.version === 2 ? Math.floor(ic.advertIntervalMs / 1000) : Math.floor(ic.advertIntervalMs / 10);
}

/** A tracked object's weight: its own, else its definition's (vrrp_script weight), else 0. */
function trackWeight(t: TrackRef, defWeight: number | undefined): number {
  return t.weight ?? defWeight ?? 0;
}

/** In a sync group without track weights keepalived drops tracked objects that have a weight (vrrp_sync.c). */
function keepsWeighted(src: MibSource, ic: VrrpInstanceConfig): boolean {
  const sync = src.config.vrrpSyncGroups.find((s) => s.group.includes(ic.name));
  return !sync || sync.trackingWeight;
}

/** The instance's tracked interfaces as keepalived keeps them (its own interface is ignored). */
function trackedInterfaces(src: MibSource, ic: VrrpInstanceConfig): TrackRef[] {
  const all = keepsWeighted(src, ic);
  return ic.trackInterface.filter((t) => t.name !== ic.interface && (all || trackWeight(t, undefined) === 0));
}

/** The instance's tracked scripts as keepalived keeps them, with their weights. */
function trackedScripts(src: MibSource, ic: VrrpInstanceConfig): { readonly t: TrackRef; readonly weight: number; readonly reverse: boolean }[] {
  const all = keepsWeighted(src, ic);
  return ic.trackScript
    .map((t) => {
      const def = src.config.vrrpScripts.find((s) => s.name === t.name);
      return { t, weight: trackWeight(t, def?.weight), reverse: t.weight === undefined ? (def?.reverse ?? false) : t.reverse };
    })
    .filter((x) => all || x.weight === 0);
}

function instanceRows(src: MibSource, m: MibBuilder, ic: VrrpInstanceConfig, snap: InstanceSnapshot | undefined, idx: number): void {
  const o = (col: number): Oid => [...VRRP_OID, 3, 1, col, idx];
  const g = src.config.globalDefs;
  const sync = src.config.vrrpSyncGroups.find((s) => s.group.includes(ic.name));
  const n = ic.notify;
  m.str(o(2), ic.name);
  m.gauge(o(3), ic.virtualRouterId);
  m.int(o(4), snmpState(snap?.state ?? 0));
  m.int(o(5), initialState(ic));
  m.int(o(6), snmpState(snap?.wantState ?? 0));
  m.int(o(7), snap?.basePriority ?? ic.priority);
  m.int(o(8), snap?.effectivePriority ?? ic.priority);
  m.int(o(9), truth(snap?.vipSet));
  if (ic.interface) m.str(o(10), ic.interface);
  m.int(o(11), truth(trackedInterfaces(src, ic).length > 0));
  m.gauge(o(12), advertInt(ic));
  m.int(o(13), truth(!(snap?.nopreempt ?? ic.nopreempt)));
  m.gauge(o(14), Math.floor(ic.preemptDelayMs / 1000));
  m.int(o(15), ic.version === 2 ? (ic.authentication ? (ic.authentication.type === 'PASS' ? 1 : 2) : 0) : 0);
  const syncd = g.lvsSyncDaemon?.instance === ic.name;
  m.int(o(16), truth(syncd));
  if (syncd) m.str(o(17), g.lvsSyncDaemon!.ifname);
  if (sync) m.str(o(18), sync.name);
  m.gauge(o(19), Math.floor(ic.garpMasterDelayMs / 1000));
  m.int(o(20), truth(ic.smtpAlert ?? g.smtpAlertVrrp ?? g.smtpAlert));
  m.int(o(21), truth(Object.values(n).some((s) => s !== undefined)));
  m.str(o(22), scriptText(src, n.master));
  m.str(o(23), scriptText(src, n.backup));
  m.str(o(24), scriptText(src, n.fault));
  m.str(o(25), scriptText(src, n.stop));
  m.str(o(26), scriptText(src, n.generic));
  m.int(o(27), ic.version === 3 ? truth(ic.accept) : 0);
  m.int(o(28), truth(ic.promoteSecondaries));
  m.int(o(29), truth(ic.linkbeatUsePolling ?? g.linkbeatUsePolling));
  m.int(o(30), ic.version);
  m.str(o(31), scriptText(src, n.masterRxLowerPri));
  m.str(o(32), scriptText(src, n.deleted));
  m.int(o(33), truth(n.deleted !== undefined));
  const mc = mcastGroup(src, ic);
  if (mc) {
    m.int(o(34), isIPv4(mc) ? 1 : 2);
    m.str(o(35), addressBytes(mc));
  }
}

function addressRows(
  src: MibSource,
  m: MibBuilder,
  a: VirtualAddress,
  ifname: string | undefined,
  idx: readonly [number, number],
  set: boolean,
  adv: boolean,
): void {
  const o = (col: number): Oid => [...VRRP_OID, 6, 1, col, ...idx];
  const dev = a.dev ?? ifname;
  m.int(o(2), a.family === 4 ? 1 : 2);
  m.str(o(3), addressBytes(a.address));
  if (a.family === 4) m.str(o(4), a.broadcast ? addressBytes(a.broadcast) : Buffer.alloc(4));
  m.gauge(o(5), a.prefixLength);
  m.int(o(6), snmpScope(a.scope));
  m.int(o(7), ifindexOf(src.host, dev));
  if (dev) m.str(o(8), dev);
  m.str(o(9), a.label);
  m.int(o(10), truth(set));
  m.int(o(11), truth(adv));
  if (a.peer) m.str(o(12), addressBytes(a.peer));
}

/**
 * vrrpScriptTable: the vrrp_scripts keepalived keeps (those some instance or sync group still tracks; it drops the
 * rest), with vrrpScriptResult init(1), bad(2), good(3).
 */
function scriptRows(src: MibSource, m: MibBuilder): void {
  const c = src.config;
  const used = new Set([
    ...c.vrrpInstances.flatMap((ic) => trackedScripts(src, ic).map((x) => x.t.name)),
    ...c.vrrpSyncGroups.flatMap((g) => g.trackScript.map((t) => t.name)),
  ]);
  const results = new Map((src.snapshot.scripts ?? []).map((r) => [r.name, r.ok]));
  c.vrrpScripts
    .filter((s) => used.has(s.name))
    .forEach((s, i) => {
      const o = (col: number): Oid => [...VRRP_OID, 9, 1, col, i + 1];
      const ok = results.get(s.name);
      m.str(o(2), s.name);
      m.str(o(3), scriptText(src, s.script));
      m.int(o(4), Math.floor(s.intervalMs / 1000));
      m.int(o(5), s.weight);
      m.int(o(6), ok === undefined ? 1 : ok ? 3 : 2);
      m.gauge(o(7), s.rise);
      m.gauge(o(8), s.fall);
      m.int(o(9), truth(s.reverse));
    });
}

/** KEEPALIVED-MIB::vrrp (vrrp_snmp.c vrrp_vars): every table but routes, rules, tracked files and processes. */
export function vrrpRows(src: MibSource, m: MibBuilder): void {
  const c = src.config;
  const snaps = new Map(src.snapshot.instances.map((s) => [s.name, s]));
  const groupSnaps = new Map(src.snapshot.syncGroups.map((s) => [s.name, s]));
  c.vrrpSyncGroups.forEach((sg, gi) => {
    const o = (col: number): Oid => [...VRRP_OID, 1, 1, col, gi + 1];
    const n = sg.notify;
    m.str(o(2), sg.name);
    m.int(o(3), snmpState(groupSnaps.get(sg.name)?.state ?? 0));
    m.int(o(4), truth(sg.smtpAlert));
    m.int(o(5), truth(Object.values(n).some((s) => s !== undefined)));
    m.str(o(6), scriptText(src, n.master));
    m.str(o(7), scriptText(src, n.backup));
    m.str(o(8), scriptText(src, n.fault));
    m.str(o(9), scriptText(src, n.generic));
    m.int(o(10), truth(sg.trackingWeight));
    m.str(o(11), scriptText(src, n.stop));
    sg.group.forEach((name, mi) => m.str([...VRRP_OID, 2, 1, 2, gi + 1, mi + 1], name));
  });
  // keepalived's static addresses are row 0; its isAdvertised flag is set for the first instance's VIPs only
  // (vrrp_header_ar_table sets adv=1 on entering the first instance and clears it at its eVIPs, never again)
  scriptRows(src, m);
  c.staticIpaddress.forEach((a, k) => addressRows(src, m, a, undefined, [0, k + 1], true, false));
  c.vrrpInstances.forEach((ic, i) => {
    const snap = snaps.get(ic.name);
    instanceRows(src, m, ic, snap, i + 1);
    trackedInterfaces(src, ic).forEach((t, k) => {
      const o = (col: number): Oid => [...VRRP_OID, 4, 1, col, i + 1, k + 1];
      m.str(o(1), t.name);
      m.int(o(2), t.weight ?? 0);
      m.int(o(3), truth(t.reverse));
    });
    trackedScripts(src, ic).forEach(({ t, weight, reverse }, k) => {
      const o = (col: number): Oid => [...VRRP_OID, 5, 1, col, i + 1, k + 1];
      m.str(o(2), t.name);
      m.int(o(3), weight);
      m.int(o(4), truth(reverse));
    });
    const set = snap?.vipSet ?? false;
    ic.virtualIpaddress.forEach((a, k) => addressRows(src, m, a, ic.interface, [i + 1, k + 1], set, i === 0));
    const base = ic.virtualIpaddress.length;
    ic.virtualIpaddressExcluded.forEach((a, k) => addressRows(src, m, a, ic.interface, [i + 1, base + k + 1], set, false));
  });
}
