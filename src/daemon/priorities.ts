/**
 * The VRRP process's scheduling: keepalived's `vrrp_rt_priority`, `vrrp_rlimit_rttime`, `vrrp_priority`,
 * `max_auto_priority` and `min_auto_priority_delay` (keepalived lib/process.c
 * set_process_priorities / increment_process_priority, lib/scheduler.c "A thread timer expired"); and the BFD
 * process's: `bfd_rt_priority`, `bfd_rlimit_rttime`, `bfd_priority`, plus `bfd_cpu_affinity` (sched_setaffinity on
 * every thread, lib/process.c set_process_cpu_affinity) and `bfd_process_name` (prctl PR_SET_NAME, bfd/bfd_daemon.c:
 * at start, and on a reload that changes it); the checker process's `checker_*` equivalents and `vrrp_cpu_affinity`;
 * and for every process, the parent included, `process_name` (a child's own name wins) and `umask`.
 *
 * Why it matters: on a CPU-starved host a MASTER's adverts go out late because the process waits for a CPU, and
 * the BACKUP takes over although nothing failed (bench/vrrp-timing.ts). SCHED_RR puts the daemon ahead of every
 * normal process.
 *
 * Where a Node process differs from keepalived's single-threaded C child:
 * - Scheduling policy and nice value are per thread on Linux, and Node has threads (V8 platform workers, the libuv
 *   pool), so both are set on every thread in /proc/self/task, at start, on reload and on each automatic raise.
 *   SCHED_RESET_ON_FORK keeps notify scripts — and threads created later — at normal priority. Real-time on the main
 *   thread only was tried (issue 14) and is worse: the main thread waits for V8's GC helpers (a job it joins waits
 *   for the work items a helper has claimed), and a helper left SCHED_OTHER under 32 busy workers kept it asleep up
 *   to 808 ms (ftrace sched_switch/sched_waking; with every thread real-time: 8.7 ms at most).
 * - RLIMIT_RTTIME: keepalived's default (10 ms between blocking calls) would kill Node on a garbage collection or a
 *   reload of a large configuration (~75 ms for 50k lines). Our default soft limit is 1 s: far above any pause the
 *   daemon makes when healthy, while a real-time thread spinning for a second is a bug worth a log line. The soft
 *   limit (the configured value, else the default) only raises SIGXCPU, which is logged with keepalived's text; the
 *   hard limit, at which the kernel kills the process, is twice that (keepalived's soft:hard ratio is 1:2 too).
 * - `vrrp_no_swap` is not applied (the parser warns): V8 releases memory with madvise(MADV_DONTNEED), which Linux
 *   refuses on locked pages (EINVAL), and V8 aborts the process ("Check failed: 0 == ret") — measured with
 *   mlockall(MCL_CURRENT), with MCL_FUTURE and with MCL_ONFAULT alike.
 * - The nice value and RLIMIT_RTTIME are still inherited by notify scripts (Node cannot run code between fork and
 *   exec, where keepalived resets them); SCHED_RESET_ON_FORK also resets a negative nice to 0 in children while
 *   real-time.
 *
 * Problems are logged, never fatal: the daemon runs with whatever it could get.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { GlobalDefs, KeepalivedConfig } from '../config/model.js';
import type { Logger } from '../core/log.js';
import { K, sysio, type SysError } from '../net/sysio.js';

/** keepalived's default `min_auto_priority_delay` (µs). */
export const DEFAULT_MIN_AUTO_PRIORITY_DELAY_US = 1_000_000;
/** Our default RLIMIT_RTTIME soft limit (µs) while real-time; keepalived's 10000 is too short for Node (see above). */
export const DEFAULT_RLIMIT_RTTIME_US = 1_000_000;
/**
 * SCHED_RR priority of a supervised VRRP child whose configuration sets neither `vrrp_rt_priority` nor
 * `vrrp_priority` (issue 14): the lowest real-time priority, enough to run ahead of every normal process. keepalived
 * 2.2.7 has no such default; `vrrp_rt_priority 0` (an error in keepalived) turns it off.
 */
