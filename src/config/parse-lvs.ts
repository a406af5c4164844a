/**
 * `virtual_server_group` and `virtual_server` (with `real_server` and `sorry_server`) blocks → typed model, with
 * keepalived 2.2.7's defaults, ranges and message texts (check_parser.c, check_data.c) and its post-parse fix-ups:
 * group linking (ipwrapper.c link_vsg_to_vs), then validate_check_config (protocol, scheduler and forwarding
 * defaults, quorum/hysteresis limits, real server port corrections, inherited checker settings).
 * Checker blocks are read by parse-checkers.ts.
 */
import { isIP } from 'node:net';
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import type { GlobalDefs, Mutable, ScriptCommand } from './model.js';
import type {
  CheckerConfig,
  LvsForwarding,
  RealServerConfig,
  SorryServerConfig,
  VirtualServerConfig,
  VirtualServerGroupConfig,
  VirtualServerGroupEntry,
  VirtualService,
} from './model-lvs.js';
import { IPVS_SVC_FLAG } from './model-lvs.js';
import {
  CHECKER_KEYWORDS,
  checkerBfdInstance,
  parseChecker,
  readFlag,
  readNum,
  readTimer,
  type CheckerDefaults,
  type CheckerFinish,
} from './parse-checkers.js';
import { readScript } from './script-command.js';
import { splitRunTogether, type ConfNode } from './tree.js';
import { withWords } from './values.js';
import type { Token } from './lexer.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../core/inet/address.js';

const UINT_MAX = 4294967295;
const IPVS_WEIGHT_LIMIT = 2147483647;
/** keepalived's persistence timeout when persistence is asked for without a value (IPVS_SVC_PERSISTENT_TIMEOUT). */
const PERSISTENT_TIMEOUT_MS = 360_000;
const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos']);

/** The load-balancer part of a configuration. */
export interface LvsConfig {
  readonly virtualServers: readonly VirtualServerConfig[];
  readonly virtualServerGroups: readonly VirtualServerGroupConfig[];
}

/**
 * Names of the top-level blocks checkers may refer to: FILE_CHECK's `track_file`, and BFD_CHECK's `name` — the
 * bfd_instances read so far, as keepalived reads the file in one pass (parseLvs fills it in file order).
 */
export interface LvsReferences {
  readonly trackFiles: ReadonlySet<string>;
  readonly bfdInstances: ReadonlySet<string>;
}

type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A real (or sorry) server while its virtual server is still being read. */
interface ServerDraft {
  pos: SourcePos;
  address: string;
  family: 4 | 6;
  port: number;
  forwarding?: LvsForwarding;
  inhibit?: boolean;
}

/** A real server while it is read: the model's fields, writable, those inherited from the virtual server still unset. */
type RealDraft = ServerDraft &
  Mutable<
    Omit<
      RealServerConfig,
      keyof ServerDraft | 'weight' | 'inhibitOnFailure' | 'alpha' | 'connectTimeoutMs' | 'delayLoopMs' | 'smtpAlert' | 'checkers'
    >
  > & {
    /** The port as written (checkers default to it; the fixed-up `port` is what IPVS gets). */
    writtenPort: number;
    weight?: number;
    alpha?: boolean;
    connectTimeoutMs?: number;
    delayLoopMs?: number;
    smtpAlert?: boolean;
    checkers: CheckerFinish[];
  };

/** A virtual server while it is read: the model's fields, writable, those keepalived fills in afterwards still unset. */
type VirtualDraft = Mutable<Omit<VirtualServerConfig, 'family' | 'scheduler' | 'forwarding' | 'smtpAlert' | 'sorryServer' | 'realServers'>> & {
  family?: 4 | 6;
  scheduler?: string;
  forwarding?: LvsForwarding;
  smtpAlert?: boolean;
  sorry?: ServerDraft;
  rs: RealDraft[];
  /** The group member number keepalived uses as the port in `[group]:N` texts. */
  member: number;
};

/* Address helpers ---------------------------------------------------------------------------------------------- */

/** Address text → bytes (4 or 16), or undefined. */
function ipBytes(ip: string): Uint8Array | undefined {
  const f = isIP(ip);
  return f === 4 ? parseIpv4(ip) : f === 6 ? parseIpv6(ip) : undefined;
}

const ipText = (b: Uint8Array): string => (b.length === 4 ? formatIpv4(b) : formatIpv6(b));
/** A server's address (in its canonical text: `::1` and `0::1` are one) and port, as one key: equal keys are the same server. */
const serverKey = (s: ServerDraft): string => `${ipText(ipBytes(s.address) ?? new Uint8Array())} ${s.port}`;

/** Lexicographic comparison of equal-length byte strings. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** A port argument as keepalived reads one: all zeros (or none) = 0, else 1..65535. */
function readPort(t: Token | undefined): number | undefined {
  if (!t || /^0+$/.test(t.text)) return 0;
  return /^\d+$/.test(t.text) && Number(t.text) <= 65535 ? Number(t.text) : undefined;
}

/** `<ip> [<port>]` of a virtual, real or sorry server (keepalived drops any `-range` or `/mask` suffix). */
function readServer(node: ConfNode, d: DiagnosticSink, bad: (ip: string, port: string | undefined) => string): ServerDraft | undefined {
  const ipTok = node.args[0];
  const portTok = node.args[1];
  const cut = ipTok ? ipTok.text.search(/[-/]/) : -1;
  const ip = !ipTok ? '' : cut < 0 ? ipTok.text : ipTok.text.slice(0, cut);
  const family = isIP(ip);
  const port = readPort(portTok);
  if (!ipTok || family === 0 || port === undefined) {
    d.error((port === undefined ? portTok : ipTok)?.pos ?? node.keyword.pos, bad(ipTok?.text ?? '', port === 0 ? undefined : portTok?.text));
    return undefined;
  }
  return { pos: node.keyword.pos, address: ip, family: family as 4 | 6, port };
}

/** `[ip]:proto:port`, keepalived's FMT_RS. */
function fmtServer(s: { address: string; port: number }, protocol: Protocol | undefined): string {
  return `[${s.address}]:${protocol?.toLowerCase() ?? 'none'}:${s.port}`;
}

