/**
 * What the supervisor removes when the VRRP child dies: the VIPs and eVIPs, virtual routes and virtual rules the
 * configuration gives the instances (never static_* entries, never an address owner's addresses), over
 * rtnetlink, all requests in flight at once. keepalived's new VRRP child does this at start-up
 * (`vrrp_restore_interfaces_startup`); the parent does it the moment the child is gone, so a crashed master stops
 * answering for its VIPs while the backup takes over.
 */
import type { KeepalivedConfig, RouteConfig, RuleConfig, VirtualAddress, VrrpInstanceConfig } from '../config/model.js';
import { compareAddresses } from '../core/inet/index.js';
import type { Logger } from '../core/log.js';
import { vmacName } from '../net/vmac.js';
import type { LinkInfo } from '../net/netlink/route-messages.js';
import type { Rtnl } from '../net/netlink/rtnl.js';
import { addressSpec, routeSpec, ruleSpec } from '../runtime/vrrp/routes.js';
import type { VrrpReleaser } from './supervisor.js';

/** The interfaces an instance's VIPs may live on: its interface and its VMAC (the address's own `dev` aside). */
function instanceLinks(ic: VrrpInstanceConfig, byName: ReadonlyMap<string, LinkInfo>): Set<number> {
  const names = [ic.interface, ic.useVmac ? vmacName(ic.virtualRouterId, ic.useVmac.name) : undefined];
  return new Set(names.flatMap((n) => (n !== undefined && byName.get(n) ? [byName.get(n)!.index] : [])));
}

/** Same route or rule, positions aside. */
function sameEntry(a: RouteConfig | RuleConfig, b: RouteConfig | RuleConfig): boolean {
  const strip = (x: RouteConfig | RuleConfig) => JSON.stringify({ ...x, pos: undefined });
  return strip(a) === strip(b);
}

/** One prepared netlink delete. */
interface Removal {
  readonly what: string;
  readonly run: (r: Rtnl) => Promise<void>;
}

/**
 * The deletes for `configs` with the interfaces known now: each VIP on every interface it may live on (its `dev`,
 * else the instance's interface and its VMAC), then the virtual rules and routes. A VIP that is not there fails with
 * EADDRNOTAVAIL, which is not an error here.
 */
export function plannedRemovals(configs: readonly KeepalivedConfig[], links: readonly LinkInfo[]): Removal[] {
  const byName = new Map(links.map((l) => [l.name, l]));
  const out: Removal[] = [];
  const seen = new Set<string>();
  for (const cfg of configs) {
    const isStatic = (v: VirtualAddress) =>
      cfg.staticIpaddress.some((x) => x.prefixLength === v.prefixLength && compareAddresses(x.address, v.address) === 0);
    for (const ic of cfg.vrrpInstances) {
      if (ic.priority === 255) continue; // an address owner's VIPs are the interface's own addresses
      const own = instanceLinks(ic, byName);
      for (const v of [...ic.virtualIpaddress, ...ic.virtualIpaddressExcluded]) {
        if (isStatic(v)) continue;
        // a VIP with `dev` lives there only (as the runtime places it); else on the instance's interface or VMAC
        const dev = v.dev !== undefined ? byName.get(v.dev)?.index : undefined;
        for (const ifindex of v.dev !== undefined ? (dev !== undefined ? [dev] : []) : [...own]) {
          const key = `${ifindex} ${v.address}/${v.prefixLength}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ what: `VIP ${v.address}`, run: (r) => r.deleteAddress(addressSpec(v, ifindex)) });
        }
      }
      for (const rc of ic.virtualRules) {
        if (cfg.staticRules.some((x) => sameEntry(x, rc))) continue;
        out.push({ what: 'virtual rule', run: (r) => r.deleteRule(ruleSpec(rc)) });
      }
      for (const rc of ic.virtualRoutes) {
        const spec = routeSpec(rc, (n) => byName.get(n)?.index);
        if (!spec || cfg.staticRoutes.some((x) => sameEntry(x, rc))) continue;
        out.push({ what: `virtual route ${rc.destination}/${rc.prefixLength}`, run: (r) => r.deleteRoute(spec) });
      }
    }
  }
  return out;
}

/**
 * A releaser over an rtnetlink client (opened by the caller ahead of time). `prepare` reads the interfaces and
 * plans the deletes while the child runs, so a death costs one round of requests, all in flight at once; without
 * a plan for the configurations asked (or when an interface has gone), the interfaces are read first. Failures
 * other than "already gone" are logged; it never rejects.
 */
export function rtnlReleaser(open: () => Rtnl | undefined, log: Logger): VrrpReleaser {
  const gone = new Set(['EADDRNOTAVAIL', 'ESRCH', 'ENOENT']);
  let plan: { configs: readonly KeepalivedConfig[]; removals: Removal[] } | undefined;
  const fail = (e: unknown) => log.log({ level: 'err', text: `cannot release the VRRP child's addresses: ${(e as Error)?.message ?? String(e)}` });
  const plannedFor = async (r: Rtnl, configs: readonly KeepalivedConfig[]) => ({ configs, removals: plannedRemovals(configs, await r.listLinks()) });
  const same = (a: readonly KeepalivedConfig[], b: readonly KeepalivedConfig[]) => a.length === b.length && a.every((c, i) => c === b[i]);
  return {
    async prepare(configs) {
      const r = open();
      if (!r) return;
      try {
        plan = await plannedFor(r, configs);
      } catch (e) {
        fail(e);
      }
    },
    async release(configs) {
      const r = open();
      if (!r) return 0;
      try {
        const p = plan && same(plan.configs, configs) ? plan : await plannedFor(r, configs);
        let stale = false;
        const results = await Promise.all(
          p.removals.map((x) =>
            x.run(r).then(
              () => true,
              (e: { code?: string; message?: string }) => {
                if (e.code === 'ENODEV') stale = true;
                else if (!gone.has(e.code ?? '')) log.log({ level: 'err', text: `cannot remove ${x.what}: ${e.message ?? String(e)}` });
                return false;
              },
            ),
          ),
        );
        let n = results.filter(Boolean).length;
        if (stale && p === plan) {
          // an interface was re-created since the plan: read them again
          plan = undefined;
          n += await this.release(configs);
        }
        return n;
      } catch (e) {
        fail(e);
        return 0;
      }
    },
  };
}
