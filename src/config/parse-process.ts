/**
 * global_defs keywords about the daemon's processes and files, with keepalived 2.2.7's ranges and texts
 * (core/global_parser.c, lib/parser.c):
 * - scheduling of the VRRP, checker and BFD processes: `*_rt_priority` 1-99 clamped, `*_rlimit_rttime` ≥ 2 µs,
 *   `*_priority` -20..19, `*_cpu_affinity` CPU numbers below the online count, `*_no_swap` (refused: V8 aborts on
 *   locked memory), `max_auto_priority` -1..99 or bare = 99, `min_auto_priority_delay` 1..10000000 µs;
 * - process names: `process_names`, `process_name`, `vrrp_/checker_/lvs_/bfd_process_name` (≤ 15 characters);
 * - `umask`, `random_seed`, `smtp_alert_checker`, `data_use_instance`, `include_check`, `config_save_dir`,
 *   `tmp_config_directory` and the reload family (`reload_check_config`, `reload_time_file`, `reload_repeat`,
 *   `reload_file`).
 * Applied by src/daemon/priorities.ts (scheduling, names) and the supervisor (umask, reloads, config copies).
 */
import { cpus } from 'node:os';
import type { DiagnosticSink } from './diagnostics.js';
import type { GlobalDefs, Mutable } from './model.js';
import type { ConfNode } from './tree.js';
import { missingArgPos } from './values.js';

/** The processes whose scheduling global_defs sets. */
type Proc = 'vrrp' | 'checker' | 'bfd';

/** Per process, the GlobalDefs field of each scheduling keyword. */
const FIELDS = {
  vrrp: {
    rt: 'vrrpRtPriority',
    rlimit: 'vrrpRlimitRttimeUs',
    nice: 'vrrpProcessPriority',
    noSwap: 'vrrpNoSwap',
    cpus: 'vrrpCpuAffinity',
    name: 'vrrpProcessName',
  },
  checker: {
    rt: 'checkerRtPriority',
    rlimit: 'checkerRlimitRttimeUs',
    nice: 'checkerProcessPriority',
    noSwap: 'checkerNoSwap',
    cpus: 'checkerCpuAffinity',
    name: 'checkerProcessName',
  },
  bfd: {
    rt: 'bfdRtPriority',
    rlimit: 'bfdRlimitRttimeUs',
    nice: 'bfdProcessPriority',
    noSwap: 'bfdNoSwap',
    cpus: 'bfdCpuAffinity',
    name: 'bfdProcessName',
  },
} as const satisfies Record<Proc, Record<string, keyof GlobalDefs>>;

/** TASK_COMM_LEN - 1: the longest name prctl(PR_SET_NAME) keeps. */
const MAX_NAME = 15;

/**
 * The process keywords above.
 * @returns false when `c` is not one of them
 */