/** keepalived's FMT_VS. */
function fmtVs(v: VirtualDraft): string {
  if (v.service.kind === 'group') return `[${v.service.group}]:${v.member}`;
  if (v.service.kind === 'fwmark') return `FWM ${v.service.fwmark}`;
  return fmtServer(v.service, v.protocol);
}

/* Forwarding (lb_kind / lvs_method) ---------------------------------------------------------------------------- */

/** `NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`; `who` is virtual, real or sorry. */
function readForwarding(c: ConfNode, who: string, d: DiagnosticSink): LvsForwarding | undefined {
  const [m, ...opts] = c.args;
  if (m?.text !== 'NAT' && m?.text !== 'DR' && m?.text !== 'TUN') {
    d.error(m?.pos ?? c.keyword.pos, `PARSER : unknown [${m?.text ?? ''}] routing method for ${who} server.`);
    return undefined;
  }
  const method = m.text;
  let tunnelType: 'ipip' | 'gue' | 'gre' = 'ipip';
  let tunnelPort = 0;
  let tunnelChecksum: 'nocsum' | 'csum' | 'remcsum' = 'nocsum';
  const plain: LvsForwarding = method === 'TUN' ? { method, tunnelType, tunnelChecksum } : { method };
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!;
    const next = opts[i + 1];
    if (o.text === 'type' || o.text === 'port') {
      if (!next) {
        d.error(o.pos, o.text === 'type' ? `Missing tunnel type for ${who} server.` : `Missing port for ${who} server gue tunnel.`);
        return plain;
      }
      i++;
      if (o.text === 'port') {
        const p = readPort(next);
        if (!p) {
          d.error(next.pos, `Invalid gue tunnel port ${next.text} for ${who} server.`);
          return plain;
        }
        tunnelPort = p;
      } else if (next.text === 'ipip' || next.text === 'gue' || next.text === 'gre') tunnelType = next.text;
      else {
        d.error(next.pos, `Unknown tunnel type ${next.text} for ${who} server.`);
        return plain;
      }
    } else if (o.text === 'nocsum' || o.text === 'csum' || o.text === 'remcsum') tunnelChecksum = o.text;
    else {
      d.error(o.pos, `Invalid tunnel option ${o.text} for ${who} server.`);
      return plain;
    }
  }
  const problem =
    (tunnelType === 'gue') !== (tunnelPort !== 0)
      ? 'gue tunnels require port, otherwise cannot have port.'
      : tunnelType === 'ipip' && tunnelChecksum !== 'nocsum'
        ? 'ipip tunnels do not support checksum option.'
        : tunnelType === 'gre' && tunnelChecksum === 'remcsum'
          ? 'gre tunnels do not support remote checksum option.'
          : undefined;
  if (problem) {
    d.error(c.keyword.pos, problem);
    return plain;
  }
  if (method !== 'TUN') return plain;
  return { method, tunnelType, tunnelChecksum, ...(tunnelType === 'gue' ? { tunnelPort } : {}) };
}

/* virtual_server_group ----------------------------------------------------------------------------------------- */

/** One `virtual_server_group` line (keepalived's alloc_vsg_entry). */
function readGroupEntry(gname: string, n: ConfNode, d: DiagnosticSink): VirtualServerGroupEntry | undefined {
  const text = n.keyword.text;
  const pos = n.keyword.pos;
  if (text === 'fwmark') {
    const fwmark = readNum(n, d, 0, UINT_MAX, (v) => `(${gname}): fwmark '${v}' must be in [0, ${UINT_MAX}] - ignoring`);
    if (fwmark === undefined) return undefined;
    const f = n.args[1];
    if (!f) return { kind: 'fwmark', pos, fwmark };
    if (f.text !== 'inet' && f.text !== 'inet6') {
      d.error(f.pos, `(${gname}): fwmark '${fwmark}' family ${f.text} unknown - ignoring`);
      return undefined;
    }
    return { kind: 'fwmark', pos, fwmark, family: f.text === 'inet' ? 4 : 6 };
  }
  const portTok = n.args[0];
  const port = readPort(portTok);
  const base = text.split(/[-/]/)[0]!;
  const start = ipBytes(base);
  if (!start || port === undefined) {
    const p = port === 0 ? '' : `/${portTok!.text}`;
    d.error(port === undefined ? portTok!.pos : pos, `Invalid virtual server group IP address${p ? '/port' : ''} ${text}${p} - skipping`);
    return undefined;
  }
  const family: 4 | 6 = start.length === 4 ? 4 : 6;
  const end = Uint8Array.from(start);
  const rest = text.slice(base.length + 1);
  const fail = (msg: string): undefined => {
    d.error(pos, msg);
    return undefined;
  };
  if (text[base.length] === '/') {
    const bits = start.length * 8;
    const len = /^\d+$/.test(rest) ? Number(rest) : 0;
    if (len === 0 || len > bits) return fail(`Invalid netmask - ${text} - skipping`);
    for (let b = len; b < bits; b++) {
      const byte = b >> 3,
        bit = 0x80 >> (b & 7);
      if (start[byte]! & bit) return fail(`Address mask bits not empty - ${text} - skipping`);
      end[byte]! |= bit;
    }
  } else if (text[base.length] === '-') {
    if (rest.includes(family === 4 ? '.' : ':')) {
      const e = ipBytes(rest);
      if (!e) return fail(`Invalid range end ${text} - skipping`);
      if (e.length !== start.length) return fail(`Range address families do not match ${text} - skipping`);
      if (compareBytes(e, start) < 0) return fail(`Address range end is less than address range start - ${text} - skipping`);
      end.set(e);
    } else {
      const m = (family === 4 ? /^\d+$/ : /^[0-9a-fA-F]+$/).test(rest) ? parseInt(rest, family === 4 ? 10 : 16) : NaN;
      if (Number.isNaN(m)) return fail(`Virtual server group range '${text}' has extra characters at end '${rest}'`);
      if (m > (family === 4 ? 255 : 0xffff)) return fail(`Virtual server group range '${text}' end '${rest}' too large`);
      const first = family === 4 ? start[3]! : (start[14]! << 8) | start[15]!;
      if (first >= m) return fail(`Address range end is not greater than address range start - ${text} - skipping`);
      if (family === 4) end[3] = m;
      else {
        end[14] = m >> 8;
        end[15] = m & 0xff;
      }
    }
  }
  return { kind: 'range', pos, family, start: ipText(start), end: ipText(end), port };
}

