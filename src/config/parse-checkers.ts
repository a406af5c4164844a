/**
 * Health checker blocks of a `real_server` (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, SMTP_CHECK, DNS_CHECK,
 * UDP_CHECK, PING_CHECK, FILE_CHECK, BFD_CHECK) → typed checkers, with keepalived 2.2.7's keywords, per-checker
 * defaults and message texts (check_api.c and check_*.c).
 *
 * A checker is read in two steps, like keepalived: its block is parsed when met, and its inherited settings (retry,
 * delay_loop, connect_timeout, …) are resolved once the whole real server and virtual server are known
 * (validate_check_config), so `parseChecker` returns a `finish` function taking those defaults.
 */
import { isIP } from 'node:net';
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import type { Mutable, ScriptCommand } from './model.js';
import type { CheckerConfig, CheckerConnection, CheckerTiming, DnsQueryType, HttpUrl } from './model-lvs.js';
import { readScript } from './script-command.js';
import { splitRunTogether, type ConfNode } from './tree.js';
import { missingArgPos, readInt, withWords } from './values.js';

/** The checker keywords of a real_server block. */
export const CHECKER_KEYWORDS: ReadonlySet<string> = new Set([
  'TCP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'MISC_CHECK',
  'SMTP_CHECK',
  'DNS_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
  'FILE_CHECK',
  'BFD_CHECK',
]);

/** Largest time keepalived-ts accepts for a timer keyword: what one runtime timer can hold (2^31-1 ms). */
const TIMER_MAX_S = 2147483;
const UINT_MAX = 4294967295;
const IPVS_WEIGHT_LIMIT = 2147483647;

/** What a checker inherits, known once its real server and virtual server have been read and fixed up. */
export interface CheckerDefaults {
  readonly address: string;
  readonly family: 4 | 6;
  /**
   * The real server's port as written (keepalived copies it before fixing the server's port up), or the fixed-up
   * port when none was written (keepalived would connect to port 0, which cannot work).
   */
  readonly port: number;
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
  readonly delayLoopMs: number;
  readonly connectTimeoutMs: number;
  readonly alpha: boolean;
  /** The virtual server's delay loop (MISC_CHECK's default timeout). */
  readonly vsDelayLoopMs: number;
  /** `virtualhost` of the real server, else of the virtual server. */
  readonly virtualhost?: string;
}

/** Names a checker may refer to: top-level `track_file`/`vrrp_track_file` and `bfd_instance` blocks. */
export interface CheckerContext {
  readonly trackFiles: ReadonlySet<string>;
  /** The bfd_instances the checker process knows so far (checkerBfdInstance). */
  readonly bfdInstances: ReadonlySet<string>;
  /** The bfd_instances this real server's BFD_CHECKs already follow (`rs->tracked_bfds`); parseBfd adds to it. */
  readonly rsBfds: Set<string>;
  /** The real server as written, for the address family checks of connect_ip/bindto. */
  readonly rsFamily: 4 | 6;
  /** `[ip]:proto:port` of the real server, for BFD_CHECK messages. */
  readonly rsText: string;
}

/** Finishes a parsed checker with its inherited defaults; may yield several checkers (SMTP host blocks) or none. */
export type CheckerFinish = (def: CheckerDefaults, d: DiagnosticSink) => CheckerConfig[];

interface Common {
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  delayLoopMs?: number;
  alpha?: boolean;
  logAllFailures?: boolean;
}

interface ConnDraft {
  connectIp?: string;
  connectPort?: number;
  bindto?: string;
  bindPort?: number;
  bindIf?: string;
  connectTimeoutMs?: number;
  fwmark?: number;
  /** Family of the destination so far (connect_ip, else the real server's; unset for SMTP_CHECK's own). */
  dstFamily?: 4 | 6;
}

/** Argument counts of fixed-arity checker keywords (for blocks written on one line). */
const CHECKER_ARITY = new Map<string, number>([
  ['connect_ip', 1],
  ['connect_port', 1],
  ['bindto', 1],
  ['bind_port', 1],
  ['bind_if', 1],
  ['connect_timeout', 1],
  ['fwmark', 1],
  ['retry', 1],
  ['nb_get_retry', 1],
  ['delay_before_retry', 1],
  ['warmup', 1],
  ['delay_loop', 1],
  ['virtualhost', 1],
  ['http_protocol', 1],
  ['url', 0],
  ['path', 1],
  ['digest', 1],
  ['misc_timeout', 1],
  ['misc_dynamic', 0],
  ['helo_name', 1],
  ['host', 0],
  ['type', 1],
  ['name', 1],
  ['min_reply_length', 1],
  ['max_reply_length', 1],
  ['track_file', 1],
  ['weight', 1],
  ['regex', 1],
  ['regex_no_match', 0],
  ['regex_min_offset', 1],
  ['regex_max_offset', 1],
  // optional <BOOL> argument: a bare keyword still ends a run, `alpha yes` keeps its value
  ['alpha', 0],
  ['log_all_failures', 0],
  ['enable_sni', 0],
  ['fast_recovery', 0],
]);

