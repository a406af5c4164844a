/**
 * Routes and policy rules in `ip route` / `ip rule` syntax, as keepalived 2.2.7 reads them for `static_routes`,
 * `static_rules` (top level) and `virtual_routes`, `virtual_rules` (vrrp_instance) — vrrp_iproute.c `alloc_route`
 * and vrrp_iprule.c `alloc_rule`, with their message texts. `static_ipaddress` reuses the VIP reader.
 */
import { isIP } from 'node:net';
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import type { Mutable, NexthopConfig, Prefix, RouteConfig, RouteMetrics, RuleConfig, VirtualAddress } from './model.js';
import type { ConfNode } from './tree.js';
import type { Token } from './lexer.js';
import { readVirtualAddress } from './parse-vrrp.js';
import { DEFAULT_IPROUTE_NAMES, findEntry, readRealms, RTN_TYPES, strtoulAll, type IpRouteNames } from './iproute-names.js';
import { nullStrvecMessage, valueLines } from './values.js';

/** keepalived's route protocol (RTPROT_KEEPALIVED): routes and rules it tracks carry it. */
export const RTPROT_KEEPALIVED = 18;

/** A word missing at the end of a line: keepalived's null_strvec message; the line is dropped. */
class MissingWord extends Error {
  constructor(readonly index: number) {
    super(`missing word ${index}`);
  }
}

/** The words of a route or rule line, read as keepalived's strvec (index 0 is the first word). */
class Words {
  constructor(
    readonly w: readonly Token[],
    private readonly d: DiagnosticSink,
    /** The iproute2 name tables the words are read with. */
    readonly names: IpRouteNames,
  ) {}
  get length(): number {
    return this.w.length;
  }
  /** The text of word `i`; a missing word ends the line's parse (keepalived exits on it). */
  at(i: number): string {
    const t = this.w[i];
    if (!t) throw new MissingWord(i);
    return t.text;
  }
  pos(i: number): SourcePos {
    return (this.w[Math.min(i, this.w.length - 1)] as Token).pos;
  }
  /** Word `i` as a name of iproute2's `table` or a number ≤ max; `message` (%s: the word) is reported when it is neither. */
  named(i: number, table: keyof IpRouteNames, max: number, message: string): number | undefined {
    const v = this.at(i);
    const n = findEntry(v, this.names[table], max);
    if (n === undefined) this.d.error(this.pos(i), message.replace('%s', v));
    return n;
  }
  /** Reports keepalived's message for a missing word. */
  missing(i: number): void {
    this.d.missingWord(this.pos(i), nullStrvecMessage(this.w[0]?.text ?? '***MISSING ***', this.w[i - 1]?.text, i));
  }
}

/** `default`/`any`/`all` (family open), `default6` (IPv6), or an address with an optional /len (keepalived's parse_route). */
function parseRouteAddress(text: string, at: SourcePos, d: DiagnosticSink): { family?: 4 | 6; address?: string; prefixLength: number } | undefined {
  if (text === 'default' || text === 'any' || text === 'all') return { prefixLength: 0 };
  if (text === 'default6') return { family: 6, prefixLength: 0 };
  const family: 4 | 6 = text.includes(':') ? 6 : 4;
  const max = family === 4 ? 32 : 128;
  let prefixLength = max;
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  if (slash >= 0) {
    const len = text.slice(slash + 1);
    const n = /^-/.test(len.trim()) ? undefined : strtoulAll(len, 10);
    if (n === undefined || n > max) d.keptError(at, `Invalid address prefix len ${len} for address ${text} - using ${max}`);
    else prefixLength = n;
  }
  if (isIP(addr) !== family) return undefined;
  return { family, address: addr, prefixLength };
}

/** The all-zero address of a family (a `default` destination). */
const zero = (f: 4 | 6): string => (f === 4 ? '0.0.0.0' : '::');

/** keepalived's get_u32/get_u8: an unsigned decimal not above `max`; the message (with %s) when not. */
function readU(text: string, max: number, message: string, at: SourcePos, d: DiagnosticSink): number | undefined {
  const n = /^[ \t]*-/.test(text) ? undefined : strtoulAll(text, 10);
  if (n === undefined || n > max) {
    d.error(at, message.replace('%s', text));
    return undefined;
  }
  return n;
}

/** RTT limits of the kernel (tcp.h TCP_RTO_MIN/MAX), in ms. */
const RTT_MIN_MS = 200;
const RTT_MAX_MS = 120_000;

/**
 * keepalived's get_time_rtt: `N` (already in the kernel's unit), `Nms` or `N[.fff]s` (converted with `mult` units per
 * ms), clamped to [200 ms, 120 s] in that unit; undefined when invalid.
 */
