/**
 * `use_vmac`: one macvlan per instance (MAC 00:00:5e:00:01:VRID, mode private) created over rtnetlink at start,
 * with keepalived's sysctls, and deleted at stop (keepalived 2.2.7 vrrp_vmac.c). The instance's socket, VIPs and
 * GARPs use the VMAC; IPv4 adverts keep the parent's primary address as source, IPv6 ones a link-local address
 * derived from the parent's MAC.
 */
import type { Logger } from '../../core/log.js';
import type { VirtualAddress, VrrpInstanceConfig } from '../../config/model.js';
import type { LinkInfo } from '../../net/netlink/route-messages.js';
import type { LinkDetails } from '../../net/netlink/link-messages.js';
import { RtnlError, type Rtnl } from '../../net/netlink/rtnl.js';
import {
  setIpv6,
  clearAllRpFilter,
  configureParentSysctls,
  configureVmacSysctls,
  restoreAllRpFilter,
  restoreParentSysctls,
  vmacAddress,
  vmacLinkLocal,
  vmacName,
  type SavedParentSysctls,
  type SavedRpFilter,
  type SysctlProblem,
} from '../../net/vmac.js';

/** What an instance needs to know about its VMAC. */
export interface VmacFor {
  readonly link: LinkInfo;
  /** IPv6: the link-local source address put on the VMAC. */
  readonly source?: string;
}

/** The VMACs of one daemon. */
export class VmacManager {
  private readonly owned = new Map<string, { index: number; parent: string }>();
  private readonly parents = new Map<string, { count: number; saved: SavedParentSysctls }>();
  private rpFilter: SavedRpFilter | undefined;
  /** global_defs `vmac_prefix` and `vmac_addr_prefix` (address VMACs; default: vmac_prefix): "vrrp" when unset. */
  prefixes: { readonly vmac?: string; readonly addr?: string } = {};

  constructor(
    private readonly rtnl: Rtnl,
    private readonly log: Logger,
  ) {}

  /** Creates (or re-uses, if one of ours is left over) the VMAC of an instance and brings it up. */
  async ensure(
    instance: string,
    family: 4 | 6,
    vrid: number,
    parent: LinkInfo,
    configuredName: string | undefined,
    linkNamed: (name: string) => LinkInfo | undefined,
    xmitBase = false,
    master?: number,
  ): Promise<VmacFor> {
    const mac = vmacAddress(family, vrid);
    // a left-over macvlan of ours (same parent and MAC, e.g. after a crash) is re-used, as keepalived does: its name
    // is not "in use" (keepalived names VMACs before it reads the interfaces, so it finds the old one again)
    const ours = (l: { kind?: string; parentIndex?: number; mac?: string }) =>
      l.kind === 'macvlan' && l.parentIndex === parent.index && l.mac?.toLowerCase() === mac;
    const prefix = instance.includes('#') ? (this.prefixes.addr ?? this.prefixes.vmac) : this.prefixes.vmac; // '#': an address VMAC
    const name = await this.freeName(vrid, family, configuredName, linkNamed, ours, prefix);
    const existing = await this.rtnl.getLink(name).catch(() => undefined);
    if (existing && !ours(existing)) {
      if (existing.kind !== 'macvlan') throw new Error(`interface ${name} exists and is not a macvlan - cannot use it as VMAC`);
      await this.rtnl.deleteLink(existing.index);
    }
    const link =
      existing && ours(existing)
        ? existing
        : await this.rtnl.createMacvlan({ name, parentIndex: parent.index, mac, mode: 'private', ...(master ? { master } : {}) });
    this.owned.set(instance, { index: link.index, parent: parent.name });
    this.report(this.configure(name, family, parent.name));
    await this.rtnl.setLinkUp(link.index, true);
    this.log.log({ level: 'info', text: `(${instance.split('#')[0]}) vmac ${name} created on ${parent.name} with MAC ${mac}` });
    // vmac_xmit_base: IPv6 adverts leave from the parent, so the VMAC gets no link-local source (keepalived)
    if (family === 4 || !parent.mac || xmitBase) return { link: { ...link, up: true } };
    const source = vmacLinkLocal(parent.mac);
    await this.rtnl.addAddress({ family: 6, ifindex: link.index, address: source, prefixLength: 64, nodad: true }).catch((e: unknown) => {
      if (!(e instanceof RtnlError && e.code === 'EEXIST')) throw e;
    });
    return { link: { ...link, up: true }, source };
  }

