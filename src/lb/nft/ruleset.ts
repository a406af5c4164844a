/**
 * The nftables text of the load balancer (pure: model in, nft(8) commands out; src/lb/nft/backend.ts runs them).
 *
 * Two tables, owned by keepalived-ts and nothing else touched:
 *   - `inet keepalived_ts_lb` (NAT): a nat prerouting/output chain sends the first packet of a connection to a
 *     virtual service (`svc4`/`svc6`: daddr . l4proto . dport, `fwm`: nfproto . mark) to the service's chain
 *     `vs_<id>`, which picks a real server id into the conntrack mark (persistence map, then the scheduler map)
 *     and DNATs to `addr4`/`addr6`[id]. conntrack keeps the rest of the connection on that server, so a weight of
 *     0 (out of the scheduler map) lets established connections finish. The forward chain counts packets and
 *     bytes per real server and per service in named counters, by the connection's mark and direction;
 *   - `netdev keepalived_ts_dr` (DR), created with the first DR service: an ingress chain on the client-facing
 *     devices sends packets for a DR service to `dr_<id>`, which keeps flows on one server in a timeout map
 *     (sport . source, no conntrack there), schedules new flows, and forwards the frame unchanged but for the
 *     MAC addresses (the real server's, from the neighbour table) out of the real server's device.
 * Real servers and services are numbered (ids share one space); the set `ids` holds each with a comment
 * describing it, which is how a restarted daemon reads an earlier run's table back (see describe/parse below).
 */
import type { LbDest, LbService, LbServiceKey } from '../backend.js';
import { HASH_BUCKETS, type SchedShape, type SlotMap } from './schedule.js';

/** Table names and knobs. */
export interface NftLbOptions {
  /** The NAT table (family inet). Default `keepalived_ts_lb`. */
  readonly table: string;
  /** The DR table (family netdev). Default `keepalived_ts_dr`. */
  readonly drTable: string;
  /** Masquerade (SNAT to the outgoing address) every NAT connection: one-armed directors. */
  readonly masquerade: boolean;
  /** Flow timeout of DR services in seconds (no conntrack in netdev; refreshed by every packet). */
  readonly drFlowTimeoutSec: number;
}

/** The defaults. */
export const NFT_LB_DEFAULTS: NftLbOptions = { table: 'keepalived_ts_lb', drTable: 'keepalived_ts_dr', masquerade: false, drFlowTimeoutSec: 300 };

/** Bit set in a DR scheduling result: the flow is new (counted as a connection, then cleared). */
export const NEW_FLOW = 0x80000000;

/** A service as the renderer needs it. */
export interface SvcView {
  readonly id: number;
  readonly svc: LbService;
  readonly mode: 'NAT' | 'DR';
  readonly shape: SchedShape;
}

/** A real server as the renderer needs it; `link` for DR (out device, its MAC, the server's MAC). */
export interface DestView {
  readonly id: number;
  readonly sid: number;
  readonly dest: LbDest;
  readonly link?: { readonly ifindex: number; readonly srcMac: string; readonly mac: string };
}

/** The scheduling elements of a service now: modulus (numgen or table size) and key → id. */
export interface SchedElements {
  readonly modulus: number;
  /** `first-last` or `n` → id. */
  readonly elements: ReadonlyMap<string, number>;
}

/* Naming and description ------------------------------------------------------------------------------ */

const ipf = (f: 4 | 6) => (f === 4 ? 'ip' : 'ip6');
const addrType = (f: 4 | 6) => (f === 4 ? 'ipv4_addr' : 'ipv6_addr');

/** Source mask for persistence granularity (`ip saddr & 255.255.255.0`); the bare selector for a full mask. */
export function maskedSource(f: 4 | 6, bits: number): string {
  const total = f === 4 ? 32 : 128;
  const b = Math.max(0, Math.min(total, bits || total));
  if (b === total) return `${ipf(f)} saddr`;
  if (f === 4) {
    const m = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    return `ip saddr & ${[24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.')}`;
  }
  const words: string[] = [];
  for (let i = 0; i < 8; i++) {
    const n = Math.max(0, Math.min(16, b - i * 16));
    words.push(((0xffff << (16 - n)) & 0xffff).toString(16));
  }
  return `ip6 saddr & ${words
    .join(':')
    .replace(/(:0)+$/, '::')
    .replace(/^0::$/, '::')}`;
}

