/**
 * keepalived 2.2.7's VRRP nftables rules as nft(8) text (keepalived/vrrp/vrrp_nftables.c, which builds the same
 * objects over netlink). Pure: text in, text out; src/runtime/nft-vips.ts runs it with `nft -f -`.
 *
 * What keepalived keeps, in a table per family (`ip` and `ip6`, not `inet`), default name "keepalived":
 *   - part "table": the table and chain `out` (hook output, priority `nftables_priority`, default -1);
 *   - part "vips" (first VIP of the family): chain `in` (hook input), set `vips`, rules dropping traffic to
 *     (`in`, daddr) and from (`out`, saddr) a VIP; for ip6 also the constant set `neighbor-discovery` whose
 *     messages are accepted first, and the regular chains `in_link_local`/`out_link_local` that fe80::/10 goes to;
 *   - parts "ll-index"/"ll-name" (first link-local VIP): set `vips_link_local` (address . ifindex) or
 *     `vips_link_local_name` (address . ifname) and the drop rules in the link-local chains;
 *   - part "igmp" (first VMAC): map `vmac_map` (VMAC ifindex : parent ifindex) and a rule re-sending IGMP
 *     (ip6: MLDv2 reports) leaving a macvlan on its parent (`dup`) and dropping the original; for ip6 also set
 *     `vmac_set` and a rule dropping router solicitations from VMACs.
 * Parts are created the first time something needs them, in keepalived's order, and live until the table goes.
 * Every rule gets a `counter` with `nftables_counters`. Golden captures: test/vectors/nftables.
 */
import { formatIpv6, parseIpv6 } from '../../core/inet/address.js';

/** global_defs `nftables [NAME]`, `nftables_priority`, `nftables_counters`, `nftables_ifindex`. */
export interface NftSettings {
  readonly table: string;
  readonly priority: number;
  readonly counters: boolean;
  /** Link-local VIPs always match the interface by index (never by name). */
  readonly ifindex: boolean;
}

/** An nftables family keepalived uses. */
export type NftFamily = 'ip' | 'ip6';

/** A set (or map) keepalived fills at run time. */
export type NftSetName = 'vips' | 'vips_link_local' | 'vips_link_local_name' | 'vmac_map' | 'vmac_set';

/** A VIP whose traffic an instance without accept mode drops while MASTER. */
export interface NftVip {
  readonly address: string;
  readonly family: 4 | 6;
  /** Link-local IPv6: the interface the address is on (the index wins over the name for the index set). */
  readonly ifindex?: number;
  readonly ifname?: string;
  /** Link-local IPv6: match the interface by name (keepalived: dont_track_primary, VIP on the instance's interface). */
  readonly matchIfname?: boolean;
}

/** A VMAC whose IGMP/MLD reports go out on its parent. */
export interface NftVmac {
  readonly ifindex: number;
  readonly baseIfindex: number;
  /** The instance's family, plus the other one when it has excluded VIPs of that family. */
  readonly families: readonly (4 | 6)[];
}

/** One element of one set, as nft text (`data` for maps). */
export interface NftElement {
  readonly family: NftFamily;
  readonly set: NftSetName;
  readonly key: string;
  readonly data?: string;
}

/** What the kernel holds (as far as we know): the parts set up and the elements, by elementId(). */
export interface NftCommitted {
  readonly parts: ReadonlySet<string>;
  readonly elements: ReadonlyMap<string, NftElement>;
}

/** Nothing set up. */
export const NFT_EMPTY: NftCommitted = { parts: new Set(), elements: new Map() };

/** nft(8) takes only bare identifiers as table names (a quoted name is a syntax error). */
export function isNftIdentifier(name: string): boolean {
  return /^[A-Za-z_.][A-Za-z0-9/_.-]*$/.test(name);
}