  /**
   * `use_ipvlan`: an l2 ipvlan on `parent` (keepalived's netlink_link_add_ipvlan), created up, enslaved to the
   * parent's VRF if it has one, IPv6 off on an IPv4 one without IPv6 eVIPs, with the configured address on it; a
   * left-over ipvlan of that name on the same parent is re-used. Its address (or, for IPv6 without one, its
   * link-local address, found by the caller) is the adverts' source.
   */
  async ensureIpvlan(
    ic: VrrpInstanceConfig,
    parent: LinkInfo,
    linkNamed: (name: string) => LinkInfo | undefined,
    master: number | undefined,
  ): Promise<VmacFor> {
    const spec = ic.useIpvlan!;
    const ours = (l: LinkDetails) => l.kind === 'ipvlan' && l.parentIndex === parent.index;
    const name = await this.freeName(ic.virtualRouterId, ic.family, spec.name, linkNamed, ours, this.prefixes.vmac);
    const existing = await this.rtnl.getLink(name).catch(() => undefined);
    if (existing && !ours(existing)) {
      if (existing.kind !== 'ipvlan') throw new Error(`interface ${name} exists and is not an ipvlan - cannot use it`);
      await this.rtnl.deleteLink(existing.index);
    }
    const link =
      existing && ours(existing)
        ? existing
        : await this.rtnl.createIpvlan({ name, parentIndex: parent.index, flags: spec.flags, ...(master ? { master } : {}) });
    this.owned.set(ic.name, { index: link.index, parent: parent.name });
    const otherFamily = ic.virtualIpaddressExcluded.some((v) => v.family !== ic.family);
    this.report(setIpv6(name, ic.family === 6 || otherFamily));
    await this.rtnl.setLinkUp(link.index, true);
    this.log.log({ level: 'info', text: `(${ic.name}) ipvlan ${name} created on ${parent.name}` });
    const a = spec.address;
    if (a) {
      await this.rtnl
        .addAddress({ family: a.family, ifindex: link.index, address: a.address, prefixLength: a.prefixLength, nodad: true })
        .catch((e: unknown) => {
          if (!(e instanceof RtnlError && e.code === 'EEXIST'))
            this.log.log({ level: 'info', text: `${ic.name}: Failed to add interface address to ${name}` });
        });
    }
    return { link: { ...link, up: true }, ...(a ? { source: a.address } : {}) };
  }

  /**
   * keepalived's VMAC name for the instance, where an existing interface of that name counts as free when it is a
   * left-over VMAC of ours (`ours`) that no other instance of this run has taken.
   */
  private async freeName(
    vrid: number,
    family: 4 | 6,
    configured: string | undefined,
    linkNamed: (name: string) => LinkInfo | undefined,
    ours: (l: LinkDetails) => boolean,
    prefix: string | undefined,
  ): Promise<string> {
    const taken = new Set([...this.owned.values()].map((v) => v.index));
    const reusable = new Map<string, boolean>();
    for (;;) {
      let unknown: string | undefined; // an existing name not looked at yet: counted as taken this round
      const name = vmacName(vrid, configured, {
        family,
        ...(prefix !== undefined ? { prefix } : {}),
        inUse: (n) => {
          const l = linkNamed(n);
          if (!l) return false;
          if (taken.has(l.index)) return true;
          const r = reusable.get(n);
          if (r === undefined) unknown ??= n;
          return r !== true;
        },
      });
      if (unknown === undefined) return name;
      const details = await this.rtnl.getLink(unknown).catch(() => undefined);
      reusable.set(unknown, details !== undefined && ours(details));
    }
  }

  /** Deletes an instance's VMAC and its address VMACs (reload removal, stop). */
  async release(instance: string): Promise<void> {
    for (const key of [...this.owned.keys()]) if (key === instance || key.startsWith(`${instance}#`)) await this.releaseKey(key);
  }

  private async releaseKey(instance: string): Promise<void> {
    const v = this.owned.get(instance);
    if (!v) return;
    this.owned.delete(instance);
    await this.rtnl.deleteLink(v.index).catch((e: unknown) => this.log.log({ level: 'err', text: `(${instance}) cannot delete VMAC: ${String(e)}` }));
    const p = this.parents.get(v.parent);
    if (p && --p.count === 0) {
      this.parents.delete(v.parent);
      this.report(restoreParentSysctls(v.parent, p.saved));
    }
  }

  /** Deletes every VMAC and restores the sysctls changed for them. */
  async releaseAll(): Promise<void> {
    for (const name of [...this.owned.keys()]) await this.release(name);
    if (this.rpFilter) this.report(restoreAllRpFilter(this.rpFilter));
    this.rpFilter = undefined;
  }

  private configure(name: string, family: 4 | 6, parent: string): SysctlProblem[] {
    const problems: SysctlProblem[] = [];
    if (family === 4) {
      if (!this.rpFilter) {
        const r = clearAllRpFilter();
        this.rpFilter = r.saved;
        problems.push(...r.problems);
      }
      const p = this.parents.get(parent);
      if (p) p.count++;
      else {
        const r = configureParentSysctls(parent);
        this.parents.set(parent, { count: 1, saved: r.saved });
        problems.push(...r.problems);
      }
    }
    problems.push(...configureVmacSysctls(name, family));
    return problems;
  }

  private report(problems: readonly SysctlProblem[]): void {
    for (const p of problems) this.log.log({ level: 'warning', text: `VMAC sysctl ${p.path}: ${p.code} ${p.message}` });
  }
}

/**
 * The interface whose address VMAC carries VIP `v` of instance `ic`, or undefined when `v` needs none (keepalived
 * 2.2.7 vrrp_complete_instance): with `use_vmac_addr`, every VIP on another interface than the instance's (`dev`)
 * or of the other address family; with `use_vmac` after the VIP, that VIP — except VIPs that live on the instance's
 * own VMAC (its interface, its family, `use_vmac` on the instance).
 */
export function addressVmacBase(ic: VrrpInstanceConfig, v: VirtualAddress): string | undefined {
  const onInstanceIf = v.dev === undefined || v.dev === ic.interface;
  if (onInstanceIf && ic.useVmac && v.family === ic.family) return undefined;
  const off = !onInstanceIf || v.family !== ic.family;
  return v.useVmac || (ic.useVmacAddr && off) ? (v.dev ?? ic.interface) : undefined;
}

/** Address VMAC key of an instance in VmacManager: one per (family, base interface). */
export const addressVmacKey = (instance: string, family: 4 | 6, base: string): string => `${instance}#${family}/${base}`;