/** keepalived's TIMER: decimal seconds, in ms; `positive` rejects 0. `msg` gives keepalived's text for a bad value. */
export function readTimer(c: ConfNode, d: DiagnosticSink, positive: boolean, msg?: (text: string) => string, maxS = TIMER_MAX_S): number | undefined {
  const t = c.args[0];
  const us = t && /^\d+(\.\d*)?$|^\.\d+$/.test(t.text) ? Math.round(Number(t.text) * 1_000_000) : NaN;
  if (Number.isNaN(us) || (positive && us === 0) || us > maxS * 1_000_000) {
    const generic = !t
      ? `${c.keyword.text}: missing value`
      : Number.isNaN(us)
        ? `${c.keyword.text}: '${t.text}' is not a number of seconds`
        : `${c.keyword.text}: ${t.text} is out of range [${positive ? '0.000001' : '0'}-${maxS}]`;
    d.error(t?.pos ?? missingArgPos(c), msg ? msg(t?.text ?? '') : generic);
    return undefined;
  }
  return us / 1000;
}

/** An unsigned integer in [min, max]; on failure reports keepalived's text `msg(value)`. */
export function readNum(c: ConfNode, d: DiagnosticSink, min: number, max: number, msg: (text: string) => string, t = c.args[0]): number | undefined {
  const n = t && /^\+?\d+$/.test(t.text) ? Number(t.text) : NaN;
  if (n >= min && n <= max) return n;
  d.error(t?.pos ?? missingArgPos(c), msg(t?.text ?? ''));
  return undefined;
}

/** keepalived's true/false words (check_true_false, get_value_bool). */
export const BOOL_WORDS = new Map([
  ['true', true],
  ['on', true],
  ['yes', true],
  ['false', false],
  ['off', false],
  ['no', false],
]);

/** keepalived's check_true_false (none = true) with its error text `Invalid <what> parameter <value>`. */
export function readFlag(c: ConfNode, d: DiagnosticSink, what = c.keyword.text): boolean | undefined {
  const t = c.args[0];
  if (!t) return true;
  const v = BOOL_WORDS.get(t.text);
  if (v === undefined) d.error(t.pos, `Invalid ${what} parameter ${t.text}`);
  return v;
}

/** An address for connect_ip/bindto, as keepalived's inet_stosockaddr reads it. */
function readAddr(c: ConfNode, d: DiagnosticSink, what: string): { ip: string; family: 4 | 6 } | undefined {
  const t = c.args[0];
  const f = t ? isIP(t.text) : 0;
  if (!t || f === 0) {
    d.error(t?.pos ?? missingArgPos(c), `Invalid ${what} address ${t?.text ?? ''} - ignoring`);
    return undefined;
  }
  return { ip: t.text, family: f as 4 | 6 };
}

/** Handles the keywords every launched checker shares; false when `c` is not one of them. */
function readCommon(c: ConfNode, com: Common, conn: ConnDraft | undefined, d: DiagnosticSink): boolean {
  const a0 = c.args[0];
  switch (c.keyword.text) {
    case 'retry':
      com.retry = readNum(c, d, 0, UINT_MAX, (v) => `Invalid retry connection value '${v}'`) ?? com.retry;
      return true;
    case 'delay_before_retry':
      com.delayBeforeRetryMs = readTimer(c, d, false, (v) => `Invalid delay_before_retry connection value '${v}'`) ?? com.delayBeforeRetryMs;
      return true;
    case 'warmup':
      com.warmupMs = readTimer(c, d, false, (v) => `Invalid warmup connection value '${v}'`) ?? com.warmupMs;
      return true;
    case 'delay_loop':
      com.delayLoopMs = readTimer(c, d, true, (v) => `delay_loop '${v}' is invalid - ignoring`) ?? com.delayLoopMs;
      return true;
    case 'alpha':
      com.alpha = readFlag(c, d) ?? com.alpha;
      return true;
    case 'log_all_failures':
      com.logAllFailures = readFlag(c, d) ?? com.logAllFailures;
      return true;
  }
  if (!conn) return false;
  switch (c.keyword.text) {
    case 'connect_ip': {
      const a = readAddr(c, d, 'connect_ip');
      if (!a) break;
      if (conn.bindto && isIP(conn.bindto) !== a.family) {
        d.error(a0!.pos, `connect_ip address ${a.ip} does not match address family of bindto - skipping`);
        break;
      }
      conn.connectIp = a.ip;
      conn.dstFamily = a.family;
      break;
    }
    case 'connect_port':
      conn.connectPort = readNum(c, d, 1, 65535, (v) => `Invalid checker connect_port '${v}'`) ?? conn.connectPort;
      break;
    case 'bindto': {
      const a = readAddr(c, d, 'bindto');
      if (!a) break;
      if (conn.dstFamily !== undefined && conn.dstFamily !== a.family) {
        d.error(a0!.pos, `bindto address ${a.ip} does not match address family of connect_ip - skipping`);
        break;
      }
      conn.bindto = a.ip;
      break;
    }
    case 'bind_port':
      conn.bindPort = readNum(c, d, 1, 65535, (v) => `Invalid checker bind_port '${v}'`) ?? conn.bindPort;
      break;
    case 'bind_if':
      if (!a0) d.error(missingArgPos(c), 'bind_if: missing interface');
      else if (a0.text.length > 15) d.error(a0.pos, `Interface name ${a0.text} is too long - ignoring`);
      else conn.bindIf = a0.text;
      break;
    case 'connect_timeout':
      conn.connectTimeoutMs = readTimer(c, d, true, (v) => `connect_timeout ${v} invalid - ignoring`, UINT_MAX / 1_000_000) ?? conn.connectTimeoutMs;
      break;
    case 'fwmark':
      conn.fwmark = readNum(c, d, 0, UINT_MAX, (v) => `Invalid fwmark connection value '${v}'`) ?? conn.fwmark;
      break;
    default:
      return false;
  }
  return true;
}