/** Parses a virtual_server_group block; undefined when keepalived would remove it. */
export function parseVirtualServerGroup(node: ConfNode, d: DiagnosticSink): VirtualServerGroupConfig | undefined {
  const name = node.args[0]?.text;
  if (!name) {
    d.error(node.keyword.pos, 'virtual_server_group without a name');
    return undefined;
  }
  const entries = (node.children ?? []).map((n) => readGroupEntry(name, n, d)).filter((e): e is VirtualServerGroupEntry => !!e);
  const families = new Set(entries.map((e) => e.family));
  if (entries.length === 0) {
    d.error(node.keyword.pos, `virtual server group ${name} has no entries - removing`);
    return undefined;
  }
  if (families.has(4) && families.has(6) && families.has(undefined)) {
    d.error(node.keyword.pos, `virtual server group ${name} cannot have IPv4, IPv6 and fwmark without family - removing`);
    return undefined;
  }
  return { name, pos: node.keyword.pos, entries };
}

/* virtual_server / real_server --------------------------------------------------------------------------------- */

/** Argument counts of fixed-arity keywords (for blocks written on one line). */
const VS_ARITY = new Map<string, number>([
  ['ip_family', 1],
  ['retry', 1],
  ['delay_before_retry', 1],
  ['warmup', 1],
  ['connect_timeout', 1],
  ['delay_loop', 1],
  ['inhibit_on_failure', 0],
  ['lb_algo', 1],
  ['lvs_sched', 1],
  ['hashed', 0],
  ['ops', 0],
  ['flag-1', 0],
  ['flag-2', 0],
  ['flag-3', 0],
  ['sh-port', 0],
  ['sh-fallback', 0],
  ['mh-port', 0],
  ['mh-fallback', 0],
  ['persistence_engine', 1],
  ['persistence_granularity', 1],
  ['protocol', 1],
  ['ha_suspend', 0],
  ['virtualhost', 1],
  ['snmp_name', 1],
  ['alpha', 0],
  ['omega', 0],
  ['quorum', 1],
  ['hysteresis', 1],
  ['weight', 1],
  ['sorry_server', 2],
  ['sorry_server_inhibit', 0],
  ['real_server', 2],
  ['persistence_timeout', 1],
  ['smtp_alert', 0],
]);
const RS_ARITY = new Map<string, number>([
  ['weight', 1],
  ['uthreshold', 1],
  ['lthreshold', 1],
  ['retry', 1],
  ['delay_before_retry', 1],
  ['warmup', 1],
  ['connect_timeout', 1],
  ['delay_loop', 1],
  ['virtualhost', 1],
  ['snmp_name', 1],
  ['inhibit_on_failure', 0],
  ['alpha', 0],
  ['smtp_alert', 0],
  ...[...CHECKER_KEYWORDS].map((k) => [k, 0] as [string, number]),
]);

/** A notify/quorum script, refusing a second one as keepalived does. */
function readOnce(c: ConfNode, prev: ScriptCommand | undefined, owner: string, d: DiagnosticSink): ScriptCommand | undefined {
  if (!prev) return readScript(c, d);
  d.keptError(c.keyword.pos, `(${owner}) ${c.keyword.text} script already specified - ignoring ${c.args[0]?.text ?? ''}`);
  return prev;
}

/** real_server keywords whose keepalived handler reads a first word unchecked (null_strvec). */
const RS_NEEDS_WORD: ReadonlySet<string> = new Set([
  'weight',
  'lvs_method',
  'uthreshold',
  'lthreshold',
  'notify_up',
  'notify_down',
  'retry',
  'delay_before_retry',
  'warmup',
  'connect_timeout',
  'delay_loop',
]);

/** virtual_server keywords whose keepalived handler reads a first word unchecked (null_strvec). */
const VS_NEEDS_WORD: ReadonlySet<string> = new Set([
  'ip_family',
  'retry',
  'delay_before_retry',
  'warmup',
  'connect_timeout',
  'delay_loop',
  'lb_algo',
  'lvs_sched',
  'lb_kind',
  'lvs_method',
  'persistence_engine',
  'persistence_granularity',
  'protocol',
  'quorum_up',
  'quorum_down',
  'quorum',
  'hysteresis',
  'weight',
  'sorry_server',
  'real_server',
]);