export const DEFAULT_VRRP_RT_PRIORITY = 1;
/**
 * The SCHED_RR priority of the addon's native sender threads (packages/sysio/src/watchdog.c: VRRP's `advert-wd`,
 * BFD's `bfd-tx-wd`) in a process whose other threads run at `priority`: one above, up to 99 (the addon does the
 * same for threads it starts later). They are the fallback for an event loop that is late, and an event loop is
 * late mostly because a thread of the same priority holds its CPU: V8's helper threads, which must stay real-time
 * (the main thread waits for them, see above), compile or collect for tens of milliseconds, and SCHED_RR lets a
 * thread keep the CPU for a 100 ms slice against equals. Measured (bench/bfd.ts with ftrace, 2 CPUs): both BFD
 * processes' helper threads running 40-45 ms each in the same 100 ms, on both CPUs, while both event loops and all
 * four sender threads, all at priority 1, waited; the peers saw 25-30 ms silences and declared sessions Down. The
 * senders sleep between sends, so their CPU time is a few microseconds per packet.
 */
export function watchdogPriority(priority: number): number {
  return priority > 0 ? Math.min(priority + 1, RR_MAX_PRIORITY) : 0;
}
/** sched_get_priority_max(SCHED_RR) on Linux. */
const RR_MAX_PRIORITY = 99;
/** The suffix of the addon's native sender threads' names (src/net/watchdog.ts). */
export const WATCHDOG_THREAD_SUFFIX = '-wd';
/** sched_get_priority_min(SCHED_RR) on Linux: where an automatic raise starts. */
const RR_MIN_PRIORITY = 1;

/** What global_defs asks of the VRRP process. */
export interface PrioritySettings {
  /** Whose settings, for log texts: `vrrp` (default), `checker`, `bfd`, or the parent (no scheduling keywords). */
  readonly process?: 'vrrp' | 'checker' | 'bfd' | 'parent';
  /** `vrrp_rt_priority`: SCHED_RR priority; 0 = normal scheduling. */
  readonly rtPriority: number;
  /** True when rtPriority is our default, not configured: a failure to get it is logged at info level, once. */
  readonly rtDefault?: boolean;
  /** RLIMIT_RTTIME soft limit (µs) while real-time (`vrrp_rlimit_rttime`, else DEFAULT_RLIMIT_RTTIME_US). */
  readonly rlimitRttimeUs: number;
  /** `vrrp_priority`: nice value; 0 = leave as started. Ignored while real-time, as in keepalived. */
  readonly processPriority: number;
  /** `max_auto_priority`: the highest priority an automatic raise may reach; ≤ 0 = no raise. */
  readonly maxAutoPriority: number;
  /** `min_auto_priority_delay` (µs): timer lateness beyond which keepalived logs and raises. */
  readonly minAutoPriorityDelayUs: number;
  /** `vrrp_/checker_/bfd_cpu_affinity`: the CPUs every thread may run on; unset or empty = leave as started. */
  readonly cpuAffinity?: readonly number[];
  /** `*_process_name`, else `process_name`: the name the process shows (/proc/PID/comm); unset = leave as started. */
  readonly processName?: string;
  /** global_defs `umask`: the file creation mask (unset, or `-u` given: leave as started). */
  readonly umask?: number;
  /** `umask` was configured but `-u/--umask` wins: logged (keepalived's text) instead of applied. */
  readonly umaskIgnored?: boolean;
}

/** Settings that change nothing (a configuration without these keywords). */
export const NO_PRIORITIES: PrioritySettings = {
  rtPriority: 0,
  rlimitRttimeUs: DEFAULT_RLIMIT_RTTIME_US,
  processPriority: 0,
  maxAutoPriority: 0,
  minAutoPriorityDelayUs: DEFAULT_MIN_AUTO_PRIORITY_DELAY_US,
};

/** What global_defs asks of the process besides scheduling: its name and umask (`-u` given: not the umask). */
function common(config: KeepalivedConfig, name: string | undefined, umaskFromCommandLine: boolean): Partial<PrioritySettings> {
  const u = config.globalDefs.umask;
  return {
    ...(name ? { processName: name } : {}),
    ...(u !== undefined ? (umaskFromCommandLine ? { umaskIgnored: true } : { umask: u }) : {}),
  };
}

/**
 * The VRRP child's settings in a loaded configuration model. With `defaultRt` (the supervised VRRP child), a
 * configuration that sets neither `vrrp_rt_priority` nor `vrrp_priority` gets DEFAULT_VRRP_RT_PRIORITY;
 * `vrrp_rt_priority 0` is off. The name is `vrrp_process_name`, else `process_name` (keepalived's child inherits
 * the parent's name).
 */
