/**
 * garp_extra_if (keepalived 2.2.7 vrrp.c vrrp_send_vmac_update and the check at the end of vrrp_complete_instance):
 * which VIPs a periodic extra-interface round sends a gratuitous ARP / NA for.
 *
 * An interface is "extra" when a VIP lives on it and it is not the instance's own (the VMAC with use_vmac, else the
 * configured interface). The round is off unless an extra interface is a VMAC we made (use_vmac_addr, a VIP's
 * use_vmac), or `all` is set and any extra interface exists.
 * Each round sends one frame for the first VIP on each interface: our VMACs, and with `all` the others too; the
 * instance's own interface only with vmac_xmit_base (its adverts leave from the parent, so nothing else refreshes
 * the VMAC's MAC in switches).
 */
import type { LinkInfo } from '../../net/netlink/route-messages.js';
import type { Running } from './instance.js';

/** The addresses of one extra-interface round, in VIP order, one per interface (none when the round is off). */
export function extraIfAddresses(run: Running, addresses: readonly string[], linkOf: (ip: string) => LinkInfo): string[] {
  const all = run.cfg.garpExtraIf?.all ?? false;
  const xmitBase = run.cfg.useVmac?.xmitBase === true;
  const ours = new Set<number>([...(run.addrVmacs?.values() ?? [])].map((l) => l.index));
  if (run.cfg.useVmac) ours.add(run.link.index);
  const links = addresses.map((ip) => ({ ip, link: linkOf(ip) }));
  const extra = links.filter((x) => x.link.index !== run.link.index);
  const on = extra.some((x) => ours.has(x.link.index)) || (all && extra.length > 0);
  if (!on) return [];
  const done = new Set<number>();
  const out: string[] = [];
  for (const { ip, link } of links) {
    if (!ours.has(link.index) && !all) continue;
    if (link.index === run.link.index && !xmitBase) continue;
    if (done.has(link.index)) continue;
    done.add(link.index);
    out.push(ip);
  }
  return out;
}