/** Reads the keywords of a real_server block; undefined when keepalived skips it. */
function parseRealServer(node: ConfNode, vs: VirtualDraft, refs: LvsReferences, d: DiagnosticSink): RealDraft | undefined {
  const s = readServer(node, d, (ip, port) => `Invalid real server ip address/port ${ip}/${port ?? ''} - skipping`);
  if (!s) return undefined;
  // written out rather than spread: object spreads are slow in the interpreter `-t` runs in (src/daemon/v8-flags.ts)
  const rs: RealDraft = {
    pos: s.pos,
    address: s.address,
    family: s.family,
    port: s.port,
    writtenPort: s.port,
    uthreshold: 0,
    lthreshold: 0,
    checkers: [],
  };
  if (vs.forwarding) rs.forwarding = vs.forwarding;
  const rsText = fmtServer(rs, vs.protocol);
  const checkerCtx = { trackFiles: refs.trackFiles, bfdInstances: refs.bfdInstances, rsFamily: rs.family, rsText, rsBfds: new Set<string>() };
  // index loops in the per-real-server code: `for…of` allocates an iterator and a result object per step in the
  // interpreter `-t` runs in (src/daemon/v8-flags.ts), and the largest configurations have thousands of real servers
  const words = withWords(splitRunTogether(node.children ?? [], RS_ARITY), RS_NEEDS_WORD, d);
  for (let i = 0; i < words.length; i++) {
    const c = words[i]!;
    const k = c.keyword.text;
    const a0 = c.args[0];
    switch (k) {
      case 'weight':
        rs.weight = readNum(c, d, 0, IPVS_WEIGHT_LIMIT, (v) => `Real server weight ${v} is outside range 0-${IPVS_WEIGHT_LIMIT}`) ?? rs.weight;
        break;
      case 'lvs_method':
        rs.forwarding = readForwarding(c, 'real', d) ?? rs.forwarding;
        break;
      case 'uthreshold':
        rs.uthreshold = readNum(c, d, 0, UINT_MAX, (v) => `Invalid real_server uthreshold '${v}' - ignoring`) ?? rs.uthreshold;
        break;
      case 'lthreshold':
        rs.lthreshold = readNum(c, d, 0, UINT_MAX, (v) => `Invalid real_server lthreshold '${v}' - ignoring`) ?? rs.lthreshold;
        break;
      case 'inhibit_on_failure':
        rs.inhibit = readFlag(c, d) ?? rs.inhibit;
        break;
      case 'notify_up':
        rs.notifyUp = readOnce(c, rs.notifyUp, fmtVs(vs), d);
        break;
      case 'notify_down':
        rs.notifyDown = readOnce(c, rs.notifyDown, fmtVs(vs), d);
        break;
      case 'alpha':
        rs.alpha = readFlag(c, d) ?? rs.alpha;
        break;
      case 'retry':
        rs.retry = readNum(c, d, 1, UINT_MAX, (v) => `retry value invalid - ${v}`) ?? rs.retry;
        break;
      case 'delay_before_retry':
        rs.delayBeforeRetryMs = readTimer(c, d, false, (v) => `real server delay_before_retry '${v}' invalid - ignoring`) ?? rs.delayBeforeRetryMs;
        break;
      case 'warmup':
        rs.warmupMs = readTimer(c, d, false, (v) => `real server warmup '${v}' invalid - ignoring`) ?? rs.warmupMs;
        break;
      case 'connect_timeout':
        rs.connectTimeoutMs =
          readTimer(c, d, true, (v) => `real server connect_timeout ${v} invalid - ignoring`, UINT_MAX / 1e6) ?? rs.connectTimeoutMs;
        break;
      case 'delay_loop':
        rs.delayLoopMs = readTimer(c, d, true, (v) => `real server delay_loop '${v}' invalid - ignoring`) ?? rs.delayLoopMs;
        break;
      case 'smtp_alert':
        rs.smtpAlert = readFlag(c, d, 'real_server smtp_alert') ?? rs.smtpAlert;
        break;
      case 'virtualhost':
        if (a0) rs.virtualhost = a0.text;
        else d.error(c.keyword.pos, 'real server virtualhost missing');
        break;
      case 'snmp_name':
        if (c.args.length === 1) rs.snmpName = a0!.text;
        else d.error(c.keyword.pos, 'real server snmp_name missing or extra parameters');
        break;
      default:
        if (CHECKER_KEYWORDS.has(k)) {
          const f = parseChecker(c, checkerCtx, d);
          if (f) rs.checkers.push(f);
        } else d.keptError(c.keyword.pos, `Unknown keyword '${k}'`);
    }
  }
  // rs_end_handler: tunnelled servers may be of the other family (IPVS_DEST_ATTR_ADDR_FAMILY)
  if (rs.forwarding?.method !== 'TUN') {
    if (vs.family === undefined) vs.family = rs.family;
    else if (vs.family !== rs.family) {
      d.error(node.keyword.pos, `Address family of virtual server and real server ${rs.address} don't match - skipping real server.`);
      return undefined;
    }
  }
  return rs;
}

/** The service named by `virtual_server <ip> <port> | fwmark <n> | group <name>`. */
function readService(node: ConfNode, d: DiagnosticSink): { service: VirtualService; family?: 4 | 6 } | undefined {
  const [a, b] = node.args;
  if (a?.text === 'group') {
    if (!b) {
      d.error(a.pos, 'virtual_server group: missing group name');
      return undefined;
    }
    return { service: { kind: 'group', group: b.text } };
  }
  if (a?.text === 'fwmark') {
    const fwmark = readNum(node, d, 0, UINT_MAX, (v) => `virtual server fwmark '${v}' must be in [0, ${UINT_MAX}] - ignoring`, b);
    return fwmark === undefined ? undefined : { service: { kind: 'fwmark', fwmark } };
  }
  const s = readServer(node, d, (ip, port) => `Invalid virtual server IP address${port ? '/port' : ''} ${ip}${port ? `/${port}` : ''} - skipping`);
  return s && { service: { kind: 'address', address: s.address, port: s.port }, family: s.family };
}

