/**
 * "The collector sees the route exactly while the VIP is held", checked at the edges: polls that sample the route
 * first and the VIP second, so a violation they report is certain (the VIP only comes up while waiting for an
 * announcement and only goes while waiting for a withdrawal).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Topology } from '../harness/topology.js';

/** Result of an edge wait: `ms` until the route changed (-1: it did not within the limit); `early`: the VIP disagreed. */
export interface Edge {
  ms: number;
  early: boolean;
}

async function edge(route: () => boolean, held: () => boolean, want: boolean, ms: number): Promise<Edge> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (route() === want) return { ms: Date.now() - t0, early: held() !== want };
    await sleep(20);
  }
  return { ms: -1, early: false };
}

/** Waits for the route to appear; `early` when the VIP was not yet held after it had (announced before MASTER). */
export function announcedWhileHeld(route: () => boolean, held: () => boolean, ms: number): Promise<Edge> {
  return edge(route, held, true, ms);
}

/** Waits for the route to go; `early` when the VIP was still held after it had gone (withdrawn while MASTER). */
export function withdrawnOnceReleased(route: () => boolean, held: () => boolean, ms: number): Promise<Edge> {
  return edge(route, held, false, ms);
}

/** Whether `host` has `addr` (no prefix length) on `dev`. */
export function holds(topo: Topology, host: string, addr: string, dev = 'lo'): boolean {
  try {
    return topo.exec(host, ['ip', 'addr', 'show', 'dev', dev]).includes(` ${addr}/`);
  } catch {
    return false;
  }
}