export function readRtt(text: string, mult: number): number | undefined {
  const s = text.trim();
  const m = /^(.*?)(ms|s|sec|secs)$/i.exec(s);
  let ms: number;
  let raw = true;
  if (/[sS]/.test(s)) {
    if (!m || m[1] === '') return undefined;
    raw = false;
    const num = m[1] as string;
    const shift = m[2]!.toLowerCase() === 'ms' ? 0 : 3;
    if (/[eE]/.test(num)) return undefined;
    const dm = /^(\d*)(?:\.(\d*))?$/.exec(num);
    if (!dm || (dm[1] === '' && (dm[2] ?? '') === '') || (dm[2]?.length ?? 0) > shift) return undefined;
    ms = Number(dm[1] || '0') * 10 ** shift + Number((dm[2] ?? '').padEnd(shift, '0') || '0');
  } else {
    if (/[eE]/.test(s) || !/^\d+$/.test(s)) return undefined;
    ms = Number(s);
  }
  if (ms > RTT_MAX_MS * mult) return undefined;
  let v = raw ? ms : ms * mult;
  if (v > RTT_MAX_MS * mult) v = RTT_MAX_MS * mult;
  else if (v < RTT_MIN_MS * mult) v = RTT_MIN_MS * mult;
  return v;
}

/** RTAX ids of the lockable metrics (linux/rtnetlink.h). */
export const RTAX = {
  LOCK: 1,
  MTU: 2,
  WINDOW: 3,
  RTT: 4,
  RTTVAR: 5,
  SSTHRESH: 6,
  CWND: 7,
  ADVMSS: 8,
  REORDERING: 9,
  HOPLIMIT: 10,
  INITCWND: 11,
  FEATURES: 12,
  RTO_MIN: 13,
  INITRWND: 14,
  QUICKACK: 15,
  CC_ALGO: 16,
  FASTOPEN_NO_COOKIE: 17,
} as const;

/** Metric keywords that take `lock`: their RTAX id, keepalived's message for a bad value, and the reader. */
const LOCKABLE: ReadonlyMap<
  string,
  { rtax: number; key: keyof RouteMetrics; read: (v: string, at: SourcePos, d: DiagnosticSink) => number | undefined }
> = new Map([
  ['mtu', { rtax: RTAX.MTU, key: 'mtu', read: (v, at, d) => readU(v, 0xffffffff, 'Invalid MTU %s specified for route', at, d) }],
  ['advmss', { rtax: RTAX.ADVMSS, key: 'advmss', read: (v, at, d) => readU(v, 0xffffffff, 'Invalid advmss %s specified for route', at, d) }],
  [
    'reordering',
    { rtax: RTAX.REORDERING, key: 'reordering', read: (v, at, d) => readU(v, 0xffffffff, 'Invalid reordering value %s specified for route', at, d) },
  ],
  ['cwnd', { rtax: RTAX.CWND, key: 'cwnd', read: (v, at, d) => readU(v, 0xffffffff, 'Invalid cwnd value %s specified for route', at, d) }],
  [
    'ssthresh',
    { rtax: RTAX.SSTHRESH, key: 'ssthresh', read: (v, at, d) => readU(v, 0xffffffff, 'Invalid ssthresh value %s specified for route', at, d) },
  ],
  ['rtt', { rtax: RTAX.RTT, key: 'rtt', read: (v, at, d) => rtt(v, 8, `Invalid rtt ${v} for route`, at, d) }],
  ['rttvar', { rtax: RTAX.RTTVAR, key: 'rttvar', read: (v, at, d) => rtt(v, 4, `Invalid rttvar ${v} for route`, at, d) }],
  ['rto_min', { rtax: RTAX.RTO_MIN, key: 'rtoMin', read: (v, at, d) => rtt(v, 1, `Invalid rto_min value ${v} specified for route`, at, d) }],
]);
/** Metric keywords without `lock`. */
const PLAIN: ReadonlyMap<string, { key: keyof RouteMetrics; max: number; message: string }> = new Map([
  ['hoplimit', { key: 'hoplimit', max: 255, message: 'Invalid hoplimit %s specified for route' }],
  ['window', { key: 'window', max: 0xffffffff, message: 'Invalid window value %s specified for route' }],
  ['initcwnd', { key: 'initcwnd', max: 0xffffffff, message: 'Invalid initcwnd value %s specified for route' }],
  ['initrwnd', { key: 'initrwnd', max: 0xffffffff, message: 'Invalid initrwnd value %s specified for route' }],
  ['quickack', { key: 'quickack', max: 1, message: 'Invalid quickack value %s specified for route' }],
  ['fastopen_no_cookie', { key: 'fastopenNoCookie', max: 1, message: 'Invalid fastopen_no_cookie value %s specified for route' }],
]);