/** Applies one virtual_server keyword (other than real_server) to the draft. */
function vsKeyword(c: ConfNode, vs: VirtualDraft, d: DiagnosticSink): void {
  const k = c.keyword.text;
  const a0 = c.args[0];
  switch (k) {
    case 'ip_family': {
      const f = a0?.text === 'inet' ? 4 : a0?.text === 'inet6' ? 6 : undefined;
      if (!f) d.error(a0?.pos ?? c.keyword.pos, `unknown address family ${a0?.text ?? ''}`);
      else if (vs.family !== undefined && vs.family !== f)
        d.error(a0!.pos, `Virtual server specified family ${a0!.text} conflicts with server family`);
      else vs.family = f;
      break;
    }
    case 'retry':
      vs.retry = readNum(c, d, 1, UINT_MAX, (v) => `retry value invalid - ${v}`) ?? vs.retry;
      break;
    case 'delay_before_retry':
      vs.delayBeforeRetryMs = readTimer(c, d, false, (v) => `virtual server delay before retry '${v}' invalid - ignoring`) ?? vs.delayBeforeRetryMs;
      break;
    case 'warmup':
      vs.warmupMs = readTimer(c, d, false, (v) => `virtual server warmup '${v}' invalid - ignoring`) ?? vs.warmupMs;
      break;
    case 'connect_timeout':
      vs.connectTimeoutMs =
        readTimer(c, d, true, (v) => `virtual server connect_timeout ${v} invalid - ignoring`, UINT_MAX / 1e6) ?? vs.connectTimeoutMs;
      break;
    case 'delay_loop':
      vs.delayLoopMs = readTimer(c, d, true, (v) => `virtual server delay loop '${v}' invalid - ignoring`) ?? vs.delayLoopMs;
      break;
    case 'inhibit_on_failure':
      vs.inhibitOnFailure = true;
      break;
    case 'lb_algo':
    case 'lvs_sched':
      if (a0 && SCHEDULERS.has(a0.text)) vs.scheduler = a0.text;
      else d.error(a0?.pos ?? c.keyword.pos, `Invalid lvs_scheduler '${a0?.text ?? ''}' - ignoring`);
      break;
    case 'hashed':
    case 'ops':
    case 'flag-1':
    case 'flag-2':
    case 'flag-3':
    case 'sh-port':
    case 'sh-fallback':
    case 'mh-port':
    case 'mh-fallback': {
      const direct = { ops: IPVS_SVC_FLAG.ONEPACKET, 'flag-1': IPVS_SVC_FLAG.SCHED1, 'flag-2': IPVS_SVC_FLAG.SCHED2, 'flag-3': IPVS_SVC_FLAG.SCHED3 }[
        k as 'ops'
      ];
      const sched = k.startsWith(`${vs.scheduler}-`) && (vs.scheduler === 'sh' || vs.scheduler === 'mh');
      if (direct) vs.flags |= direct;
      else if (sched) vs.flags |= k.endsWith('-port') ? IPVS_SVC_FLAG.SCHED2 : IPVS_SVC_FLAG.SCHED1;
      // keepalived ignores sh-*/mh-* silently under the other hashing scheduler, and warns otherwise
      else if (vs.scheduler !== 'sh' && vs.scheduler !== 'mh') d.keptError(c.keyword.pos, `${k} only applies to sh scheduler - ignoring`);
      break;
    }
    case 'lb_kind':
    case 'lvs_method':
      vs.forwarding = readForwarding(c, 'virtual', d) ?? vs.forwarding;
      break;
    case 'persistence_engine':
      if (!a0) {
        d.error(c.keyword.pos, 'persistence_engine: missing name');
        break;
      }
      if (a0.text.length > 16) d.keptError(a0.pos, `persistence_name too long, truncating - ${a0.text}`);
      vs.persistenceEngine = a0.text.slice(0, 16);
      break;
    case 'persistence_timeout':
      vs.persistenceTimeoutMs = a0
        ? (readNum(c, d, 1, 86400 * 31, () => 'persistence_timeout invalid') ?? vs.persistenceTimeoutMs / 1000) * 1000
        : PERSISTENT_TIMEOUT_MS;
      break;
    case 'persistence_granularity': {
      const f = vs.family ?? (a0?.text.includes('.') ? 4 : 6);
      const g =
        f === 6
          ? readNum(c, d, 1, 128, (v) => `Invalid IPv6 persistence_granularity specified - ${v}`)
          : isIP(a0?.text ?? '') === 4
            ? a0!.text
            : (d.error(a0?.pos ?? c.keyword.pos, `Invalid IPv4 persistence_granularity specified - ${a0?.text ?? ''}`), undefined);
      if (g === undefined) break;
      vs.persistenceGranularity = g;
      vs.family ??= f;
      if (!vs.persistenceTimeoutMs) vs.persistenceTimeoutMs = PERSISTENT_TIMEOUT_MS;
      break;
    }
    case 'protocol': {
      const p = a0?.text.toUpperCase();
      if (p === 'TCP' || p === 'UDP' || p === 'SCTP') vs.protocol = p;
      else d.error(a0?.pos ?? c.keyword.pos, `Unknown protocol ${a0?.text ?? ''} - ignoring`);
      break;
    }
    case 'ha_suspend':
      vs.haSuspend = true;
      break;
    case 'smtp_alert':
      vs.smtpAlert = readFlag(c, d, 'virtual_server smtp_alert') ?? vs.smtpAlert;
      break;
    case 'virtualhost':
      if (a0) vs.virtualhost = a0.text;
      else d.error(c.keyword.pos, 'virtual server virtualhost missing');
      break;
    case 'snmp_name':
      if (c.args.length === 1) vs.snmpName = a0!.text;
      else d.error(c.keyword.pos, 'virtual server snmp_name missing or extra parameters');
      break;
    case 'alpha':
      vs.alpha = true;
      break;
    case 'omega':
      vs.omega = true;
      break;
    case 'quorum_up':
      vs.quorumUp = readOnce(c, vs.quorumUp, fmtVs(vs), d);
      break;
    case 'quorum_down':
      vs.quorumDown = readOnce(c, vs.quorumDown, fmtVs(vs), d);
      break;
    case 'quorum':
      vs.quorum = readNum(c, d, 1, UINT_MAX, (v) => `Quorum ${v} must be in [1, ${UINT_MAX}]. Setting to 1.`) ?? 1;
      break;
    case 'hysteresis':
      vs.hysteresis = readNum(c, d, 0, UINT_MAX, (v) => `Hysteresis ${v} must be in [0, ${UINT_MAX}] - ignoring`) ?? vs.hysteresis;
      break;
    case 'weight':
      vs.weight = readNum(c, d, 1, IPVS_WEIGHT_LIMIT, (v) => `Virtual server weight ${v} is outside range 1-${IPVS_WEIGHT_LIMIT}`) ?? vs.weight;
      break;
    case 'sorry_server': {
      const s = readServer(c, d, (ip) => `Invalid sorry server IP address ${ip} - skipping`);
      if (s) vs.sorry = { ...s, ...(vs.forwarding ? { forwarding: vs.forwarding } : {}) };
      break;
    }
    case 'sorry_server_inhibit':
      if (vs.sorry) vs.sorry.inhibit = true;
      else d.error(c.keyword.pos, 'Ignoring sorry_server inhibit used before or without sorry_server');
      break;
    case 'sorry_server_lvs_method':
      if (vs.sorry) vs.sorry.forwarding = readForwarding(c, 'sorry', d) ?? vs.sorry.forwarding;
      else d.error(c.keyword.pos, 'sorry_server forwarding used without sorry_server');
      break;
    default:
      if (CHECKER_KEYWORDS.has(k)) d.error(c.keyword.pos, `'${k}' is only valid inside a real_server block - ignored`);
      else d.keptError(c.keyword.pos, `Unknown keyword '${k}'`);
  }
}