export function prioritySettingsFrom(config: KeepalivedConfig, defaultRt = false, umaskFromCommandLine = false): PrioritySettings {
  const g: GlobalDefs = config.globalDefs;
  const rtDefault = defaultRt && g.vrrpRtPriority === undefined && g.vrrpProcessPriority === undefined;
  return {
    rtPriority: rtDefault ? DEFAULT_VRRP_RT_PRIORITY : (g.vrrpRtPriority ?? 0),
    ...(rtDefault ? { rtDefault } : {}),
    rlimitRttimeUs: g.vrrpRlimitRttimeUs ?? DEFAULT_RLIMIT_RTTIME_US,
    processPriority: g.vrrpProcessPriority ?? 0,
    maxAutoPriority: g.maxAutoPriority ?? 0,
    minAutoPriorityDelayUs: g.minAutoPriorityDelayUs ?? DEFAULT_MIN_AUTO_PRIORITY_DELAY_US,
    ...(g.vrrpCpuAffinity?.length ? { cpuAffinity: g.vrrpCpuAffinity } : {}),
    ...common(config, g.vrrpProcessName ?? g.processName, umaskFromCommandLine),
  };
}

/** One child's scheduling keywords (`bfd_*` or `checker_*`), as read from global_defs. */
interface ChildKeywords {
  readonly rtPriority: number | undefined;
  readonly rlimitRttimeUs: number | undefined;
  readonly processPriority: number | undefined;
  readonly cpuAffinity: readonly number[] | undefined;
  readonly processName: string | undefined;
}

/**
 * A child's settings from its own keywords. `rtByDefault`: SCHED_RR at DEFAULT_VRRP_RT_PRIORITY when neither the rt
 * priority nor the nice value is configured. No automatic raise: these children's timers are not measured for
 * lateness.
 */
function childSettings(
  config: KeepalivedConfig,
  process: 'checker' | 'bfd',
  k: ChildKeywords,
  rtByDefault: boolean,
  umaskFromCommandLine: boolean,
): PrioritySettings {
  const rtDefault = rtByDefault && k.rtPriority === undefined && k.processPriority === undefined;
  return {
    process,
    rtPriority: rtDefault ? DEFAULT_VRRP_RT_PRIORITY : (k.rtPriority ?? 0),
    ...(rtDefault ? { rtDefault } : {}),
    rlimitRttimeUs: k.rlimitRttimeUs ?? DEFAULT_RLIMIT_RTTIME_US,
    processPriority: k.processPriority ?? 0,
    maxAutoPriority: -1,
    minAutoPriorityDelayUs: DEFAULT_MIN_AUTO_PRIORITY_DELAY_US,
    ...(k.cpuAffinity?.length ? { cpuAffinity: k.cpuAffinity } : {}),
    ...common(config, k.processName ?? config.globalDefs.processName, umaskFromCommandLine),
  };
}

/**
 * The BFD child's scheduling from `bfd_rt_priority`, `bfd_rlimit_rttime`, `bfd_priority`, `bfd_cpu_affinity` and
 * `bfd_process_name` (else `process_name`). With neither `bfd_rt_priority` nor `bfd_priority`, SCHED_RR at the VRRP
 * child's default priority (10 ms × 3 sessions do not survive a CPU hog under SCHED_OTHER; keepalived has no such
 * default, and `bfd_rt_priority 0` turns it off). keepalived's BFD process takes max_auto_priority too, but its
 * timers are not measured for lateness here: no automatic raise.
 */
export function bfdPrioritySettings(config: KeepalivedConfig, umaskFromCommandLine = false): PrioritySettings {
  const g: GlobalDefs = config.globalDefs;
  const k = {
    rtPriority: g.bfdRtPriority,
    rlimitRttimeUs: g.bfdRlimitRttimeUs,
    processPriority: g.bfdProcessPriority,
    cpuAffinity: g.bfdCpuAffinity,
    processName: g.bfdProcessName,
  };
  return childSettings(config, 'bfd', k, true, umaskFromCommandLine);
}

/**
 * The checker child's settings (check/check_daemon.c start_check_child): `checker_rt_priority`,
 * `checker_rlimit_rttime`, `checker_priority`, `checker_cpu_affinity`, `checker_process_name` (else `process_name`).
 * As in keepalived, normal scheduling unless configured (the checker's timers are seconds, not centiseconds); its
 * timers are not measured for lateness here: no automatic raise.
 */
