/**
 * Routes and policy rules in `ip route` / `ip rule` syntax, as keepalived 2.2.7 reads them for `static_routes`,
 * `static_rules` (top level) and `virtual_routes`, `virtual_rules` (vrrp_instance) — vrrp_iproute.c `alloc_route`
 * and vrrp_iprule.c `alloc_rule`, with their message texts. `static_ipaddress` reuses the VIP reader.
 */
import { isIP } from 'node:net';
import type { DiagnosticSink } from './diagnostics.js';
import type { Mutable, RouteConfig, RuleConfig, VirtualAddress } from './model.js';
import type { ConfNode } from './tree.js';
import { readVirtualAddress } from './parse-vrrp.js';

/** Route types keepalived accepts before the destination (`blackhole 192.0.2.0/24`). */
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat']);
/** rt_scopes names. */
const SCOPES = new Map([['global', 0], ['universe', 0], ['site', 200], ['link', 253], ['host', 254], ['nowhere', 255]]);
/** rt_protos names keepalived knows. */
const PROTOS = new Map([['kernel', 2], ['boot', 3], ['static', 4], ['keepalived', 18], ['ra', 9], ['dhcp', 16]]);
/** rt_tables names. */
const TABLES = new Map([['default', 253], ['main', 254], ['local', 255]]);
/** Route attributes that take one value and are kept but not acted on yet. */
const ROUTE_VALUE_OPTS = new Set(['tos', 'dsfield', 'mtu', 'hoplimit', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd',
  'ssthresh', 'realms', 'rto_min', 'initcwnd', 'initrwnd', 'features', 'congctl', 'pref', 'ttl-propagate', 'expires', 'encap', 'vrf']);
/** Rule selectors/actions that take one value and are kept but not acted on yet. */
const RULE_VALUE_OPTS = new Set(['dsfield', 'tos', 'realms', 'sup_pl', 'suppress_prefixlength', 'sup_group', 'suppress_ifgroup',
  'tunnel-id', 'uidrange', 'protocol', 'ipproto', 'sport', 'dport', 'goto', 'type']);

/** A prefix `a.b.c.d[/len]` or `default`; undefined when invalid. */
export function readPrefix(text: string, family?: 4 | 6): { address: string; prefixLength: number; family: 4 | 6 } | undefined {
  if (text === 'default' || text === 'all' || text === 'any') {
    const f = family ?? 4;
    return { address: f === 4 ? '0.0.0.0' : '::', prefixLength: 0, family: f };
  }
  const [addr, len] = text.split('/');
  const f = isIP(addr ?? '');
  if (f === 0 || (family && f !== family)) return undefined;
  const max = f === 4 ? 32 : 128;
  if (len !== undefined && (!/^\d+$/.test(len) || Number(len) > max)) return undefined;
  return { address: addr as string, prefixLength: len === undefined ? max : Number(len), family: f as 4 | 6 };
}

function readTable(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (TABLES.has(text)) return TABLES.get(text);
  return /^\d+$/.test(text) && Number(text) <= 0xffffffff ? Number(text) : undefined;
}

