/**
 * KEEPALIVED-MIB::vrrp's vrrpRouteTable (…7), vrrpRuleTable (…8) and vrrpRouteNextHopTable (…11), as keepalived
 * 2.2.7's vrrp_snmp.c serves them: static routes and rules first (instance index 0), then each instance's virtual
 * ones (instance index 1, 2, …), numbered from 1 in configuration order; next hops add their own position. A cell
 * keepalived leaves empty when the attribute was not given is left out. Pure: built from a MibSource.
 */
import type { NexthopConfig, Prefix, RouteConfig, RuleConfig } from '../config/model.js';
import type { Oid } from './agentx.js';
import { addressBytes } from './inet.js';
import { truth, VRRP_OID } from './keepalived-mib.js';
import type { MibBuilder } from './mib.js';
import { ifindexOf, type HostFacts, type MibSource } from './source.js';

/** RTAX_* ids of the lockable metrics (the bit in RouteMetrics.lock). */
const RTAX = { mtu: 2, rtt: 4, rttvar: 5, ssthresh: 6, cwnd: 7, advmss: 8, reordering: 9, rtoMin: 13 } as const;

/** Linux route scope → InetScopeType (core/snmp.c snmp_scope). */
function scopeOf(scope: number | undefined): number {
  switch (scope ?? 0) {
    case 0:
      return 14;
    case 254:
      return 1;
    case 253:
      return 2;
    case 200:
      return 5;
    default:
      return 0;
  }
}

/** vrrpRouteType: multipath 2, then the rtm_type (unicast 1, blackhole 3 … xresolve 11). */
const ROUTE_TYPES: Readonly<Record<string, number>> = {
  blackhole: 3,
  anycast: 4,
  multicast: 5,
  broadcast: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
  xresolve: 11,
};

/** RTA_PREF (low 3, medium 0, high 1) → vrrpRoutePreference low 1, medium 2, high 3. */
function prefOf(pref: number): number {
  return pref === 3 ? 1 : pref === 0 ? 2 : pref === 1 ? 3 : 0;
}

/** fib_rule_hdr actions. */
const RULE_ACTIONS: Readonly<Record<RuleConfig['action'], number>> = { table: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 };

/** One owner's routes or rules: the instance index (0: static) and whether they are in the kernel. */
interface Owner<T> {
  readonly index: number;
  readonly entries: readonly T[];
  readonly set: boolean;
}

function owners<T>(src: MibSource, statics: readonly T[], pick: (ic: MibSource['config']['vrrpInstances'][number]) => readonly T[]): Owner<T>[] {
  const snaps = new Map(src.snapshot.instances.map((s) => [s.name, s]));
  return [
    { index: 0, entries: statics, set: true },
    ...src.config.vrrpInstances.map((ic, i) => ({ index: i + 1, entries: pick(ic), set: snaps.get(ic.name)?.vipSet ?? false })),
  ];
}

/** A lockable metric: its value (column `col`) and lock flag (`col + 1`), when given. */
function locked(m: MibBuilder, o: (c: number) => Oid, col: number, v: number | undefined, lock: number, rtax: number, shown = v): void {
  if (v === undefined) return;
  m.gauge(o(col), shown);
  m.int(o(col + 1), truth((lock & (1 << rtax)) !== 0));
}

function realms(m: MibBuilder, o: (c: number) => Oid, col: number, r: number | undefined): void {
  if (!r) return;
  m.gauge(o(col), r & 0xffff);
  if (r >>> 16) m.gauge(o(col + 1), r >>> 16);
}

function routeRow(src: MibSource, m: MibBuilder, r: RouteConfig, idx: readonly number[], set: boolean): void {
  const o = (col: number): Oid => [...VRRP_OID, 7, 1, col, ...idx];
  const nhs = r.nexthops ?? [];
  m.int(o(2), r.family === 6 ? 2 : 1);
  m.str(o(3), addressBytes(r.destination));
  m.gauge(o(4), r.prefixLength);
  if (r.gateway) m.str(o(5), addressBytes(r.gateway));
  if (nhs.length === 1 && nhs[0]!.gateway) m.str(o(6), addressBytes(nhs[0]!.gateway));
  if (r.source) m.str(o(7), addressBytes(r.source));
  m.gauge(o(8), r.metric ?? 0);
  m.int(o(9), scopeOf(r.scope));
  m.int(o(10), nhs.length ? 2 : (ROUTE_TYPES[r.type ?? ''] ?? 1));
  if (r.dev) {
    m.int(o(11), ifindexOf(src.host, r.dev));
    m.str(o(12), r.dev);
  }
  m.gauge(o(13), r.table);
  m.int(o(14), truth(set));
  if (r.from) {
    m.str(o(15), addressBytes(r.from.address));
    m.gauge(o(16), r.from.prefixLength);
  }
  if (r.tos !== undefined) m.gauge(o(17), r.tos);
  if (r.protocol !== undefined) m.int(o(18), r.protocol + 1);
  const x = r.metrics ?? {};
  const lock = x.lock ?? 0;
  m.int(o(19), truth(((x.features ?? 0) & 1) !== 0));
  m.int(o(20), truth(x.quickack !== undefined));
  if (r.expires !== undefined) m.int(o(21), r.expires);
  locked(m, o, 22, x.mtu, lock, RTAX.mtu);
  if (x.hoplimit !== undefined) m.gauge(o(24), x.hoplimit);
  // keepalived 2.2.7 shows advmss when a hoplimit is set (its test is on the hoplimit bit), its lock when advmss is
  if (x.hoplimit !== undefined) m.gauge(o(25), x.advmss ?? 0);
  if (x.advmss !== undefined) m.int(o(26), truth((lock & (1 << RTAX.advmss)) !== 0));
  locked(m, o, 27, x.rtt, lock, RTAX.rtt, x.rtt === undefined ? undefined : Math.floor(x.rtt / 8));
  locked(m, o, 29, x.rttvar, lock, RTAX.rttvar, x.rttvar === undefined ? undefined : Math.floor(x.rttvar / 4));
  locked(m, o, 31, x.reordering, lock, RTAX.reordering);
  if (x.window !== undefined) m.gauge(o(33), x.window);
  locked(m, o, 34, x.cwnd, lock, RTAX.cwnd);
  locked(m, o, 36, x.ssthresh, lock, RTAX.ssthresh);
  locked(m, o, 38, x.rtoMin, lock, RTAX.rtoMin);
  if (x.initcwnd !== undefined) m.gauge(o(40), x.initcwnd);
  if (x.initrwnd !== undefined) m.gauge(o(41), x.initrwnd);
  if (x.congctl) m.str(o(42), x.congctl);
  if (r.pref !== undefined) m.int(o(43), prefOf(r.pref));
  realms(m, o, 44, r.realms);
  if (x.fastopenNoCookie !== undefined) m.int(o(55), truth(x.fastopenNoCookie !== 0));
}