/** One line describing a service, stored as the comment of its id (≤ 128 bytes). */
export function describeService(id: number, s: LbService): string {
  const k = s.key;
  const key = k.kind === 'fwmark' ? `f ${k.family} ${k.fwmark}` : `a ${k.family} ${k.protocol} ${k.address} ${k.port}`;
  return `s ${id} ${key} ${s.scheduler} ${s.flags} ${s.timeoutSec} ${s.netmaskBits}${s.persistenceEngine ? ` ${s.persistenceEngine}` : ''}`;
}

/** One line describing a real server of service `sid`. */
export function describeDest(id: number, sid: number, d: LbDest): string {
  return `d ${id} ${sid} ${d.family} ${d.address} ${d.port} ${d.method} ${d.weight} ${d.uthreshold} ${d.lthreshold}`;
}

/** A description read back. */
export type Described =
  | { readonly kind: 's'; readonly id: number; readonly svc: LbService }
  | { readonly kind: 'd'; readonly id: number; readonly sid: number; readonly dest: LbDest };

/** Parses describeService/describeDest text; undefined for anything else. */
export function parseDescription(text: string): Described | undefined {
  const w = text.trim().split(' ');
  const n = (i: number) => Number(w[i]);
  if (w[0] === 's') {
    let key: LbServiceKey;
    let i: number;
    if (w[2] === 'f') {
      key = { kind: 'fwmark', family: n(3) === 6 ? 6 : 4, fwmark: n(4) };
      i = 5;
    } else if (w[2] === 'a' && ['TCP', 'UDP', 'SCTP'].includes(w[4]!)) {
      key = { kind: 'address', family: n(3) === 6 ? 6 : 4, protocol: w[4] as 'TCP', address: w[5]!, port: n(6) };
      i = 7;
    } else return undefined;
    const svc: LbService = {
      key,
      scheduler: w[i]!,
      flags: n(i + 1),
      timeoutSec: n(i + 2),
      netmaskBits: n(i + 3),
      ...(w[i + 4] ? { persistenceEngine: w[i + 4] } : {}),
    };
    return Number.isInteger(n(1)) && Number.isFinite(svc.netmaskBits) ? { kind: 's', id: n(1), svc } : undefined;
  }
  if (w[0] === 'd' && w.length === 10 && ['NAT', 'DR', 'TUN'].includes(w[6]!)) {
    const dest: LbDest = {
      family: n(3) === 6 ? 6 : 4,
      address: w[4]!,
      port: n(5),
      method: w[6] as 'NAT',
      weight: n(7),
      uthreshold: n(8),
      lthreshold: n(9),
    };
    return { kind: 'd', id: n(1), sid: n(2), dest };
  }
  return undefined;
}

/* Tables ------------------------------------------------------------------------------------------------ */

/** Deletes a table whether it exists or not (`add` first makes `delete` safe). */
export function dropTable(family: 'inet' | 'netdev', name: string): string {
  return `add table ${family} ${name}\ndelete table ${family} ${name}\n`;
}

