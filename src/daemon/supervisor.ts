/**
 * The supervisor: keepalived's parent process. It loads the configuration (to decide which children to run and
 * what a dead VRRP child leaves behind), writes the `-p` pid file, spawns the VRRP child (`-r`) and, when the
 * configuration has virtual servers, the checker child (`-c`), and then only watches:
 * - a dead child is reported and respawned with keepalived's texts and rate limit (`lib/scheduler.c
 *   report_child_status`, `calc_restart_delay`; `vrrp_daemon.c vrrp_respawn_thread`); exit statuses 1, 2 and 4 are
 *   permanent and stop everything; `-R` stops everything instead of respawning;
 * - a dead VRRP child's VIPs, virtual routes and rules are removed at once (unless `-V`), so a crashed master does
 *   not keep answering for addresses the backup is taking over;
 * - signals are relayed as keepalived's `propagate_signal` does (HUP reloads both halves, USR1 goes to both, USR2,
 *   JSON and STATS_CLEAR to the VRRP child); TERM/INT stop the children, wait for them (`child_wait_time`), then exit;
 * - the control socket answers here, asking the children over their IPC channel;
 * - sd_notify READY once every child reported startup complete.
 *
 * Everything it touches is injected (spawning, clock, timers, signals, netlink cleanup), so tests drive it in one
 * process. It holds no runtime code: a child is this same program re-executed with `--ts-child=ROLE`.
 */
