/**
 * Carrier news between the kernel and the VRRP router, as keepalived 2.2.7 filters it:
 * - `interface_up_down_delays` (keepalived_netlink.c update_interface_flags): a change of an interface's up state
 *   (IFF_UP and IFF_RUNNING) is held for the interface's down or up delay and dropped if the flags return to what
 *   they were before it fires; the first time an interface is seen up counts at once.
 * - `linkbeat_interfaces` / `linkbeat_use_polling` (vrrp_if.c if_linkbeat_refresh_thread): the interface's state is
 *   polled every second and netlink's up/down news for it is ignored. keepalived polls MII registers, ethtool or
 *   SIOCGIFFLAGS; keepalived-ts asks rtnetlink for the link (RTM_GETLINK) and reads IFF_UP and carrier from it — the
 *   same carrier the driver reports, through the interface the rest of the runtime uses. Polled changes are not
 *   delayed (keepalived's polling thread bypasses the debounce too).
 */
import type { Logger } from '../../core/log.js';
import type { LinkInfo } from '../../net/netlink/route-messages.js';

/** keepalived's POLLING_DELAY (vrrp_if.h): one second. */
export const LINKBEAT_POLL_MS = 1000;

/** Up and down delays (ms) of one interface. */
export interface LinkDelays {
  readonly downMs: number;
  readonly upMs: number;
}

/** What LinkWatch needs from the runtime. */
export interface LinkWatchDeps {
  readonly log: Logger;
  /** RTM_GETLINK by name; undefined when the interface does not exist. */
  readonly poll: (name: string) => Promise<LinkInfo | undefined>;
  /** A state change that passed the filters, with the word keepalived logs it with ("Netlink" or "Linkbeat"). */
  readonly deliver: (link: LinkInfo, via: 'Netlink' | 'Linkbeat') => void;
}

interface Pending {
  link: LinkInfo;
  timer: NodeJS.Timeout;
}

/** Filters link news per interface (debounce, polling). */
export class LinkWatch {
  private delays = new Map<string, LinkDelays>();
  private readonly polled = new Map<string, { timer: NodeJS.Timeout | undefined; up: boolean | undefined }>();
  /** Per interface: the flags last passed on and whether it has been seen up. */
  private readonly seen = new Map<string, { flags: number; up: boolean; seenUp: boolean }>();
  private readonly pending = new Map<string, Pending>();
  private stopped = false;

  constructor(private readonly deps: LinkWatchDeps) {}

  /** Sets the delays and the polled interfaces (start, reload). Polling starts at once for new names. */
  configure(delays: ReadonlyMap<string, LinkDelays>, polled: ReadonlySet<string>): void {
    this.delays = new Map(delays);
    for (const [name, p] of this.polled) {
      if (polled.has(name)) continue;
      if (p.timer) clearTimeout(p.timer);
      this.polled.delete(name);
    }
    for (const name of polled) {
      if (this.polled.has(name)) continue;
      this.polled.set(name, { timer: undefined, up: undefined });
      void this.pollOnce(name);
    }
    if (polled.size) this.deps.log.log({ level: 'info', text: 'Using MII-BMSR/ETHTOOL NIC polling thread(s)...' });
  }

  /** Whether `name` is polled (its netlink up/down news is ignored). */
  isPolled(name: string): boolean {
    return this.polled.has(name);
  }

  /** What the start-up dump said: the state to compare news with (no delivery). */
  known(link: LinkInfo): void {
    this.seen.set(link.name, { flags: link.flags, up: link.up, seenUp: link.up });
  }