/** The NAT table with its fixed parts, replacing any table of that name in the same transaction. */
export function renderNatTable(o: NftLbOptions): string {
  const T = `inet ${o.table}`;
  const counters = ['rs_in', 'rs_out', 'rs_conn', 'vs_in', 'vs_out', 'vs_conn'].map((m) => `add map ${T} ${m} { type mark : counter; }`);
  return (
    [
      dropTable('inet', o.table).trimEnd(),
      `add table ${T}`,
      `add set ${T} ids { type mark; }`,
      `add set ${T} live { type mark; }`,
      `add set ${T} masq_ids { type mark; }`,
      `add set ${T} with_port { type mark; }`,
      `add map ${T} svc4 { type ipv4_addr . inet_proto . inet_service : verdict; }`,
      `add map ${T} svc6 { type ipv6_addr . inet_proto . inet_service : verdict; }`,
      `add map ${T} fwm { type nf_proto . mark : verdict; }`,
      `add map ${T} addr4 { type mark : ipv4_addr . inet_service; }`,
      `add map ${T} addr6 { type mark : ipv6_addr . inet_service; }`,
      `add map ${T} addr4a { type mark : ipv4_addr; }`,
      `add map ${T} addr6a { type mark : ipv6_addr; }`,
      ...counters,
      `add chain ${T} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
      `add chain ${T} output { type nat hook output priority -100; policy accept; }`,
      `add chain ${T} forward { type filter hook forward priority filter; policy accept; }`,
      `add chain ${T} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
      ...['prerouting', 'output'].flatMap((c) => [
        `add rule ${T} ${c} ct state new ip daddr . meta l4proto . th dport vmap @svc4`,
        `add rule ${T} ${c} ct state new ip6 daddr . meta l4proto . th dport vmap @svc6`,
        `add rule ${T} ${c} ct state new meta nfproto . meta mark vmap @fwm`,
      ]),
      `add rule ${T} forward ct mark != 0 ct direction original counter name ct mark map @rs_in`,
      `add rule ${T} forward ct mark != 0 ct direction original counter name ct mark map @vs_in`,
      `add rule ${T} forward ct mark != 0 ct direction reply counter name ct mark map @rs_out`,
      `add rule ${T} forward ct mark != 0 ct direction reply counter name ct mark map @vs_out`,
      `add rule ${T} postrouting ct mark != 0 ct mark @masq_ids masquerade`,
    ].join('\n') + '\n'
  );
}

/** The DR table, its ingress chain hooked on `devices` (client-facing), replacing any table of that name. */
export function renderDrTable(o: NftLbOptions, devices: readonly string[]): string {
  const T = `netdev ${o.drTable}`;
  const counters = ['rs_in', 'rs_conn', 'vs_in', 'vs_conn'].map((m) => `add map ${T} ${m} { type mark : counter; }`);
  return (
    [
      dropTable('netdev', o.drTable).trimEnd(),
      `add table ${T}`,
      `add set ${T} ids { type mark; }`,
      `add set ${T} live { type mark; }`,
      `add map ${T} svc4 { type ipv4_addr . inet_proto . inet_service : verdict; }`,
      `add map ${T} svc6 { type ipv6_addr . inet_proto . inet_service : verdict; }`,
      `add map ${T} dmac { type mark : ether_addr; }`,
      `add map ${T} smac { type mark : ether_addr; }`,
      `add map ${T} rs_dev { type mark : iface_index; }`,
      ...counters,
      `add chain ${T} ingress { type filter hook ingress devices = { ${devices.map((d) => `"${d}"`).join(', ')} } priority -500; policy accept; }`,
      `add rule ${T} ingress ip daddr . meta l4proto . th dport vmap @svc4`,
      `add rule ${T} ingress ip6 daddr . meta l4proto . th dport vmap @svc6`,
    ].join('\n') + '\n'
  );
}

/* Services ---------------------------------------------------------------------------------------------- */

/** The selector a service's hash scheduler hashes. */
function hashKey(f: 4 | 6, shape: Extract<SchedShape, { kind: 'hash' }>): string {
  const a = `${ipf(f)} ${shape.on}`;
  return shape.port ? `${a} . th ${shape.on === 'saddr' ? 'sport' : 'dport'}` : a;
}

/** The scheduling rule's body for modulus `m` (the only rule that changes after creation: `replace rule`). */
export function schedRuleBody(v: SvcView, m: number | string): string {
  const reg = v.mode === 'NAT' ? 'ct mark' : 'meta mark';
  const f = v.svc.key.family;
  const expr = v.shape.kind === 'numgen' ? `numgen inc mod ${m}` : `jhash ${hashKey(f, v.shape)} mod ${m} seed 0x0`;
  return `${reg} 0 ${reg} set ${expr} map @sched_${v.id}`;
}

