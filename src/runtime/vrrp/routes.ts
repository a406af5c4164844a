/**
 * Configuration routes, rules and static addresses → rtnetlink request specs (pure). Interfaces are resolved by
 * name through `ifindexOf`; an entry whose interface does not exist yields undefined (and is reported by the
 * caller), as keepalived skips it.
 */
import type { RouteConfig, RuleConfig, VirtualAddress } from '../../config/model.js';
import { RTAX, RTN, type AddressSpec, type RouteSpec, type RuleSpec } from '../../net/netlink/route-messages.js';

/** Looks an interface index up by name. */
export type IfindexOf = (name: string) => number | undefined;

const ROUTE_TYPE: Readonly<Record<string, number>> = { ...RTN, broadcast: 3, anycast: 4, multicast: 5, nat: 10, xresolve: 11 };

/** The numeric metrics in the order keepalived's netlink_route emits them. */
const METRIC_ORDER: readonly (readonly [keyof NonNullable<RouteConfig['metrics']>, number])[] = [
  ['rtt', RTAX.RTT],
  ['rttvar', RTAX.RTTVAR],
  ['rtoMin', RTAX.RTO_MIN],
  ['features', RTAX.FEATURES],
  ['mtu', RTAX.MTU],
  ['window', RTAX.WINDOW],
  ['ssthresh', RTAX.SSTHRESH],
  ['cwnd', RTAX.CWND],
  ['advmss', RTAX.ADVMSS],
  ['reordering', RTAX.REORDERING],
  ['hoplimit', RTAX.HOPLIMIT],
  ['initcwnd', RTAX.INITCWND],
  ['initrwnd', RTAX.INITRWND],
  ['quickack', RTAX.QUICKACK],
  ['fastopenNoCookie', RTAX.FASTOPEN_NO_COOKIE],
];

/** RTA_METRICS of a route, as keepalived builds it. */
function metricsSpec(m: NonNullable<RouteConfig['metrics']>): NonNullable<RouteSpec['metrics']> {
  const values: [number, number][] = [];
  for (const [k, id] of METRIC_ORDER) {
    const v = m[k];
    if (typeof v === 'number') values.push([id, v]);
  }
  return { values, ...(m.congctl !== undefined ? { congctl: m.congctl } : {}), ...(m.lock ? { lock: m.lock } : {}) };
}

/** ip(8) address scopes by name. */
const ADDRESS_SCOPE: Readonly<Record<string, number>> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** A route's request spec, or undefined when its `dev` (or a next hop's) does not exist. */
export function routeSpec(r: RouteConfig, ifindexOf: IfindexOf): RouteSpec | undefined {
  const ifindex = r.dev !== undefined ? ifindexOf(r.dev) : undefined;
  if (r.dev !== undefined && ifindex === undefined) return undefined;
  const nexthops: NonNullable<RouteSpec['nexthops']>[number][] = [];
  for (const nh of r.nexthops ?? []) {
    const nhIndex = nh.dev !== undefined ? ifindexOf(nh.dev) : undefined;
    if (nh.dev !== undefined && nhIndex === undefined) return undefined;
    nexthops.push({
      ...(nh.gateway ? { gateway: nh.gateway } : {}),
      ...(nhIndex !== undefined ? { ifindex: nhIndex } : {}),
      ...(nh.weight !== undefined ? { weight: nh.weight } : {}),
      ...(nh.onlink ? { onlink: true } : {}),
      ...(nh.realms ? { realms: nh.realms } : {}),
    });
  }
  return {
    ...(r.from ? { from: r.from } : {}),
    ...(r.tos !== undefined ? { tos: r.tos } : {}),
    ...(r.onlink ? { onlink: true } : {}),
    ...(r.realms ? { realms: r.realms } : {}),
    ...(r.expires !== undefined ? { expires: r.expires } : {}),
    ...(r.pref !== undefined ? { pref: r.pref } : {}),
    ...(r.ttlPropagate !== undefined ? { ttlPropagate: r.ttlPropagate } : {}),
    ...(r.metrics ? { metrics: metricsSpec(r.metrics) } : {}),
    ...(nexthops.length ? { nexthops } : {}),
    ...(r.mode ? { mode: r.mode } : {}),
    family: r.family,
    destination: r.destination,
    prefixLength: r.prefixLength,
    table: r.table,
    ...(r.gateway ? { gateway: r.gateway } : {}),
    ...(ifindex !== undefined ? { ifindex } : {}),
    ...(r.source ? { source: r.source } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
    ...(r.scope !== undefined ? { scope: r.scope } : {}),
    ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
    ...(r.type ? { type: ROUTE_TYPE[r.type] ?? RTN.unicast } : {}),
  };
}

/** A rule's request spec. */
export function ruleSpec(r: RuleConfig): RuleSpec {
  return {
    family: r.family,
    ...(r.from ? { from: r.from } : {}),
    ...(r.to ? { to: r.to } : {}),
    ...(r.table !== undefined ? { table: r.table } : {}),
    ...(r.priority !== undefined ? { priority: r.priority } : {}),
    ...(r.fwmark !== undefined ? { fwmark: r.fwmark } : {}),
    ...(r.fwmask !== undefined ? { fwmask: r.fwmask } : {}),
    action: r.action,
    ...(r.invert ? { invert: true } : {}),
    ...(r.gotoTarget !== undefined ? { gotoTarget: r.gotoTarget } : {}),
    ...(r.tos !== undefined ? { tos: r.tos } : {}),
    ...(r.realms ? { realms: r.realms } : {}),
    ...(r.suppressPrefixLength !== undefined ? { suppressPrefixLength: r.suppressPrefixLength } : {}),
    ...(r.suppressIfgroup !== undefined ? { suppressIfgroup: r.suppressIfgroup } : {}),
    ...(r.iif ? { iifName: r.iif } : {}),
    ...(r.oif ? { oifName: r.oif } : {}),
    ...(r.tunnelId !== undefined ? { tunnelId: r.tunnelId } : {}),
    ...(r.uidRange ? { uidRange: r.uidRange } : {}),
    ...(r.l3mdev ? { l3mdev: true } : {}),
    ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
    ...(r.ipProto !== undefined ? { ipProto: r.ipProto } : {}),
    ...(r.sport ? { sport: r.sport } : {}),
    ...(r.dport ? { dport: r.dport } : {}),
  };
}

/** An address's request spec on `ifindex` (IPv6 without DAD; /128 deprecated at once, as keepalived's VIPs). */
export function addressSpec(v: VirtualAddress, ifindex: number): AddressSpec {
  return {
    family: v.family,
    ifindex,
    address: v.address,
    prefixLength: v.prefixLength,
    ...(v.broadcast ? { broadcast: v.broadcast } : {}),
    ...(v.peer ? { peer: v.peer } : {}),
    ...(v.label ? { label: v.label } : {}),
    ...(v.scope !== undefined && ADDRESS_SCOPE[v.scope] !== undefined ? { scope: ADDRESS_SCOPE[v.scope] } : {}),
    nodad: v.family === 6,
    ...(v.family === 6 && v.prefixLength === 128 ? { preferredLifetime: 0 } : {}),
  };
}