function rtt(v: string, mult: number, message: string, at: SourcePos, d: DiagnosticSink): number | undefined {
  const n = readRtt(v, mult);
  if (n === undefined) d.error(at, message);
  return n;
}

/** A route (keepalived's alloc_route); undefined when keepalived drops it (the reason reported). */
export function readRoute(node: ConfNode, d: DiagnosticSink, allowTrackGroup = true, names = DEFAULT_IPROUTE_NAMES): RouteConfig | undefined {
  const w = new Words([node.keyword, ...node.args], d, names);
  try {
    return parseRoute(w, node, d, allowTrackGroup);
  } catch (e) {
    if (!(e instanceof MissingWord)) throw e;
    w.missing(e.index);
    return undefined;
  }
}

function parseRoute(w: Words, node: ConfNode, d: DiagnosticSink, allowTrackGroup: boolean): RouteConfig | undefined {
  const r: Mutable<Partial<RouteConfig>> & { options: Record<string, string> } = { table: 254, noTrack: false, options: {}, pos: node.keyword.pos };
  const metrics: Mutable<RouteMetrics> = {};
  let lock = 0;
  let family: 4 | 6 | undefined;
  let dst: { family?: 4 | 6; address?: string; prefixLength: number } | undefined;
  let dstText = '';
  let fromFamily: 4 | 6 | undefined;
  let protocolSet = false;
  const nexthops: Mutable<NexthopConfig>[] = [];
  let viaTaken: string | undefined;
  const mix = (f: 4 | 6 | undefined, i: number, message = 'Cannot mix IPv4 and IPv6 addresses for route'): boolean => {
    if (f === undefined) return true;
    if (family === undefined) {
      family = f;
      return true;
    }
    if (family !== f) {
      d.error(w.pos(i), message);
      return false;
    }
    return true;
  };
  let i = 0;
  while (i < w.length) {
    const s = w.at(i);
    const lockable = LOCKABLE.get(s);
    const plain = PLAIN.get(s);
    if (s === 'inet6' || s === 'inet') {
      const f = s === 'inet' ? 4 : 6;
      if (family !== undefined && family !== f) {
        d.error(w.pos(i), `${s} specified for IPv${f === 4 ? 6 : 4} route`);
        return undefined;
      }
      family = f;
      i++; // keepalived 2.2.7 steps over the word after inet/inet6 as well (`inet6 default …` loses `default`)
    } else if (s === 'src') {
      const v = w.at(++i);
      const f = isIP(v);
      if (f === 0) {
        d.error(w.pos(i), `invalid route src address ${v}`);
        return undefined;
      }
      if (!mix(f as 4 | 6, i)) return undefined;
      r.source = v;
    } else if (s === 'as') {
      if (w.at(++i) === 'to') i++;
      d.keptError(w.pos(i), '"as to" for MPLS only - ignoring');
    } else if (s === 'via' || s === 'gw') {
      if (s === 'gw') d.keptError(w.pos(i), '"gw" for routes is deprecated. Please use "via"');
      let v = w.at(++i);
      let f: 4 | 6 | undefined = family;
      if (v === 'inet' || v === 'inet6') {
        f = v === 'inet' ? 4 : 6;
        v = w.at(++i);
      }
      if (!mix(f, i)) return undefined;
      const af = isIP(v);
      if (af === 0) {
        d.error(w.pos(i), `invalid route via address ${v}`);
        return undefined;
      }
      if (!mix(af as 4 | 6, i)) return undefined;
      r.gateway = v;
    } else if (s === 'from') {
      const v = w.at(++i);
      const p = parseRouteAddress(v, w.pos(i), d);
      if (!p) {
        d.error(w.pos(i), `invalid route from address ${v}`);
        return undefined;
      }
      if (p.family !== 6) {
        d.error(w.pos(i), `route from address only supported with IPv6 (${v})`);
        return undefined;
      }
      if (!mix(6, i)) return undefined;
      fromFamily = 6;
      r.from = { address: p.address ?? zero(6), prefixLength: p.prefixLength };
    } else if (s === 'tos' || s === 'dsfield') {
      const n = w.named(++i, 'dsfield', 255, 'TOS value %s is invalid');
      if (n === undefined) return undefined;
      r.tos = n;
    } else if (s === 'table') {
      const n = w.named(++i, 'tables', 0xffffffff, 'Routing table %s not found for route');
      if (n === undefined) return undefined;
      r.table = n;
    } else if (s === 'protocol') {
      const n = w.named(++i, 'protos', 255, 'Protocol %s not found or invalid for route');
      if (n === undefined) return undefined;
      r.protocol = n;
      protocolSet = true;
    } else if (s === 'scope') {
      const n = w.named(++i, 'scopes', 255, 'Scope %s not found or invalid for route');
      if (n === undefined) return undefined;
      r.scope = n;
    } else if (s === 'metric' || s === 'priority' || s === 'preference') {
      const v = w.at(++i);
      const n = readU(v, 0xffffffff, 'Invalid metric %s specified for route', w.pos(i), d);
      if (n === undefined) return undefined;
      r.metric = n;
    } else if (s === 'dev' || s === 'oif') {
      r.dev = w.at(++i);
    } else if (s === 'onlink') {
      r.onlink = true;
    } else if (s === 'encap') {
      d.warning(w.pos(i), "route: 'encap' is not supported yet - the route is set without it");
      r.options.encap = w.at(++i);
    } else if (s === 'expires') {
      const v = w.at(++i);
      if (family === 4) {
        d.error(w.pos(i), 'expires is only valid for IPv6');
        return undefined;
      }
      family = 6;
      const n = readU(v, 0xffffffff, 'Invalid expires time %s specified for route', w.pos(i), d);
      if (n === undefined) return undefined;
      r.expires = n;
    } else if (lockable) {
      let v = w.at(++i);
      if (v === 'lock') {
        lock |= 1 << lockable.rtax;
        v = w.at(++i);
      }
      const n = lockable.read(v, w.pos(i), d);
      if (n === undefined) return undefined;
      metrics[lockable.key] = n as never;
    } else if (plain) {
      const v = w.at(++i);
      const n = readU(v, plain.max, plain.message, w.pos(i), d);
      if (n === undefined) return undefined;
      metrics[plain.key] = n as never;
    } else if (s === 'realms') {
      const v = w.at(++i);
      const n = readRealms(v, w.names.realms);
      if (n === undefined) {
        d.error(w.pos(i), `Invalid realms ${v} for route`);
        return undefined;
      }
      if (family === 6) {
        d.error(w.pos(i), 'realms are only valid for IPv4');
        return undefined;
      }
      family = 4;
      r.realms = n;
    } else if (s === 'features') {
      const v = w.at(++i);
      if (v === 'ecn') metrics.features = (metrics.features ?? 0) | 1;
      else d.keptError(w.pos(i), `feature ${v} not supported`);
    } else if (s === 'congctl') {
      let v = w.at(++i);
      if (v === 'lock') {
        lock |= 1 << RTAX.CC_ALGO;
        v = w.at(++i);
      }
      metrics.congctl = v;
    } else if (s === 'pref') {
      const v = w.at(++i);
      if (family === 4) {
        d.error(w.pos(i), 'pref is only valid for IPv6');
        return undefined;
      }
      family = 6;
      const named = ({ low: 3, medium: 0, high: 1 } as Record<string, number>)[v];
      const n = named ?? readU(v, 255, 'Invalid pref value %s specified for route', w.pos(i), d);
      if (n === undefined) return undefined;
      r.pref = n;
    } else if (s === 'ttl-propagate') {
      const v = w.at(++i);
      if (v === 'enabled' || v === 'disabled') r.ttlPropagate = v === 'enabled';
      else {
        d.keptError(w.pos(i), `ttl-propagate value ${v} not recognised`);
        r.ttlPropagate = false;
      }
    } else if (s === 'add') {
      r.mode = 'add';
    } else if (s === 'prepend') {
      delete r.mode;
    } else if (s === 'append') {
      r.mode = 'append';
    } else if (s === 'or') {
      d.keptError(w.pos(i), '"or" for routes is deprecated. Please use "nexthop"');
      if (nexthops.length) {
        d.keptError(w.pos(i), '"or" route already specified - ignoring subsequent');
        i += 2;
        continue;
      }
      const v = w.at(++i);
      if (isIP(v) === 0) {
        d.error(w.pos(i), `Invalid "or" address ${v}`);
        return undefined;
      }
      nexthops.push(r.gateway !== undefined ? { gateway: r.gateway } : {}, { gateway: v });
      viaTaken = r.gateway;
      delete r.gateway;
    } else if (s === 'nexthop') {
      if (nexthops.length) d.keptError(w.pos(i), 'Cannot specify nexthops with "or" route');
      else {
        const res = parseNexthops(w, i, family, d);
        if (!res) return undefined;
        family = res.family;
        nexthops.push(...res.nexthops);
        i = w.length;
      }
      break;
    } else if (s === 'no_track') {
      r.noTrack = true;
    } else if (allowTrackGroup && s === 'track_group') {
      const v = w.at(++i);
      if (r.trackGroup !== undefined) {
        d.keptError(w.pos(i), `track_group ${v} is a duplicate`);
        break;
      }
      r.trackGroup = v;
    } else if (s === 'vrf') {
      // keepalived finds the VRF among the host's interfaces and uses its table; we cannot without the host
      const v = w.at(++i);
      d.error(w.pos(i), `VRF ${v} not found for route`);
      return undefined;
    } else {
      const typeWord = s;
      if (s === 'to') i++;
      const type = RTN_TYPES.get(typeWord);
      if (type !== undefined) {
        r.type = typeWord === 'brd' ? 'broadcast' : typeWord;
        i++;
      }
      dstText = w.at(i);
      const p = parseRouteAddress(dstText, w.pos(i), d);
      if (!p) {
        d.error(w.pos(i), `unknown route keyword ${dstText}`);
        return undefined;
      }
      if (p.family !== undefined && family !== undefined && p.family !== family) {
        d.error(w.pos(i), `Cannot mix IPv4 and IPv6 addresses for route (${dstText})`);
        return undefined;
      }
      family ??= p.family;
      dst = p;
    }
    i++;
  }
  if (i < w.length) {
    d.error(w.pos(i), `Route has trailing nonsense - ${w.at(i)}`);
    return undefined;
  }
  void viaTaken;
  void fromFamily;
  if (!dst) {
    d.error(node.keyword.pos, 'Route must have a destination');
    return undefined;
  }
  if (!r.noTrack) {
    if (protocolSet && r.protocol !== RTPROT_KEEPALIVED) {
      d.keptError(node.keyword.pos, `Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(${RTPROT_KEEPALIVED}), resetting protocol`);
    }
    r.protocol = RTPROT_KEEPALIVED;
    if (!r.dev) {
      d.keptError(node.keyword.pos, `Warning - cannot track route ${dstText} with no interface specified, not tracking`);
      r.noTrack = true;
    }
  }
  if (r.trackGroup !== undefined && !r.dev) {
    d.keptError(node.keyword.pos, 'Static route cannot have track group if no oif specified');
    delete r.trackGroup;
  }
  const f: 4 | 6 = family ?? 4;
  if (Object.keys(metrics).length) r.metrics = lock ? { ...metrics, lock } : metrics;
  if (nexthops.length) r.nexthops = nexthops;
  if (Object.keys(r.options).length === 0) r.options = {};
  return { ...(r as RouteConfig), family: f, destination: dst.address ?? zero(f), prefixLength: dst.prefixLength };
}