function timing(com: Common, def: CheckerDefaults, defaultRetry: number, defaultDelayBeforeRetryMs: number): CheckerTiming {
  const delayLoopMs = com.delayLoopMs ?? def.delayLoopMs;
  return {
    retry: com.retry ?? def.retry ?? defaultRetry,
    delayBeforeRetryMs: com.delayBeforeRetryMs ?? def.delayBeforeRetryMs ?? (defaultDelayBeforeRetryMs || delayLoopMs),
    warmupMs: com.warmupMs ?? def.warmupMs ?? delayLoopMs,
    delayLoopMs,
    alpha: com.alpha ?? def.alpha,
    logAllFailures: com.logAllFailures ?? false,
  };
}

/** The final connection, or undefined (with keepalived's error) for a link-local destination without bind_if. */
function connection(conn: ConnDraft, def: CheckerDefaults, pos: SourcePos, d: DiagnosticSink): CheckerConnection | undefined {
  const connectIp = conn.connectIp ?? def.address;
  if (isIP(connectIp) === 6 && /^fe[89ab]/i.test(connectIp) && !conn.bindIf) {
    d.error(pos, `Checker link local address ${connectIp} requires a bind_if`);
    return undefined;
  }
  // assigned, not spread, in this order (the model's key order): one per checker, and spreads are slow in `-t`'s interpreter
  const out: Mutable<CheckerConnection> = {
    connectIp,
    connectPort: conn.connectPort ?? def.port,
    connectTimeoutMs: conn.connectTimeoutMs ?? def.connectTimeoutMs,
  };
  if (conn.bindto !== undefined) out.bindto = conn.bindto;
  if (conn.bindPort !== undefined) out.bindPort = conn.bindPort;
  if (conn.bindIf !== undefined) out.bindIf = conn.bindIf;
  if (conn.fwmark !== undefined) out.fwmark = conn.fwmark;
  return out;
}

function unknown(c: ConfNode, block: string, d: DiagnosticSink): void {
  if (CHECKER_KEYWORDS.has(c.keyword.text))
    d.error(c.keyword.pos, `'${c.keyword.text}' inside ${block} - checkers belong directly in a real_server block`);
  else d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
}

/** Keywords whose keepalived handler reads a first word unchecked (a bare one stops keepalived: null_strvec). */
const TIMING_WORDS = ['retry', 'delay_before_retry', 'warmup', 'delay_loop'];
const CONN_WORDS = ['connect_ip', 'connect_port', 'bindto', 'bind_port', 'bind_if', 'connect_timeout', 'fwmark'];
const NEEDS_WORD: Readonly<Record<string, ReadonlySet<string>>> = {
  TCP_CHECK: new Set([...TIMING_WORDS, ...CONN_WORDS]),
  PING_CHECK: new Set([...TIMING_WORDS, ...CONN_WORDS]),
  SMTP_CHECK: new Set([...TIMING_WORDS, ...CONN_WORDS]),
  host: new Set([...TIMING_WORDS, ...CONN_WORDS]),
  HTTP_GET: new Set([...TIMING_WORDS, ...CONN_WORDS, 'nb_get_retry']),
  SSL_GET: new Set([...TIMING_WORDS, ...CONN_WORDS, 'nb_get_retry']),
  url: new Set(['path', 'digest']),
  MISC_CHECK: new Set([...TIMING_WORDS, 'misc_timeout']),
  DNS_CHECK: new Set([...TIMING_WORDS, ...CONN_WORDS, 'type', 'name']),
  UDP_CHECK: new Set([...TIMING_WORDS, ...CONN_WORDS, 'min_reply_length', 'max_reply_length']),
  FILE_CHECK: new Set(['track_file']),
};