  /** A link message from netlink (new or changed link; deletion is `gone`). */
  netlink(link: LinkInfo): void {
    if (this.stopped || this.polled.has(link.name)) return;
    const s = this.seen.get(link.name);
    const p = this.pending.get(link.name);
    if (s && link.flags === s.flags) {
      // back to what it was before the pending change: drop it silently (keepalived does not log this case)
      if (p) this.cancel(link.name);
      return;
    }
    if (p) {
      if (p.link.up === link.up) {
        p.link = link; // same direction as the pending change: it fires with the newest flags
        return;
      }
      this.cancel(link.name);
      this.deps.log.log({ level: 'info', text: `Delay timer for ${link.name} cancelled` });
    }
    if (s && s.up === link.up) {
      s.flags = link.flags;
      return;
    }
    const d = this.delays.get(link.name);
    const delay = d ? (link.up ? d.upMs : d.downMs) : 0;
    if (s?.seenUp && delay > 0) {
      this.deps.log.log({
        level: 'info',
        text: `${link.name}: Adding flags change from 0x${s.flags.toString(16)} to 0x${link.flags.toString(16)} delay by ${Math.round(delay * 1000)}`,
      });
      const pend: Pending = {
        link,
        timer: setTimeout(() => {
          this.pending.delete(link.name);
          this.pass(pend.link, 'Netlink');
        }, delay),
      };
      this.pending.set(link.name, pend);
      return;
    }
    this.pass(link, 'Netlink');
  }

  /** An interface was deleted: a pending change is dropped, the next one with its name is news. */
  gone(name: string): void {
    this.cancel(name);
    this.seen.delete(name);
  }

  /** Stops every timer. */
  stop(): void {
    this.stopped = true;
    for (const name of [...this.pending.keys()]) this.cancel(name);
    for (const p of this.polled.values()) if (p.timer) clearTimeout(p.timer);
    this.polled.clear();
  }

  private cancel(name: string): void {
    const p = this.pending.get(name);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(name);
  }

  private pass(link: LinkInfo, via: 'Netlink' | 'Linkbeat'): void {
    const s = this.seen.get(link.name);
    this.seen.set(link.name, { flags: link.flags, up: link.up, seenUp: (s?.seenUp ?? false) || link.up });
    this.deps.deliver(link, via);
  }

  private async pollOnce(name: string): Promise<void> {
    const link = await this.deps.poll(name).catch(() => undefined);
    const p = this.polled.get(name);
    if (this.stopped || !p) return;
    const up = link?.up ?? false;
    if (p.up !== undefined && up !== p.up) {
      this.deps.log.log({ level: 'info', text: `Linkbeat reports ${name} ${up ? 'up' : 'down'}` });
      if (link) this.pass(link, 'Linkbeat');
      else this.deps.deliver({ index: 0, name, flags: 0, up: false }, 'Linkbeat');
    } else if (link && p.up === undefined) this.seen.set(name, { flags: link.flags, up, seenUp: up });
    p.up = up;
    p.timer = setTimeout(() => void this.pollOnce(name), LINKBEAT_POLL_MS);
  }
}

/**
 * The delays to use per interface: `interface_up_down_delays`, each clamped as keepalived's check_debounce_timers
 * does for every instance on the interface (a delay of (down_timer_adverts − 1) × advert_int or more becomes that
 * less advert_int/256; with down_timer_adverts 1 no delay at all), with keepalived's log lines.
 */
export function effectiveDelays(
  configured: readonly { readonly name: string; readonly downMs: number; readonly upMs: number }[],
  instances: readonly { readonly name: string; readonly interface?: string; readonly advertIntervalMs: number; readonly downTimerAdverts: number }[],
  log: Logger,
): Map<string, LinkDelays> {
  const out = new Map<string, { downMs: number; upMs: number }>();
  for (const c of configured) out.set(c.name, { downMs: c.downMs, upMs: c.upMs });
  for (const i of instances) {
    const d = i.interface !== undefined ? out.get(i.interface) : undefined;
    if (!d || (!d.downMs && !d.upMs)) continue;
    if (i.downTimerAdverts === 1) {
      log.log({ level: 'info', text: `${i.name}: cannot use debounce timers with down_timer_adverts = 1 - resetting` });
      d.downMs = d.upMs = 0;
      continue;
    }
    const limit = (i.downTimerAdverts - 1) * i.advertIntervalMs;
    if (d.upMs < limit && d.downMs < limit) continue;
    if (d.upMs >= limit) d.upMs = limit - i.advertIntervalMs / 256;
    if (d.downMs >= limit) d.downMs = limit - i.advertIntervalMs / 256;
    log.log({
      level: 'info',
      text: `${i.name}: interface ${i.interface} debounce timer(s) not less that ${i.downTimerAdverts - 1} * advert_int - resetting`,
    });
  }
  return out;
}