/** `nexthop via ADDR dev IF weight N onlink realms R nexthop …` (keepalived's parse_nexthops). */
function parseNexthops(
  w: Words,
  i: number,
  family: 4 | 6 | undefined,
  d: DiagnosticSink,
): { family: 4 | 6 | undefined; nexthops: NexthopConfig[] } | undefined {
  const out: NexthopConfig[] = [];
  let f = family;
  while (i < w.length && w.at(i) === 'nexthop') {
    i++;
    const nh: Mutable<NexthopConfig> = {};
    let viaFamily: 4 | 6 | undefined;
    for (; i < w.length; i++) {
      const s = w.at(i);
      if (s === 'via') {
        let v = w.at(++i);
        if (v === 'inet' || v === 'inet6') {
          viaFamily = v === 'inet' ? 4 : 6;
          v = w.at(++i);
        }
        if (viaFamily !== undefined) {
          if (f === undefined) f = viaFamily;
          else if (f !== viaFamily) {
            d.error(w.pos(i), 'IPv4/6 mismatch for nexthop');
            return undefined;
          }
        }
        const af = isIP(v);
        if (af === 0) {
          d.error(w.pos(i), `invalid nexthop address ${v}`);
          return undefined;
        }
        if (f !== undefined && af !== f) {
          d.error(w.pos(i), 'Address family mismatch for next hop');
          return undefined;
        }
        f ??= af as 4 | 6;
        nh.gateway = v;
      } else if (s === 'dev') {
        nh.dev = w.at(++i);
      } else if (s === 'weight') {
        const v = w.at(++i);
        const n = readU(v, 256, 'Invalid weight %s specified for route', w.pos(i), d);
        if (n === undefined) return undefined;
        if (n === 0) {
          d.error(w.pos(i), 'Invalid weight 0 specified for route');
          return undefined;
        }
        nh.weight = n;
      } else if (s === 'onlink') {
        nh.onlink = true;
      } else if (s === 'encap') {
        d.warning(w.pos(i), "route: 'encap' is not supported yet - the next hop is set without it");
        i++;
      } else if (s === 'realms') {
        const v = w.at(++i);
        const n = readRealms(v, w.names.realms);
        if (n === undefined) {
          d.error(w.pos(i), `Invalid realms ${v} for route`);
          return undefined;
        }
        if (f === undefined) f = 4;
        else if (f !== 4) {
          d.error(w.pos(i), 'realms are only supported for IPv4');
          return undefined;
        }
        nh.realms = n;
      } else if (s === 'as') {
        if (w.at(++i) === 'to') i++;
        d.error(w.pos(i), "'as [to]' (nat) not supported");
        return undefined;
      } else break;
    }
    out.push(nh);
  }
  if (i < w.length) {
    d.error(w.pos(i), `Route has trailing nonsense after nexthops - ${w.at(i)}`);
    return undefined;
  }
  return { family: f, nexthops: out };
}