/** The statements of a checker block (or its url/host sub-block), bare keywords that need a word reported and left out. */
const children = (n: ConfNode, d: DiagnosticSink): readonly ConfNode[] =>
  withWords(splitRunTogether(n.children ?? [], CHECKER_ARITY), NEEDS_WORD[n.keyword.text] ?? new Set(), d);

/** Parses one checker block of a real server. Returns undefined when the checker is dropped (with a diagnostic). */
export function parseChecker(node: ConfNode, ctx: CheckerContext, d: DiagnosticSink): CheckerFinish | undefined {
  const type = node.keyword.text;
  const pos = node.keyword.pos;
  switch (type) {
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return parseSimple(node, type, ctx, d);
    case 'HTTP_GET':
    case 'SSL_GET':
      return parseHttp(node, type, ctx, d);
    case 'MISC_CHECK':
      return parseMisc(node, d);
    case 'SMTP_CHECK':
      return parseSmtp(node, ctx, d);
    case 'DNS_CHECK':
      return parseDns(node, ctx, d);
    case 'UDP_CHECK':
      return parseUdp(node, ctx, d);
    case 'FILE_CHECK':
      return parseFile(node, ctx, d);
    case 'BFD_CHECK':
      return parseBfd(node, ctx, d);
  }
  d.keptError(pos, `Unknown keyword '${type}'`);
  return undefined;
}

function parseSimple(node: ConfNode, type: 'TCP_CHECK' | 'PING_CHECK', ctx: CheckerContext, d: DiagnosticSink): CheckerFinish {
  const com: Common = {};
  const conn: ConnDraft = { dstFamily: ctx.rsFamily };
  const cs = children(node, d);
  // an index loop: one TCP_CHECK per real server in large configurations, and `for…of` allocates per step in `-t`'s interpreter
  for (let i = 0; i < cs.length; i++) if (!readCommon(cs[i]!, com, conn, d)) unknown(cs[i]!, type, d);
  return (def, d2) => {
    const co = connection(conn, def, node.keyword.pos, d2);
    return co ? [{ type, pos: node.keyword.pos, connection: co, ...timing(com, def, 1, 1000) }] : [];
  };
}

/** Merges status code ranges (sorted, adjacent ranges joined). */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const r of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

const REGEX_OPTIONS = new Set([
  'allow_empty_class',
  'alt_bsux',
  'auto_callout',
  'caseless',
  'dollar_endonly',
  'dotall',
  'dupnames',
  'extended',
  'firstline',
  'match_unset_backref',
  'multiline',
  'never_ucp',
  'never_utf',
  'no_auto_capture',
  'no_auto_possess',
  'no_dotstar_anchor',
  'no_start_optimize',
  'ucp',
  'ungreedy',
  'utf',
  'never_backslash_c',
  'alt_circumflex',
  'alt_verbnames',
  'use_offset_limit',
]);

