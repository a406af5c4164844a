/**
 * Command-line parsing with keepalived 2.2.7's getopt_long semantics (`keepalived/core/main.c parse_cmdline`).
 *
 * Written by hand because `util.parseArgs` cannot express getopt's optional arguments
 * (`-g`/`--log-file[=FILE]` only takes an attached or `=` value) nor long-option prefix abbreviation.
 * getopt rules reproduced here:
 * - short options bundle (`-nlD`); a required argument is the rest of the word or the next word (`-fFILE`, `-f FILE`);
 * - an optional argument is only the rest of the word (`-gFILE`, `--log-file=FILE`), never the next word;
 * - long options may be abbreviated to any unique prefix (`--vers`); an exact match always wins;
 * - non-option words are permuted to the end (reported as unexpected, as keepalived does); `--` ends options;
 * - `--use-file=` (an empty required argument) is a missing parameter.
 * Parsing is pure: it returns options and messages; the caller prints and exits.
 */

import { CHILD_FLAG, DAEMON_CHILD_FLAG, childRoleOf, type ChildRole } from '../daemon/child-role.js';

/** How an option takes its argument (getopt's has_arg). */
type HasArg = 'none' | 'required' | 'optional';

/** One row of the option table: short letter (if any), long name, argument kind and the field it sets. */
interface OptionSpec {
  readonly short?: string;
  readonly long: string;
  readonly arg: HasArg;
  readonly apply: (o: MutableOptions, value: string | undefined, msgs: Messages) => void;
}

/** Messages produced while parsing. */
interface Messages {
  errors: string[];
  warnings: string[];
}

/** The syslog facility codes keepalived accepts for `-S` (LOG_LOCAL0..7, LOG_USER, LOG_DAEMON), as facility numbers. */
export const SyslogFacility = {
  USER: 1,
  DAEMON: 3,
  LOCAL0: 16,
} as const;

/** What the command line asked for. Defaults are keepalived's. */
export interface CliOptions {
  /** `-f/--use-file`: configuration file (undefined = default /etc/keepalived/keepalived.conf). */
  readonly useFile?: string;
  /** `-P/--vrrp`: only the VRRP subsystem. */
  readonly vrrpOnly: boolean;
  /** `-C/--check`: only the health-checker subsystem. */
  readonly checkOnly: boolean;
  /** `-B/--no_bfd`. */
  readonly noBfd: boolean;
  /** `--all`: run all subsystems even without configuration. */
  readonly all: boolean;
  /** `-n/--dont-fork`: stay in the foreground. */
  readonly dontFork: boolean;
  /** `-l/--log-console`. */
  readonly logConsole: boolean;
  /** `-D/--log-detail` count: 1 = detail, 2 = extra detail (keepalived's LOG_EXTRA_DETAIL). */
  readonly logDetail: number;
  /** `-S/--log-facility` as a syslog facility number (default 3, LOG_DAEMON). */
  readonly logFacility: number;
  /** `-g/--log-file[=FILE]`: log file name (`keepalived.log` under $TMPDIR when given without a value). */
  readonly logFile?: string;
  /** `--flush-log-file`. */
  readonly flushLogFile: boolean;
  /** `-G/--no-syslog`. */
  readonly noSyslog: boolean;
  /** `-u/--umask` (numeric, C `strtol` base 0 syntax: 022, 0x12, 18). */
  readonly umask?: number;
  /** `-X/--release-vips`. */
  readonly releaseVips: boolean;
  /** `-V/--dont-release-vrrp`. */
  readonly dontReleaseVrrp: boolean;
  /** `-I/--dont-release-ipvs`. */
  readonly dontReleaseIpvs: boolean;
  /** `-R/--dont-respawn`. */
  readonly dontRespawn: boolean;
  /** `-d/--dump-conf`: dump the configuration to the log at start. */
  readonly dumpConf: boolean;
  /** `-p/--pid`. */
  readonly pidFile?: string;
  /** `-r/--vrrp_pid`. */
  readonly vrrpPidFile?: string;
  /** `-c/--checkers_pid`. */
  readonly checkersPidFile?: string;
  /** `-b/--bfd_pid`. */
  readonly bfdPidFile?: string;
  /** `-a/--address-monitoring`. */
  readonly addressMonitoring: boolean;
  /** `-s/--namespace`. */
  readonly namespace?: string;
  /** `-e/--all-config`: a missing configuration file is an error. */
  readonly allConfig: boolean;
  /** `-i/--config-id` (undefined = host name without domain). */
  readonly configId?: string;
  /** `-x/--snmp`. */
  readonly snmp: boolean;
  /** `-A/--snmp-agent-socket`. */
  readonly snmpAgentSocket?: string;
  /** `-m/--core-dump` (also set by `-M`). */
  readonly coreDump: boolean;
  /** `-M/--core-dump-pattern[=P]` ('core' when given without a value). */
  readonly coreDumpPattern?: string;
  /** `-t/--config-test[=LOGFILE]`. */
  readonly configTest: boolean;
  /** The LOGFILE of `--config-test=LOGFILE`: diagnostics are appended there instead of stderr. */
  readonly configTestLogFile?: string;
  /** keepalived-ts: `--dump-config` prints the normalised configuration model as JSON and exits. */
  readonly dumpConfig: boolean;
  /** keepalived-ts: `--control-socket=PATH` (default /run/keepalived-ts.sock; `none` disables it). */
  readonly controlSocket?: string;
  /** keepalived-ts: `--http=ADDRESS:PORT|PATH`: the observability endpoint (overrides global_defs `http_endpoint`). */
  readonly http?: string;
  /** keepalived-ts: `--status[=CMD]`: act as a client of a running daemon's control socket. */
  readonly status?: string;
  /** Internal: set on the detached re-spawned daemon process (Node cannot fork). */
  readonly daemonChild: boolean;
  /** Internal: the child role a supervised child process runs (`--ts-child=vrrp|check`). */
  readonly childRole?: ChildRole;
}