/** keepalived's first preference for rules written without one (counting down, per family, per load). */
export const RULE_START_PRIORITY = 16384;
/** The next automatic rule preference of a load (keyed by its diagnostic sink: one per load, no global state). */
const nextRulePriority = new WeakMap<DiagnosticSink, { 4: number; 6: number }>();

/** /etc/protocols names keepalived's `ipproto` resolves (getprotobyname); numbers up to 127 as keepalived. */
const IP_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['ip', 0],
  ['icmp', 1],
  ['igmp', 2],
  ['tcp', 6],
  ['udp', 17],
  ['ipv6', 41],
  ['gre', 47],
  ['esp', 50],
  ['ah', 51],
  ['ipv6-icmp', 58],
  ['icmpv6', 58],
  ['ospf', 89],
  ['vrrp', 112],
  ['l2tp', 115],
  ['sctp', 132],
  ['udplite', 136],
]);

/** `N-M` (sscanf "%hu-%hu"). */
function readPortRange(text: string): { start: number; end: number } | undefined {
  // keepalived 2.2.7 sets end = start for a single port but then refuses anything but two numbers: so do we
  const m = /^[ \t]*\+?(\d+)-[ \t]*\+?(\d+)/.exec(text);
  return m ? { start: Number(m[1]) & 0xffff, end: Number(m[2]) & 0xffff } : undefined;
}