/** Reads one virtual_server block (before group linking and validation). */
function parseVirtualServer(node: ConfNode, refs: LvsReferences, d: DiagnosticSink): VirtualDraft | undefined {
  const head = readService(node, d);
  if (!head) return undefined;
  const vs: VirtualDraft = {
    pos: node.keyword.pos,
    service: head.service,
    member: 0,
    flags: 0,
    persistenceTimeoutMs: 0,
    quorum: 1,
    hysteresis: 0,
    alpha: false,
    omega: false,
    haSuspend: false,
    inhibitOnFailure: false,
    connectTimeoutMs: 5000,
    delayLoopMs: 60_000,
    weight: 1,
    rs: [],
    ...(head.family ? { family: head.family } : {}),
  };
  const words = withWords(splitRunTogether(node.children ?? [], VS_ARITY), VS_NEEDS_WORD, d);
  for (let i = 0; i < words.length; i++) {
    const c = words[i]!;
    if (c.keyword.text !== 'real_server') {
      vsKeyword(c, vs, d);
      continue;
    }
    const rs = parseRealServer(c, vs, refs, d);
    if (rs) vs.rs.push(rs);
  }
  // vs_end_handler: the sorry server (unless tunnelled) fixes or must match the family
  const ss = vs.sorry;
  if (ss && ss.forwarding?.method !== 'TUN') {
    if (vs.family === undefined) vs.family = ss.family;
    else if (vs.family !== ss.family) {
      d.error(ss.pos, `Address family of virtual server and sorry server ${ss.address} don't match - skipping sorry server.`);
      delete vs.sorry;
    }
  }
  if (vs.family === undefined && vs.service.kind !== 'group') {
    const fams = new Set([...(vs.sorry ? [vs.sorry.family] : []), ...vs.rs.map((r) => r.family)]);
    vs.family = fams.size === 1 ? [...fams][0]! : 4;
  }
  return vs;
}

/* Post-parse: group linking and validate_check_config ----------------------------------------------------------- */

/** link_vsg_to_vs: drops virtual servers whose group is missing or of the wrong family, and numbers group members. */
function linkGroups(vss: readonly VirtualDraft[], groups: ReadonlyMap<string, VirtualServerGroupConfig>, d: DiagnosticSink): VirtualDraft[] {
  const out: VirtualDraft[] = [];
  for (const vs of vss) {
    if (vs.service.kind !== 'group') {
      out.push(vs);
      continue;
    }
    const name = vs.service.group;
    const g = groups.get(name);
    if (!g) {
      d.error(vs.pos, `Virtual server group ${name} specified but not configured - ignoring virtual server ${fmtVs(vs)}`);
      continue;
    }
    const have4 = g.entries.some((e) => e.family === 4);
    const have6 = g.entries.some((e) => e.family === 6);
    if (have4 && have6 && vs.family !== undefined) {
      d.error(vs.pos, `${name}: virtual server group with IPv4 & IPv6 doesn't match virtual server ${fmtVs(vs)} - ignoring`);
      continue;
    }
    if ((have4 && vs.family === 6) || (have6 && vs.family === 4)) {
      d.error(vs.pos, `${name}: address family doesn't match virtual server ${fmtVs(vs)} - ignoring`);
      continue;
    }
    if (have4 !== have6) vs.family ??= have4 ? 4 : 6;
    else if (vs.family === undefined && g.entries.some((e) => e.kind === 'fwmark' && !e.family)) {
      d.warning(vs.pos, `${name}: Virtual server ${fmtVs(vs)} address family cannot be determined, defaulting to IPv4`);
    }
    out.push(vs);
  }
  const members = new Map<string, number>();
  for (const vs of out) {
    if (vs.service.kind !== 'group') continue;
    vs.member = members.get(vs.service.group) ?? 0;
    members.set(vs.service.group, vs.member + 1);
  }
  return out;
}

function fmtEntry(e: VirtualServerGroupEntry): string {
  if (e.kind === 'fwmark') return `FWM ${e.fwmark}`;
  return `${e.start === e.end ? e.start : `${e.start}-${e.end}`},${e.port}`;
}

/** The port checks at the end of validate_check_config (and the corrections it makes for a plain virtual server). */
function fixPorts(vs: VirtualDraft, group: VirtualServerGroupConfig | undefined, fwd: (s: ServerDraft) => LvsForwarding, d: DiagnosticSink): void {
  const rsText = (rs: ServerDraft): string => fmtServer(rs, vs.protocol);
  const ss = vs.sorry && fwd(vs.sorry).method !== 'NAT' ? vs.sorry : undefined;
  if (group) {
    const direct = vs.rs.filter((rs) => fwd(rs).method !== 'NAT');
    if (group.entries.some((e) => e.kind === 'fwmark')) {
      for (const rs of direct) {
        if (rs.port)
          d.keptError(rs.pos, `WARNING - fwmark virtual server ${fmtVs(vs)}, real server ${rsText(rs)} has port specified - port will be ignored`);
      }
      if (ss?.port) d.keptError(ss.pos, `WARNING - fwmark virtual server ${fmtVs(vs)}, sorry server has port specified - port will be ignored`);
    }
    for (const e of group.entries) {
      if (e.kind !== 'range') continue;
      for (const rs of direct) {
        if (rs.port && rs.port !== e.port)
          d.keptError(rs.pos, `virtual server ${fmtVs(vs)}:[${fmtEntry(e)}] and real server ${rsText(rs)} ports don't match`);
      }
      if (ss?.port && ss.port !== e.port)
        d.keptError(ss.pos, `WARNING - virtual server ${fmtVs(vs)}, sorry server has port specified - port will be ignored`);
    }
    return;
  }
  const vsPort = vs.service.kind === 'address' ? vs.service.port : 0;
  const fwmark = vs.service.kind === 'fwmark';
  for (let i = 0; i < vs.rs.length; i++) {
    const rs = vs.rs[i]!;
    if (fwd(rs).method === 'NAT') {
      if (!fwmark && !rs.port) rs.port = vsPort;
    } else if (fwmark) {
      if (rs.port) d.keptError(rs.pos, `WARNING - fwmark virtual server ${fmtVs(vs)}, real server ${rsText(rs)} has port specified - clearing`);
      rs.port = 0;
    } else {
      if (rs.port && rs.port !== vsPort)
        d.keptError(rs.pos, `WARNING - virtual server ${fmtVs(vs)} and real server ${rsText(rs)} ports don't match - resetting`);
      rs.port = vsPort;
    }
  }
  if (!ss) return;
  if (fwmark) {
    if (ss.port) d.keptError(ss.pos, `WARNING - virtual server ${fmtVs(vs)}, sorry server has port specified - clearing`);
    ss.port = 0;
  } else {
    if (ss.port && ss.port !== vsPort) d.keptError(ss.pos, `WARNING - virtual server ${fmtVs(vs)} and sorry server ports don't match - resetting`);
    ss.port = vsPort;
  }
}

