/**
 * IPv4/IPv6 addresses: text <-> bytes (inet_ntop's text for IPv6), byte equality and numeric comparison.
 * The one copy every layer uses (config, net, vrrp, check, probe, lb). Pure; no node:net.
 */

/** Formats 4 bytes as dotted-quad text. */
export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Formats 16 bytes as IPv6 text like inet_ntop: RFC 5952 (lower case, longest zero run of 2+ words compressed, first wins), IPv4-mapped/compatible dotted. */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  // IPv4-compatible (::a.b.c.d, not ::1 style) and IPv4-mapped (::ffff:a.b.c.d) print the last 32 bits dotted,
  // as glibc's and libuv's inet_ntop do (so log texts match keepalived's).
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    return `::${bestLen === 5 ? 'ffff:' : ''}${formatIpv4(b, off + 12)}`;
  }
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Parses dotted-quad IPv4 text (four decimal parts of 1-3 digits, each ≤ 255) into 4 bytes, or undefined when malformed. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // virtual trailing '.'
    if (c === 46) {
      if (digits === 0 || value > 255 || part > 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + (c - 48);
      digits++;
    } else return undefined;
  }
  return part === 4 ? out : undefined;
}

/** Parses IPv6 text (with `::`, optional trailing dotted quad, optional `%zone` ignored) into 16 bytes, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const s = text.split('%')[0]!;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parses an address of the given family; undefined when malformed. */
export function parseAddress(family: 4 | 6, text: string): Uint8Array | undefined {
  return family === 4 ? parseIpv4(text) : parseIpv6(text);
}

/** True when `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equality of two byte strings in time independent of where they differ (keepalived memcmp_constant_time; auth data). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Numeric comparison of two IP addresses of the same family given as text: <0, 0, >0 (malformed text sorts first). */
export function compareAddresses(a: string, b: string): number {
  const x = a.includes(':') ? parseIpv6(a) : parseIpv4(a);
  const y = b.includes(':') ? parseIpv6(b) : parseIpv4(b);
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  return compareBytes(x, y);
}

/** Lexicographic (network order) comparison of two byte strings; the shorter one sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
