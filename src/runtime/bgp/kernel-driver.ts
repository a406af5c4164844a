/**
 * Kernel-table mode: each announced VIP becomes a host route in a configurable table with a configurable protocol
 * number, for the host's own routing daemon (FRR `redistribute kernel`/`table N`, BIRD `kernel { learn; }`) to
 * announce; no API coupling. The route is a `blackhole` (default: never used for forwarding — the VIP itself is
 * delivered by the `local` table, which the kernel consults first) or a unicast route `dev lo` (`route_type lo`,
 * for daemons that ignore blackholes). Graceful shutdown does not apply: the route goes when the condition ends.
 *
 * At start, host routes with our protocol number in our table are removed: they were left by an earlier run that
 * did not stop (SIGKILL, power loss), and nothing is wanted before the VRRP child reports MASTER again; the ones
 * that are wanted then are installed afresh (never twice: an existing route answers EEXIST).
 */
import type { AnnounceAction } from '../../bgp/announcer.js';
import type { Logger } from '../../core/log.js';
import type { BgpAnnounceConfig } from '../../config/model-bgp.js';
import { RTN, SCOPE, type RouteInfo, type RouteSpec } from '../../net/netlink/route-messages.js';
import { RtnlError, type Rtnl } from '../../net/netlink/rtnl.js';
import type { AnnounceDriver, BgpSessionInfo } from './driver.js';
import type { AnnouncedRoute } from '../../bgp/plan.js';

/** The loopback's interface index (always 1 in a network namespace). */
const LO_IFINDEX = 1;

/** The kernel route for an announced VIP. */
export function kernelRoute(r: AnnouncedRoute, b: Pick<BgpAnnounceConfig, 'table' | 'proto' | 'routeType'>): RouteSpec {
  const base = { family: r.family, destination: r.address, prefixLength: r.family === 4 ? 32 : 128, table: b.table, protocol: b.proto };
  return b.routeType === 'blackhole'
    ? { ...base, type: RTN.blackhole, scope: SCOPE.global }
    : { ...base, type: RTN.unicast, scope: SCOPE.link, ifindex: LO_IFINDEX };
}

/** The kernel-table driver. */
export class KernelDriver implements AnnounceDriver {
  readonly engine = 'kernel';
  onReconnect: () => void = () => {};

  constructor(
    private readonly rtnl: Rtnl,
    private readonly settings: BgpAnnounceConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { table, proto } = this.settings;
    for (const family of [4, 6] as const) {
      let routes: RouteInfo[];
      try {
        routes = await this.rtnl.listRoutes(family);
      } catch (e) {
        this.log.log({ level: 'err', text: `BGP: cannot read table ${table}: ${(e as Error).message}` });
        continue;
      }
      for (const r of routes) {
        if (r.table !== table || r.protocol !== proto || r.prefixLength !== (family === 4 ? 32 : 128)) continue;
        const spec: RouteSpec = {
          family,
          destination: r.destination,
          prefixLength: r.prefixLength,
          table,
          protocol: proto,
          type: r.type,
          scope: r.scope,
        };
        try {
          await this.rtnl.deleteRoute(r.ifindex !== undefined ? { ...spec, ifindex: r.ifindex } : spec);
          this.log.log({
            level: 'info',
            text: `BGP: removed ${r.destination}/${r.prefixLength} from table ${table} proto ${proto}, left by an earlier run`,
          });
        } catch (e) {
          if (!(e instanceof RtnlError && e.code === 'ESRCH'))
            this.log.log({
              level: 'err',
              text: `BGP: cannot remove ${r.destination}/${r.prefixLength} from table ${table}: ${(e as Error).message}`,
            });
        }
      }
    }
  }

  async apply(a: AnnounceAction): Promise<void> {
    const spec = kernelRoute(a.route, this.settings);
    try {
      if (a.kind === 'announce') await this.rtnl.addRoute(spec);
      else await this.rtnl.deleteRoute(spec);
      this.log.log({
        level: 'info',
        text: `BGP: ${a.kind === 'announce' ? 'installed' : 'removed'} ${a.route.prefix} in table ${this.settings.table} proto ${this.settings.proto}`,
      });
    } catch (e) {
      // a route already there (announce) or already gone (withdraw) is what we wanted
      if (e instanceof RtnlError && ((a.kind === 'announce' && e.code === 'EEXIST') || (a.kind === 'withdraw' && e.code === 'ESRCH'))) return;
      this.log.log({ level: 'err', text: `BGP: ${a.kind} ${a.route.prefix} in table ${this.settings.table} failed: ${(e as Error).message}` });
    }
  }

  async sessions(): Promise<readonly BgpSessionInfo[]> {
    return [];
  }

  connected(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.rtnl.close();
  }
}