/** True for fe80::/10. */
export function isIpv6LinkLocal(address: string): boolean {
  const b = parseIpv6(address);
  return b !== undefined && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** The set element that drops a VIP's traffic; undefined for a link-local VIP without an interface. */
export function vipElement(s: NftSettings, vip: NftVip): NftElement | undefined {
  if (vip.family === 4) return { family: 'ip', set: 'vips', key: vip.address };
  const b = parseIpv6(vip.address);
  if (!b) return undefined;
  const addr = formatIpv6(b);
  if (!isIpv6LinkLocal(addr)) return { family: 'ip6', set: 'vips', key: addr };
  if (!s.ifindex && vip.matchIfname && vip.ifname) return { family: 'ip6', set: 'vips_link_local_name', key: `${addr} . "${vip.ifname}"` };
  const dev = vip.ifindex !== undefined ? String(vip.ifindex) : vip.ifname ? `"${vip.ifname}"` : undefined;
  return dev === undefined ? undefined : { family: 'ip6', set: 'vips_link_local', key: `${addr} . ${dev}` };
}

/** The elements of a VMAC: `vmac_map` in each family, and `vmac_set` in ip6. */
export function vmacElements(v: NftVmac): NftElement[] {
  const out: NftElement[] = [];
  for (const f of v.families) {
    const family: NftFamily = f === 4 ? 'ip' : 'ip6';
    out.push({ family, set: 'vmac_map', key: String(v.ifindex), data: String(v.baseIfindex) });
    if (family === 'ip6') out.push({ family, set: 'vmac_set', key: String(v.ifindex) });
  }
  return out;
}

/** The identity of an element in NftCommitted.elements. */
export function elementId(e: NftElement): string {
  return `${e.family} ${e.set} ${e.key}${e.data !== undefined ? ` : ${e.data}` : ''}`;
}

type Part = 'table' | 'vips' | 'll-index' | 'll-name' | 'igmp';

const PART_OF_SET: Readonly<Record<NftSetName, Part>> = {
  vips: 'vips',
  vips_link_local: 'll-index',
  vips_link_local_name: 'll-name',
  vmac_map: 'igmp',
  vmac_set: 'igmp',
};

/** What a part needs first (keepalived: nft_setup_ipv4_vips calls nft_setup_ipv4 when needed, and so on). */
const PART_DEPS: Readonly<Record<Part, readonly Part[]>> = {
  table: [],
  vips: ['table'],
  'll-index': ['table', 'vips'],
  'll-name': ['table', 'vips'],
  igmp: ['table'],
};

/** The nft commands creating one part of a family's table (its dependencies already there). */
export function renderPart(s: NftSettings, family: NftFamily, part: Part): string[] {
  const t = `${family} ${s.table}`;
  const c = s.counters ? 'counter ' : '';
  const base = (chain: string, hook: string) => `add chain ${t} ${chain} { type filter hook ${hook} priority ${s.priority}; policy accept; }`;
  const rule = (chain: string, body: string) => `add rule ${t} ${chain} ${body}`;
  switch (part) {
    case 'table':
      return [`add table ${t}`, base('out', 'output')];
    case 'vips':
      if (family === 'ip') {
        return [
          base('in', 'input'),
          `add set ${t} vips { type ipv4_addr; }`,
          rule('in', `ip daddr @vips ${c}drop`),
          rule('out', `ip saddr @vips ${c}drop`),
        ];
      }
      return [
        base('in', 'input'),
        `add chain ${t} in_link_local`,
        `add chain ${t} out_link_local`,
        `add set ${t} vips { type ipv6_addr; }`,
        `add set ${t} neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }`,
        // keepalived matches the next header (not meta l4proto) here
        rule('in', `ip6 nexthdr icmpv6 icmpv6 type @neighbor-discovery ${c}accept`),
        rule('in', `ip6 daddr fe80::/10 ${c}goto in_link_local`),
        rule('out', `ip6 nexthdr icmpv6 icmpv6 type @neighbor-discovery ${c}accept`),
        rule('out', `ip6 saddr fe80::/10 ${c}goto out_link_local`),
        rule('in', `ip6 daddr @vips ${c}drop`),
        rule('out', `ip6 saddr @vips ${c}drop`),
      ];
    case 'll-index':
      return [
        `add set ${t} vips_link_local { type ipv6_addr . iface_index; }`,
        rule('in_link_local', `ip6 daddr . iif @vips_link_local ${c}drop`),
        rule('out_link_local', `ip6 saddr . oif @vips_link_local ${c}drop`),
      ];
    case 'll-name':
      return [
        `add set ${t} vips_link_local_name { type ipv6_addr . ifname; }`,
        rule('in_link_local', `ip6 daddr . iifname @vips_link_local_name ${c}drop`),
        rule('out_link_local', `ip6 saddr . oifname @vips_link_local_name ${c}drop`),
      ];
    case 'igmp':
      if (family === 'ip') {
        return [
          `add map ${t} vmac_map { type iface_index : iface_index; }`,
          rule('out', `ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map ${c}drop`),
        ];
      }
      return [
        `add map ${t} vmac_map { type iface_index : iface_index; }`,
        `add set ${t} vmac_set { type iface_index; }`,
        rule('out', `icmpv6 type mld2-listener-report meta oifkind "macvlan" dup to ip6 daddr device oif map @vmac_map ${c}drop`),
        rule('out', `icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @vmac_set ${c}drop`),
      ];
  }
}

/** `add element`/`delete element` statements, one per set, in order of first appearance. */
function renderElements(s: NftSettings, verb: 'add' | 'delete', elements: readonly NftElement[]): string[] {
  const bySet = new Map<string, string[]>();
  for (const e of elements) {
    const k = `${e.family} ${s.table} ${e.set}`;
    const text = verb === 'add' && e.data !== undefined ? `${e.key} : ${e.data}` : e.key;
    bySet.set(k, [...(bySet.get(k) ?? []), text]);
  }
  return [...bySet].map(([k, items]) => `${verb} element ${k} { ${items.join(', ')} }`);
}

/** One burst: the nft text taking the kernel from `have` to the elements `want` (in order), and the state after. */
export interface NftPlan {
  /** Empty when nothing changes. */
  readonly text: string;
  readonly next: NftCommitted;
}

/**
 * Plans a change burst: deletes elements no longer wanted, creates the parts new elements need (in the order the
 * elements need them, with their dependencies) and adds the new elements. Duplicates in `want` count once.
 */
export function planBurst(s: NftSettings, have: NftCommitted, want: readonly NftElement[]): NftPlan {
  const wanted = new Map(want.map((e) => [elementId(e), e]));
  const gone = [...have.elements].filter(([id]) => !wanted.has(id)).map(([, e]) => e);
  const added = [...wanted].filter(([id]) => !have.elements.has(id)).map(([, e]) => e);
  const parts = new Set(have.parts);
  const setup: string[] = [];
  const ensure = (family: NftFamily, part: Part): void => {
    for (const p of [...PART_DEPS[part], part]) {
      if (parts.has(`${family} ${p}`)) continue;
      parts.add(`${family} ${p}`);
      setup.push(...renderPart(s, family, p));
    }
  };
  for (const e of added) ensure(e.family, PART_OF_SET[e.set]);
  const lines = [...renderElements(s, 'delete', gone), ...setup, ...renderElements(s, 'add', added)];
  return { text: lines.length ? `${lines.join('\n')}\n` : '', next: { parts, elements: wanted } };
}

/** The families with at least one part set up. */
export function familiesOf(c: NftCommitted): NftFamily[] {
  return (['ip', 'ip6'] as const).filter((f) => [...c.parts].some((p) => p.startsWith(`${f} `)));
}

/**
 * Deletes the table in each family whether it exists or not (`add` first makes `delete` safe): stale tables at
 * start-up (keepalived: "Deleting old ip table"), ours at stop, everything before a rebuild.
 */
export function renderDropTables(table: string, families: readonly NftFamily[] = ['ip', 'ip6']): string {
  return families.map((f) => `add table ${f} ${table}\ndelete table ${f} ${table}\n`).join('');
}
