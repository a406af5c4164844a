/**
 * keepalived 2.2.7's `nftables_ipvs` (check/check_nftables.c, ipvswrapper.c ipvs_cmd): a virtual server whose
 * `virtual_server_group` has addresses and no fwmark entries is not one IPVS service per group address but one
 * fwmark service per family present, the mark set by nftables for packets to any of the group's addresses. Pure:
 * configuration in, marks and nft(8) text out; src/runtime/check/nft-ipvs.ts runs the text with `nft -f -`.
 *
 * What keepalived builds, per family (`ip` and `ip6`, never `inet`), table NAME (default `keepalived_ipvs`):
 *   - at the first element of the family: the table and chain `in` (type filter, hook input, priority
 *     `nftables_ipvs_priority`, default -1, policy accept);
 *   - at the first element of a protocol: map `tcp_map` / `udp_map` / `sctp_map` (`ipv4_addr . inet_service :
 *     mark`, flags interval — keepalived's build has range concatenations; `counter` with nftables_counters) and
 *     the rule `meta l4proto P meta mark set ip daddr . P dport map @P_map counter return`;
 *   - an element `FIRST-LAST . PORT : MARK` per group range (a single address: `ADDR . PORT`).
 * Parts stay until the daemon stops, which deletes the tables; a reload adds and deletes elements only.
 * Marks: one per group and protocol, handed out from `nftables_ipvs_start_fwmark` (default 1000) in the order the
 * virtual servers start, kept across reloads while the group is in use, never handed out twice.
 */
import type { NftablesIpvsSettings } from '../config/model.js';
import type { VirtualServerConfig, VirtualServerGroupConfig } from '../config/model-lvs.js';
import type { LbProtocol } from './backend.js';

/** One element of a protocol's map in a family's table. */
export interface NftIpvsElement {
  readonly family: 4 | 6;
  readonly protocol: LbProtocol;
  /** `ADDR . PORT` or `FIRST-LAST . PORT` (nft(8) syntax). */
  readonly key: string;
  readonly mark: number;
}

/** What a table part is called: `4` (table + chain) or `4 TCP` (map + rule). */
type Part = string;

/** What the kernel holds, as far as we know: the parts in creation order and the elements by elementId(). */
export interface NftIpvsCommitted {
  readonly parts: readonly Part[];
  readonly elements: ReadonlyMap<string, NftIpvsElement>;
}

/** Nothing set up. */
export const NFT_IPVS_EMPTY: NftIpvsCommitted = { parts: [], elements: new Map() };

/** Hands out the marks: one per (group, protocol), counting up from the start mark; never reused. */
export class FwmarkAllocator {
  private next: number;
  private readonly marks = new Map<string, number>();

  constructor(startFwmark: number) {
    this.next = startFwmark;
  }

  /** The mark of `group` for `protocol`, handed out now when it has none. */
  markFor(group: string, protocol: LbProtocol): number {
    const k = `${group}\0${protocol}`;
    let m = this.marks.get(k);
    if (m === undefined) {
      m = this.next;
      this.next = (this.next + 1) >>> 0;
      this.marks.set(k, m);
    }
    return m;
  }

  /** Forgets the marks of groups not named in `inUse` (`group\0protocol`): a group back later gets a new mark. */
  retain(inUse: ReadonlySet<string>): void {
    for (const k of [...this.marks.keys()]) if (!inUse.has(k)) this.marks.delete(k);
  }

  /** The key retain() takes. */
  static key(group: string, protocol: LbProtocol): string {
    return `${group}\0${protocol}`;
  }
}

/**
 * The group whose addresses `vs` stands for as one fwmark service under nftables_ipvs: a group with addresses and
 * no fwmark entries (keepalived: `list_empty(&vsg->vfwmark)`); undefined otherwise.
 */
export function autoFwmarkGroup(vs: VirtualServerConfig, groups: readonly VirtualServerGroupConfig[]): VirtualServerGroupConfig | undefined {
  if (vs.service.kind !== 'group') return undefined;
  const name = vs.service.group;
  const g = groups.find((x) => x.name === name);
  if (!g || g.entries.some((e) => e.kind === 'fwmark') || !g.entries.some((e) => e.kind === 'range')) return undefined;
  return g;
}

/** The families of a group's addresses in keepalived's order (IPv4 first: ipvs_set_srule, then ipvs_cmd's IPv6). */
export function groupFamilies(g: VirtualServerGroupConfig): (4 | 6)[] {
  const has = (f: 4 | 6): boolean => g.entries.some((e) => e.kind === 'range' && e.family === f);
  return ([4, 6] as const).filter(has);
}