/** The table and chain of a service. */
const where = (o: NftLbOptions, v: SvcView) =>
  v.mode === 'NAT' ? { T: `inet ${o.table}`, chain: `vs_${v.id}` } : { T: `netdev ${o.drTable}`, chain: `dr_${v.id}` };

/** The dispatch element of a service (`svc4 { 192.0.2.1 . tcp . 80 : goto vs_1 }`). */
function dispatchElement(v: SvcView, chain: string): { map: string; text: string } {
  const k = v.svc.key;
  if (k.kind === 'fwmark') return { map: 'fwm', text: `${k.family === 4 ? 'ipv4' : 'ipv6'} . ${k.fwmark} : goto ${chain}` };
  return { map: k.family === 4 ? 'svc4' : 'svc6', text: `${k.address} . ${k.protocol.toLowerCase()} . ${k.port} : goto ${chain}` };
}

/** Everything a service needs, created in one transaction (with `modulus` for its scheduling rule). */
export function renderServiceAdd(o: NftLbOptions, v: SvcView, modulus: number | string): string[] {
  const { T, chain } = where(o, v);
  const f = v.svc.key.family;
  const persistent = v.svc.timeoutSec > 0;
  const src = maskedSource(f, v.svc.netmaskBits);
  const rule = (body: string) => `add rule ${T} ${chain} ${body}`;
  const lines = [
    `add element ${T} ids { ${v.id} comment "${describeService(v.id, v.svc)}" }`,
    `add counter ${T} vs${v.id}_in`,
    `add counter ${T} vs${v.id}_conn`,
    ...(v.mode === 'NAT' ? [`add counter ${T} vs${v.id}_out`] : []),
    `add map ${T} sched_${v.id} { typeof numgen inc mod 2 : meta mark;${v.shape.kind === 'numgen' ? ' flags interval;' : ''} }`,
    ...(persistent ? [`add map ${T} persist_${v.id} { type ${addrType(f)} : mark; flags dynamic,timeout; timeout ${v.svc.timeoutSec}s; }`] : []),
    `add chain ${T} ${chain}`,
  ];
  if (v.mode === 'NAT') {
    const k = v.svc.key;
    if (persistent) lines.push(rule(`ct mark set ${src} map @persist_${v.id}`), rule(`ct mark != 0 ct mark != @live ct mark set 0`));
    lines.push(rule(schedRuleBody(v, modulus)));
    if (persistent) lines.push(rule(`ct mark != 0 update @persist_${v.id} { ${src} : ct mark }`));
    lines.push(rule('ct mark != 0 counter name ct mark map @rs_conn'), rule('ct mark != 0 counter name ct mark map @vs_conn'));
    if (k.kind === 'address') lines.push(rule(`meta l4proto ${k.protocol.toLowerCase()} dnat ${ipf(f)} to ct mark map @addr${f}`));
    else
      lines.push(
        rule(`meta l4proto { tcp, udp, sctp } ct mark @with_port dnat ${ipf(f)} to ct mark map @addr${f}`),
        rule(`ct mark != 0 dnat ${ipf(f)} to ct mark map @addr${f}a`),
      );
  } else {
    // source port first: nft 1.0.6 aborts on `ip6 saddr . th sport : meta mark` in a dynset (register allocation)
    const flowKey = `th sport . ${ipf(f)} saddr`;
    lines.splice(
      lines.length - 1,
      0,
      `add map ${T} flows_${v.id} { type inet_service . ${addrType(f)} : mark; flags dynamic,timeout; timeout ${o.drFlowTimeoutSec}s; }`,
    );
    lines.push(
      rule('meta mark set 0'),
      rule(`meta mark set ${flowKey} map @flows_${v.id}`),
      rule('meta mark != 0 meta mark != @live meta mark set 0'),
    );
    if (persistent) lines.push(rule(`meta mark 0 meta mark set ${src} map @persist_${v.id}`));
    lines.push(
      rule(schedRuleBody(v, modulus)),
      rule('meta mark 0 accept'),
      rule(`meta mark & 0x${NEW_FLOW.toString(16)} != 0 counter name meta mark & 0x7fffffff map @rs_conn`),
      rule(`meta mark & 0x${NEW_FLOW.toString(16)} != 0 counter name meta mark & 0x7fffffff map @vs_conn`),
      rule('meta mark set meta mark & 0x7fffffff'),
      rule(`update @flows_${v.id} { ${flowKey} : meta mark }`),
    );
    if (persistent) lines.push(rule(`update @persist_${v.id} { ${src} : meta mark | 0x${NEW_FLOW.toString(16)} }`));
    lines.push(
      rule('counter name meta mark map @rs_in'),
      rule('counter name meta mark map @vs_in'),
      rule('ether saddr set meta mark map @smac ether daddr set meta mark map @dmac fwd to meta mark map @rs_dev'),
      rule('meta mark set 0'),
    );
  }
  const d = dispatchElement(v, chain);
  lines.push(`add element ${T} ${d.map} { ${d.text} }`);
  return lines;
}