/** One `url { … }` block; undefined when it has no path. `virtualhost` is resolved later. */
function parseUrl(node: ConfNode, d: DiagnosticSink): Mutable<HttpUrl> | undefined {
  let path: string | undefined;
  let digest: string | undefined;
  let virtualhost: string | undefined;
  let regex: string | undefined;
  const codes: [number, number][] = [];
  const regexOptions: string[] = [];
  let regexNoMatch = false,
    regexMinOffset = 0,
    regexMaxOffset = 0,
    regexStack = false;
  for (const c of children(node, d)) {
    const a0 = c.args[0];
    switch (c.keyword.text) {
      case 'path':
        if (a0) path = a0.text;
        else d.error(missingArgPos(c), 'path: missing value');
        break;
      case 'digest':
        if (!a0) d.error(missingArgPos(c), 'digest: missing value');
        else if (digest !== undefined) d.error(a0.pos, `Digest '${a0.text}' is a duplicate`);
        else if (a0.text.length !== 32) d.error(a0.pos, `digest '${a0.text}' character length should be 32 rather than ${a0.text.length}`);
        else {
          // keepalived converts the pairs from the last one backwards and reports the first bad one it meets
          const bad = [...Array(16).keys()].reverse().find((i) => !/^[0-9a-fA-F]{2}$/.test(a0.text.slice(2 * i, 2 * i + 2)));
          if (bad === undefined) digest = a0.text.toLowerCase();
          else d.error(a0.pos, `Unable to interpret hex digit in '${a0.text}' at offset ${2 * bad}/${2 * bad + 1}`);
        }
        break;
      case 'status_code':
        for (const t of c.args) {
          const m = /^(\d+)(?:-(\d+))?$/.exec(t.text);
          const min = m ? Number(m[1]) : NaN;
          const max = m?.[2] !== undefined ? Number(m[2]) : min;
          if (!m || min < 100 || max > 599 || min > max) d.error(t.pos, `Invalid HTTP_GET status code '${t.text}'`);
          else codes.push([min, max]);
        }
        break;
      case 'virtualhost':
        if (a0) virtualhost = a0.text;
        else d.error(missingArgPos(c), 'Missing HTTP_GET virtualhost name');
        break;
      case 'regex':
        if (c.args.length !== 1) d.error(a0?.pos ?? missingArgPos(c), 'regex missing or too many fields');
        else regex = a0!.text;
        break;
      case 'regex_no_match':
        regexNoMatch = true;
        break;
      case 'regex_options':
        for (const t of c.args) {
          if (REGEX_OPTIONS.has(t.text)) regexOptions.push(t.text);
          else d.warning(t.pos, `Unknown regex option '${t.text}' - ignored`);
        }
        break;
      case 'regex_min_offset':
      case 'regex_max_offset': {
        const which = c.keyword.text === 'regex_min_offset' ? 'min' : 'max';
        let v = 0;
        if (c.args.length !== 1) d.error(a0?.pos ?? missingArgPos(c), `Missing or too may options for regex_${which}_offset`);
        else if (!/^\d+$/.test(a0!.text)) d.error(a0!.pos, `Invalid regex_${which}_offset ${a0!.text} specified`);
        else v = Number(a0!.text);
        if (which === 'min') regexMinOffset = v;
        else regexMaxOffset = v + 1;
        break;
      }
      case 'regex_stack': {
        // keepalived check_http.c regex_stack_handler (log lines, not config errors): it sizes PCRE2's JIT stack;
        // our regex runs on JavaScript's RegExp, which has no such stack, so a valid one is checked and has no effect
        const [start, max] = c.args.map((t) => (/^\d+$/.test(t.text) ? Number(t.text) : undefined));
        if (c.args.length !== 2) d.warning(c.keyword.pos, 'regex_stack requires start and max values');
        else if (start === undefined) d.warning(c.args[0]!.pos, 'regex_stack invalid start value');
        else if (max === undefined) d.warning(c.args[1]!.pos, 'regex_stack invalid max value');
        else if (start > max) d.warning(c.keyword.pos, 'regex stack start cannot exceed max value');
        else regexStack = true;
        break;
      }
      default:
        d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
    }
  }
  if (path === undefined) {
    d.error(node.keyword.pos, 'HTTP/SSL_GET checker url has no path - ignoring');
    return undefined;
  }
  if (regex === undefined && (regexOptions.length || regexNoMatch || regexMinOffset || regexMaxOffset || regexStack)) {
    d.warning(node.keyword.pos, 'regex parameters specified without regex');
    regexOptions.length = 0;
    regexNoMatch = false;
    regexMinOffset = regexMaxOffset = 0;
  }
  if (regexMaxOffset && regexMinOffset >= regexMaxOffset) {
    d.warning(node.keyword.pos, `regex min offset ${regexMinOffset} > regex_max_offset ${regexMaxOffset - 1} - ignoring`);
    regexMinOffset = regexMaxOffset = 0;
  }
  return {
    path,
    statusCodes: codes.length ? mergeRanges(codes) : [[200, 299]],
    regexNoMatch,
    regexOptions,
    regexMinOffset,
    regexMaxOffset,
    ...(digest !== undefined ? { digest } : {}),
    ...(virtualhost !== undefined ? { virtualhost } : {}),
    ...(regex !== undefined ? { regex } : {}),
  };
}

