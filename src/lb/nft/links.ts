/**
 * What the DR data plane needs from the host's links, learned over rtnetlink: the real server's MAC address
 * (neighbour table; when absent, the kernel is asked to resolve it and the table is read again), the device it
 * is reached on (the one whose subnet holds it: DR needs a directly connected real server) and that device's
 * MAC; and the client-facing devices the ingress hook binds to (every device that is up, but loopback).
 */
import { parseAddress } from '../../core/inet/address.js';
import type { Rtnl } from '../../net/netlink/rtnl.js';
import { listNeighbours, NUD_USABLE, useNeighbour } from '../../net/netlink/neigh-messages.js';
import { IFF } from '../../net/netlink/route-messages.js';

/** A real server's link: out device (index and MAC) and its own MAC. */
export interface DestLink {
  readonly ifindex: number;
  readonly srcMac: string;
  readonly mac: string;
}

/** The links port of the nftables backend (tests may fake it). */
export interface LinkSource {
  /** The link of a real server, or why there is none. */
  resolve(family: 4 | 6, address: string): Promise<DestLink | string>;
  /** Devices the DR ingress hook binds to. */
  ingressDevices(): Promise<string[]>;
}

/** True when `address` is inside `prefix`/`bits`. */
export function inPrefix(family: 4 | 6, address: string, prefix: string, bits: number): boolean {
  const a = parseAddress(family, address);
  const p = parseAddress(family, prefix);
  if (!a || !p) return false;
  for (let i = 0; i < a.length; i++) {
    const n = Math.max(0, Math.min(8, bits - i * 8));
    const m = (0xff << (8 - n)) & 0xff;
    if ((a[i]! & m) !== (p[i]! & m)) return false;
  }
  return true;
}

/** A LinkSource over an rtnetlink client (create the client inside the director's namespace). */
export function rtnlLinks(rtnl: Rtnl, opts: { readonly waitMs?: number; readonly ingress?: readonly string[] } = {}): LinkSource {
  const waitMs = opts.waitMs ?? 1000;
  // one dump at a time on a netlink socket (a second one meets EBUSY)
  let turn: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = turn.then(f, f);
    turn = p.catch(() => undefined);
    return p;
  };
  return {
    resolve: (family, address) =>
      serial(async () => {
        const links = await rtnl.listLinks();
        const addrs = await rtnl.listAddresses(family);
        const on = addrs
          .filter((a) => a.scope === 0 && inPrefix(family, address, a.address, a.prefixLength))
          .sort((x, y) => y.prefixLength - x.prefixLength)[0];
        const link = on && links.find((l) => l.index === on.ifindex);
        if (!link || !link.mac) return `real server ${address} is not on a directly connected network (DR needs one)`;
        const find = async () =>
          (await listNeighbours(rtnl, family)).find(
            (n) => n.ifindex === link.index && n.address === address && (n.state & NUD_USABLE) !== 0 && n.mac,
          );
        let n = await find();
        if (!n) {
          await useNeighbour(rtnl, family, link.index, address).catch(() => undefined);
          for (let t = 0; !n && t < waitMs; t += 50) {
            await new Promise((r) => setTimeout(r, 50));
            n = await find();
          }
        }
        if (!n?.mac)
          return `no neighbour entry for real server ${address} on ${link.name} (it did not answer ${family === 4 ? 'ARP' : 'neighbour discovery'})`;
        return { ifindex: link.index, srcMac: link.mac, mac: n.mac };
      }),
    ingressDevices: () =>
      serial(async () => {
        if (opts.ingress) return [...opts.ingress];
        return (await rtnl.listLinks()).filter((l) => (l.flags & IFF.UP) !== 0 && (l.flags & IFF.LOOPBACK) === 0).map((l) => l.name);
      }),
  };
}