/** Removes a service (its real servers must be removed first). */
export function renderServiceDelete(o: NftLbOptions, v: SvcView): string[] {
  const { T, chain } = where(o, v);
  const d = dispatchElement(v, chain);
  return [
    `delete element ${T} ${d.map} { ${d.text.replace(/ : goto .*/, '')} }`,
    `flush chain ${T} ${chain}`,
    `delete chain ${T} ${chain}`,
    `delete map ${T} sched_${v.id}`,
    ...(v.svc.timeoutSec > 0 ? [`delete map ${T} persist_${v.id}`] : []),
    ...(v.mode === 'DR' ? [`delete map ${T} flows_${v.id}`] : []),
    `delete counter ${T} vs${v.id}_in`,
    `delete counter ${T} vs${v.id}_conn`,
    ...(v.mode === 'NAT' ? [`delete counter ${T} vs${v.id}_out`] : []),
    `delete element ${T} ids { ${v.id} }`,
  ];
}

/* Real servers ------------------------------------------------------------------------------------------ */

/** A real server's elements and counters (not its scheduling slots: see renderSched). */
export function renderDestAdd(o: NftLbOptions, v: SvcView, d: DestView): string[] {
  const { T } = where(o, v);
  const id = d.id;
  const lines = [
    `add element ${T} ids { ${id} comment "${describeDest(id, d.sid, d.dest)}" }`,
    `add counter ${T} rs${id}_in`,
    `add counter ${T} rs${id}_conn`,
    `add element ${T} rs_in { ${id} : "rs${id}_in" }`,
    `add element ${T} rs_conn { ${id} : "rs${id}_conn" }`,
    `add element ${T} vs_in { ${id} : "vs${v.id}_in" }`,
    `add element ${T} vs_conn { ${id} : "vs${v.id}_conn" }`,
  ];
  if (v.mode === 'NAT') {
    const f = d.dest.family;
    lines.push(
      `add counter ${T} rs${id}_out`,
      `add element ${T} rs_out { ${id} : "rs${id}_out" }`,
      `add element ${T} vs_out { ${id} : "vs${v.id}_out" }`,
      `add element ${T} addr${f} { ${id} : ${d.dest.address} . ${d.dest.port} }`,
      `add element ${T} addr${f}a { ${id} : ${d.dest.address} }`,
    );
    if (d.dest.port !== 0) lines.push(`add element ${T} with_port { ${id} }`);
    if (o.masquerade) lines.push(`add element ${T} masq_ids { ${id} }`);
  } else if (d.link) {
    lines.push(
      `add element ${T} dmac { ${id} : ${d.link.mac} }`,
      `add element ${T} smac { ${id} : ${d.link.srcMac} }`,
      `add element ${T} rs_dev { ${id} : ${d.link.ifindex} }`,
    );
  }
  lines.push(`add element ${T} live { ${id} }`);
  return lines;
}