/** The protocol, scheduler and persistence checks at the start of validate_check_config. */
function fixService(vs: VirtualDraft, group: VirtualServerGroupConfig | undefined, d: DiagnosticSink): void {
  const ranges = group?.entries.filter((e) => e.kind === 'range') ?? [];
  const fwmarkOnly = group ? ranges.length === 0 : vs.service.kind === 'fwmark';
  const zeroPort = (): void => {
    d.keptError(vs.pos, `Virtual server ${fmtVs(vs)}: zero port only valid for persistent services - setting`);
    vs.persistenceTimeoutMs = PERSISTENT_TIMEOUT_MS;
  };
  if (vs.haSuspend && (vs.service.kind === 'fwmark' || group?.entries.some((e) => e.kind === 'fwmark'))) {
    d.keptError(vs.pos, `Virtual server ${fmtVs(vs)}: cannot use ha_suspend with fwmarks - clearing ha_suspend`);
    vs.haSuspend = false;
  }
  if (!fwmarkOnly) {
    if (!vs.protocol) {
      // the kernel takes protocol 0 as UDP, so keepalived makes it explicit
      d.keptError(vs.pos, `Virtual server ${fmtVs(vs)}: no protocol set - defaulting to UDP`);
      vs.protocol = 'UDP';
    }
    if (vs.flags & IPVS_SVC_FLAG.ONEPACKET && vs.protocol !== 'UDP') {
      d.keptError(vs.pos, `Virtual server ${fmtVs(vs)}: one packet scheduling requires UDP - resetting`);
      vs.flags &= ~IPVS_SVC_FLAG.ONEPACKET;
    }
    if (!vs.persistenceTimeoutMs && vs.service.kind === 'address' && vs.service.port === 0) zeroPort();
  }
  if (!vs.persistenceTimeoutMs && ranges.some((e) => e.port === 0)) zeroPort();
  if (vs.protocol && fwmarkOnly) {
    d.keptError(vs.pos, `Warning: Virtual server ${fmtVs(vs)}: protocol specified for fwmark - protocol will be ignored`);
    delete vs.protocol;
  }
  if (!vs.scheduler) {
    d.keptError(vs.pos, `Virtual server ${fmtVs(vs)}: no scheduler set, setting default 'wlc'`);
    vs.scheduler = 'wlc';
  }
}

/** validate_check_config for one virtual server; undefined when keepalived drops it. */
function validate(vs: VirtualDraft, group: VirtualServerGroupConfig | undefined, g: GlobalDefs, d: DiagnosticSink): VirtualServerConfig | undefined {
  if (vs.rs.length === 0) {
    d.error(vs.pos, `Virtual server ${fmtVs(vs)} has no real servers - ignoring`);
    return undefined;
  }
  fixService(vs, group, d);
  const fwd = (s: ServerDraft): LvsForwarding => {
    if (s.forwarding) return s.forwarding;
    if (!vs.forwarding) {
      d.keptError(vs.pos, `Virtual server ${fmtVs(vs)}: no forwarding method set, setting default NAT`);
      vs.forwarding = { method: 'NAT' };
    }
    return (s.forwarding = vs.forwarding);
  };
  // one key per server, looked up in a set: comparing each real server with every one kept before it was O(n²)
  const keys = new Set<string>();
  const sorryKey = vs.sorry && serverKey(vs.sorry);
  const kept: RealDraft[] = [];
  let weightSum = 0;
  for (let i = 0; i < vs.rs.length; i++) {
    const rs = vs.rs[i]!;
    const key = serverKey(rs);
    if (keys.has(key)) {
      d.error(rs.pos, `VS ${fmtVs(vs)}: real server ${fmtServer(rs, vs.protocol)} is duplicated - removing second rs`);
      continue;
    }
    fwd(rs);
    rs.inhibit ??= vs.inhibitOnFailure;
    rs.weight ??= vs.weight;
    weightSum += rs.weight;
    if (vs.sorry && sorryKey === key && (vs.sorry.inhibit ?? false) !== rs.inhibit) {
      d.keptError(
        vs.pos,
        `Virtual server ${fmtVs(vs)}: real server ${fmtServer(rs, vs.protocol)} matches sorry server, but inhibit setting differs, ${rs.inhibit ? 'sett' : 'clear'}ing on sorry server`,
      );
      vs.sorry.inhibit = rs.inhibit;
    }
    keys.add(key);
    kept.push(rs);
  }
  vs.rs = kept;
  if (vs.sorry) fwd(vs.sorry);
  if (vs.quorum > weightSum) {
    d.keptError(
      vs.pos,
      `Warning - quorum ${vs.quorum} for ${fmtVs(vs)} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`,
    );
    vs.quorum = weightSum;
  }
  if (vs.hysteresis >= vs.quorum && vs.hysteresis > 0) {
    const h = Math.max(0, vs.quorum - 1);
    d.keptError(vs.pos, `Virtual server ${fmtVs(vs)}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${h}`);
    vs.hysteresis = h;
  }
  fixPorts(vs, group, fwd, d);
  return build(vs, g, d);
}