/** The map elements of a virtual server's group (empty when it is not an nftables_ipvs one). */
export function nftIpvsElements(vs: VirtualServerConfig, groups: readonly VirtualServerGroupConfig[], marks: FwmarkAllocator): NftIpvsElement[] {
  const g = autoFwmarkGroup(vs, groups);
  if (!g) return [];
  const protocol = vs.protocol ?? 'UDP';
  const mark = marks.markFor(g.name, protocol);
  const out: NftIpvsElement[] = [];
  for (const e of g.entries) {
    if (e.kind !== 'range') continue;
    const addr = e.start === e.end ? e.start : `${e.start}-${e.end}`;
    out.push({ family: e.family, protocol, key: `${addr} . ${e.port}`, mark });
  }
  return out;
}

/** Identity of an element in its map. */
export function elementId(e: NftIpvsElement): string {
  return `${e.family} ${e.protocol} ${e.key}`;
}

const nftFamily = (f: 4 | 6): string => (f === 4 ? 'ip' : 'ip6');
const mapName = (p: LbProtocol): string => `${p.toLowerCase()}_map`;

/** The text creating one part (table + chain, or a protocol's map + rule). */
function renderPart(s: NftablesIpvsSettings, counters: boolean, part: Part): string {
  const [fs, protocol] = part.split(' ') as [string, LbProtocol | undefined];
  const f = nftFamily(fs === '6' ? 6 : 4);
  if (!protocol) return `add table ${f} ${s.table}\nadd chain ${f} ${s.table} in { type filter hook input priority ${s.priority}; policy accept; }\n`;
  const p = protocol.toLowerCase();
  const addr = fs === '6' ? 'ipv6_addr' : 'ipv4_addr';
  return (
    `add map ${f} ${s.table} ${mapName(protocol)} { type ${addr} . inet_service : mark; flags interval;${counters ? ' counter;' : ''} }\n` +
    `add rule ${f} ${s.table} in meta l4proto ${p} meta mark set ${f} daddr . ${p} dport map @${mapName(protocol)} counter return\n`
  );
}

/** `add element` / `delete element` lines, one per map. */
function renderElements(s: NftablesIpvsSettings, verb: 'add' | 'delete', els: readonly NftIpvsElement[]): string {
  const byMap = new Map<string, string[]>();
  for (const e of els) {
    const m = `${nftFamily(e.family)} ${s.table} ${mapName(e.protocol)}`;
    const list = byMap.get(m) ?? [];
    list.push(verb === 'add' ? `${e.key} : ${e.mark}` : e.key);
    byMap.set(m, list);
  }
  return [...byMap].map(([m, list]) => `${verb} element ${m} { ${list.join(', ')} }\n`).join('');
}

/** The script deleting the tables of `families` (absent ones too: `add` first). */
export function renderDropIpvsTables(table: string, families: readonly (4 | 6)[] = [4, 6]): string {
  return families.map((f) => `add table ${nftFamily(f)} ${table}\ndelete table ${nftFamily(f)} ${table}\n`).join('');
}

/** One step from what the kernel holds to what is wanted: the script (empty: nothing to do) and the new state. */
export function planNftIpvs(
  s: NftablesIpvsSettings,
  counters: boolean,
  have: NftIpvsCommitted,
  want: readonly NftIpvsElement[],
): { text: string; next: NftIpvsCommitted } {
  const parts = [...have.parts];
  let text = '';
  const wanted = new Map(want.map((e) => [elementId(e), e]));
  const gone = [...have.elements].filter(([id, e]) => wanted.get(id)?.mark !== e.mark).map(([, e]) => e);
  text += renderElements(s, 'delete', gone);
  const added: NftIpvsElement[] = [];
  for (const [id, e] of wanted) {
    if (have.elements.get(id)?.mark === e.mark) continue;
    for (const part of [`${e.family}`, `${e.family} ${e.protocol}`]) {
      if (parts.includes(part)) continue;
      parts.push(part);
      text += renderPart(s, counters, part);
    }
    added.push(e);
  }
  text += renderElements(s, 'add', added);
  return { text, next: { parts, elements: wanted } };
}

/** The families whose table is set up. */
export function ipvsFamiliesOf(c: NftIpvsCommitted): (4 | 6)[] {
  return ([4, 6] as const).filter((f) => c.parts.includes(`${f}`));
}