/** Removes a real server's elements and counters; `stale` are its persistence/flow keys to forget. */
export function renderDestDelete(o: NftLbOptions, v: SvcView, d: DestView, stale: readonly { map: string; key: string }[] = []): string[] {
  const { T } = where(o, v);
  const id = d.id;
  const lines = [
    `delete element ${T} live { ${id} }`,
    ...stale.map((s) => `delete element ${T} ${s.map} { ${s.key} }`),
    `delete element ${T} rs_in { ${id} }`,
    `delete element ${T} rs_conn { ${id} }`,
    `delete element ${T} vs_in { ${id} }`,
    `delete element ${T} vs_conn { ${id} }`,
    `delete counter ${T} rs${id}_in`,
    `delete counter ${T} rs${id}_conn`,
  ];
  if (v.mode === 'NAT') {
    const f = d.dest.family;
    lines.push(
      `delete element ${T} rs_out { ${id} }`,
      `delete element ${T} vs_out { ${id} }`,
      `delete counter ${T} rs${id}_out`,
      `delete element ${T} addr${f} { ${id} }`,
      `delete element ${T} addr${f}a { ${id} }`,
    );
    if (d.dest.port !== 0) lines.push(`delete element ${T} with_port { ${id} }`);
    if (o.masquerade) lines.push(`delete element ${T} masq_ids { ${id} }`);
  } else if (d.link) {
    lines.push(`delete element ${T} dmac { ${id} }`, `delete element ${T} smac { ${id} }`, `delete element ${T} rs_dev { ${id} }`);
  }
  lines.push(`delete element ${T} ids { ${id} }`);
  return lines;
}

/** A real server's description after an edit (weight, thresholds): its `ids` element is replaced. */
export function renderDestDescribe(o: NftLbOptions, v: SvcView, d: DestView): string[] {
  const { T } = where(o, v);
  return [`delete element ${T} ids { ${d.id} }`, `add element ${T} ids { ${d.id} comment "${describeDest(d.id, d.sid, d.dest)}" }`];
}

/* Scheduling elements ----------------------------------------------------------------------------------- */

/** The scheduling elements for slots (numgen) or a table (hash); DR ids carry NEW_FLOW. */
export function schedElements(v: SvcView, slots: SlotMap | readonly number[]): SchedElements {
  const tag = (id: number) => (v.mode === 'DR' ? (id | NEW_FLOW) >>> 0 : id);
  const elements = new Map<string, number>();
  if (Array.isArray(slots)) {
    (slots as readonly number[]).forEach((id, i) => elements.set(String(i), tag(id)));
    return { modulus: v.shape.kind === 'hash' && v.shape.table === 'mh' ? HASH_BUCKETS - 5 : HASH_BUCKETS, elements };
  }
  const s = slots as SlotMap;
  for (const [a, b, id] of s.ranges) elements.set(a === b ? String(a) : `${a}-${b}`, tag(id));
  return { modulus: s.modulus, elements };
}

/**
 * Takes a service's scheduling from `have` to `want`: element deletes and adds (a changed key is deleted and
 * re-added), and the one scheduling rule replaced in place (same handle) when the modulus changes.
 */
export function renderSched(o: NftLbOptions, v: SvcView, have: SchedElements, want: SchedElements, ruleHandle: number | undefined): string[] {
  const { T, chain } = where(o, v);
  const gone = [...have.elements].filter(([k, id]) => want.elements.get(k) !== id).map(([k]) => k);
  const added = [...want.elements].filter(([k, id]) => have.elements.get(k) !== id);
  const lines: string[] = [];
  if (gone.length) lines.push(`delete element ${T} sched_${v.id} { ${gone.join(', ')} }`);
  if (added.length) lines.push(`add element ${T} sched_${v.id} { ${added.map(([k, id]) => `${k} : ${id}`).join(', ')} }`);
  if (have.modulus !== want.modulus && ruleHandle !== undefined)
    lines.push(`replace rule ${T} ${chain} handle ${ruleHandle} ${schedRuleBody(v, want.modulus)}`);
  return lines;
}