function nexthopRow(src: MibSource, m: MibBuilder, nh: NexthopConfig, idx: readonly number[]): void {
  const o = (col: number): Oid => [...VRRP_OID, 11, 1, col, ...idx];
  const a = nh.gateway ? addressBytes(nh.gateway) : undefined;
  if (a) {
    m.int(o(2), a.length === 4 ? 1 : 2);
    m.str(o(3), a);
  }
  if (nh.dev) {
    m.int(o(4), ifindexOf(src.host, nh.dev));
    m.str(o(5), nh.dev);
  }
  if (nh.weight !== undefined) m.gauge(o(6), nh.weight);
  m.int(o(7), truth(nh.onlink));
  realms(m, o, 8, nh.realms);
}

function prefixCells(m: MibBuilder, o: (c: number) => Oid, col: number, p: Prefix | undefined): void {
  const a = p && addressBytes(p.address);
  if (!p || !a) return;
  m.int(o(col), a.length === 4 ? 1 : 2);
  m.str(o(col + 1), a);
  m.gauge(o(col + 2), p.prefixLength);
}

function ruleRow(host: HostFacts, m: MibBuilder, r: RuleConfig, idx: readonly number[], set: boolean): void {
  const o = (col: number): Oid => [...VRRP_OID, 8, 1, col, ...idx];
  m.str(o(2), r.to ? (r.from ? 'both' : 'to') : r.from ? 'from' : '');
  prefixCells(m, o, 3, r.to ?? r.from);
  // an l3mdev rule is a table action with table 0
  if (r.action === 'table') m.gauge(o(6), r.table ?? 0);
  m.int(o(7), truth(set));
  m.int(o(8), truth(r.invert));
  prefixCells(m, o, 9, r.to);
  prefixCells(m, o, 12, r.from);
  m.gauge(o(15), r.tos ?? 0);
  if (r.fwmark !== undefined) m.gauge(o(16), r.fwmark);
  if (r.fwmask !== undefined) m.gauge(o(17), r.fwmask);
  realms(m, o, 18, r.realms);
  if (r.iif) m.str(o(20), r.iif);
  if (r.oif) m.str(o(21), r.oif);
  if (r.action === 'goto' && r.gotoTarget !== undefined) m.gauge(o(22), r.gotoTarget);
  m.int(o(23), RULE_ACTIONS[r.action]);
  if (r.action === 'table') m.gauge(o(24), r.table ?? 0);
  if (r.priority) m.gauge(o(25), r.priority);
  if (r.suppressPrefixLength !== undefined && r.suppressPrefixLength !== -1) m.gauge(o(26), r.suppressPrefixLength);
  if (r.suppressIfgroup !== undefined) m.str(o(27), host.ifGroupName?.(r.suppressIfgroup) ?? String(r.suppressIfgroup));
  if (r.tunnelId !== undefined && BigInt(r.tunnelId) !== 0n) {
    const t = BigInt(r.tunnelId);
    m.gauge(o(28), Number(t >> 32n));
    m.gauge(o(29), Number(t & 0xffffffffn));
  }
  if (r.uidRange) {
    m.gauge(o(30), r.uidRange.start);
    m.gauge(o(31), r.uidRange.end);
  }
  if (r.l3mdev) m.int(o(32), 1);
}

/** vrrpRouteTable, vrrpRuleTable and vrrpRouteNextHopTable. */
export function vrrpRouteRows(src: MibSource, m: MibBuilder): void {
  for (const w of owners(src, src.config.staticRoutes, (ic) => ic.virtualRoutes))
    w.entries.forEach((r, k) => {
      routeRow(src, m, r, [w.index, k + 1], w.set);
      (r.nexthops ?? []).forEach((nh, n) => nexthopRow(src, m, nh, [w.index, k + 1, n + 1]));
    });
  for (const w of owners(src, src.config.staticRules, (ic) => ic.virtualRules))
    w.entries.forEach((r, k) => ruleRow(src.host, m, r, [w.index, k + 1], w.set));
}