/** One route line (the statement's keyword and arguments are the words). */
export function readRoute(node: ConfNode, d: DiagnosticSink): RouteConfig | undefined {
  const w = [node.keyword, ...node.args];
  const r: Mutable<RouteConfig> = { family: 4, destination: '', prefixLength: 0, table: 254, noTrack: false, options: {}, pos: node.keyword.pos };
  let family: 4 | 6 | undefined;
  const setFamily = (f: 4 | 6, i: number): boolean => {
    if (family !== undefined && family !== f) { d.error(w[i]!.pos, 'Cannot mix IPv4 and IPv6 addresses for route'); return false; }
    family = f;
    return true;
  };
  const value = (i: number): string | undefined => {
    const t = w[i];
    if (!t) d.error(w[i - 1]!.pos, `route: '${w[i - 1]!.text}' needs a value`);
    return t?.text;
  };
  let haveDst = false;
  for (let i = 0; i < w.length; i++) {
    const s = w[i]!.text;
    switch (s) {
      case 'inet': if (!setFamily(4, i)) return undefined; break;
      case 'inet6': if (!setFamily(6, i)) return undefined; break;
      case 'src': case 'via': case 'gw': {
        if (s === 'gw') d.warning(w[i]!.pos, '"gw" for routes is deprecated. Please use "via"');
        let v = value(++i);
        if (v === 'inet' || v === 'inet6') { if (!setFamily(v === 'inet' ? 4 : 6, i)) return undefined; v = value(++i); }
        const f = isIP(v ?? '');
        if (f === 0) { d.error((w[i] ?? w[i - 1])!.pos, `invalid route ${s === 'src' ? 'src' : 'via'} address ${v ?? ''}`); return undefined; }
        if (!setFamily(f as 4 | 6, i)) return undefined;
        if (s === 'src') r.source = v; else r.gateway = v;
        break;
      }
      case 'dev': case 'oif': { const v = value(++i); if (v) r.dev = v; break; }
      case 'table': {
        const v = readTable(value(++i));
        if (v === undefined) { d.error((w[i] ?? w[i - 1])!.pos, `Routing table ${w[i]?.text ?? ''} not found for route`); return undefined; }
        r.table = v;
        break;
      }
      case 'metric': case 'priority': case 'preference': {
        const v = value(++i);
        if (v === undefined || !/^\d+$/.test(v)) { d.error((w[i] ?? w[i - 1])!.pos, `Invalid metric ${v ?? ''}`); return undefined; }
        r.metric = Number(v);
        break;
      }
      case 'scope': {
        const v = value(++i) ?? '';
        const n = SCOPES.get(v) ?? (/^\d+$/.test(v) && Number(v) < 256 ? Number(v) : undefined);
        if (n === undefined) { d.error((w[i] ?? w[i - 1])!.pos, `Invalid scope ${v}`); return undefined; }
        r.scope = n;
        break;
      }
      case 'protocol': case 'proto': {
        const v = value(++i) ?? '';
        const n = PROTOS.get(v) ?? (/^\d+$/.test(v) && Number(v) < 256 ? Number(v) : undefined);
        if (n === undefined) { d.error((w[i] ?? w[i - 1])!.pos, `Invalid protocol ${v}`); return undefined; }
        r.protocol = n;
        break;
      }
      case 'onlink': r.onlink = true; break;
      case 'no_track': r.noTrack = true; break;
      case 'track_group': { const v = value(++i); if (v) r.trackGroup = v; break; }
      case 'from': { const v = value(++i); if (v) r.options = { ...r.options, from: v }; d.warning(w[i - 1]!.pos, "route: 'from' is not supported yet - ignored"); break; }
      case 'nexthop': case 'or':
        d.warning(w[i]!.pos, `route: '${s}' (multipath) is not supported yet - ignored`);
        i = w.length;
        break;
      default:
        if (ROUTE_VALUE_OPTS.has(s)) {
          const v = value(++i);
          if (v !== undefined) r.options = { ...r.options, [s]: v };
          d.warning(w[i - 1]!.pos, `route: '${s}' is not supported yet - ignored`);
          break;
        }
        {
          let j = i;
          if (w[j]!.text === 'to') j++;
          if (w[j] && ROUTE_TYPES.has(w[j]!.text)) { r.type = w[j]!.text; j++; }
          const t = w[j];
          const p = t ? readPrefix(t.text, family) : undefined;
          if (!t || !p) { d.error((t ?? w[i])!.pos, `unknown route keyword ${t?.text ?? s}`); return undefined; }
          if (!setFamily(p.family, j)) return undefined;
          r.destination = p.address;
          r.prefixLength = p.prefixLength;
          haveDst = true;
          i = j;
        }
    }
  }
  if (!haveDst) { d.error(node.keyword.pos, 'Route must have a destination'); return undefined; }
  r.family = family ?? 4;
  if (!r.noTrack && !r.dev) {
    d.warning(node.keyword.pos, `Warning - cannot track route ${node.keyword.text} with no interface specified, not tracking`);
    r.noTrack = true;
  }
  return r;
}