const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [k]: v } as { [P in K]?: V }));

/** The final, readonly virtual server with every real server and checker resolved. */
function build(vs: VirtualDraft, g: GlobalDefs, d: DiagnosticSink): VirtualServerConfig {
  const realServers = vs.rs.map((rs): RealServerConfig => {
    const alpha = rs.alpha ?? vs.alpha;
    const connectTimeoutMs = rs.connectTimeoutMs ?? vs.connectTimeoutMs;
    const delayLoopMs = rs.delayLoopMs ?? vs.delayLoopMs;
    const retry = rs.retry ?? vs.retry;
    const delayBeforeRetryMs = rs.delayBeforeRetryMs ?? vs.delayBeforeRetryMs;
    const warmupMs = rs.warmupMs ?? vs.warmupMs;
    const virtualhost = rs.virtualhost ?? vs.virtualhost;
    // optional fields are assigned in the order the literal had them (spreading `opt(…)` objects, as build's virtual
    // server still does, is slow in the interpreter `-t` runs in, and there is one of these per real server)
    const def: Mutable<CheckerDefaults> = {
      address: rs.address,
      family: rs.family,
      port: rs.writtenPort || rs.port,
      delayLoopMs,
      connectTimeoutMs,
      alpha,
      vsDelayLoopMs: vs.delayLoopMs,
    };
    if (retry !== undefined) def.retry = retry;
    if (delayBeforeRetryMs !== undefined) def.delayBeforeRetryMs = delayBeforeRetryMs;
    if (warmupMs !== undefined) def.warmupMs = warmupMs;
    if (virtualhost !== undefined) def.virtualhost = virtualhost;
    const checkers: CheckerConfig[] = [];
    for (let i = 0; i < rs.checkers.length; i++) {
      const finish = rs.checkers[i]!;
      checkers.push(...finish(def, d));
    }
    const out: Mutable<RealServerConfig> = {
      pos: rs.pos,
      address: rs.address,
      family: rs.family,
      port: rs.port,
      weight: rs.weight ?? vs.weight,
      forwarding: rs.forwarding!,
      inhibitOnFailure: rs.inhibit ?? vs.inhibitOnFailure,
      uthreshold: rs.uthreshold,
      lthreshold: rs.lthreshold,
      alpha,
      connectTimeoutMs,
      delayLoopMs,
      // keepalived defaults real servers' smtp_alert to on (backwards compatibility), virtual servers' to off
      smtpAlert: rs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? true,
      checkers,
    };
    if (rs.notifyUp !== undefined) out.notifyUp = rs.notifyUp;
    if (rs.notifyDown !== undefined) out.notifyDown = rs.notifyDown;
    if (retry !== undefined) out.retry = retry;
    if (delayBeforeRetryMs !== undefined) out.delayBeforeRetryMs = delayBeforeRetryMs;
    if (warmupMs !== undefined) out.warmupMs = warmupMs;
    if (rs.virtualhost !== undefined) out.virtualhost = rs.virtualhost;
    if (rs.snmpName !== undefined) out.snmpName = rs.snmpName;
    return out;
  });
  const ss = vs.sorry;
  const sorryServer: SorryServerConfig | undefined = ss && {
    pos: ss.pos,
    address: ss.address,
    family: ss.family,
    port: ss.port,
    forwarding: ss.forwarding!,
    inhibit: ss.inhibit ?? false,
  };
  return {
    pos: vs.pos,
    service: vs.service,
    family: vs.family ?? 4,
    scheduler: vs.scheduler!,
    forwarding: vs.forwarding ?? { method: 'NAT' },
    flags: vs.flags,
    persistenceTimeoutMs: vs.persistenceTimeoutMs,
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    alpha: vs.alpha,
    omega: vs.omega,
    haSuspend: vs.haSuspend,
    inhibitOnFailure: vs.inhibitOnFailure,
    smtpAlert: vs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? false,
    connectTimeoutMs: vs.connectTimeoutMs,
    delayLoopMs: vs.delayLoopMs,
    weight: vs.weight,
    realServers,
    ...opt('protocol', vs.protocol),
    ...opt('persistenceGranularity', vs.persistenceGranularity),
    ...opt('persistenceEngine', vs.persistenceEngine),
    ...opt('virtualhost', vs.virtualhost),
    ...opt('sorryServer', sorryServer),
    ...opt('quorumUp', vs.quorumUp),
    ...opt('quorumDown', vs.quorumDown),
    ...opt('retry', vs.retry),
    ...opt('delayBeforeRetryMs', vs.delayBeforeRetryMs),
    ...opt('warmupMs', vs.warmupMs),
    ...opt('snmpName', vs.snmpName),
  };
}

/**
 * Parses every top-level `virtual_server_group` and `virtual_server` block of `tree`, then links and validates them
 * as keepalived does once the whole file is read. Never throws.
 */
export function parseLvs(tree: readonly ConfNode[], g: GlobalDefs, trackFiles: ReadonlySet<string>, d: DiagnosticSink): LvsConfig {
  const groups: VirtualServerGroupConfig[] = [];
  const drafts: VirtualDraft[] = [];
  const bfdInstances = new Set<string>();
  const refs: LvsReferences = { trackFiles, bfdInstances };
  for (const n of tree) {
    if (n.keyword.text === 'bfd_instance') checkerBfdInstance(n, bfdInstances, d);
    else if (n.keyword.text === 'virtual_server_group') {
      const vsg = parseVirtualServerGroup(n, d);
      if (vsg) groups.push(vsg);
    } else if (n.keyword.text === 'virtual_server') {
      const vs = parseVirtualServer(n, refs, d);
      if (vs) drafts.push(vs);
    }
  }
  const byName = new Map<string, VirtualServerGroupConfig>();
  for (const vsg of groups) if (!byName.has(vsg.name)) byName.set(vsg.name, vsg);
  const virtualServers = linkGroups(drafts, byName, d).flatMap((vs) => {
    const v = validate(vs, vs.service.kind === 'group' ? byName.get(vs.service.group) : undefined, g, d);
    return v ? [v] : [];
  });
  return { virtualServers, virtualServerGroups: groups };
}
