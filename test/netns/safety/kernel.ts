/**
 * What the kernel holds in one test host, read with iproute2 and nft in JSON (never from the daemon's logs), for
 * the reload and crash-safety tests: addresses per interface, routes and rules in every table, the nftables tables
 * and their sets/chains, and the macvlan links.
 *
 *   const k = kernelState(topo, 'a');
 *   k.addresses.get('eth0')   // ['192.0.2.10/24', '192.0.2.161/32', …] sorted
 *   k.nft                     // ['inet keepalived_ts_lb', 'ip keepalived', …]
 */
import type { Topology } from '../harness/topology.js';

/** A host's kernel state, sorted so that two snapshots compare with deepEqual. */
export interface KernelState {
  /** Interface name → its addresses (`ADDR/PREFIX`), sorted; link-local IPv6 left out. */
  readonly addresses: ReadonlyMap<string, readonly string[]>;
  /** Routes of every table except local/default-kernel ones (`table T dst via dev`), sorted. */
  readonly routes: readonly string[];
  /** Policy rules other than the kernel's three defaults, sorted. */
  readonly rules: readonly string[];
  /** nftables tables (`family name`), sorted. */
  readonly nft: readonly string[];
  /** macvlan links (`name@parent mode`), sorted. */
  readonly macvlans: readonly string[];
}

interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  type?: string;
}
interface IpRule {
  priority: number;
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table?: string;
}
interface IpLink {
  ifname: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

const json = <T>(topo: Topology, host: string, argv: readonly string[]): T => JSON.parse(topo.exec(host, argv) || '[]') as T;

/** The kernel state of `host`. */
export function kernelState(topo: Topology, host: string): KernelState {
  const addresses = new Map<string, string[]>();
  for (const l of json<IpAddr[]>(topo, host, ['ip', '-j', 'addr', 'show'])) {
    const list = l.addr_info.filter((a) => a.scope !== 'link' && a.scope !== 'host').map((a) => `${a.local}/${a.prefixlen}`);
    if (list.length) addresses.set(l.ifname, list.sort());
  }
  const routes = [
    ...json<IpRoute[]>(topo, host, ['ip', '-j', '-4', 'route', 'show', 'table', 'all']),
    ...json<IpRoute[]>(topo, host, ['ip', '-j', '-6', 'route', 'show', 'table', 'all']),
  ]
    .filter((r) => r.table !== 'local' && r.protocol !== 'kernel' && !(r.dst.startsWith('fe80') || r.dst === 'multicast' || r.type === 'multicast'))
    .map((r) => `table ${r.table ?? 'main'} ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`)
    .sort();
  const rules = [...json<IpRule[]>(topo, host, ['ip', '-j', '-4', 'rule', 'show']), ...json<IpRule[]>(topo, host, ['ip', '-j', '-6', 'rule', 'show'])]
    .filter((r) => !(r.src === 'all' && r.dst === undefined && ['local', 'main', 'default'].includes(r.table ?? '')))
    .map(
      (r) =>
        `${r.priority} from ${r.src ?? 'all'}${r.srclen !== undefined ? `/${r.srclen}` : ''}${r.dst ? ` to ${r.dst}/${r.dstlen}` : ''} table ${r.table}`,
    )
    .sort();
  const nftOut = json<{ nftables: { table?: { family: string; name: string } }[] }>(topo, host, ['nft', '-j', 'list', 'tables']);
  const nft = nftOut.nftables.flatMap((x) => (x.table ? [`${x.table.family} ${x.table.name}`] : [])).sort();
  const macvlans = json<IpLink[]>(topo, host, ['ip', '-j', '-d', 'link', 'show'])
    .filter((l) => l.linkinfo?.info_kind === 'macvlan')
    .map((l) => `${l.ifname}@${l.link ?? '?'} ${l.linkinfo?.info_data?.mode ?? '?'}`)
    .sort();
  return { addresses, routes, rules, nft, macvlans };
}

/** The addresses on `ifname` in a snapshot (empty when none). */
export function addrsOn(k: KernelState, ifname: string): readonly string[] {
  return k.addresses.get(ifname) ?? [];
}

/** Every address in a snapshot, with its interface (`eth0 192.0.2.161/32`), sorted. */
export function allAddresses(k: KernelState): string[] {
  return [...k.addresses].flatMap(([dev, list]) => list.map((a) => `${dev} ${a}`)).sort();
}

/** The JSON ruleset of one nftables table, or undefined when it is not there. */
export function nftTable(topo: Topology, host: string, family: string, name: string): string | undefined {
  try {
    return topo.exec(host, ['nft', 'list', 'table', family, name]);
  } catch {
    return undefined;
  }
}