function parseHttp(node: ConfNode, type: 'HTTP_GET' | 'SSL_GET', ctx: CheckerContext, d: DiagnosticSink): CheckerFinish | undefined {
  const com: Common = {};
  const conn: ConnDraft = { dstFamily: ctx.rsFamily };
  const urls: Mutable<HttpUrl>[] = [];
  let virtualhost: string | undefined;
  let httpProtocol: '1.0' | '1.0C' | '1.1' = '1.0';
  let enableSni = false,
    fastRecovery = false;
  for (const c of children(node, d)) {
    const a0 = c.args[0];
    switch (c.keyword.text) {
      case 'nb_get_retry':
        d.warning(c.keyword.pos, "nb_get_retry is deprecated - please use 'retry'");
        com.retry = readNum(c, d, 0, UINT_MAX, (v) => `Invalid nb_get_retry value '${v}'`) ?? com.retry;
        break;
      case 'virtualhost':
        if (a0) virtualhost = a0.text;
        else d.error(missingArgPos(c), 'HTTP_GET virtualhost name missing');
        break;
      case 'http_protocol':
        if (!a0) d.error(missingArgPos(c), 'Missing http_protocol version');
        else if (a0.text === '1.0' || a0.text === '1.1') httpProtocol = a0.text;
        else if (a0.text === '1.0C' || a0.text === '1.0c') httpProtocol = '1.0C';
        else d.error(a0.pos, `Invalid http_protocol version ${a0.text}`);
        break;
      case 'enable_sni':
        enableSni = readFlag(c, d) ?? enableSni;
        break;
      case 'fast_recovery':
        fastRecovery = readFlag(c, d) ?? fastRecovery;
        break;
      case 'url': {
        const u = parseUrl(c, d);
        if (u) urls.push(u);
        break;
      }
      default:
        if (!readCommon(c, com, conn, d)) unknown(c, type, d);
    }
  }
  if (urls.length === 0) {
    d.error(node.keyword.pos, 'HTTP/SSL_GET checker has no urls specified - ignoring');
    return undefined;
  }
  return (def, d2) => {
    const co = connection(conn, def, node.keyword.pos, d2);
    if (!co) return [];
    const vhost = virtualhost ?? def.virtualhost;
    const resolved = urls.map((u) => {
      const v = u.virtualhost ?? vhost;
      return v !== undefined ? { ...u, virtualhost: v } : u;
    });
    return [
      {
        type,
        pos: node.keyword.pos,
        connection: co,
        ...timing(com, def, 1, 3000),
        httpProtocol,
        enableSni,
        fastRecovery,
        urls: resolved,
        ...(virtualhost !== undefined ? { virtualhost } : {}),
      },
    ];
  };
}

function parseMisc(node: ConfNode, d: DiagnosticSink): CheckerFinish | undefined {
  const com: Common = {};
  let script: ScriptCommand | undefined;
  let user: { user: string; group?: string } | undefined;
  let timeoutMs: number | undefined;
  let dynamic = false;
  for (const c of children(node, d)) {
    switch (c.keyword.text) {
      case 'misc_path': {
        const s = readScript(c, d);
        if (!s) break;
        if (c.args.length > 1) d.warning(c.args[1]!.pos, 'misc_path: words after the script are ignored - quote the whole command');
        script = { command: s.command, pos: s.pos };
        break;
      }
      case 'misc_timeout': {
        const v = readNum(c, d, 0, Math.floor(UINT_MAX / 1_000_000), (x) => `Invalid misc_timeout value '${x}'`);
        if (v !== undefined) timeoutMs = v * 1000;
        break;
      }
      case 'misc_dynamic':
        dynamic = true;
        break;
      case 'user':
        if (!c.args[0]) d.error(missingArgPos(c), `No user specified for misc checker script ${script?.command ?? ''}`);
        else user = { user: c.args[0].text, ...(c.args[1] ? { group: c.args[1].text } : {}) };
        break;
      default:
        if (!readCommon(c, com, undefined, d)) unknown(c, 'MISC_CHECK', d);
    }
  }
  if (!script) {
    d.error(node.keyword.pos, 'No script path has been specified for MISC_CHECKER - skipping');
    return undefined;
  }
  const withUser: ScriptCommand = { ...script, ...(user ?? {}) };
  return (def) => [
    {
      type: 'MISC_CHECK',
      pos: node.keyword.pos,
      script: withUser,
      timeoutMs: timeoutMs || def.vsDelayLoopMs,
      dynamic,
      ...timing(com, def, 0, 1000),
    },
  ];
}

function parseSmtp(node: ConfNode, ctx: CheckerContext, d: DiagnosticSink): CheckerFinish {
  const com: Common = {};
  const main: ConnDraft = {};
  const hosts: { conn: ConnDraft; pos: SourcePos }[] = [];
  let heloName = 'smtpchecker.keepalived.org';
  for (const c of children(node, d)) {
    if (c.keyword.text === 'helo_name') {
      if (c.args[0]) heloName = c.args[0].text;
      else d.error(missingArgPos(c), 'SMTP_CHECK helo name missing');
    } else if (c.keyword.text === 'host') {
      const conn: ConnDraft = { dstFamily: ctx.rsFamily };
      for (const h of children(c, d)) if (!readCommon(h, com, conn, d)) unknown(h, 'host', d);
      hosts.push({ conn, pos: c.keyword.pos });
    } else if (!readCommon(c, com, main, d)) unknown(c, 'SMTP_CHECK', d);
  }
  if (hosts.length) d.warning(hosts[0]!.pos, 'The SMTP_CHECK host block is deprecated. Please define additional checkers.');
  // keepalived uses the checker's own connection when any part of it is set or there is no host block;
  // otherwise the first host takes its place. Every other host becomes a checker of its own.
  const mainSet = Object.values(main).some((v) => v !== undefined) || hosts.length === 0;
  const conns = [...(mainSet ? [{ conn: main, pos: node.keyword.pos }] : []), ...hosts];
  return (def, d2) =>
    conns.flatMap(({ conn, pos }) => {
      const co = connection(conn, def, pos, d2);
      return co ? [{ type: 'SMTP_CHECK' as const, pos, connection: co, heloName, ...timing(com, def, 1, 1000) }] : [];
    });
}