/** A rule (keepalived's alloc_rule); undefined when keepalived drops it (the reason reported). */
export function readRule(node: ConfNode, d: DiagnosticSink, allowTrackGroup = true, names = DEFAULT_IPROUTE_NAMES): RuleConfig | undefined {
  const w = new Words([node.keyword, ...node.args], d, names);
  try {
    return parseRule(w, node, d, allowTrackGroup);
  } catch (e) {
    if (!(e instanceof MissingWord)) throw e;
    w.missing(e.index);
    return undefined;
  }
}

const MORE_THAN_ONE = 'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule';

function parseRule(w: Words, node: ConfNode, d: DiagnosticSink, allowTrackGroup: boolean): RuleConfig | undefined {
  const r: Mutable<Partial<RuleConfig>> = { invert: false, noTrack: false, pos: node.keyword.pos };
  let family: 4 | 6 | undefined;
  let tableOption = false;
  let protocolSet = false;
  const prefix = (text: string, i: number, what: string): Prefix | undefined | false => {
    const p = parseRouteAddress(text, w.pos(i), d);
    if (!p) {
      d.error(w.pos(i), `Invalid rule ${what} address ${text}`);
      return undefined;
    }
    if (p.family !== undefined) {
      if (family === undefined) family = p.family;
      else if (family !== p.family) {
        d.error(w.pos(i), 'rule specification has mixed IPv4 and IPv6');
        return false;
      }
    }
    return { address: p.address ?? '', prefixLength: p.prefixLength };
  };
  for (let i = 0; i < w.length; i++) {
    const s = w.at(i);
    if (s === 'inet6' || s === 'inet') {
      const f = s === 'inet' ? 4 : 6;
      if (family !== undefined && family !== f) {
        d.error(w.pos(i), `${s} specified for IPv${f === 4 ? 6 : 4} rule`);
        return undefined;
      }
      family = f;
      i++; // as keepalived 2.2.7: the word after inet/inet6 is stepped over
    } else if (s === 'from' || s === 'to') {
      const p = prefix(w.at(++i), i, s);
      if (!p) return undefined;
      r[s] = p;
    } else if (s === 'table' || s === 'lookup') {
      const n = w.named(++i, 'tables', 0xffffffff, 'Routing table %s not found for rule');
      if (n === undefined) return undefined;
      if (n === 0) {
        d.error(w.pos(i), 'Table 0 is not valid');
        return undefined;
      }
      r.table = n;
      if (r.action !== undefined) {
        d.error(w.pos(i), MORE_THAN_ONE);
        return undefined;
      }
      r.action = 'table';
    } else if (s === 'not') {
      r.invert = true;
    } else if (s === 'preference' || s === 'order' || s === 'priority') {
      const v = w.at(++i);
      const n = /^[ \t]*-/.test(v) ? undefined : strtoulAll(v, 0);
      if (n === undefined || n > 0xffffffff) {
        d.error(w.pos(i), `Invalid rule preference ${s} specified`);
        return undefined;
      }
      r.priority = n;
    } else if (s === 'tos' || s === 'dsfield') {
      const n = w.named(++i, 'dsfield', 255, 'TOS value %s is invalid');
      if (n === undefined) return undefined;
      r.tos = n;
    } else if (s === 'fwmark') {
      const v = w.at(++i);
      const m = /^[ \t]*([^/]*)(?:\/(.*))?$/.exec(v);
      const mark = m && !/^-/.test(m[1] ?? '') ? strtoulAll(m[1] ?? '', 0) : undefined;
      const mask = m?.[2] !== undefined ? (/^[\s-]/.test(m[2]) ? undefined : strtoulAll(m[2], 0)) : 0;
      if (mark === undefined || mask === undefined || mark > 0xffffffff || mask > 0xffffffff) {
        d.error(w.pos(i), `Invalid rule fwmark ${v} specified`);
        return undefined;
      }
      r.fwmark = mark;
      if (m?.[2] !== undefined) r.fwmask = mask;
    } else if (s === 'realms') {
      const v = w.at(++i);
      const n = readRealms(v, w.names.realms);
      if (n === undefined) {
        d.error(w.pos(i), `invalid realms ${v} for rule`);
        return undefined;
      }
      r.realms = n;
      tableOption = true;
      if (family === undefined) family = 4;
      else if (family !== 4) {
        d.error(w.pos(i), 'realms is only valid for IPv4');
        return undefined;
      }
    } else if (s === 'suppress_prefixlength' || s === 'sup_pl') {
      const v = w.at(++i);
      const n = /^[ \t]*-/.test(v) ? undefined : strtoulAll(v, 10);
      if (n === undefined || n > 0x7fffffff) {
        d.error(w.pos(i), `Invalid suppress_prefixlength ${s} specified`);
        return undefined;
      }
      r.suppressPrefixLength = n;
      tableOption = true;
    } else if (s === 'suppress_ifgroup' || s === 'sup_group') {
      const n = w.named(++i, 'groups', 0x7fffffff, 'suppress_group %s is invalid');
      if (n === undefined) return undefined;
      r.suppressIfgroup = n;
      tableOption = true;
    } else if (s === 'dev' || s === 'iif') {
      r.iif = w.at(++i);
    } else if (s === 'oif') {
      r.oif = w.at(++i);
    } else if (s === 'tunnel-id') {
      const v = w.at(++i);
      if (!/^[ \t]*\+?\d+$/.test(v) || BigInt(v.trim()) > 0xffffffffffffffffn) {
        d.error(w.pos(i), `Invalid tunnel-id ${s} specified`);
        return undefined;
      }
      r.tunnelId = BigInt(v.trim()).toString();
    } else if (s === 'uidrange') {
      const v = w.at(++i);
      const m = /^[ \t]*\+?(\d+)-[ \t]*\+?(\d+)/.exec(v);
      if (!m) {
        d.error(w.pos(i), `Invalid uidrange ${s} specified`);
        return undefined;
      }
      r.uidRange = { start: Number(m[1]) >>> 0, end: Number(m[2]) >>> 0 };
    } else if (s === 'l3mdev') {
      r.l3mdev = true;
      if (r.action !== undefined) {
        d.error(w.pos(i), 'Cannot specify l3mdev with other action');
        return undefined;
      }
      r.action = 'table';
    } else if (s === 'protocol') {
      const v = w.at(++i);
      const n = /^[ \t]*-/.test(v) ? undefined : strtoulAll(v, 10);
      if (n === undefined || n > 255) d.keptError(w.pos(i), `Invalid protocol ${v}`);
      else {
        r.protocol = n;
        protocolSet = true;
      }
    } else if (s === 'ipproto') {
      const v = w.at(++i).trim();
      const n = /^\d+$/.test(v) ? (Number(v) > 127 ? undefined : Number(v)) : IP_PROTOCOLS.get(v);
      if (n === undefined) d.keptError(w.pos(i), `Invalid ipproto ${v}`);
      else r.ipProto = n;
    } else if (s === 'sport' || s === 'dport') {
      const v = w.at(++i);
      const p = readPortRange(v);
      if (!p) d.keptError(w.pos(i), `invalid ${s} range ${v}`);
      else r[s] = p;
    } else if (s === 'no_track') {
      r.noTrack = true;
    } else if (allowTrackGroup && s === 'track_group') {
      const v = w.at(++i);
      if (r.trackGroup !== undefined) {
        d.keptError(w.pos(i), `track_group ${v} is a duplicate`);
        break;
      }
      r.trackGroup = v;
    } else {
      let a = s;
      if (a === 'type') a = w.at(++i);
      let action: RuleConfig['action'];
      if (a === 'goto') {
        const v = w.at(++i);
        const n = /^[ \t]*-/.test(v) ? undefined : strtoulAll(v, 10);
        if (n === undefined || n > 0xffffffff) {
          d.error(w.pos(i), `Invalid target ${a} specified`);
          return undefined;
        }
        r.gotoTarget = n;
        action = 'goto';
      } else if (a === 'nop') action = 'nop';
      else if (RTN_TYPES.has(a)) {
        const t = RTN_TYPES.get(a);
        if (t === 6) action = 'blackhole';
        else if (t === 7) action = 'unreachable';
        else if (t === 8) action = 'prohibit';
        else {
          d.error(w.pos(i), `Invalid rule action ${a}`);
          return undefined;
        }
      } else {
        d.error(w.pos(i), `Unknown rule option ${a}`);
        return undefined;
      }
      if (r.action !== undefined) {
        d.error(w.pos(i), `${MORE_THAN_ONE.slice(0, -' for rule'.length)}/l3mdev for rule`);
        return undefined;
      }
      r.action = action;
    }
  }
  if (r.action === 'goto') {
    if (r.priority === undefined) {
      d.error(node.keyword.pos, `Invalid rule - goto target ${r.gotoTarget ?? 0} specified without preference`);
      return undefined;
    }
    if (r.priority >= (r.gotoTarget ?? 0)) {
      d.error(node.keyword.pos, `Invalid rule - preference ${r.priority} >= goto target ${r.gotoTarget ?? 0}`);
      return undefined;
    }
  }
  if (r.action === undefined) {
    d.error(node.keyword.pos, 'No action specified for rule - ignoring');
    return undefined;
  }
  if (r.action !== 'table' && tableOption) {
    d.error(node.keyword.pos, 'suppressor/realm specified for non table action - skipping');
    return undefined;
  }
  if (r.table !== undefined && r.l3mdev) {
    d.error(node.keyword.pos, 'table cannot be specified for l3mdev rules');
    return undefined;
  }
  if (!r.noTrack) {
    if (protocolSet && r.protocol !== RTPROT_KEEPALIVED) {
      d.keptError(node.keyword.pos, `Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(${RTPROT_KEEPALIVED}), resetting protocol`);
    }
    r.protocol = RTPROT_KEEPALIVED;
  }
  if (r.trackGroup !== undefined && !r.iif) {
    d.keptError(node.keyword.pos, 'Static rule cannot have track_group if dev/iif not specified');
    delete r.trackGroup;
  }
  const f: 4 | 6 = family ?? 4;
  const fill = (p: Prefix | undefined): Prefix | undefined => (p && p.address === '' ? { address: zero(f), prefixLength: p.prefixLength } : p);
  if (r.from) r.from = fill(r.from) as Prefix;
  if (r.to) r.to = fill(r.to) as Prefix;
  if (r.priority === undefined) {
    let next = nextRulePriority.get(d);
    if (!next) {
      next = { 4: RULE_START_PRIORITY, 6: RULE_START_PRIORITY };
      nextRulePriority.set(d, next);
    }
    r.priority = next[f]--;
    d.keptError(node.keyword.pos, `Rule has no preference specified - setting to ${r.priority}. This is probably not what you want.`);
  }
  return { ...(r as RuleConfig), family: f };
}

