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
import type { AddressInfo, LinkInfo } from '../net/netlink/route-messages.js';
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

/** Where each configured VIP is present right now: [address config, ifindex] pairs, deduplicated. */
export function vipsPresent(configs: readonly KeepalivedConfig[], links: readonly LinkInfo[], addrs: readonly AddressInfo[]): [VirtualAddress, number][] {
  const byName = new Map(links.map((l) => [l.name, l]));
  const found: [VirtualAddress, number][] = [];
  const seen = new Set<string>();
  for (const cfg of configs) {
    const isStatic = (v: VirtualAddress) => cfg.staticIpaddress.some((s) => s.prefixLength === v.prefixLength && compareAddresses(s.address, v.address) === 0);
    for (const ic of cfg.vrrpInstances) {
      if (ic.priority === 255) continue; // an address owner's VIPs are the interface's own addresses
      const own = instanceLinks(ic, byName);
      for (const v of [...ic.virtualIpaddress, ...ic.virtualIpaddressExcluded]) {
        if (isStatic(v)) continue;
        const dev = v.dev !== undefined ? byName.get(v.dev)?.index : undefined;
        for (const a of addrs) {
          if (a.family !== v.family || a.prefixLength !== v.prefixLength || compareAddresses(a.address, v.address) !== 0) continue;
          if (a.ifindex !== dev && !own.has(a.ifindex)) continue;
          const key = `${a.ifindex} ${a.address}/${a.prefixLength}`;
          if (seen.has(key)) continue;
          seen.add(key);
          found.push([v, a.ifindex]);
        }
      }
    }
  }
  return found;
}

/**
 * A releaser over an rtnetlink client (opened on first use, kept). Failures other than "already gone" are
 * logged; it never rejects.
 */
export function rtnlReleaser(open: () => Rtnl, log: Logger): VrrpReleaser {
  let rtnl: Rtnl | undefined;
  const gone = new Set(['EADDRNOTAVAIL', 'ESRCH', 'ENOENT', 'ENODEV']);
  return async (configs) => {
    try {
      rtnl ??= open();
      const r = rtnl;
      const [links, addrs] = await Promise.all([r.listLinks(), r.listAddresses()]);
      const byName = new Map(links.map((l) => [l.name, l]));
      const done = (what: string) => (p: Promise<void>) => p.then(() => true, (e: { code?: string; message?: string }) => {
        if (!gone.has(e.code ?? '')) log.log({ level: 'err', text: `cannot remove ${what}: ${e.message ?? String(e)}` });
        return false;
      });
      const ops: Promise<boolean>[] = vipsPresent(configs, links, addrs)
        .map(([v, ifindex]) => done(`VIP ${v.address}`)(r.deleteAddress(addressSpec(v, ifindex))));
      for (const cfg of configs) {
        for (const ic of cfg.vrrpInstances) {
          for (const rc of ic.virtualRules) {
            if (cfg.staticRules.some((s) => sameEntry(s, rc))) continue;
            ops.push(done('virtual rule')(r.deleteRule(ruleSpec(rc))));
          }
          for (const rc of ic.virtualRoutes) {
            const spec = routeSpec(rc, (n) => byName.get(n)?.index);
            if (!spec || cfg.staticRoutes.some((s) => sameEntry(s, rc))) continue;
            ops.push(done(`virtual route ${rc.destination}/${rc.prefixLength}`)(r.deleteRoute(spec)));
          }
        }
      }
      return (await Promise.all(ops)).filter(Boolean).length;
    } catch (e) {
      log.log({ level: 'err', text: `cannot release the VRRP child's addresses: ${(e as Error)?.message ?? String(e)}` });
      return 0;
    }
  };
}
