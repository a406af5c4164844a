/**
 * The names ip(8) and keepalived accept for route tables, protocols, scopes, route types, DS fields, realms and
 * groups (keepalived's lib/rttables.c), and its number readers (strtoul with base 0: `0x..` hex, `0..` octal).
 *
 * keepalived reads /etc/iproute2/rt_tables, rt_protos, rt_dsfield, rt_realms and group and adds its defaults. The
 * tables below are those files as iproute2 installs them (Debian), so that a configuration means the same on every
 * host; a site's own names in those files are not read.
 */

/** rt_tables (RT_TABLE_MAX = 2^32 - 1). */
export const RT_TABLES: ReadonlyMap<string, number> = new Map([
  ['unspec', 0],
  ['default', 253],
  ['main', 254],
  ['local', 255],
]);
/** rt_protos plus keepalived's built-in ones. */
export const RT_PROTOS: ReadonlyMap<string, number> = new Map([
  ['unspec', 0],
  ['none', 0],
  ['redirect', 1],
  ['kernel', 2],
  ['boot', 3],
  ['static', 4],
  ['gated', 8],
  ['ra', 9],
  ['mrt', 10],
  ['zebra', 11],
  ['bird', 12],
  ['dnrouted', 13],
  ['xorp', 14],
  ['ntk', 15],
  ['dhcp', 16],
  ['keepalived', 18],
  ['babel', 42],
  ['openr', 99],
  ['bgp', 186],
  ['isis', 187],
  ['ospf', 188],
  ['rip', 189],
  ['eigrp', 192],
]);
/** rt_scopes. */
export const RT_SCOPES: ReadonlyMap<string, number> = new Map([
  ['global', 0],
  ['universe', 0],
  ['site', 200],
  ['link', 253],
  ['host', 254],
  ['nowhere', 255],
]);
/** Route types (rtntypes; `brd` is `broadcast`). */
export const RTN_TYPES: ReadonlyMap<string, number> = new Map([
  ['unicast', 1],
  ['local', 2],
  ['broadcast', 3],
  ['brd', 3],
  ['anycast', 4],
  ['multicast', 5],
  ['blackhole', 6],
  ['unreachable', 7],
  ['prohibit', 8],
  ['throw', 9],
  ['nat', 10],
  ['xresolve', 11],
]);
/** rt_dsfield. */
export const RT_DSFIELD: ReadonlyMap<string, number> = new Map([
  ['default', 0x0],
  ['AF11', 0x28],
  ['AF12', 0x30],
  ['AF13', 0x38],
  ['AF21', 0x48],
  ['AF22', 0x50],
  ['AF23', 0x58],
  ['AF31', 0x68],
  ['AF32', 0x70],
  ['AF33', 0x78],
  ['AF41', 0x88],
  ['AF42', 0x90],
  ['AF43', 0x98],
  ['CS1', 0x20],
  ['CS2', 0x40],
  ['CS3', 0x60],
  ['CS4', 0x80],
  ['CS5', 0xa0],
  ['CS6', 0xc0],
  ['CS7', 0xe0],
  ['EF', 0xb8],
]);
/** rt_realms. */
export const RT_REALMS: ReadonlyMap<string, number> = new Map([['cosmos', 0]]);
/** group (interface groups). */
export const RT_GROUPS: ReadonlyMap<string, number> = new Map([['default', 0]]);

/**
 * C's strtoul over the whole string (leading blanks and a `+` allowed; base 0 reads `0x` hex and `0` octal);
 * undefined unless every character was used. A leading `-` is refused (keepalived checks for it).
 */
export function strtoulAll(text: string, base: 0 | 10 | 16 = 0): number | undefined {
  const s = text.replace(/^[ \t\n\v\f\r]+/, '').replace(/^\+/, '');
  let b: number = base;
  let digits = s;
  if (b === 0 || b === 16) {
    if (/^0[xX][0-9a-fA-F]/.test(s)) {
      b = 16;
      digits = s.slice(2);
    } else if (b === 0) b = s.startsWith('0') ? 8 : 10;
  }
  const re = b === 16 ? /^[0-9a-fA-F]+$/ : b === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(digits)) return undefined;
  const n = parseInt(digits, b);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** keepalived's find_entry: a number (base 0) not above `max`, or a name of `names`. */
export function findEntry(text: string, names: ReadonlyMap<string, number>, max: number): number | undefined {
  if (text !== '' && !/^[ \t]*-/.test(text)) {
    const n = strtoulAll(text, 0);
    if (n !== undefined) return n <= max ? n : undefined;
  }
  return names.get(text);
}

/** `realms [FROM/]TO`: FROM << 16 | TO (keepalived's get_realms). */
export function readRealms(text: string): number | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return findEntry(text, RT_REALMS, 255);
  const from = findEntry(text.slice(0, slash), RT_REALMS, 255);
  const to = findEntry(text.slice(slash + 1), RT_REALMS, 255);
  return from === undefined || to === undefined ? undefined : ((from << 16) | to) >>> 0;
}
