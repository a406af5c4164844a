/**
 * The announcement state machine (sans-IO): given the routes that should be announced, it returns the actions
 * that make the engine match, with the graceful-shutdown step of RFC 8326 — a route that is to be withdrawn on
 * purpose is first re-announced with GRACEFUL_SHUTDOWN (65535:0) and withdrawn `gracefulShutdownMs` later, so the
 * peers move traffic away before the path disappears. A route wanted again during that delay is re-announced
 * plainly. Time comes in as arguments; `nextDeadline` says when `tick` is due.
 */
import type { AnnouncedRoute } from './plan.js';

/** What the driver does. */
export type AnnounceAction =
  | { readonly kind: 'announce'; readonly route: AnnouncedRoute; readonly gracefulShutdown: boolean }
  | { readonly kind: 'withdraw'; readonly route: AnnouncedRoute };

/** A route's state. */
export type RouteState = 'announced' | 'draining';

/** One route the engine holds. */
interface Held {
  route: AnnouncedRoute;
  state: RouteState;
  /** When a draining route is withdrawn (ms, the injected clock). */
  withdrawAt: number;
}

/** The announcer. */
export class Announcer {
  private readonly held = new Map<string, Held>();

  /** @param gracefulShutdownMs 0 = withdraw at once */
  constructor(private readonly gracefulShutdownMs: number) {}

  /** Brings the held routes towards `wanted`; returns the actions, withdrawals first. */
  update(wanted: ReadonlyMap<string, AnnouncedRoute>, now: number): AnnounceAction[] {
    const out: AnnounceAction[] = [];
    for (const [prefix, h] of this.held) {
      if (wanted.has(prefix) || h.state === 'draining') continue;
      out.push(...this.retire(prefix, h, now));
    }
    for (const [prefix, route] of wanted) {
      const h = this.held.get(prefix);
      if (h && h.state === 'announced' && sameRoute(h.route, route)) continue;
      this.held.set(prefix, { route, state: 'announced', withdrawAt: 0 });
      out.push({ kind: 'announce', route, gracefulShutdown: false });
    }
    return out;
  }

  /** A planned stop: every route is retired (graceful shutdown first when configured). */
  stop(now: number): AnnounceAction[] {
    return this.update(new Map(), now);
  }

  /** Withdraws the draining routes whose delay has passed. */
  tick(now: number): AnnounceAction[] {
    const out: AnnounceAction[] = [];
    for (const [prefix, h] of this.held) {
      if (h.state !== 'draining' || h.withdrawAt > now) continue;
      this.held.delete(prefix);
      out.push({ kind: 'withdraw', route: h.route });
    }
    return out;
  }

  /** When `tick` has work (ms), or undefined. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const h of this.held.values()) if (h.state === 'draining' && (next === undefined || h.withdrawAt < next)) next = h.withdrawAt;
    return next;
  }

  /** The actions that put every held route into a fresh engine again (after the engine restarted). */
  replay(): AnnounceAction[] {
    return [...this.held.values()].map((h) => ({ kind: 'announce', route: h.route, gracefulShutdown: h.state === 'draining' }));
  }

  /** The held routes and their states, for `status`. */
  routes(): { readonly route: AnnouncedRoute; readonly state: RouteState }[] {
    return [...this.held.values()].map((h) => ({ route: h.route, state: h.state }));
  }

  private retire(prefix: string, h: Held, now: number): AnnounceAction[] {
    if (this.gracefulShutdownMs <= 0) {
      this.held.delete(prefix);
      return [{ kind: 'withdraw', route: h.route }];
    }
    h.state = 'draining';
    h.withdrawAt = now + this.gracefulShutdownMs;
    return [{ kind: 'announce', route: h.route, gracefulShutdown: true }];
  }
}

/** Same prefix and attributes. */
function sameRoute(a: AnnouncedRoute, b: AnnouncedRoute): boolean {
  return (
    a.prefix === b.prefix && a.med === b.med && a.communities.length === b.communities.length && a.communities.every((c, i) => c === b.communities[i])
  );
}