const DNS_TYPES: readonly DnsQueryType[] = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY'];

function parseDns(node: ConfNode, ctx: CheckerContext, d: DiagnosticSink): CheckerFinish {
  const com: Common = {};
  const conn: ConnDraft = { dstFamily: ctx.rsFamily };
  let queryType: DnsQueryType = 'SOA';
  let name: string | undefined;
  for (const c of children(node, d)) {
    const a0 = c.args[0];
    if (c.keyword.text === 'type') {
      const t = DNS_TYPES.find((x) => x === a0?.text.toUpperCase());
      if (t) queryType = t;
      else d.error(a0?.pos ?? missingArgPos(c), `Unknown DNS check type ${a0?.text ?? ''} - ignoring`);
    } else if (c.keyword.text === 'name') {
      if (!a0) d.error(missingArgPos(c), 'name: missing value');
      else if (name !== undefined) d.error(c.keyword.pos, 'DNS_CHECK name already specified - ignoring');
      else if ((a0.text.startsWith('.') && a0.text !== '.') || a0.text.includes('..'))
        d.error(a0.pos, `DNS_CHECK name '${a0.text}' has empty label - ignoring`);
      else name = a0.text;
    } else if (!readCommon(c, com, conn, d)) unknown(c, 'DNS_CHECK', d);
  }
  return (def, d2) => {
    const co = connection(conn, def, node.keyword.pos, d2);
    return co ? [{ type: 'DNS_CHECK', pos: node.keyword.pos, connection: co, queryType, name: name ?? '', ...timing(com, def, 3, 0) }] : [];
  };
}

/** keepalived's read_hex_str: hex digits, pairs form a byte, a lone digit before a blank is a byte; `x` = wildcard nibble. */
export function readHex(text: string, allowMask: boolean): { data: number[]; mask?: number[] } | undefined {
  const data: number[] = [];
  const mask: number[] = [];
  let usingMask = false;
  const nibble = (ch: string): [number, number] | undefined => {
    if (/^[0-9a-fA-F]$/.test(ch)) return [parseInt(ch, 16), 0];
    if (allowMask && (ch === 'x' || ch === 'X')) {
      usingMask = true;
      return [0, 0x0f];
    }
    return undefined;
  };
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ' || text[i] === '\t') {
      i++;
      continue;
    }
    const hi = nibble(text[i++]!);
    if (!hi) return undefined;
    let [v, m] = hi;
    if (i < text.length && text[i] !== ' ') {
      const lo = nibble(text[i++]!);
      if (!lo) return undefined;
      v = (v << 4) | lo[0];
      m = (m << 4) | lo[1];
    }
    data.push(v);
    mask.push(m);
  }
  if (!data.length) return undefined;
  return usingMask ? { data, mask } : { data };
}

function parseUdp(node: ConfNode, ctx: CheckerContext, d: DiagnosticSink): CheckerFinish {
  const com: Common = {};
  const conn: ConnDraft = { dstFamily: ctx.rsFamily };
  let payload: number[] | undefined;
  let requireReply = false;
  let reply: { data: number[]; mask?: number[] } | undefined;
  let minReplyLength = 0,
    maxReplyLength = 255;
  for (const c of children(node, d)) {
    const hex = c.args.map((t) => t.text).join(' ');
    switch (c.keyword.text) {
      case 'payload':
        if (!c.args.length) {
          d.error(missingArgPos(c), 'UDP_CHECK payload requires a payload');
          break;
        }
        payload = readHex(hex, false)?.data;
        if (!payload) d.error(c.args[0]!.pos, 'Invalid hex string for UDP_CHECK payload');
        break;
      case 'require_reply':
        requireReply = true;
        if (!c.args.length) break;
        reply = readHex(hex, true);
        if (!reply) d.error(c.args[0]!.pos, 'Invalid hex string for UDP_CHECK reply');
        break;
      case 'min_reply_length':
        minReplyLength = readNum(c, d, 0, 65535, (v) => `UDP_CHECK min length ${v} not valid - must be between 0 & 65535`) ?? minReplyLength;
        break;
      case 'max_reply_length':
        maxReplyLength = readNum(c, d, 0, 65535, (v) => `UDP_CHECK max length ${v} not valid - must be between 0 & 65535`) ?? maxReplyLength;
        break;
      default:
        if (!readCommon(c, com, conn, d)) unknown(c, 'UDP_CHECK', d);
    }
  }
  if (minReplyLength > maxReplyLength) {
    d.warning(node.keyword.pos, `UDP_CHECK min_reply length ${minReplyLength} > max_reply_length ${maxReplyLength} - will always fail`);
  }
  return (def, d2) => {
    const co = connection(conn, def, node.keyword.pos, d2);
    return co
      ? [
          {
            type: 'UDP_CHECK',
            pos: node.keyword.pos,
            connection: co,
            requireReply,
            minReplyLength,
            maxReplyLength,
            ...timing(com, def, 1, 1000),
            ...(payload ? { payload } : {}),
            ...(reply ? { reply } : {}),
          },
        ]
      : [];
  };
}