export function checkerPrioritySettings(config: KeepalivedConfig, umaskFromCommandLine = false): PrioritySettings {
  const g: GlobalDefs = config.globalDefs;
  const k = {
    rtPriority: g.checkerRtPriority,
    rlimitRttimeUs: g.checkerRlimitRttimeUs,
    processPriority: g.checkerProcessPriority,
    cpuAffinity: g.checkerCpuAffinity,
    processName: g.checkerProcessName,
  };
  return childSettings(config, 'checker', k, false, umaskFromCommandLine);
}

/**
 * The settings of a process with no scheduling keywords of its own — the supervising parent, and our BGP child:
 * `process_name` and `umask` (keepalived's parent applies both when it reads the configuration, core/main.c).
 */
export function parentProcessSettings(config: KeepalivedConfig, umaskFromCommandLine = false): PrioritySettings {
  return { ...NO_PRIORITIES, process: 'parent', maxAutoPriority: -1, ...common(config, config.globalDefs.processName, umaskFromCommandLine) };
}

/** keepalived's start-up NOTICE (core/main.c) when `max_auto_priority` is left at 0; -1 silences it. */
export function maxAutoPriorityNotice(s: PrioritySettings): string | undefined {
  return s.maxAutoPriority === 0 ? 'NOTICE: setting config option max_auto_priority should result in better keepalived performance' : undefined;
}

/** A resource limit; Infinity = unlimited. */
export interface Limit {
  readonly soft: number;
  readonly hard: number;
}

/** The operating system as ProcessPriorities uses it. Methods throw (a SysError or Node's error) on failure. */
export interface PriorityPort {
  /** Thread ids of this process. */
  threads(): number[];
  /** A thread's name (/proc/self/task/TID/comm). */
  threadName(tid: number): string;
  /** SCHED_RR at `priority` with SCHED_RESET_ON_FORK; priority 0 = back to SCHED_OTHER. */
  setRealtime(tid: number, priority: number): void;
  getRttimeLimit(): Limit;
  setRttimeLimit(limit: Limit): void;
  getNice(tid: number): number;
  setNice(tid: number, nice: number): void;
  /** Calls `handler` on each SIGXCPU (RLIMIT_RTTIME soft limit reached); returns the function that removes it. */
  onCpuLimit(handler: () => void): () => void;
  /** sched_setaffinity: `tid` may run only on `cpus`. */
  setAffinity(tid: number, cpus: readonly number[]): void;
  /** prctl(PR_SET_NAME) on the calling (main) thread. */
  setName(name: string): void;
  /** umask(2) for the whole process. */
  setUmask(mask: number): void;
}

/** The current state, for dumps. */
export interface PriorityStatus {
  /** SCHED_RR priority in force; 0 = normal scheduling. */
  readonly rtPriority: number;
  /** RLIMIT_RTTIME soft limit we set (µs); 0 = untouched. */
  readonly rlimitRttimeUs: number;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Applies PrioritySettings to this process and keeps what is needed to undo them. One per daemon. */
export class ProcessPriorities {
  private settings: PrioritySettings = NO_PRIORITIES;
  private rtPriority = 0;
  private rttimeUs = 0;
  private origRttime: Limit | undefined;
  private removeCpuHandler: (() => void) | undefined;
  /** The default real-time priority could not be had once already (logged then, not again). */
  private defaultRtRefused = false;
  /** Nice value of each thread before we changed it. */
  private readonly origNice = new Map<number, number>();
  private nice: number | undefined;

  /**
   * @param port the operating system (linuxPriorityPort(), or a fake)
   * @param log the VRRP process's logger (`Keepalived_vrrp`)
   * @param mainTid the thread that runs the event loop (the pid): its failure is the one that counts
   */
  constructor(
    private readonly port: PriorityPort,
    private readonly log: Logger,
    private readonly mainTid: number,
  ) {}

  /** What is in force. */
  status(): PriorityStatus {
    return { rtPriority: this.rtPriority, rlimitRttimeUs: this.rttimeUs };
  }

  /**
   * Applies `s` (at start, and after each reload): only what changed is touched, except that a real-time policy is
   * set again on every thread, so threads created since are covered. An automatic raise survives a reload that
   * leaves `vrrp_rt_priority` unchanged.
   */
  apply(s: PrioritySettings): void {
    const was = this.settings;
    this.settings = s;
    // keepalived: a name set at start or changed by a reload; a removed one goes back to "keepalived"
    if (s.processName !== was.processName && (s.processName || was.processName)) this.setName(s.processName ?? 'keepalived');
    this.applyUmask(s);
    if (s.cpuAffinity?.length) this.setAffinity(s.cpuAffinity);
    if (s.rtPriority !== was.rtPriority) {
      if (s.rtDefault && this.defaultRtRefused) {
        /* refused before (no CAP_SYS_NICE): stay as we are */
      } else if (s.rtPriority) this.raise(s.rtPriority);
      else if (this.rtPriority) this.dropRealtime();
    } else if (this.rtPriority) {
      this.raise(this.rtPriority);
    }
    this.applyNice(this.rtPriority ? 0 : s.processPriority);
  }