type MutableOptions = { -readonly [K in keyof CliOptions]: CliOptions[K] };

/** Something that ends option processing at once, as keepalived's `-v`, `-h` and `--signum` do (they exit). */
export type ImmediateAction = { readonly kind: 'version' } | { readonly kind: 'help' } | { readonly kind: 'signum'; readonly sigfunc: string };

/** The outcome of parsing: options plus what to print. `errors` non-empty ⇒ exit 1 (keepalived's status). */
export interface ParsedArgs {
  readonly options: CliOptions;
  /** Fatal problems ("Unknown option --x", "Missing parameter for option -f"). */
  readonly errors: readonly string[];
  /** Non-fatal problems, printed to stderr ("Invalid log facility 'x'"). */
  readonly warnings: readonly string[];
  /** Non-option words (keepalived prints `Unexpected argument(s): …` and carries on). */
  readonly unexpected: readonly string[];
  /** Set when `-v`, `-h` or `--signum` was met: parsing stopped there. */
  readonly immediate?: ImmediateAction;
}

/** Default option values (keepalived's). */
export function defaultOptions(): CliOptions {
  return {
    vrrpOnly: false,
    checkOnly: false,
    noBfd: false,
    all: false,
    dontFork: false,
    logConsole: false,
    logDetail: 0,
    logFacility: SyslogFacility.DAEMON,
    flushLogFile: false,
    noSyslog: false,
    releaseVips: false,
    dontReleaseVrrp: false,
    dontReleaseIpvs: false,
    dontRespawn: false,
    dumpConf: false,
    addressMonitoring: false,
    allConfig: false,
    snmp: false,
    coreDump: false,
    configTest: false,
    dumpConfig: false,
    daemonChild: false,
  };
}

/** `-S` values: 0-7 and local0-7 are LOG_LOCAL0..7; `user`, `daemon` by name. Undefined when invalid. */
export function parseFacility(text: string): number | undefined {
  const m = /^(?:local)?([0-7])$/.exec(text);
  if (m) return SyslogFacility.LOCAL0 + Number(m[1]);
  if (text === 'user') return SyslogFacility.USER;
  if (text === 'daemon') return SyslogFacility.DAEMON;
  return undefined;
}

/** `-u` values as C's strtoll(…, 0): decimal, 0-prefixed octal or 0x hex; must fit 0777. */
export function parseUmask(text: string): number | undefined {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) n = parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) n = parseInt(text, 10);
  else return undefined;
  return n >= 0 && (n & ~0o777) === 0 ? n : undefined;
}

const set =
  <K extends keyof MutableOptions>(key: K, value: MutableOptions[K]) =>
  (o: MutableOptions) => {
    o[key] = value;
  };
const setArg =
  (
    key:
      | 'useFile'
      | 'pidFile'
      | 'vrrpPidFile'
      | 'checkersPidFile'
      | 'bfdPidFile'
      | 'namespace'
      | 'configId'
      | 'snmpAgentSocket'
      | 'controlSocket'
      | 'http',
  ) =>
  (o: MutableOptions, v: string | undefined) => {
    o[key] = v;
  };