function parseFile(node: ConfNode, ctx: CheckerContext, d: DiagnosticSink): CheckerFinish | undefined {
  let trackFile: string | undefined;
  let weight: number | undefined;
  let reverse = false;
  for (const c of children(node, d)) {
    const a0 = c.args[0];
    if (c.keyword.text === 'track_file') {
      if (!a0) d.error(missingArgPos(c), 'track_file: missing name');
      else if (!ctx.trackFiles.has(a0.text)) d.error(a0.pos, `track_file ${a0.text} not found`);
      else trackFile = a0.text;
    } else if (c.keyword.text === 'weight') {
      if (!a0) {
        d.error(missingArgPos(c), 'track file weight missing');
        continue;
      }
      const w = readInt(c, a0, -IPVS_WEIGHT_LIMIT, IPVS_WEIGHT_LIMIT, d);
      const opt = c.args[1];
      if (w === undefined) continue;
      if (opt && opt.text !== 'reverse' && opt.text !== 'noreverse') {
        d.error(opt.pos, `unknown track file weight option ${opt.text} - ignoring`);
        continue;
      }
      weight = w;
      reverse = opt?.text === 'reverse';
    } else d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
  }
  if (trackFile === undefined) {
    d.error(node.keyword.pos, 'FILE_CHECK has no track_file specified - ignoring');
    return undefined;
  }
  const tf = trackFile;
  return () => [{ type: 'FILE_CHECK', pos: node.keyword.pos, trackFile: tf, reverse, ...(weight !== undefined ? { weight } : {}) }];
}

/** keepalived's BFD_INAME_MAX: a bfd_instance name has at most 31 characters. */
const BFD_NAME_MAX = 31;

/**
 * A top-level `bfd_instance` as keepalived's checker process reads it (bfd_parser.c `bfd_checker_handler` and its
 * end handler): its name is known to later BFD_CHECKs whatever else the block holds, unless the block names the
 * processes to tell (`vrrp`, `checker`) and the checker is not one of them. A name seen before is reported and
 * the block skipped.
 */
export function checkerBfdInstance(node: ConfNode, known: Set<string>, d: DiagnosticSink): void {
  const name = node.args[0]?.text;
  if (name === undefined) return;
  if (known.has(name)) {
    d.error(node.args[0]!.pos, `BFD ${name} already specified`);
    return;
  }
  const said = new Set((node.children ?? []).map((c) => c.keyword.text).filter((k) => k === 'vrrp' || k === 'checker'));
  if (said.size === 0 || said.has('checker')) known.add(name);
}

function parseBfd(node: ConfNode, ctx: CheckerContext, d: DiagnosticSink): CheckerFinish | undefined {
  let name: string | undefined;
  let alpha: boolean | undefined;
  for (const c of children(node, d)) {
    if (c.keyword.text === 'name') {
      const a0 = c.args[0];
      const problem =
        c.args.length !== 1
          ? 'No or too many names specified - skipping checker'
          : !ctx.bfdInstances.has(a0!.text)
            ? `BFD ${a0!.text} not configured`
            : name !== undefined
              ? `BFD ${a0!.text} already specified as ${name}`
              : a0!.text.length > BFD_NAME_MAX
                ? `BFD name ${a0!.text} too long`
                : ctx.rsBfds.has(a0!.text)
                  ? `RS already monitoring ${a0!.text}`
                  : undefined;
      // keepalived drops the whole checker on a bad name
      if (problem) {
        d.error(a0?.pos ?? missingArgPos(c), `(${ctx.rsText}) BFD_CHECK - ${problem}`);
        return undefined;
      }
      name = a0!.text;
    } else if (c.keyword.text === 'alpha') alpha = readFlag(c, d) ?? alpha;
    else d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
  }
  if (name === undefined) {
    d.error(node.keyword.pos, `(${ctx.rsText}) No name has been specified for BFD_CHECKER - skipping`);
    return undefined;
  }
  const n = name;
  ctx.rsBfds.add(n);
  return (def) => [{ type: 'BFD_CHECK', pos: node.keyword.pos, name: n, alpha: alpha ?? def.alpha }];
}
