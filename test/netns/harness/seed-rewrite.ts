/**
 * Rewrites a real-world keepalived.conf for the test topology (pure: text in, text out).
 *
 * - every interface named by an `interface NAME` line becomes `ifname` wherever the name stands as a word
 *   (`interface`, `dev`, `label eth1:0` → `label eth0:0`, `track_interface` entries);
 * - IPv4 addresses outside the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are moved
 *   into 192.0.2.0/24, keeping the last octet (172.30.1.200 → 192.0.2.200) unless `map` says otherwise;
 *   loopback (127.0.0.0/8: `smtp_server 127.0.0.1` reaches only the namespace's own loopback) and multicast
 *   (224.0.0.0/4: `vrrp_mcast_group4`) are kept;
 * - an IPv6 address outside 2001:db8::/32 is refused (no mapping is defined for it), except loopback, link-local
 *   and multicast;
 * - comments (`#` or `!` outside double quotes, to the end of the line) are left exactly as they are.
 *
 * It throws when two addresses would land on the same target, or a target is in `avoid` (the hosts' own
 * addresses), so a rewritten configuration never silently means something else.
 */

/** What to rewrite to. */
export interface SeedRewriteOptions {
  /** The interface every configured interface becomes (the topology's `eth0`). */
  readonly ifname: string;
  /** Explicit address mappings (source → target), applied before the last-octet rule. */
  readonly map?: Readonly<Record<string, string>>;
  /** Targets that must not be produced (e.g. the hosts' own addresses). */
  readonly avoid?: readonly string[];
}

/** The rewritten text and what was changed. */
export interface SeedRewrite {
  readonly text: string;
  /** Every IPv4 address that was moved, source → target. */
  readonly addresses: ReadonlyMap<string, string>;
  /** Every interface that was renamed, source → target. */
  readonly interfaces: ReadonlyMap<string, string>;
}

const IPV4 = /(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w.])/g;
const IPV6 = /(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi;
const KEPT_V4: readonly (readonly [number, number, number])[] = [
  [192, 0, 2],
  [198, 51, 100],
  [203, 0, 113],
];

/** Splits a line into its configuration part and its comment (lib/parser.c: `#` or `!` outside quotes). */
function splitComment(line: string): [string, string] {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\') i++;
    else if (!quoted && (ch === '#' || ch === '!')) return [line.slice(0, i), line.slice(i)];
  }
  return [line, ''];
}

/** True for addresses the rewrite leaves alone. */
function keptV4(o: readonly number[]): boolean {
  if (o[0] === 127 || (o[0]! >= 224 && o[0]! <= 239)) return true;
  return KEPT_V4.some(([a, b, c]) => o[0] === a && o[1] === b && o[2] === c);
}

/** Rewrites `text` (a keepalived.conf) for the test topology; see the module comment for the rules. */
export function rewriteSeedConfig(text: string, opts: SeedRewriteOptions): SeedRewrite {
  const lines = text.split('\n').map(splitComment);
  const interfaces = new Map<string, string>();
  for (const [conf] of lines) {
    const m = /^\s*interface\s+(\S+)/.exec(conf);
    if (m && m[1] !== opts.ifname) interfaces.set(m[1]!, opts.ifname);
  }
  const addresses = new Map<string, string>();
  const targets = new Map<string, string>();
  const avoid = new Set(opts.avoid ?? []);
  const moveV4 = (addr: string, octets: number[]): string => {
    if (octets.some((o) => o > 255)) throw new Error(`not an IPv4 address: ${addr}`);
    if (keptV4(octets)) return addr;
    const to = opts.map?.[addr] ?? `192.0.2.${octets[3]}`;
    const clash = targets.get(to);
    if (avoid.has(to) || (clash !== undefined && clash !== addr)) throw new Error(`${addr} → ${to} collides; give it an explicit map entry`);
    targets.set(to, addr);
    addresses.set(addr, to);
    return to;
  };
  const out = lines.map(([conf, comment]) => {
    let c = conf.replace(IPV4, (addr, a: string, b: string, cc: string, d: string) => moveV4(addr, [a, b, cc, d].map(Number)));
    for (const [v6] of c.matchAll(IPV6)) {
      if (!v6.includes('::') && v6.split(':').length !== 8) continue; // a MAC address or a label suffix, not IPv6
      if (!/^(2001:0?db8:|ff[0-9a-f]{2}:|fe80:|::1?$)/i.test(v6)) throw new Error(`IPv6 address ${v6} is outside 2001:db8::/32 and has no mapping`);
    }
    for (const [from, to] of interfaces) c = c.replace(new RegExp(`(?<![\\w.-])${escapeRe(from)}(?![\\w.-])`, 'g'), to);
    return c + comment;
  });
  return { text: out.join('\n'), addresses, interfaces };
}

/** Escapes a string for use inside a RegExp. */
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