export function parseProcessKeyword(c: ConfNode, g: Mutable<GlobalDefs>, d: DiagnosticSink): boolean {
  const k = c.keyword.text;
  const t = c.args[0];
  const n = t && /^[-+]?\d+$/.test(t.text) ? Number(t.text) : undefined;
  const at = t?.pos ?? missingArgPos(c);
  const proc = /^(vrrp|checker|bfd|lvs)_/.exec(k)?.[1]?.replace('lvs', 'checker') as Proc | undefined;
  const f = proc ? FIELDS[proc] : undefined;
  const set = (field: keyof GlobalDefs, v: unknown): void => {
    (g as Record<string, unknown>)[field] = v;
  };
  switch (k) {
    case 'vrrp_rt_priority':
    case 'checker_rt_priority':
    case 'bfd_rt_priority':
      if (!t) d.error(at, `No ${proc} process real-time priority specified`);
      else if (n === undefined) d.error(at, `${proc} process real-time priority '${t.text}' invalid`);
      else if (n < 0) d.error(at, `${proc} process real-time priority ${n} less than minimum 1 - setting to minimum`);
      else if (n > 99) d.error(at, `${proc} process real-time priority ${n} greater than maximum 99 - setting to maximum`);
      // 0 (an error in keepalived, which sets 1) turns off our default real-time policy (src/daemon/priorities.ts)
      if (n !== undefined) set(f!.rt, n === 0 ? 0 : Math.min(99, Math.max(1, n)));
      return true;
    case 'vrrp_rlimit_rtime':
    case 'vrrp_rlimit_rttime':
    case 'checker_rlimit_rtime':
    case 'checker_rlimit_rttime':
    case 'bfd_rlimit_rtime':
    case 'bfd_rlimit_rttime':
      if (k.endsWith('_rtime')) d.warning(c.keyword.pos, `Keyword '${k}' is deprecated - please use '${proc}_rlimit_rttime'`);
      if (n === undefined || n < 1 || n > 0xffffffff) d.error(at, `Invalid ${proc} real-time limit - ${t?.text ?? ''}`);
      else set(f!.rlimit, Math.max(2, n)); // halved elsewhere in keepalived, so at least 2
      return true;
    case 'vrrp_priority':
    case 'checker_priority':
    case 'bfd_priority':
      if (!t) d.error(at, `No ${proc} process priority specified`);
      else if (n === undefined || n < -20 || n > 19) d.error(at, `Invalid ${proc} process priority specified`);
      set(f!.nice, n !== undefined && n >= -20 && n <= 19 ? n : 0);
      return true;
    case 'disable_local_igmp': // the kernel's support is checked when the VRRP process starts (host-independent model)
      g.disableLocalIgmp = true;
      return true;
    case 'vrrp_no_swap':
    case 'checker_no_swap':
    case 'bfd_no_swap':
      set(f!.noSwap, true);
      d.warning(
        c.keyword.pos,
        `'${k}' is not supported - Node.js aborts when its memory is locked (V8 frees pages with ` +
          'madvise(MADV_DONTNEED), which Linux refuses on locked memory) - ignored',
      );
      return true;
    case 'vrrp_cpu_affinity':
    case 'checker_cpu_affinity':
    case 'bfd_cpu_affinity':
      set(f!.cpus, readCpuAffinity(c, proc!, d));
      return true;
    case 'process_names': // keepalived's default names for each child
      g.vrrpProcessName = 'keepalived_vrrp';
      g.checkerProcessName = 'keepalived_lvs';
      g.bfdProcessName = 'keepalived_bfd';
      return true;
    case 'lvs_process_name':
    case 'process_name':
    case 'vrrp_process_name':
    case 'checker_process_name':
    case 'bfd_process_name':
      if (k === 'lvs_process_name') d.warning(c.keyword.pos, "'lvs_process_name' is deprecated - please use 'checker_process_name'");
      if (!t) d.keptError(c.keyword.pos, 'Process name missing');
      else {
        if (t.text.length > MAX_NAME) d.keptError(t.pos, `Process name ${t.text} more than ${MAX_NAME} characters, truncating`);
        set(f?.name ?? 'processName', t.text.slice(0, MAX_NAME));
      }
      return true;
    case 'max_auto_priority':
      if (!t) g.maxAutoPriority = 99;
      else if (n === undefined || n < -1 || n > 99) d.error(at, `max_auto_priority '${t.text}' must be in [0, 99] (or -1 to disable) - ignoring`);
      else g.maxAutoPriority = n;
      return true;
    case 'min_auto_priority_delay':
      if (!t) d.error(at, 'min_auto_priority_delay requires delay time');
      else if (n === undefined || n < 1 || n > 10_000_000) d.error(at, `min_auto_priority_delay '${t.text}' must be in [1, 10000000] - ignoring`);
      else g.minAutoPriorityDelayUs = n;
      return true;
    default:
      return parseFileKeyword(c, g, d);
  }
}

/**
 * `*_cpu_affinity CPU...` as keepalived's get_cpu_affinity: each a CPU number below the count of online CPUs; the
 * first bad one empties the set (no affinity).
 */