  /**
   * The runtime's timer fired `lateMs` after it was due. Past `min_auto_priority_delay`, logs keepalived's line and,
   * with `max_auto_priority`, raises the real-time priority by one (from 1 when not real-time yet), up to that maximum.
   */
  noteTimerLateness(lateMs: number): void {
    const us = Math.round(lateMs * 1000);
    if (!(us > this.settings.minAutoPriorityDelayUs)) return;
    this.log.log({ level: 'info', text: `A thread timer expired ${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')} seconds ago` });
    const max = this.settings.maxAutoPriority;
    if (max <= 0 || this.rtPriority >= max) return;
    const next = this.rtPriority ? this.rtPriority + 1 : RR_MIN_PRIORITY;
    if (this.raise(next)) this.log.log({ level: 'info', text: `Set realtime priority ${next}` });
  }

  /**
   * SCHED_RR `priority` on every thread (the native senders' one above: watchdogPriority), then RLIMIT_RTTIME unless
   * already as configured. True when the main thread got it.
   */
  private raise(priority: number): boolean {
    const failed = this.eachThread((tid) => this.port.setRealtime(tid, this.isWatchdog(tid) ? watchdogPriority(priority) : priority));
    if (failed.main || failed.other) {
      const e = failed.main ?? failed.other;
      const which = failed.main ? '' : ` (${failed.count} thread(s) besides the main one)`;
      // the default is best effort: one info line (e.g. without CAP_SYS_NICE), not a warning on every reload
      const dflt = this.settings.rtDefault === true && priority === this.settings.rtPriority;
      if (dflt) this.defaultRtRefused = true;
      this.log.log({
        level: dflt ? 'info' : 'warning',
        text: `child process: cannot raise priority${which} - ${message(e)}${dflt ? ` (default ${this.settings.process ?? 'vrrp'}_rt_priority)` : ''}`,
      });
    }
    if (failed.main) return false;
    this.rtPriority = priority;
    this.log.log({ level: 'info', text: `SCHED_RR priority ${priority} (reset on fork) on ${failed.done} thread(s)`, detail: true });
    if (this.rttimeUs !== this.settings.rlimitRttimeUs) this.setRttime(this.settings.rlimitRttimeUs);
    return true;
  }

  /** keepalived's set_process_name: a failure is one info line. */
  private setName(name: string): void {
    try {
      this.port.setName(name);
    } catch {
      this.log.log({ level: 'info', text: `Failed to set process name '${name}'` });
    }
  }

  /** global_defs `umask` (keepalived's umask_handler: applied at each read; `-u` wins, with an info line). */
  private applyUmask(s: PrioritySettings): void {
    if (s.umaskIgnored) this.log.log({ level: 'info', text: 'umask command line option specified, ignoring config option' });
    if (s.umask === undefined) return;
    try {
      this.port.setUmask(s.umask);
    } catch (e) {
      this.log.log({ level: 'warning', text: `unable to set umask ${s.umask.toString(8).padStart(4, '0')} - ${message(e)}` });
    }
  }

  /** keepalived's set_process_cpu_affinity, on every thread (threads created since the last apply included). */
  private setAffinity(cpus: readonly number[]): void {
    const failed = this.eachThread((tid) => this.port.setAffinity(tid, cpus));
    const e = failed.main ?? failed.other;
    if (e) this.log.log({ level: 'warning', text: `unable to set cpu affinity to ${this.settings.process ?? 'vrrp'} process (${message(e)})` });
  }

  private dropRealtime(): void {
    const failed = this.eachThread((tid) => this.port.setRealtime(tid, 0));
    if (failed.main || failed.other) {
      this.log.log({ level: 'warning', text: `child process: cannot reset realtime scheduling - ${message(failed.main ?? failed.other)}` });
    }
    if (failed.main) return;
    this.rtPriority = 0;
    this.removeCpuHandler?.();
    this.removeCpuHandler = undefined;
    if (!this.rttimeUs || !this.origRttime) return;
    try {
      this.port.setRttimeLimit(this.origRttime);
      this.rttimeUs = 0;
    } catch (e) {
      this.log.log({ level: 'warning', text: `child process cannot reset realtime rlimit - ${message(e)}` });
    }
  }

