/**
 * What to announce and when (sans-IO): the configuration turned into one entry per VIP host route, and the facts
 * (VRRP instance states, virtual-server quorum) turned into the set of routes that should be announced now.
 */
import type { AnnounceCondition } from '../config/model-bgp.js';

/** A host route to announce: a VIP's /32 or /128 and its BGP attributes. */
export interface AnnouncedRoute {
  /** `192.0.2.100/32`, `2001:db8::100/128`. */
  readonly prefix: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly med?: number;
  readonly communities: readonly number[];
}

/** One planned route: which instance holds its VIP and on what condition it is announced. */
export interface PlanEntry {
  readonly route: AnnouncedRoute;
  readonly instance: string;
  readonly when: AnnounceCondition;
  /** Names of the virtual servers on the VIP (their quorum counts for `quorum`/`master_quorum`). */
  readonly virtualServers: readonly string[];
}

/** What the other children report: VRRP states by instance name, quorum by virtual-server name. */
export interface AnnounceFacts {
  readonly instances: ReadonlyMap<string, string>;
  readonly quorum: ReadonlyMap<string, boolean>;
}

/** No facts yet (nothing is announced). */
export const NO_FACTS: AnnounceFacts = { instances: new Map(), quorum: new Map() };

/** Whether the entry's condition holds. Without a virtual server on the VIP, a quorum condition never holds. */
export function conditionHolds(e: PlanEntry, f: AnnounceFacts): boolean {
  const master = f.instances.get(e.instance) === 'MASTER';
  const quorum = e.virtualServers.length > 0 && e.virtualServers.every((vs) => f.quorum.get(vs) === true);
  return e.when === 'master' ? master : e.when === 'quorum' ? quorum : master && quorum;
}

/** The routes that should be announced now, by prefix (a prefix two entries share is announced when either holds). */
export function wantedRoutes(plan: readonly PlanEntry[], f: AnnounceFacts): Map<string, AnnouncedRoute> {
  const out = new Map<string, AnnouncedRoute>();
  for (const e of plan) if (conditionHolds(e, f) && !out.has(e.route.prefix)) out.set(e.route.prefix, e.route);
  return out;
}