/** keepalived 2.2.7's option table (Debian build: VRRP, LVS, BFD, SNMP), plus keepalived-ts's own options. */
const OPTIONS: readonly OptionSpec[] = [
  { short: 'f', long: 'use-file', arg: 'required', apply: setArg('useFile') },
  { short: 'P', long: 'vrrp', arg: 'none', apply: set('vrrpOnly', true) },
  { short: 'C', long: 'check', arg: 'none', apply: set('checkOnly', true) },
  { short: 'B', long: 'no_bfd', arg: 'none', apply: set('noBfd', true) },
  { long: 'all', arg: 'none', apply: set('all', true) },
  { short: 'l', long: 'log-console', arg: 'none', apply: set('logConsole', true) },
  {
    short: 'D',
    long: 'log-detail',
    arg: 'none',
    apply: (o) => {
      o.logDetail = Math.min(o.logDetail + 1, 2);
    },
  },
  {
    short: 'S',
    long: 'log-facility',
    arg: 'required',
    apply: (o, v, m) => {
      const f = parseFacility(v ?? '');
      if (f === undefined) m.warnings.push(`Invalid log facility '${v}'`);
      else o.logFacility = f;
    },
  },
  {
    short: 'g',
    long: 'log-file',
    arg: 'optional',
    apply: (o, v) => {
      o.logFile = v || 'keepalived.log';
    },
  },
  { short: 'e', long: 'all-config', arg: 'none', apply: set('allConfig', true) },
  { long: 'flush-log-file', arg: 'none', apply: set('flushLogFile', true) },
  { short: 'G', long: 'no-syslog', arg: 'none', apply: set('noSyslog', true) },
  {
    short: 'u',
    long: 'umask',
    arg: 'required',
    apply: (o, v, m) => {
      const u = parseUmask(v ?? '');
      if (u === undefined) m.warnings.push(`Invalid --umask option ${v}`);
      else o.umask = u;
    },
  },
  { short: 'X', long: 'release-vips', arg: 'none', apply: set('releaseVips', true) },
  { short: 'V', long: 'dont-release-vrrp', arg: 'none', apply: set('dontReleaseVrrp', true) },
  { short: 'I', long: 'dont-release-ipvs', arg: 'none', apply: set('dontReleaseIpvs', true) },
  { short: 'R', long: 'dont-respawn', arg: 'none', apply: set('dontRespawn', true) },
  { short: 'n', long: 'dont-fork', arg: 'none', apply: set('dontFork', true) },
  { short: 'd', long: 'dump-conf', arg: 'none', apply: set('dumpConf', true) },
  { short: 'p', long: 'pid', arg: 'required', apply: setArg('pidFile') },
  { short: 'r', long: 'vrrp_pid', arg: 'required', apply: setArg('vrrpPidFile') },
  {
    short: 'T',
    long: 'genhash',
    arg: 'none',
    apply: (_o, _v, m) => {
      m.errors.push('genhash mode is not supported by keepalived-ts');
    },
  },
  { short: 'c', long: 'checkers_pid', arg: 'required', apply: setArg('checkersPidFile') },
  { short: 'a', long: 'address-monitoring', arg: 'none', apply: set('addressMonitoring', true) },
  { short: 'b', long: 'bfd_pid', arg: 'required', apply: setArg('bfdPidFile') },
  { short: 'x', long: 'snmp', arg: 'none', apply: set('snmp', true) },
  { short: 'A', long: 'snmp-agent-socket', arg: 'required', apply: setArg('snmpAgentSocket') },
  { short: 'm', long: 'core-dump', arg: 'none', apply: set('coreDump', true) },
  {
    short: 'M',
    long: 'core-dump-pattern',
    arg: 'optional',
    apply: (o, v) => {
      o.coreDump = true;
      o.coreDumpPattern = v || 'core';
    },
  },
  { short: 's', long: 'namespace', arg: 'required', apply: setArg('namespace') },
  { short: 'i', long: 'config-id', arg: 'required', apply: setArg('configId') },
  { long: 'signum', arg: 'required', apply: () => {} },
  {
    short: 't',
    long: 'config-test',
    arg: 'optional',
    apply: (o, v) => {
      o.configTest = true;
      o.dontFork = true;
      o.dontRespawn = true;
      o.noSyslog = true;
      if (v) o.configTestLogFile = v;
    },
  },
  { long: 'config-fd', arg: 'required', apply: () => {} },
  { short: 'v', long: 'version', arg: 'none', apply: () => {} },
  { short: 'h', long: 'help', arg: 'none', apply: () => {} },
  // keepalived-ts additions.
  { long: 'dump-config', arg: 'none', apply: set('dumpConfig', true) },
  { long: 'control-socket', arg: 'required', apply: setArg('controlSocket') },
  { long: 'http', arg: 'required', apply: setArg('http') },
  {
    long: 'status',
    arg: 'optional',
    apply: (o, v) => {
      o.status = v || 'status';
    },
  },
  { long: DAEMON_CHILD_FLAG.slice(2), arg: 'none', apply: set('daemonChild', true) },
  {
    long: CHILD_FLAG.slice(2),
    arg: 'required',
    apply: (o, v, m) => {
      const role = childRoleOf(`${CHILD_FLAG}=${v ?? ''}`);
      if (role) o.childRole = role;
      else m.errors.push(`Unknown option ${CHILD_FLAG}=${v ?? ''}`);
    },
  },
];

