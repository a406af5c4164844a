/**
 * Kernel state the runtime writes over rtnetlink — VIPs, virtual and static routes, rules and static addresses —
 * applied strictly in order through one queue (GARPs wait for it), with keepalived's tolerance: an address or
 * route that is already there (or already gone) is not an error.
 */
import type { Logger } from '../../core/log.js';
import type { KeepalivedConfig, RouteConfig, RuleConfig, VirtualAddress } from '../../config/model.js';
import type { LinkInfo } from '../../net/netlink/route-messages.js';
import { RtnlError, type Rtnl } from '../../net/netlink/rtnl.js';
import { addressSpec, routeSpec, ruleSpec } from './routes.js';
import { publish } from '../../core/events.js';

/** Serialised netlink writes of one runtime. */
export class KernelWriter {
  private pending: Promise<unknown> = Promise.resolve();

  /** @param links interfaces by name, kept current by the runtime */
  constructor(
    private readonly rtnl: Rtnl,
    private readonly log: Logger,
    private readonly links: ReadonlyMap<string, LinkInfo>,
  ) {}

  /** Resolves when everything queued so far is done. */
  get idle(): Promise<unknown> {
    return this.pending;
  }

  /**
   * Queues one netlink change behind the others. `benign` error codes (EEXIST on add, ESRCH/EADDRNOTAVAIL on
   * delete) are not reported; others are logged with `what`.
   */
  queue(what: string, op: (rtnl: Rtnl) => Promise<void>, benign: readonly string[]): Promise<unknown> {
    const rtnl = this.rtnl;
    this.pending = this.pending.then(() =>
      op(rtnl).catch((e: unknown) => {
        if (e instanceof RtnlError && benign.includes(e.code)) return;
        this.log.log({ level: 'err', text: `${what}: ${String(e)}` });
        publish('keepalived-ts:netlink:error', { what, code: e instanceof RtnlError ? e.code : 'ERROR', message: String(e), at: Date.now() });
      }),
    );
    return this.pending;
  }

  /** Adds or deletes an address (a VIP or a static address) on `ifindex`. */
  address(v: VirtualAddress, ifindex: number, add: boolean, who: string): Promise<unknown> {
    const spec = addressSpec(v, ifindex);
    return this.queue(
      `${who} cannot ${add ? 'add' : 'remove'} ${who === 'static' ? 'static address' : 'VIP'} ${v.address}`,
      (r) => (add ? r.addAddress(spec) : r.deleteAddress(spec)),
      add ? ['EEXIST'] : ['EADDRNOTAVAIL'],
    );
  }

  /** Adds or deletes routes and rules (rules after routes on add, before them on delete). */
  routes(routes: readonly RouteConfig[], rules: readonly RuleConfig[], add: boolean, who: string): void {
    const ifindexOf = (n: string) => this.links.get(n)?.index;
    const doRoutes = () => {
      for (const rc of routes) {
        const spec = routeSpec(rc, ifindexOf);
        if (!spec) {
          this.log.log({ level: 'err', text: `${who} route ${rc.destination}/${rc.prefixLength}: interface ${rc.dev ?? ''} doesn't exist` });
          continue;
        }
        void this.queue(
          `${who} cannot ${add ? 'add' : 'remove'} route ${rc.destination}/${rc.prefixLength}`,
          (r) => (add ? r.addRoute(spec) : r.deleteRoute(spec)),
          add ? ['EEXIST'] : ['ESRCH', 'ENOENT'],
        );
      }
    };
    const doRules = () => {
      for (const rc of rules) {
        const spec = ruleSpec(rc);
        void this.queue(
          `${who} cannot ${add ? 'add' : 'remove'} rule`,
          (r) => (add ? r.addRule(spec) : r.deleteRule(spec)),
          add ? ['EEXIST'] : ['ENOENT', 'ESRCH'],
        );
      }
    };
    if (add) {
      doRoutes();
      doRules();
    } else {
      doRules();
      doRoutes();
    }
  }

  /** static_ipaddress / static_routes / static_rules: set at start, cleared at stop (as keepalived). */
  staticEntries(cfg: KeepalivedConfig, add: boolean): void {
    if (!add) this.routes(cfg.staticRoutes, cfg.staticRules, false, 'static');
    for (const v of cfg.staticIpaddress) {
      const link = v.dev !== undefined ? this.links.get(v.dev) : undefined;
      if (!link) {
        this.log.log({ level: 'err', text: `static_ipaddress ${v.address}: interface ${v.dev ?? ''} doesn't exist` });
        continue;
      }
      void this.address(v, link.index, add, 'static');
    }
    if (add) this.routes(cfg.staticRoutes, cfg.staticRules, true, 'static');
  }
}
