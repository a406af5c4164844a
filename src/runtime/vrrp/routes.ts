/**
 * Configuration routes, rules and static addresses → rtnetlink request specs (pure). Interfaces are resolved by
 * name through `ifindexOf`; an entry whose interface does not exist yields undefined (and is reported by the
 * caller), as keepalived skips it.
 */
import type { RouteConfig, RuleConfig, VirtualAddress } from '../../config/model.js';
import { RTN, type AddressSpec, type RouteSpec, type RuleSpec } from '../../net/netlink/route-messages.js';

/** Looks an interface index up by name. */
export type IfindexOf = (name: string) => number | undefined;

const ROUTE_TYPE: Readonly<Record<string, number>> = RTN;

/** ip(8) address scopes by name. */
const ADDRESS_SCOPE: Readonly<Record<string, number>> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** A route's request spec, or undefined when its `dev` does not exist. */
export function routeSpec(r: RouteConfig, ifindexOf: IfindexOf): RouteSpec | undefined {
  const ifindex = r.dev !== undefined ? ifindexOf(r.dev) : undefined;
  if (r.dev !== undefined && ifindex === undefined) return undefined;
  return {
    family: r.family, destination: r.destination, prefixLength: r.prefixLength, table: r.table,
    ...(r.gateway ? { gateway: r.gateway } : {}), ...(ifindex !== undefined ? { ifindex } : {}), ...(r.source ? { source: r.source } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}), ...(r.scope !== undefined ? { scope: r.scope } : {}),
    ...(r.protocol !== undefined ? { protocol: r.protocol } : {}), ...(r.type ? { type: ROUTE_TYPE[r.type] ?? RTN.unicast } : {}),
  };
}

/** A rule's request spec. */
export function ruleSpec(r: RuleConfig): RuleSpec {
  return {
    family: r.family, ...(r.from ? { from: r.from } : {}), ...(r.to ? { to: r.to } : {}), ...(r.table !== undefined ? { table: r.table } : {}),
    ...(r.priority !== undefined ? { priority: r.priority } : {}), ...(r.fwmark !== undefined ? { fwmark: r.fwmark } : {}),
    ...(r.fwmask !== undefined ? { fwmask: r.fwmask } : {}),
  };
}

/** An address's request spec on `ifindex` (IPv6 without DAD; /128 deprecated at once, as keepalived's VIPs). */
export function addressSpec(v: VirtualAddress, ifindex: number): AddressSpec {
  return {
    family: v.family, ifindex, address: v.address, prefixLength: v.prefixLength,
    ...(v.broadcast ? { broadcast: v.broadcast } : {}), ...(v.peer ? { peer: v.peer } : {}), ...(v.label ? { label: v.label } : {}),
    ...(v.scope !== undefined && ADDRESS_SCOPE[v.scope] !== undefined ? { scope: ADDRESS_SCOPE[v.scope] } : {}),
    nodad: v.family === 6, ...(v.family === 6 && v.prefixLength === 128 ? { preferredLifetime: 0 } : {}),
  };
}