import { ReloadQueue } from './reload-queue.js';
import { ReloadMonitor } from './reload-monitor.js';
import { ConfigSaver, createReloadFile, removeReloadFile } from './config-files.js';
import { existsSync, mkdirSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { KeepalivedConfig } from '../config/model.js';
import { ErrorCodes, ExitCode, KtsError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { CHILD_ROLES, PARENT_IDENT, ROLE_INFO, identSuffix, type ChildRole } from './child-role.js';
import type { ConfigPort, LoadedConfig } from './config-port.js';
import { ControlServer, controlSocketFor, refusedPeer, type ControlReply } from './control.js';
import { commandLineLines } from './command-line.js';
import type { LogHub } from './logging.js';
import {
  DEFAULT_PIDFILES,
  pidDirFor,
  pidfileOwnedByLiveProcess,
  pidFilesFor,
  probeProcess,
  reloadFileFor,
  removeOwnPidfile,
  writePidfile,
  type PidFiles,
  type ProcessProbe,
} from './pidfile.js';
import { maxAutoPriorityNotice, parentProcessSettings, prioritySettingsFrom, type ProcessPriorities } from './priorities.js';
import type { SdNotifier } from './sdnotify.js';
import { SIGFUNC_NUMBERS, type SignalSource, type TrappedSignal } from './signals.js';
import type { PeerCred } from '../observe/admin.js';
import type { ProcessInfo, RuntimeSnapshot } from '../runtime/snapshot.js';
import type { BfdSessionsEvent, BgpStateEvent, EventName } from '../core/events.js';
import { startupMark } from './startup-trace.js';

/** Parent → child over the IPC channel: one control command (`status`, `json`, `reload`, …). */
export interface CommandMessage {
  readonly kind: 'command';
  readonly id: number;
  readonly command: string;
  /** The control-socket caller's credentials (admin commands check them); null when unknown. */
  readonly peer?: PeerCred | null;
}

/**
 * The facts the `bgp` child announces by: VRRP instance states (from the VRRP child) and virtual-server quorum
 * (from the checker child), each as the whole current picture of its sender. The supervisor relays them.
 */
export interface FactsMessage {
  readonly kind: 'facts';
  /** [instance name, state name] (from the VRRP child). */
  readonly instances?: readonly (readonly [string, string])[];
  /** [virtual server name, quorum up] (from the checker child). */
  readonly quorum?: readonly (readonly [string, boolean])[];
  /** [bfd_instance name, session Up] (from the BFD child, relayed to the VRRP and checker children). */
  readonly bfd?: readonly (readonly [string, boolean])[];
}

/**
 * An observer event that crosses processes (src/cli/child-events.ts): the `bgp` child's, passed on by the supervisor
 * to the VRRP child, which serves the HTTP endpoint and publishes it there again.
 */
export interface EventMessage {
  readonly kind: 'event';
  readonly name: EventName;
  readonly payload: unknown;
}

/** Parent → child: a command, (to the `bgp` child) the other children's facts, or (to the VRRP child) an event. */
export type ParentMessage = CommandMessage | FactsMessage | EventMessage;

/** Child → parent: startup complete, the answer to a command, its facts for the `bgp` child, or an event. */
export type ChildMessage =
  { readonly kind: 'ready' } | { readonly kind: 'reply'; readonly id: number; readonly reply: ControlReply } | FactsMessage | EventMessage;

/** A running child process as the supervisor handles it. */
export interface ChildHandle {
  readonly pid: number;
  /** Sends a signal (a name, or a number for the real-time ones); false when the process is gone. */
  kill(signal: NodeJS.Signals | number): boolean;
  /** Sends a message over the IPC channel; false when the channel is closed. */
  send(message: ParentMessage): boolean;
}

/** What a spawned child reports. */
export interface ChildEvents {
  message(m: ChildMessage): void;
  /** The process ended: its exit status, or the signal that killed it. */
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

/** Starts a child process for a role; an Error when it cannot be started. */
export type SpawnChild = (role: ChildRole, events: ChildEvents) => ChildHandle | Error;

/** Removes what a dead VRRP child configured (VIPs, eVIPs, virtual routes and rules of its instances). */
export interface VrrpReleaser {
  /** Plans the removal for these configurations ahead of time (interfaces read now). Never rejects. */
  prepare(configs: readonly KeepalivedConfig[]): Promise<void>;
  /** Removes; resolves with how many objects were removed. Never rejects. */
  release(configs: readonly KeepalivedConfig[]): Promise<number>;
}

/** Timers, injectable so tests control respawn delays and the stop timeout. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real timers. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The children's pid files: `-r`, `-c`, and the `bgp` child's (no keepalived option; see pidFileOf). */
export type ChildPidFiles = Readonly<Record<'vrrp' | 'check', string>> & { readonly bgp?: string; readonly bfd?: string };

/** Settings of the supervisor (resolved from the command line). */
export interface SupervisorSettings {
  readonly configFile: string;
  readonly configId: string;
  readonly interfaceExists?: (name: string) => boolean;
  /** `-p`. */
  readonly pidFile: string;
  /** `-r`, `-c`; the `bgp` child's (no keepalived option) defaults to the main pid file's name with `_bgp`. */
  readonly childPidFiles: ChildPidFiles;
  /**
   * The pid files given on the command line (`-p`, `-r`, `-c`). When set, the files are named after the
   * configuration is read, as keepalived does (`instance`, `use_pid_dir`: pidFilesFor); pidFile and childPidFiles
   * are then used only until then.
   */
  readonly pidFilesGiven?: Partial<PidFiles>;
  /** Control socket path; undefined = none. */
  readonly controlSocket?: string;
  /** The control socket was not given: it goes next to the main pid file once that is named (controlSocketFor). */
  readonly controlSocketFollowsPidFile?: boolean;
  readonly commandLine: readonly string[];
  readonly version: string;
  readonly platform: string;
  /** Warnings logged right after `Command line:`. */
  readonly notices?: readonly string[];
  /** `-P` (VRRP only), `-C` (checkers only), `--all` (children even without configuration). */
  readonly vrrpOnly: boolean;
  readonly checkOnly: boolean;
  /** `-B`: no BFD child. */
  readonly noBfd?: boolean;
  readonly all: boolean;
  /** `-R`. */
  readonly dontRespawn: boolean;
  /** `-V`: a dead VRRP child's VIPs stay. */
  readonly dontReleaseVrrp: boolean;
  /** How long TERM waits for the children before SIGKILL (keepalived's `child_wait_time`, default 5 s). */
  readonly childWaitMs?: number;
  /** `-s/--namespace`: overrides the configuration's `net_namespace`. */
  readonly namespace?: string;
  /** `-u/--umask` was given: global_defs `umask` is logged and not applied. */
  readonly umaskFromCommandLine?: boolean;
}

/** Everything the supervisor uses from the outside world. */
export interface SupervisorDeps {
  readonly settings: SupervisorSettings;
  readonly clock: Clock;
  readonly timers?: Timers;
  readonly logs: LogHub;
  readonly signals: SignalSource;
  readonly config: ConfigPort;
  readonly spawn: SpawnChild;
  readonly release: VrrpReleaser;
  readonly sdNotify: SdNotifier;
  readonly pid: number;
  readonly probe?: ProcessProbe;
  /** Called once every child reported startup complete (daemonize readiness). */
  readonly onReady?: () => void;
  /**
   * Moves this process's thread into a named network namespace before any socket opens or child starts
   * (src/net/netns.ts); returns keepalived's error text on failure. Absent: namespaces are not entered (tests).
   */
  readonly enterNamespace?: (name: string) => string | undefined;
  /** The syslog ident suffix (`_NAMESPACE_INSTANCE`) is now known: the children must be started with it. */
  readonly onIdentSuffix?: (suffix: string) => void;
  /** This process's name and umask from global_defs (`process_name`, `umask`); absent in tests. */
  readonly priorities?: ProcessPriorities;
  /**
   * global_defs `reload_check_config LOGFILE`: runs `-t` on the configuration in a separate process, its report
   * appended to LOGFILE; resolves with its exit status (undefined: it could not run or timed out, logged).
   */
  readonly checkConfig?: (logFile: string) => Promise<number | undefined>;
}

/** One role's child and its respawn bookkeeping. */
interface Slot {
  readonly role: ChildRole;
  handle: ChildHandle | undefined;
  ready: boolean;
  /** Monotonic ms of the last start (calc_restart_delay). */
  startedAt: number;
  /** keepalived's next restart delay in seconds. */
  nextDelay: number;
  respawnTimer: unknown;
  /** Resolves the stop sequence's wait for this child. */
  exited: (() => void) | undefined;
}

/** A command sent to a child, waiting for its reply. */
interface Pending {
  readonly resolve: (r: ControlReply) => void;
  readonly role: ChildRole;
  readonly timer: unknown;
}

/** strsignal(3) texts for the signals a child usually dies of. */
const SIGNAL_TEXT: Readonly<Record<string, readonly [number, string]>> = {
  SIGHUP: [1, 'Hangup'],
  SIGINT: [2, 'Interrupt'],
  SIGQUIT: [3, 'Quit'],
  SIGILL: [4, 'Illegal instruction'],
  SIGTRAP: [5, 'Trace/breakpoint trap'],
  SIGABRT: [6, 'Aborted'],
  SIGBUS: [7, 'Bus error'],
  SIGFPE: [8, 'Floating point exception'],
  SIGKILL: [9, 'Killed'],
  SIGUSR1: [10, 'User defined signal 1'],
  SIGSEGV: [11, 'Segmentation fault'],
  SIGUSR2: [12, 'User defined signal 2'],
  SIGPIPE: [13, 'Broken pipe'],
  SIGALRM: [14, 'Alarm clock'],
  SIGTERM: [15, 'Terminated'],
  SIGXCPU: [24, 'CPU time limit exceeded'],
};

/** keepalived's names for the permanent exit statuses (report_child_status). */
const PERMANENT: Readonly<Record<number, string>> = {
  [ExitCode.FATAL]: 'FATAL',
  [ExitCode.CONFIG]: 'CONFIG',
  [ExitCode.MISSING_PERMISSION]: 'missing permission',
};

/** The short names keepalived's stop sequence uses (`vrrp process failed to die`). */
const SHORT_NAME: Readonly<Record<ChildRole, string>> = { vrrp: 'vrrp', check: 'checker', bgp: 'bgp', bfd: 'bfd' };

/** Which children a configuration needs (keepalived's running_vrrp / running_checker). */
export function wantedRoles(cfg: KeepalivedConfig, o: { vrrpOnly: boolean; checkOnly: boolean; all: boolean; noBfd?: boolean }): ChildRole[] {
  // keepalived's running_bfd: a bfd_instance, no -B, and no -P/-C (they run only the one subsystem)
  const runBfd = !o.noBfd && !o.vrrpOnly && !o.checkOnly && cfg.bfdInstances.length > 0;
  // the bgp child announces VIPs by the VRRP child's states: it runs with it
  const runBgp = !o.checkOnly && cfg.vrrpInstances.some((i) => i.bgpAnnounce !== undefined);
  const hasCheck = cfg.virtualServers.length > 0;
  const hasVrrp = cfg.vrrpInstances.length > 0 || cfg.staticIpaddress.length > 0 || cfg.staticRoutes.length > 0 || cfg.staticRules.length > 0;
  const runCheck = !o.vrrpOnly && (o.all || hasCheck);
  // keepalived runs no child for an empty configuration; the VRRP child then says there is nothing to run
  const runVrrp = !o.checkOnly && (o.all || hasVrrp || (!hasCheck && !runBfd));
  return CHILD_ROLES.filter((r) => (r === 'vrrp' ? runVrrp : r === 'check' ? runCheck : r === 'bfd' ? runBfd : runBgp));
}

/**
 * keepalived's `calc_restart_delay`: 0 when the child ran for a minute or more; otherwise the current delay, and
 * the next one doubles (0, 1, 2, 4, … 32, 60 s). Returns [delay now, next delay] in seconds.
 */
export function restartDelay(ranMs: number, next: number): readonly [number, number] {
  if (ranMs >= 60_000) return [0, 0];
  return [next, next === 0 ? 1 : next > 30 ? 60 : next * 2];
}

/** The supervisor. */
export class Supervisor {
  private readonly log: Logger;
  private readonly timers: Timers;
  private readonly slots = new Map<ChildRole, Slot>();
  private readonly handlers = new Map<TrappedSignal, () => void>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private control: ControlServer | undefined;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  /** Configurations whose VRRP objects a dead child may have left: the running one, and the previous one until the child confirmed a reload. */
  private releaseSet: KeepalivedConfig[] = [];
  private readonly reloadQueue = new ReloadQueue(
    () => this.doReload(),
    () => this.state === 'running',
  );
  private reloads = 0;
  /** The last facts from the VRRP and checker children, relayed to the `bgp` child. */
  private facts: { instances: readonly (readonly [string, string])[]; quorum: readonly (readonly [string, boolean])[] } = {
    instances: [],
    quorum: [],
  };
  /** The `bgp` child's last whole picture, sent again to a (re)started VRRP child. */
  private bgpState: EventMessage | undefined;
  /** The `bfd` child's last picture (`keepalived-ts:bfd:sessions`), for a VRRP child that starts later. */
  private bfdState: EventMessage | undefined;
  /** The last BFD session states from the BFD child, relayed to the VRRP and checker children (kept when it dies, as keepalived's are). */
  private bfdFacts: readonly (readonly [string, boolean])[] = [];
  private startedMs = 0;
  private readyReported = false;
  private exitCode: number = ExitCode.OK;
  private reportStopped = true;
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  /** The pid files in use: the settings', or named from the configuration at start (pidFilesGiven). */
  private pidFile = '';
  private childPidFiles: ChildPidFiles = { vrrp: '', check: '' };
  /** The network namespace the daemon runs in (`-s` or `net_namespace`), named at start. */
  private namespace: string | undefined;
  /** `reload_time_file`'s monitor for the configuration in force. */
  private monitor: ReloadMonitor | undefined;
  private saver: ConfigSaver | undefined;
  private resolveExit!: (code: number) => void;
  /** Resolves with the exit status once the supervisor has stopped. */
  readonly exited: Promise<number>;

  constructor(private readonly deps: SupervisorDeps) {
    this.log = deps.logs.logger(PARENT_IDENT);
    this.timers = deps.timers ?? realTimers;
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
  }

  private info(text: string, level: 'info' | 'alert' | 'err' | 'warning' = 'info'): void {
    this.log.log({ level, text });
  }

  /** The pid of a role's running child (undefined when none). */
  childPid(role: ChildRole): number | undefined {
    return this.slots.get(role)?.handle?.pid;
  }

  /* Startup ------------------------------------------------------------------------------------------------ */

  /** Starts; resolves with the exit status once stopped. */
  async run(): Promise<number> {
    const code = await this.start();
    if (code !== undefined) this.finish(code);
    return this.exited;
  }

  private async start(): Promise<number | undefined> {
    const s = this.deps.settings;
    this.startedMs = this.deps.clock.wallNow();
    this.info(`Starting ${s.version}`);
    this.info(`Running on ${s.platform}`);
    for (const line of commandLineLines(s.commandLine)) this.info(line);
    for (const n of s.notices ?? []) this.info(n, 'warning');
    if (!existsSync(s.configFile)) {
      this.info(`Unable to find configuration file ${s.configFile}`, 'err');
      return ExitCode.NO_CONFIG;
    }
    const early = await this.enterNamespace();
    if (early !== undefined) return early;
    const cfg = await this.loadConfig('start');
    if (!cfg) return ExitCode.CONFIG;
    startupMark('config');
    this.releaseSet = [cfg];
    this.deps.priorities?.apply(parentProcessSettings(cfg, s.umaskFromCommandLine));
    const notice = maxAutoPriorityNotice(prioritySettingsFrom(cfg));
    if (notice) this.info(notice);
    const roles = wantedRoles(cfg, s);
    this.namePidFiles(cfg);
    const files = [this.pidFile, ...roles.map((r) => this.pidFileOf(r))];
    for (const f of files) {
      if (pidfileOwnedByLiveProcess(f, this.deps.pid, this.log, this.deps.probe ?? probeProcess)) {
        this.info('daemon is already running');
        this.reportStopped = false;
        return ExitCode.OK;
      }
    }
    if (!writePidfile(this.pidFile, this.deps.pid, this.log)) return ExitCode.FATAL;
    this.state = 'running';
    this.keepAlive = setInterval(() => {}, 3_600_000);
    this.installSignals();
    await this.openControl();
    if (this.state !== 'running') return undefined;
    for (const r of roles) {
      if (!this.startChild(r)) return ExitCode.FATAL;
    }
    this.startMonitor();
    this.checkReady();
    return undefined;
  }

  /**
   * keepalived's start after reading the configuration (core/main.c): `-s` overrides `net_namespace`, the syslog
   * ident gains `_NAMESPACE_INSTANCE`, and the process enters the namespace — before the configuration is checked
   * against the host, so interfaces are looked up in the namespace. The file is read once without host checks to
   * learn the names. Returns an exit status when the daemon must stop (keepalived exits 0 there).
   */
  private async enterNamespace(): Promise<number | undefined> {
    const s = this.deps.settings;
    const peek = (await this.deps.config.load(s.configFile, { configId: s.configId })).config;
    let ns = peek?.netNamespace;
    if (s.namespace !== undefined) {
      if (ns !== undefined) this.info(`Overriding config net_namespace '${ns}' with command line namespace '${s.namespace}'`);
      ns = s.namespace;
    }
    this.namespace = ns;
    const suffix = identSuffix(ns, peek?.instanceName);
    if (suffix) {
      this.info(`Changing syslog ident to ${PARENT_IDENT}${suffix}`);
      this.deps.logs.setIdentSuffix(suffix);
      this.deps.onIdentSuffix?.(suffix);
    }
    if (ns === undefined || !this.deps.enterNamespace) return undefined;
    const err = this.deps.enterNamespace(ns);
    if (err === undefined) return undefined;
    this.info(err);
    this.info(`Unable to set network namespace ${ns} - exiting`, 'err');
    return ExitCode.OK;
  }

  /** The pid files for `cfg` (keepalived names them once, at start; a reload does not move them). */
  private namePidFiles(cfg: KeepalivedConfig): void {
    const s = this.deps.settings;
    if (!s.pidFilesGiven) {
      this.pidFile = s.pidFile;
      this.childPidFiles = s.childPidFiles;
      return;
    }
    const named = { instanceName: cfg.instanceName, usePidDir: cfg.usePidDir, netNamespace: this.namespace };
    const f = pidFilesFor(s.pidFilesGiven, named);
    this.pidFile = f.main;
    this.childPidFiles = { vrrp: f.vrrp, check: f.checkers, ...(f.bfd ? { bfd: f.bfd } : {}) };
    if (cfg.usePidDir || this.namespace !== undefined) {
      const dir = pidDirFor(this.namespace);
      try {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
      } catch (e) {
        this.info(`Unable to create directory ${dir} - ${(e as Error).message}`, 'err');
      }
    }
  }

  /**
   * Loads the configuration. The children read it again and log its diagnostics under their own identities, so
   * here they are logged only when the configuration cannot be used (nothing else would report them).
   */
  private async loadConfig(phase: 'start' | 'reload'): Promise<KeepalivedConfig | undefined> {
    const s = this.deps.settings;
    const loaded: LoadedConfig = await this.deps.config.load(s.configFile, {
      configId: s.configId,
      ...(s.interfaceExists ? { interfaceExists: s.interfaceExists } : {}),
    });
    const saveDir = loaded.config?.globalDefs.configSaveDir;
    if (saveDir && loaded.sources) (this.saver ??= new ConfigSaver(this.deps.pid, this.log)).save(saveDir, loaded.sources);
    const fatal = loaded.errors.some((e) => e.includes('could not be read') || e.includes('Non-existent interface specified'));
    if (loaded.config !== undefined && !fatal && (phase === 'start' || loaded.errors.length === 0)) return loaded.config;
    for (const w of loaded.warnings) this.info(w, 'warning');
    for (const e of loaded.errors) this.info(e, 'err');
    if (phase === 'reload') this.info('Reload failed: configuration has errors - keeping the running configuration', 'err');
    return undefined;
  }

  private async openControl(): Promise<void> {
    const s = this.deps.settings;
    const path = s.controlSocket !== undefined && s.controlSocketFollowsPidFile ? controlSocketFor(this.pidFile) : s.controlSocket;
    if (!path) return;
    const server = new ControlServer(path, (cmd, peer) => this.command(cmd, peer), {
      onRefused: (peer) => this.info(`Control: refused a connection from ${refusedPeer(peer)} - the control socket is root only`, 'warning'),
    });
    const err = await server.listen();
    if (err) this.info(`Control socket ${path} not available: ${err.message}`, 'warning');
    else if (this.state !== 'running') await server.close();
    else this.control = server;
  }

  /** Spawns a role's child; false when it could not be started. */
  private startChild(role: ChildRole): boolean {
    let slot = this.slots.get(role);
    if (!slot) {
      slot = { role, handle: undefined, ready: false, startedAt: 0, nextDelay: 0, respawnTimer: undefined, exited: undefined };
      this.slots.set(role, slot);
    }
    const s = slot;
    s.respawnTimer = undefined;
    s.ready = false;
    const handle = this.deps.spawn(role, {
      message: (m) => this.onMessage(s, m),
      exit: (code, signal) => this.onExit(s, handle instanceof Error ? undefined : handle, code, signal),
    });
    if (handle instanceof Error) {
      this.info(`${ROLE_INFO[role].name} child process: fork error(${handle.message})`);
      return false;
    }
    s.handle = handle;
    s.startedAt = this.deps.clock.now();
    this.info(`Starting ${ROLE_INFO[role].name} child process, pid=${handle.pid}`);
    writePidfile(this.pidFileOf(role), handle.pid, this.log);
    return true;
  }

  /** A role's pid file. */
  private pidFileOf(role: ChildRole): string {
    const files = this.childPidFiles;
    if (role === 'bfd') return files.bfd ?? DEFAULT_PIDFILES.bfd;
    return role === 'bgp' ? (files.bgp ?? this.pidFile.replace(/(\.pid)?$/, '_bgp.pid')) : files[role];
  }

  /** Keeps a child's facts and sends the whole picture to the `bgp` child. */
  private relayFacts(role: ChildRole, m: FactsMessage | undefined): void {
    if (role === 'bfd') {
      if (!m) return;
      this.bfdFacts = m.bfd ?? [];
      this.sendBfdFacts('vrrp');
      this.sendBfdFacts('check');
      return;
    }
    if (role === 'vrrp') this.facts = { ...this.facts, instances: m?.instances ?? [] };
    else if (role === 'check') this.facts = { ...this.facts, quorum: m?.quorum ?? [] };
    else return;
    this.sendFacts();
  }

  /** The BFD session states to one child (the VRRP child's track_bfd, the checker's BFD_CHECK). */
  private sendBfdFacts(role: 'vrrp' | 'check'): void {
    this.slots.get(role)?.handle?.send({ kind: 'facts', bfd: this.bfdFacts });
  }

  private sendFacts(): void {
    this.slots.get('bgp')?.handle?.send({ kind: 'facts', ...this.facts });
  }

  /** Passes an event on to the VRRP child (it serves the HTTP endpoint) once it is up; it gets the last picture at ready. */
  private toObservers(m: EventMessage): void {
    const vrrp = this.slots.get('vrrp');
    if (vrrp?.ready) vrrp.handle?.send(m);
  }

  private onMessage(slot: Slot, m: ChildMessage): void {
    if (m.kind === 'facts') {
      this.relayFacts(slot.role, m);
      return;
    }
    if (m.kind === 'event') {
      if (m.name === 'keepalived-ts:bgp:state') this.bgpState = m;
      if (m.name === 'keepalived-ts:bfd:sessions') this.bfdState = m;
      this.toObservers(m);
      return;
    }
    if (m.kind === 'ready') {
      slot.ready = true;
      if (slot.role === 'bgp') this.sendFacts();
      if (slot.role === 'vrrp' && this.bgpState) slot.handle?.send(this.bgpState);
      if (slot.role === 'vrrp' && this.bfdState) slot.handle?.send(this.bfdState);
      if (slot.role === 'vrrp' || slot.role === 'check') this.sendBfdFacts(slot.role);
      if (slot.role === 'vrrp' && !this.deps.settings.dontReleaseVrrp) void this.deps.release.prepare(this.releaseSet);
      this.checkReady();
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    this.timers.clearTimeout(p.timer);
    p.resolve(m.reply);
  }

  /** READY=1 once, when every child started reported startup complete. */
  private checkReady(): void {
    if (this.readyReported || this.state !== 'running') return;
    if ([...this.slots.values()].some((s) => !s.ready)) return;
    this.readyReported = true;
    if (this.slots.size === 0) this.info('Warning - keepalived has no configuration to run');
    this.deps.sdNotify.ready();
    this.deps.onReady?.();
  }

  /* Children dying ----------------------------------------------------------------------------------------- */

  private onExit(slot: Slot, handle: ChildHandle | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    if (!handle || slot.handle !== handle) return;
    slot.handle = undefined;
    slot.ready = false;
    // the VIPs go first: every millisecond both nodes hold them counts
    const released = slot.role === 'vrrp' && !this.deps.settings.dontReleaseVrrp && this.state === 'running' ? this.release() : Promise.resolve();
    removeOwnPidfile(this.pidFileOf(slot.role), handle.pid);
    // a dead VRRP child holds no instance, a dead checker no quorum: the bgp child withdraws their routes
    this.relayFacts(slot.role, undefined);
    if (slot.role === 'bgp' && this.bgpState) {
      // no engine and no sessions until a new bgp child says otherwise
      const last = this.bgpState.payload as BgpStateEvent;
      const payload: BgpStateEvent = { ...last, connected: false, sessions: [], at: this.deps.clock.wallNow() };
      this.bgpState = { kind: 'event', name: 'keepalived-ts:bgp:state', payload };
      this.toObservers(this.bgpState);
    }
    if (slot.role === 'bfd' && this.bfdState) {
      // no sessions until a new bfd child reports them
      const payload: BfdSessionsEvent = { sessions: [], at: this.deps.clock.wallNow() };
      this.bfdState = { kind: 'event', name: 'keepalived-ts:bfd:sessions', payload };
      this.toObservers(this.bfdState);
    }
    for (const [id, p] of this.pending) {
      if (p.role !== slot.role) continue;
      this.pending.delete(id);
      this.timers.clearTimeout(p.timer);
      p.resolve(unavailable(slot.role));
    }
    if (this.state === 'stopping') {
      this.reportStatus(handle.pid, code, signal, ROLE_INFO[slot.role].ident);
      slot.exited?.();
      return;
    }
    if (this.state !== 'running') return;
    const permanent = this.reportStatus(handle.pid, code, signal);
    if (permanent) {
      this.deps.sdNotify.error(permanent);
      this.exitCode = permanent;
      void released.then(() => this.stop());
      return;
    }
    const name = ROLE_INFO[slot.role].name;
    if (this.deps.settings.dontRespawn) {
      this.info(`${name} child process(${handle.pid}) died: Exiting`, 'alert');
      void released.then(() => this.stop());
      return;
    }
    this.info(`${name} child process(${handle.pid}) died: Respawning`, 'alert');
    this.info('  Please log an issue at https://github.com/acassen/keepalived/issues/');
    this.info('  and include a full copy of your keepalived configuration files, and');
    this.info('  copies of the keepalived system log entries around the time this happened');
    const [delay, next] = restartDelay(this.deps.clock.now() - slot.startedAt, slot.nextDelay);
    if (next !== 0) this.info(`Restart of ${name} process delayed ${delay} seconds to limit respawn rate`);
    slot.nextDelay = next;
    void released.then(() => {
      if (this.state !== 'running') return;
      const respawn = () => {
        if (this.state === 'running' && !slot.handle && !this.startChild(slot.role)) {
          slot.respawnTimer = this.timers.setTimeout(respawn, 1000);
        }
      };
      if (delay === 0) respawn();
      else slot.respawnTimer = this.timers.setTimeout(respawn, delay * 1000);
    });
  }

  /**
   * keepalived's report_child_status: logs how the child ended; returns the exit status when it is permanent
   * (1, 2, 4), else 0. keepalived has cleared the child's pid before it looks the name up, so the respawn path
   * names it `pid N`; the stop path passes the identity.
   */
  private reportStatus(pid: number, code: number | null, signal: NodeJS.Signals | null, ident?: string): number {
    const id = ident ?? `pid ${pid}`;
    if (code !== null) {
      const permanent = PERMANENT[code];
      if (permanent) {
        this.info(`${id} exited with permanent error ${permanent}. Terminating`);
        return code;
      }
      if (code !== 0) this.info(`${id} exited with status ${code}`);
      return 0;
    }
    if (signal === 'SIGSEGV') {
      this.info(`${id} exited due to segmentation fault (SIGSEGV).`);
      return 0;
    }
    if (signal) {
      const [num, text] = SIGNAL_TEXT[signal] ?? [0, signal];
      this.info(`${id} exited due to signal ${num} (${text})${signal === 'SIGKILL' ? ' - has rlimit_rttime been exceeded?' : ''}`);
    }
    return 0;
  }

  /** Removes what the dead VRRP child configured, timing it (`-D` shows it). */
  private release(): Promise<unknown> {
    const t0 = this.deps.clock.now();
    return this.deps.release.release(this.releaseSet).then((n) => {
      const ms = this.deps.clock.now() - t0;
      this.log.log({
        level: 'info',
        detail: true,
        text: `Released ${n} VRRP address(es), route(s) and rule(s) of the dead VRRP child in ${ms.toFixed(1)} ms`,
      });
    });
  }

  /* Signals ------------------------------------------------------------------------------------------------ */

  private installSignals(): void {
    const relay = (roles: readonly ChildRole[], sig: NodeJS.Signals | 'SIGJSON' | 'SIGSTATS_CLEAR') => () => {
      for (const r of roles) this.signalChild(r, sig);
    };
    const table: Record<TrappedSignal, () => void> = {
      SIGHUP: () => void this.reload(),
      SIGTERM: () => void this.stop(),
      SIGINT: () => void this.stop(),
      SIGUSR1: relay(['vrrp', 'check'], 'SIGUSR1'),
      SIGUSR2: relay(['vrrp'], 'SIGUSR2'),
      SIGURG: relay(['vrrp'], 'SIGURG'),
      SIGJSON: relay(['vrrp'], 'SIGJSON'),
      SIGSTATS_CLEAR: relay(['vrrp'], 'SIGSTATS_CLEAR'),
    };
    for (const [sig, h] of Object.entries(table) as [TrappedSignal, () => void][]) {
      this.handlers.set(sig, h);
      this.deps.signals.on(sig, h);
    }
  }

  /** Sends a signal to a role's child, if it runs. Real-time signals by number. */
  private signalChild(role: ChildRole, sig: NodeJS.Signals | 'SIGJSON' | 'SIGSTATS_CLEAR'): void {
    const h = this.slots.get(role)?.handle;
    if (!h) return;
    h.kill(sig === 'SIGJSON' ? SIGFUNC_NUMBERS.JSON : sig === 'SIGSTATS_CLEAR' ? SIGFUNC_NUMBERS.STATS_CLEAR : sig);
  }

  private removeSignals(): void {
    for (const [sig, h] of this.handlers) this.deps.signals.off(sig, h);
    this.handlers.clear();
  }

  /* Commands to children ----------------------------------------------------------------------------------- */

  /** Sends a control command to a role's child and waits for its reply. */
  ask(role: ChildRole, command: string, timeoutMs = command === 'reload' ? 60_000 : 10_000, peer?: PeerCred | null): Promise<ControlReply> {
    const h = this.slots.get(role)?.handle;
    if (!h) return Promise.resolve(unavailable(role));
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => {
        if (!this.pending.delete(id)) return;
        resolve({
          ok: false,
          code: ErrorCodes.CONTROL_TIMEOUT,
          error: `${ROLE_INFO[role].name} child process did not answer '${command}' within ${timeoutMs} ms`,
        });
      }, timeoutMs);
      this.pending.set(id, { resolve, role, timer });
      if (!h.send({ kind: 'command', id, command, ...(peer !== undefined ? { peer } : {}) })) {
        this.pending.delete(id);
        this.timers.clearTimeout(timer);
        resolve(unavailable(role));
      }
    });
  }

  /**
   * Answers one control-socket command, asking the children where they hold the answer: `lvs` and the
   * drain/undrain admin commands go to the checker child; anything else (the observability and admin commands)
   * goes to the VRRP child with the caller's credentials.
   */
  async command(cmd: string, peer?: PeerCred | null): Promise<ControlReply> {
    switch (cmd) {
      case 'ping':
        return { ok: true };
      case 'status':
        return { ok: true, status: { process: this.processInfo(), snapshot: await this.snapshot() } };
      case 'json':
      case 'stats':
      case 'data':
      case 'stats-clear':
        return this.ask('vrrp', cmd);
      case 'lvs':
      case 'lvs-rate':
        return this.ask('check', cmd);
      case 'reload':
        if (peer !== undefined && !(peer && (peer.uid === 0 || peer.uid === process.getuid?.()))) {
          return { ok: false, code: ErrorCodes.PERMISSION_DENIED, error: "reload: permission denied (root or the daemon's user only)" };
        }
        return (await this.reload())
          ? { ok: true }
          : {
              ok: false,
              code: ErrorCodes.RELOAD_FAILED,
              error: 'reload failed: the new configuration has errors (see the log); the running one is kept',
            };
      default:
        // drain/undrain act on real servers: the checker child holds them
        return this.ask(/^\s*(un)?drain\b/.test(cmd) ? 'check' : 'vrrp', cmd, 10_000, peer ?? null);
    }
  }

  /** The children's snapshots merged: VRRP instances from the VRRP child, virtual servers from the checker, BGP and BFD from theirs. */
  private async snapshot(): Promise<RuntimeSnapshot> {
    const get = async (role: ChildRole): Promise<RuntimeSnapshot | undefined> => {
      if (!this.slots.get(role)?.handle) return undefined;
      const r = await this.ask(role, 'status');
      return r.ok ? r.status?.snapshot : undefined;
    };
    const [vrrp, check, bgp, bfd] = await Promise.all([get('vrrp'), get('check'), get('bgp'), get('bfd')]);
    const base: RuntimeSnapshot = vrrp ?? { instances: [], syncGroups: [] };
    return {
      ...base,
      ...(check?.virtualServers ? { virtualServers: check.virtualServers } : {}),
      ...(bgp?.bgp ? { bgp: bgp.bgp } : {}),
      ...(bfd?.bfd ? { bfd: bfd.bfd } : {}),
    };
  }

  /** Process facts for `status`: the parent's, with its children. */
  processInfo(): ProcessInfo {
    return {
      pid: this.deps.pid,
      version: this.deps.settings.version,
      configFile: this.deps.settings.configFile,
      startedMs: this.startedMs,
      reloads: this.reloads,
      loopLagMaxMs: 0,
      loopLagLastMs: 0,
      children: [...this.slots.values()].map((s) => ({ role: s.role, pid: s.handle?.pid ?? 0 })),
    };
  }

  /* Reload ------------------------------------------------------------------------------------------------- */

  /**
   * SIGHUP: re-reads the configuration; a valid one goes to every child (each re-reads and applies it), and a
   * child the new configuration needs is started. A reload during a reload is queued.
   * @returns true when every child applied the new configuration
   */
  async reload(): Promise<boolean> {
    if (this.state !== 'running') return false;
    return this.reloadQueue.request();
  }

  /**
   * One reload, with the running configuration's `reload_file` (present until every child has re-read the files)
   * and `reload_check_config` (the new configuration validated by `-t` in another process first), as keepalived's
   * start_reload.
   */
  private async doReload(): Promise<boolean> {
    const old = this.releaseSet[0];
    const reloadFile = old ? reloadFileFor(old, this.namespace) : undefined;
    if (reloadFile) createReloadFile(reloadFile, this.log);
    try {
      const checkLog = old?.globalDefs.reloadCheckConfig;
      if (checkLog !== undefined && this.deps.checkConfig) {
        const code = await this.deps.checkConfig(checkLog);
        if (code !== 0) {
          if (code !== undefined) this.info(`New config failed validation, see ${checkLog} for details`);
          return false;
        }
      }
      this.monitor?.stop();
      try {
        return await this.reloadNow();
      } finally {
        this.startMonitor();
      }
    } finally {
      if (reloadFile) removeReloadFile(reloadFile);
    }
  }

  /** `reload_time_file`: watches the running configuration's file (a new monitor after each reload). */
  private startMonitor(): void {
    this.monitor?.stop();
    this.monitor = undefined;
    const g = this.releaseSet[0]?.globalDefs;
    if (!g?.reloadTimeFile || this.state !== 'running') return;
    this.monitor = new ReloadMonitor({
      file: g.reloadTimeFile,
      repeat: g.reloadRepeat === true,
      log: this.log,
      timers: this.timers,
      now: () => this.deps.clock.wallNow(),
      onReload: () => void this.reload(),
    });
    this.monitor.start();
  }

  private async reloadNow(): Promise<boolean> {
    this.info('Reloading ...');
    const cfg = await this.loadConfig('reload');
    if (!cfg || this.state !== 'running') return false;
    if (!this.reloadable(cfg)) return false;
    this.deps.priorities?.apply(parentProcessSettings(cfg, this.deps.settings.umaskFromCommandLine));
    this.deps.sdNotify.reloading();
    this.releaseSet = [cfg, ...this.releaseSet.slice(0, 1)];
    const running = [...this.slots.values()].filter((s) => s.handle).map((s) => s.role);
    const results = await Promise.all(running.map(async (r) => [r, await this.ask(r, 'reload')] as const));
    if (results.some(([r, rep]) => r === 'vrrp' && rep.ok)) this.releaseSet = [cfg];
    if (!this.deps.settings.dontReleaseVrrp) void this.deps.release.prepare(this.releaseSet);
    for (const r of wantedRoles(cfg, this.deps.settings)) {
      const slot = this.slots.get(r);
      if (!slot) this.startChild(r);
    }
    this.reloads++;
    this.deps.sdNotify.ready();
    return results.every(([, rep]) => rep.ok);
  }

  /**
   * keepalived's reload refuses what it cannot change in a running process (core/main.c reload_config): the
   * network namespace (`-s` still wins), the instance name, disable_local_igmp, the nftables_ipvs table name. The
   * running configuration stays.
   */
  private reloadable(cfg: KeepalivedConfig): boolean {
    const old = this.releaseSet[0];
    if (!old) return true;
    const ns = (c: KeepalivedConfig) => this.deps.settings.namespace ?? c.netNamespace;
    const refused = [
      ns(old) !== ns(cfg) ? 'network namespace' : undefined,
      old.instanceName !== cfg.instanceName ? 'instance name' : undefined,
      old.globalDefs.disableLocalIgmp !== cfg.globalDefs.disableLocalIgmp ? 'disable_local_igmp' : undefined,
      old.globalDefs.nftablesIpvs?.table !== cfg.globalDefs.nftablesIpvs?.table ? 'IPVS nftables table name' : undefined,
    ].filter((x) => x !== undefined);
    for (const what of refused) this.info(`Cannot change ${what} at a reload - please restart keepalived`);
    return refused.length === 0;
  }

  /* Stop --------------------------------------------------------------------------------------------------- */

  /** TERM/INT: stops the children (SIGTERM, then SIGKILL after child_wait_time) and exits. Idempotent. */
  async stop(): Promise<number> {
    if (this.state === 'new') {
      this.finish(ExitCode.OK);
    } else if (this.state === 'running') {
      this.state = 'stopping';
      this.info('Stopping');
      this.deps.sdNotify.stopping();
      if (this.reloadQueue.current) await this.reloadQueue.current.catch(() => false);
      await this.stopChildren();
      this.finish(this.exitCode);
    }
    return this.exited;
  }

  private async stopChildren(): Promise<void> {
    const live = [...this.slots.values()];
    for (const s of live) {
      if (s.respawnTimer !== undefined) this.timers.clearTimeout(s.respawnTimer);
      s.respawnTimer = undefined;
    }
    const waits = live
      .filter((s) => s.handle)
      .map(
        (s) =>
          new Promise<void>((resolve) => {
            s.exited = resolve;
            if (!s.handle?.kill('SIGTERM')) resolve();
          }),
      );
    let timer: unknown;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.timers.setTimeout(() => resolve(true), this.deps.settings.childWaitMs ?? (this.releaseSet[0]?.childWaitTimeSec ?? 5) * 1000);
    });
    const late = await Promise.race([Promise.all(waits).then(() => false), timedOut]);
    this.timers.clearTimeout(timer);
    if (!late) return;
    const stuck = live.filter((s) => s.handle);
    for (const s of stuck) {
      this.info(`${SHORT_NAME[s.role]} process failed to die - forcing termination`);
      s.handle?.kill('SIGKILL');
    }
    if (stuck.some((s) => s.role === 'vrrp') && !this.deps.settings.dontReleaseVrrp) await this.release();
  }

  /** Releases everything and resolves `exited`. */
  private finish(code: number): void {
    if (this.state === 'stopped') return;
    const wasRunning = this.state !== 'new';
    this.state = 'stopped';
    this.monitor?.stop();
    this.monitor = undefined;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.removeSignals();
    const closing = this.control?.close() ?? Promise.resolve();
    this.control = undefined;
    if (wasRunning) {
      removeOwnPidfile(this.pidFile, this.deps.pid);
      for (const s of this.slots.values()) {
        // a child that did not exit (SIGKILL sent) still owns its file for a moment: remove it by its pid
        if (s.handle) removeOwnPidfile(this.pidFileOf(s.role), s.handle.pid);
      }
    }
    if (code !== ExitCode.OK && !wasRunning) this.deps.sdNotify.error(code);
    if (this.reportStopped) this.info(`Stopped ${this.deps.settings.version}`);
    void closing.then(() => this.resolveExit(code));
  }
}

/** The reply when a role's child is not there to answer. */
function unavailable(role: ChildRole): ControlReply {
  return { ok: false, code: ErrorCodes.CHILD_UNAVAILABLE, error: `${ROLE_INFO[role].name} child process is not running` };
}

/** An Error for a child that could not be spawned. */
export function spawnError(role: ChildRole, cause: unknown): KtsError {
  return new KtsError(ErrorCodes.CHILD_SPAWN_FAILED, `${ROLE_INFO[role].name} child: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}
