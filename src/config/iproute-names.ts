/**
 * The names ip(8) and keepalived accept for route tables, protocols, scopes, route types, DS fields, realms and
 * groups (keepalived's lib/rttables.c), and its number readers (strtoul with base 0: `0x..` hex, `0..` octal).
 *
 * keepalived reads /etc/iproute2/rt_tables, rt_protos, rt_scopes, rt_dsfield, rt_realms and group and adds its
 * defaults. The tables below are those files as iproute2 installs them (Debian) plus keepalived's defaults: they are
 * the defaults here, so that a host without the files (a workstation running `--dump-config`) reads a configuration
 * as a Debian host does; `hostIpRouteNames` puts a site's own entries in front of them, as keepalived does.
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

/** The name tables a configuration's routes and rules are read with (keyed as iproute2's files). */
export interface IpRouteNames {
  readonly tables: ReadonlyMap<string, number>;
  readonly protos: ReadonlyMap<string, number>;
  readonly scopes: ReadonlyMap<string, number>;
  readonly dsfield: ReadonlyMap<string, number>;
  readonly realms: ReadonlyMap<string, number>;
  readonly groups: ReadonlyMap<string, number>;
}

/** The built-in tables alone (no host files read): what tests and a host without /etc/iproute2 use. */
export const DEFAULT_IPROUTE_NAMES: IpRouteNames = {
  tables: RT_TABLES,
  protos: RT_PROTOS,
  scopes: RT_SCOPES,
  dsfield: RT_DSFIELD,
  realms: RT_REALMS,
  groups: RT_GROUPS,
};

/** Each table's file under /etc/iproute2 and the largest number keepalived accepts in it. */
const FILES: Readonly<Record<keyof IpRouteNames, readonly [string, number]>> = {
  tables: ['rt_tables', 0xffffffff],
  protos: ['rt_protos', 255],
  scopes: ['rt_scopes', 255],
  dsfield: ['rt_dsfield', 255],
  realms: ['rt_realms', 255],
  groups: ['group', 0x7fffffff],
};

/**
 * keepalived's read_file then add_default (lib/rttables.c): the file's lines of exactly two words (a `#` or `!`
 * word ends a line) whose first is a number ≤ max, in file order, then each default whose number the file did not
 * name. A name found twice keeps its first number, as keepalived's list walk does.
 */
export function mergeIpRouteFile(text: string | undefined, defaults: ReadonlyMap<string, number>, max: number): ReadonlyMap<string, number> {
  if (text === undefined) return defaults;
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const words: string[] = [];
    for (const w of line.split(/[ \t\r\v\f]+/)) {
      if (w === '') continue;
      if (w.startsWith('#') || w.startsWith('!')) break;
      words.push(w);
    }
    if (words.length !== 2 || /^[ \t]*-/.test(words[0]!)) continue;
    const id = strtoulAll(words[0]!, 0);
    if (id === undefined || id > max) continue;
    if (!out.has(words[1]!)) out.set(words[1]!, id);
  }
  const used = new Set(out.values());
  for (const [name, id] of defaults) if (!used.has(id) && !out.has(name)) out.set(name, id);
  return out;
}

/** The name tables with this host's /etc/iproute2 files in front of the defaults (`readFile`: undefined if absent). */
export function hostIpRouteNames(readFile: (path: string) => string | undefined, dir = '/etc/iproute2/'): IpRouteNames {
  const table = (k: keyof IpRouteNames) => mergeIpRouteFile(readFile(dir + FILES[k][0]), DEFAULT_IPROUTE_NAMES[k], FILES[k][1]);
  return {
    tables: table('tables'),
    protos: table('protos'),
    scopes: table('scopes'),
    dsfield: table('dsfield'),
    realms: table('realms'),
    groups: table('groups'),
  };
}

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
export function readRealms(text: string, realms: ReadonlyMap<string, number> = RT_REALMS): number | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return findEntry(text, realms, 255);
  const from = findEntry(text.slice(0, slash), realms, 255);
  const to = findEntry(text.slice(slash + 1), realms, 255);
  return from === undefined || to === undefined ? undefined : ((from << 16) | to) >>> 0;
}