  /** RLIMIT_RTTIME: soft `us` (SIGXCPU, logged), hard twice that (SIGKILL). */
  private setRttime(us: number): void {
    this.removeCpuHandler ??= this.port.onCpuLimit(() =>
      this.log.log({
        level: 'info',
        text: `${(this.settings.process ?? 'vrrp').toUpperCase()} process has used too much CPU time, ${this.settings.process ?? 'vrrp'}_rlimit_rttime may need to be increased`,
      }),
    );
    try {
      this.origRttime ??= this.port.getRttimeLimit();
      this.port.setRttimeLimit({ soft: us, hard: us * 2 });
      this.rttimeUs = us;
    } catch (e) {
      this.log.log({ level: 'warning', text: `child process cannot set realtime rlimit - ${message(e)}` });
    }
  }

  /** Sets `nice` on every thread (0 = restore what each had). */
  private applyNice(nice: number): void {
    if ((nice || undefined) === this.nice) return;
    if (nice) {
      const failed = this.eachThread((tid) => {
        if (!this.origNice.has(tid)) this.origNice.set(tid, this.port.getNice(tid));
        this.port.setNice(tid, nice);
      });
      if (failed.main || failed.other) {
        this.log.log({ level: 'info', text: `Unable to set process priority to ${nice} - ${message(failed.main ?? failed.other)}` });
      }
      if (!failed.main) this.nice = nice;
      return;
    }
    let err: unknown;
    for (const [tid, n] of this.origNice) {
      try {
        this.port.setNice(tid, n);
      } catch (e) {
        if ((e as SysError).code !== 'ESRCH') err ??= e;
      }
    }
    this.origNice.clear();
    this.nice = undefined;
    if (err) this.log.log({ level: 'info', text: `Unable to reset process priority - ${message(err)}` });
  }

  /** True for a native sender thread of the addon (its name ends in WATCHDOG_THREAD_SUFFIX). */
  private isWatchdog(tid: number): boolean {
    if (tid === this.mainTid) return false;
    try {
      return this.port.threadName(tid).endsWith(WATCHDOG_THREAD_SUFFIX);
    } catch {
      return false;
    }
  }

  /** Runs `fn` on every thread; a thread that has gone (ESRCH) is skipped. */
  private eachThread(fn: (tid: number) => void): { main?: unknown; other?: unknown; count: number; done: number } {
    const out: { main?: unknown; other?: unknown; count: number; done: number } = { count: 0, done: 0 };
    let tids: number[];
    try {
      tids = this.port.threads();
    } catch {
      tids = [];
    }
    if (!tids.includes(this.mainTid)) tids.unshift(this.mainTid);
    for (const tid of tids) {
      try {
        fn(tid);
        out.done++;
      } catch (e) {
        if ((e as SysError).code === 'ESRCH' && tid !== this.mainTid) continue;
        if (tid === this.mainTid) out.main = e;
        else {
          out.other ??= e;
          out.count++;
        }
      }
    }
    return out;
  }
}

/** The real operating system: sysio for the scheduling policy and RLIMIT_RTTIME, node:os for nice values. */
export function linuxPriorityPort(): PriorityPort {
  const k = (name: string): number => K[name] as number;
  return {
    threads: () =>
      readdirSync('/proc/self/task')
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 0),
    threadName: (tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(),
    setRealtime: (tid, priority) => sysio.schedSetScheduler(tid, k(priority ? 'SCHED_RR' : 'SCHED_OTHER'), priority, priority > 0),
    getRttimeLimit: () => sysio.getRlimit(k('RLIMIT_RTTIME')),
    setRttimeLimit: (l) => sysio.setRlimit(k('RLIMIT_RTTIME'), l.soft, l.hard),
    getNice: (tid) => getPriority(tid),
    setNice: (tid, nice) => setPriority(tid, nice),
    setAffinity: (tid, cpus) => sysio.schedSetAffinity(tid, cpus),
    setName: (name) => sysio.setThreadName(name),
    setUmask: (mask) => {
      process.umask(mask);
    },
    onCpuLimit: (handler) => {
      process.on('SIGXCPU', handler);
      return () => {
        process.off('SIGXCPU', handler);
      };
    },
  };
}
