/**
 * Reads keepalived-ts's BGP announcement keywords (src/config/model-bgp.ts): the `bgp_announce { … }` block of
 * `global_defs` and a `vrrp_instance`'s `bgp_announce`, `bgp_med`, `bgp_community`. Every problem is reported at
 * its token's file:line:col; a bad value keeps the default.
 */
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import type { Mutable } from './model.js';
import {
  DEFAULT_GOBGP_API,
  DEFAULT_GOBGP_PROTO_DIR,
  DEFAULT_GOBGPD,
  type AnnounceCondition,
  type BgpAnnounceConfig,
  type InstanceBgpAnnounce,
} from './model-bgp.js';
import type { Token } from './lexer.js';
import type { ConfNode } from './tree.js';
import { missingArgPos, readInt, readIp, readSeconds } from './values.js';

/** `A:B` (each 0-65535) → the 32-bit community; undefined (reported) when malformed. */
function readCommunity(node: ConfNode, t: Token, d: DiagnosticSink): number | undefined {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(t.text);
  const hi = Number(m?.[1]);
  const lo = Number(m?.[2]);
  if (!m || hi > 0xffff || lo > 0xffff) {
    d.error(t.pos, `${node.keyword.text}: '${t.text}' is not a community ASN:VALUE (each 0-65535)`);
    return undefined;
  }
  return hi * 0x10000 + lo;
}

/** The communities of `node`'s arguments (at least one). */
function readCommunities(node: ConfNode, d: DiagnosticSink): number[] {
  if (node.args.length === 0) d.error(missingArgPos(node), `${node.keyword.text}: missing community`);
  return node.args.map((t) => readCommunity(node, t, d)).filter((c): c is number => c !== undefined);
}

/** One word out of `choices`, or undefined (reported). */
function readChoice<T extends string>(node: ConfNode, choices: readonly T[], d: DiagnosticSink): T | undefined {
  const t = node.args[0];
  if (t && (choices as readonly string[]).includes(t.text)) return t.text as T;
  d.error(t?.pos ?? missingArgPos(node), `${node.keyword.text}: '${t?.text ?? ''}' is not one of ${choices.join(', ')}`);
  return undefined;
}

/** `HOST:PORT` or `[IPV6]:PORT`. */
const API_ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** The settings when `bgp_announce { … }` is absent or silent. */
export function defaultBgpAnnounce(pos: SourcePos): BgpAnnounceConfig {
  return {
    pos,
    engine: 'gobgp',
    gobgpApi: DEFAULT_GOBGP_API,
    gobgpProtoDir: DEFAULT_GOBGP_PROTO_DIR,
    gobgpdPath: DEFAULT_GOBGPD,
    nextHop: 'self',
    communities: [],
    gracefulShutdownMs: 0,
    table: 254,
    proto: 18,
    routeType: 'blackhole',
  };
}

/** The top-level `bgp_announce { … }` block. */
export function parseBgpAnnounceBlock(node: ConfNode, d: DiagnosticSink): BgpAnnounceConfig {
  const b: Mutable<BgpAnnounceConfig> = defaultBgpAnnounce(node.keyword.pos);
  if (node.args.length > 0) d.error(node.args[0]!.pos, "bgp_announce at the top level takes a block '{ … }', not arguments");
  for (const c of node.children ?? []) {
    const a0 = c.args[0];
    switch (c.keyword.text) {
      case 'engine':
        b.engine = readChoice(c, ['gobgp', 'kernel'] as const, d) ?? b.engine;
        break;
      case 'gobgp_api':
        if (a0 && API_ADDRESS.test(a0.text)) b.gobgpApi = a0.text;
        else d.error(a0?.pos ?? missingArgPos(c), `gobgp_api: '${a0?.text ?? ''}' is not HOST:PORT`);
        break;
      case 'gobgp_proto_dir':
      case 'gobgpd_config':
      case 'gobgpd_path':
      case 'gobgpd_pid_file':
        if (!a0 || !a0.text.startsWith('/')) d.error(a0?.pos ?? missingArgPos(c), `${c.keyword.text}: an absolute path is needed`);
        else if (c.keyword.text === 'gobgp_proto_dir') b.gobgpProtoDir = a0.text;
        else if (c.keyword.text === 'gobgpd_config') b.gobgpdConfig = a0.text;
        else if (c.keyword.text === 'gobgpd_pid_file') b.gobgpdPidFile = a0.text;
        else b.gobgpdPath = a0.text;
        break;
      case 'next_hop':
        if (a0?.text === 'self') b.nextHop = 'self';
        else b.nextHop = readIp(c, a0, d) ?? b.nextHop;
        break;
      case 'med':
        b.med = readInt(c, a0, 0, 0xffffffff, d) ?? b.med;
        break;
      case 'community':
        b.communities = [...b.communities, ...readCommunities(c, d)];
        break;
      case 'graceful_shutdown':
        b.gracefulShutdownMs = readSeconds(c, a0, 0, 3600, d) ?? b.gracefulShutdownMs;
        break;
      case 'table':
        b.table = readInt(c, a0, 1, 0xffffffff, d) ?? b.table;
        break;
      case 'proto':
        b.proto = readInt(c, a0, 1, 255, d) ?? b.proto;
        break;
      case 'route_type':
        b.routeType = readChoice(c, ['blackhole', 'lo'] as const, d) ?? b.routeType;
        break;
      default:
        d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}' in bgp_announce`);
    }
  }
  return b;
}

/**
 * A vrrp_instance's BGP keywords, folded into `current`; returns the new value, or false when `c` is not one of them.
 * `bgp_med`/`bgp_community` before `bgp_announce` are kept and apply once it comes.
 */
export function parseInstanceBgp(c: ConfNode, current: InstanceBgpAnnounce | undefined, d: DiagnosticSink): InstanceBgpAnnounce | undefined | false {
  const base: InstanceBgpAnnounce = current ?? { pos: c.keyword.pos, when: 'master', communities: [] };
  switch (c.keyword.text) {
    case 'bgp_announce': {
      const when = c.args[0] ? readChoice<AnnounceCondition>(c, ['master', 'quorum', 'master_quorum'], d) : 'master';
      return { ...base, pos: c.keyword.pos, when: when ?? base.when };
    }
    case 'bgp_med': {
      const med = readInt(c, c.args[0], 0, 0xffffffff, d);
      return med === undefined ? current : { ...base, med };
    }
    case 'bgp_community':
      return { ...base, communities: [...base.communities, ...readCommunities(c, d)] };
    default:
      return false;
  }
}