/** Lines of a `static_routes` / `virtual_routes` block (`track_group` is for static routes only, as keepalived). */
export function readRoutes(node: ConfNode, d: DiagnosticSink, allowTrackGroup = true, names = DEFAULT_IPROUTE_NAMES): RouteConfig[] {
  return valueLines(node, d)
    .map((c) => readRoute(c, d, allowTrackGroup, names))
    .filter((x): x is RouteConfig => !!x);
}

/** Lines of a `static_rules` / `virtual_rules` block. */
export function readRules(node: ConfNode, d: DiagnosticSink, allowTrackGroup = true, names = DEFAULT_IPROUTE_NAMES): RuleConfig[] {
  return valueLines(node, d)
    .map((c) => readRule(c, d, allowTrackGroup, names))
    .filter((x): x is RuleConfig => !!x);
}

/**
 * Lines of a `static_ipaddress` block. An address without `dev` goes on global_defs' `default_interface`, eth0 when
 * unset (keepalived's get_default_if); whether that interface exists is a host check.
 */
export function readStaticAddresses(node: ConfNode, d: DiagnosticSink, defaultInterface = 'eth0'): VirtualAddress[] {
  const out: VirtualAddress[] = [];
  for (const c of valueLines(node, d)) {
    const a = readVirtualAddress(c, d);
    if (a) out.push(a.dev ? a : { ...a, dev: defaultInterface, defaultDev: { written: c.keyword.text } });
  }
  return out;
}