function readCpuAffinity(c: ConfNode, proc: string, d: DiagnosticSink): number[] {
  if (!c.args.length) {
    d.error(c.keyword.pos, `No ${proc} cpu_id set specified`);
    return [];
  }
  const online = cpus().length;
  const out: number[] = [];
  for (const a of c.args) {
    const n = /^\d+$/.test(a.text) ? Number(a.text) : undefined;
    if (n === undefined || n >= online) {
      d.error(a.pos, `Invalid cpu_id:${n ?? 0} specified for ${proc} process`);
      return [];
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** keepalived's true/false words (check_true_false). */
const BOOLS: Readonly<Record<string, boolean>> = { true: true, on: true, yes: true, false: false, off: false, no: false };

/** `umask`'s symbolic bits (S_IRUSR …). */
const UMASK_BITS: Readonly<Record<string, number>> = {
  IRUSR: 0o400,
  IWUSR: 0o200,
  IXUSR: 0o100,
  IRGRP: 0o040,
  IWGRP: 0o020,
  IXGRP: 0o010,
  IROTH: 0o004,
  IWOTH: 0o002,
  IXOTH: 0o001,
};

/** lib/parser.c's include check bits. */
export const INCLUDE_CHECK = { read: 1, match: 2, wildcard_match: 4, brace_match: 8 } as const;
/** `include_check` without a word: every check. */
export const INCLUDE_CHECK_ALL = 15;

/** The daemon's file and reload keywords; false when `c` is not one of them. */
function parseFileKeyword(c: ConfNode, g: Mutable<GlobalDefs>, d: DiagnosticSink): boolean {
  const k = c.keyword.text;
  const t = c.args[0];
  switch (k) {
    case 'umask': {
      const v = readUmask(c, d);
      if (v !== undefined) g.umask = v;
      return true;
    }
    case 'random_seed':
      // keepalived 2.2.7 stores the seed, but init_data clears it before set_std_definitions seeds ${_RANDOM}: no effect
      if (t && /^\d+$/.test(t.text) && Number(t.text) <= 0xffffffff) g.randomSeed = Number(t.text);
      else d.keptError(t?.pos ?? c.keyword.pos, `random_seed ${t?.text ?? '(null)'} invalid`);
      return true;
    case 'smtp_alert_checker':
    case 'data_use_instance': {
      const b = t ? BOOLS[t.text.toLowerCase()] : true;
      const name = k === 'data_use_instance' ? 'date_use_instance' : k; // sic, keepalived's text
      if (b === undefined) d.keptError(t!.pos, `Invalid value '${t!.text}' for global ${name} specified`);
      else if (k === 'smtp_alert_checker') g.smtpAlertChecker = b;
      else g.dataUseInstance = b;
      return true;
    }
    case 'include_check':
      g.includeCheck = includeCheckBits(
        c.args.map((a) => a.text),
        g.includeCheck ?? 0,
        (word, text) => d.keptError(c.args.find((a) => a.text === word)?.pos ?? c.keyword.pos, text),
      );
      return true;
    case 'config_save_dir':
      if (!t) d.keptError(c.keyword.pos, 'config_save_dir missing directory name');
      else g.configSaveDir = t.text.replace(/(.)\/$/, '$1');
      return true;
    case 'tmp_config_directory':
      if (g.tmpConfigDirectory !== undefined) d.keptError(c.keyword.pos, `${k} already specified - ignoring`);
      else if (!t) d.keptError(c.keyword.pos, `${k} missing directory name`);
      else g.tmpConfigDirectory = t.text;
      return true;
    case 'reload_check_config':
      g.reloadCheckConfig = t?.text ?? '/dev/null';
      return true;
    case 'reload_time_file':
      if (c.args.length !== 1) d.keptError(c.keyword.pos, 'reload_time_file invalid');
      else g.reloadTimeFile = t!.text;
      return true;
    case 'reload_repeat':
      g.reloadRepeat = true;
      return true;
    case 'reload_file':
      g.reloadFile = t?.text ?? true;
      return true;
    default:
      return false;
  }
}

/** keepalived's umask_handler: a number (strtol base 0) or `IRUSR|IWGRP…` words. */
function readUmask(c: ConfNode, d: DiagnosticSink): number | undefined {
  const t = c.args[0];
  if (!t) {
    d.keptError(c.keyword.pos, 'umask missing bit value');
    return undefined;
  }
  if (/^\d/.test(t.text)) {
    if (c.args.length !== 1) {
      d.keptError(c.args[1]!.pos, 'Extra parameter(s) to umask option');
      return undefined;
    }
    const v = strtol0(t.text);
    if (v === undefined || v & ~0o777) {
      d.keptError(t.pos, `invalid umask value ${t.text}`);
      return undefined;
    }
    return v;
  }
  let bits = 0;
  let needOr = false;
  for (const a of c.args) {
    for (let p = 0; p < a.text.length;) {
      if (needOr) {
        if (a.text[p] !== '|') {
          d.keptError(a.pos, `Invalid umask syntax ${a.text}`);
          return undefined;
        }
        needOr = false;
        p++;
        continue;
      }
      const bit = UMASK_BITS[a.text.slice(p, p + 5)];
      if (bit === undefined) {
        d.keptError(a.pos, `Unknown umask bit ${a.text.slice(p)}`);
        return undefined;
      }
      bits |= bit;
      p += 5;
      needOr = true;
    }
  }
  if (!needOr) {
    d.keptError(c.keyword.pos, 'umask missing bit value');
    return undefined;
  }
  return bits;
}

/** C strtol(s, &end, 0) for a whole string of digits: 0x hex, leading-0 octal, else decimal; undefined when junk follows. */
export function strtol0(s: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8);
  if (/^[1-9]\d*$/.test(s)) return Number(s);
  return undefined;
}

/**
 * lib/parser.c include_check_set: no word = every check; a bare word sets read + it (only as the first word), `+WORD`
 * adds and `-WORD` removes.
 */
export function includeCheckBits(words: readonly string[], current: number, report: (word: string, text: string) => void): number {
  if (!words.length) return INCLUDE_CHECK_ALL;
  let bits = current;
  words.forEach((word, i) => {
    const sign = word[0] === '+' || word[0] === '-' ? word[0] : '';
    if (!sign && i > 0) {
      report(word, `Duplicate include_check '${word}' specified - ignoring`);
      return;
    }
    if (!sign) bits = 0;
    const name = word.slice(sign.length);
    const flag = (INCLUDE_CHECK as Record<string, number>)[name];
    if (flag === undefined) {
      report(word, `Unknown include_check type '${name}' - ignoring`);
      return;
    }
    bits = sign === '+' ? bits | flag : sign === '-' ? bits & ~flag : INCLUDE_CHECK.read | flag;
  });
  return bits;
}