/** Internal options: never reached by abbreviation. */
const INTERNAL = new Set([DAEMON_CHILD_FLAG.slice(2), CHILD_FLAG.slice(2)]);

/** Finds a long option by exact name or unique prefix (getopt_long). `ambiguous` when several prefixes match. */
function findLong(name: string): OptionSpec | 'ambiguous' | undefined {
  const exact = OPTIONS.find((o) => o.long === name);
  if (exact) return exact;
  const prefixed = OPTIONS.filter((o) => o.long.startsWith(name) && !INTERNAL.has(o.long));
  if (prefixed.length === 1) return prefixed[0];
  return prefixed.length > 1 ? 'ambiguous' : undefined;
}

/** Options that stop parsing immediately, as keepalived's exit() calls inside the getopt loop. */
function immediateFor(spec: OptionSpec, value: string | undefined): ImmediateAction | undefined {
  if (spec.long === 'version') return { kind: 'version' };
  if (spec.long === 'help') return { kind: 'help' };
  if (spec.long === 'signum') return { kind: 'signum', sigfunc: value ?? '' };
  return undefined;
}

/** Parser state threaded through the word loop. */
interface Cursor {
  readonly argv: readonly string[];
  i: number;
}

/** Handles one `--long[=value]` word. Returns an immediate action when one is met. */
function parseLong(word: string, cur: Cursor, o: MutableOptions, msgs: Messages): ImmediateAction | undefined {
  const eq = word.indexOf('=');
  const name = word.slice(2, eq < 0 ? undefined : eq);
  const attached = eq < 0 ? undefined : word.slice(eq + 1);
  const spec = findLong(name);
  if (spec === undefined || spec === 'ambiguous') {
    msgs.errors.push(`Unknown option ${word}`);
    return undefined;
  }
  let value: string | undefined;
  if (spec.arg === 'none') {
    if (attached !== undefined) {
      msgs.errors.push(`Unknown option ${word}`);
      return undefined;
    }
  } else if (spec.arg === 'optional') {
    value = attached;
  } else {
    value = attached ?? (cur.i < cur.argv.length ? cur.argv[cur.i++] : undefined);
    if (value === undefined || value === '') {
      msgs.errors.push(`Missing parameter for option --${spec.long}`);
      return undefined;
    }
  }
  spec.apply(o, value, msgs);
  return immediateFor(spec, value);
}

/** Handles one `-abc` word (a bundle of short options). Returns an immediate action when one is met. */
function parseShortBundle(word: string, cur: Cursor, o: MutableOptions, msgs: Messages): ImmediateAction | undefined {
  for (let k = 1; k < word.length; k++) {
    const letter = word[k]!;
    const spec = OPTIONS.find((s) => s.short === letter);
    if (!spec) {
      msgs.errors.push(`Unknown option -${letter}`);
      continue;
    }
    const rest = word.slice(k + 1);
    let value: string | undefined;
    if (spec.arg === 'required') {
      value = rest !== '' ? rest : cur.i < cur.argv.length ? cur.argv[cur.i++] : undefined;
      if (value === undefined) {
        msgs.errors.push(`Missing parameter for option -${letter}`);
        return undefined;
      }
    } else if (spec.arg === 'optional') {
      value = rest !== '' ? rest : undefined;
    }
    spec.apply(o, value, msgs);
    const immediate = immediateFor(spec, value);
    if (immediate || spec.arg !== 'none') return immediate;
  }
  return undefined;
}

/**
 * Parses a command line (without the node and script words) the way keepalived's getopt_long loop does.
 * @param argv the words after the program name
 * @returns options, error and warning texts (keepalived's wording), unexpected words, and any immediate action
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const o = defaultOptions() as MutableOptions;
  const msgs: Messages = { errors: [], warnings: [] };
  const unexpected: string[] = [];
  const cur: Cursor = { argv, i: 0 };
  let immediate: ImmediateAction | undefined;
  while (cur.i < argv.length && !immediate) {
    const word = argv[cur.i++]!;
    if (word === '--') {
      unexpected.push(...argv.slice(cur.i));
      break;
    }
    if (word.startsWith('--')) immediate = parseLong(word, cur, o, msgs);
    else if (word.startsWith('-') && word.length > 1) immediate = parseShortBundle(word, cur, o, msgs);
    else unexpected.push(word);
  }
  const result: ParsedArgs = { options: o, errors: msgs.errors, warnings: msgs.warnings, unexpected };
  return immediate ? { ...result, immediate } : result;
}