/** One rule line. */
export function readRule(node: ConfNode, d: DiagnosticSink): RuleConfig | undefined {
  const w = [node.keyword, ...node.args];
  const r: Mutable<RuleConfig> = { family: 4, invert: false, noTrack: false, options: {}, pos: node.keyword.pos };
  let family: 4 | 6 | undefined;
  let haveAction = false;
  for (let i = 0; i < w.length; i++) {
    const s = w[i]!.text;
    const next = w[i + 1];
    const need = (): string | undefined => {
      if (!next) { d.error(w[i]!.pos, `rule: '${s}' needs a value`); return undefined; }
      i++;
      return next.text;
    };
    switch (s) {
      case 'inet': family = 4; break;
      case 'inet6': family = 6; break;
      case 'not': r.invert = true; break;
      case 'from': case 'to': {
        const v = need();
        if (v === undefined) return undefined;
        const p = readPrefix(v, family);
        if (!p) { d.error(next!.pos, `Invalid rule ${s} ${v}`); return undefined; }
        if (family !== undefined && family !== p.family) { d.error(next!.pos, 'Cannot mix IPv4 and IPv6 addresses for rule'); return undefined; }
        family = p.family;
        r[s] = { address: p.address, prefixLength: p.prefixLength };
        break;
      }
      case 'table': case 'lookup': {
        const v = readTable(need());
        if (v === undefined) { d.error((next ?? w[i])!.pos, `Routing table ${next?.text ?? ''} not found for rule`); return undefined; }
        r.table = v;
        haveAction = true;
        break;
      }
      case 'preference': case 'order': case 'priority': case 'pref': {
        const v = need();
        if (v === undefined || !/^\d+$/.test(v)) { d.error((next ?? w[i])!.pos, `Invalid rule preference ${v ?? ''}`); return undefined; }
        r.priority = Number(v);
        break;
      }
      case 'fwmark': {
        const v = need();
        const m = /^(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?$/i.exec(v ?? '');
        if (!m) { d.error((next ?? w[i])!.pos, `Invalid rule fwmark ${v ?? ''}`); return undefined; }
        r.fwmark = Number(m[1]);
        if (m[2] !== undefined) r.fwmask = Number(m[2]);
        break;
      }
      case 'iif': { const v = need(); if (v) r.iif = v; break; }
      case 'oif': { const v = need(); if (v) r.oif = v; break; }
      case 'l3mdev': haveAction = true; r.options = { ...r.options, l3mdev: 'true' }; break;
      case 'nop': case 'blackhole': case 'unreachable': case 'prohibit': haveAction = true; r.options = { ...r.options, action: s }; break;
      case 'no_track': r.noTrack = true; break;
      case 'track_group': { const v = need(); if (v) r.trackGroup = v; break; }
      default:
        if (RULE_VALUE_OPTS.has(s)) {
          const v = need();
          if (v !== undefined) r.options = { ...r.options, [s]: v };
          if (s === 'goto' || s === 'type') haveAction = true;
          d.warning(w[i - 1]!.pos, `rule: '${s}' is not supported yet - ignored`);
          break;
        }
        d.error(w[i]!.pos, `Unknown rule option ${s}`);
        return undefined;
    }
  }
  if (!haveAction) d.warning(node.keyword.pos, 'No action specified for rule - ignoring');
  r.family = family ?? 4;
  return haveAction ? r : undefined;
}

/** Lines of a `static_routes` / `virtual_routes` block. */
export function readRoutes(node: ConfNode, d: DiagnosticSink): RouteConfig[] {
  return (node.children ?? []).map((c) => readRoute(c, d)).filter((x): x is RouteConfig => !!x);
}

/** Lines of a `static_rules` / `virtual_rules` block. */
export function readRules(node: ConfNode, d: DiagnosticSink): RuleConfig[] {
  return (node.children ?? []).map((c) => readRule(c, d)).filter((x): x is RuleConfig => !!x);
}

/** Lines of a `static_ipaddress` block (each needs a `dev`, as keepalived requires). */
export function readStaticAddresses(node: ConfNode, d: DiagnosticSink): VirtualAddress[] {
  const out: VirtualAddress[] = [];
  for (const c of node.children ?? []) {
    const a = readVirtualAddress(c, d);
    if (!a) continue;
    if (!a.dev) { d.error(c.keyword.pos, `static_ipaddress ${c.keyword.text} has no interface (dev) - ignoring`); continue; }
    out.push(a);
  }
  return out;
}
