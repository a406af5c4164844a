/**
 * The Daemon: keepalived's process shell around one runtime — configuration loading, pid files, signals,
 * dumps, sd_notify, the control socket and the lifecycle log lines operators grep
 * (`Starting Keepalived v…`, `Command line: …`, `Opening file '…'.`, `Configuration file …`, `Startup complete`,
 * `Reloading ...`, `Reload complete`, `Stopping`, `Stopped Keepalived v…`).
 *
 * In production it runs as a supervised child (`settings.role`): the supervisor (supervisor.ts) owns the pid
 * files, the control socket and sd_notify, and the child logs under its role's identity (`Keepalived_vrrp`), without
 * the start banner, ending with keepalived's child line `Stopped`. Without a role it is a whole daemon in one
 * process (tests run two of them side by side).
 *
 * No globals: everything (clock, logs, signals, paths, runtime factory, config port) is injected, so two
 * daemons can run in one test process. `run()` resolves with the exit status once the daemon has stopped
 * (after TERM/INT, or at once when startup fails); the caller exits the process.
 */
import { ReloadQueue } from './reload-queue.js';
import { existsSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { ErrorCodes, ExitCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { KeepalivedConfig } from '../config/model.js';
import { effectiveSnmp } from '../config/parse-snmp.js';
import { PARENT_IDENT, ROLE_INFO, type ChildRole } from './child-role.js';
import type { ConfigPort, LoadedConfig } from './config-port.js';
import { commandLineLines } from './command-line.js';
import { ControlServer, refusedPeer, type ControlReply } from './control.js';
import { renderData, renderJson, renderStats } from './dump.js';
import { DUMP_FILES, dataDumpName, writeDumpFile } from './dumpfile.js';
import type { LogHub } from './logging.js';
import { pidfileOwnedByLiveProcess, probeProcess, removeOwnPidfile, writePidfile, type ProcessProbe } from './pidfile.js';
import {
  ProcessPriorities,
  linuxPriorityPort,
  bfdPrioritySettings,
  checkerPrioritySettings,
  maxAutoPriorityNotice,
  parentProcessSettings,
  prioritySettingsFrom,
} from './priorities.js';
import type { Runtime, RuntimeFactory } from '../runtime/port.js';
import type { SdNotifier } from './sdnotify.js';
import type { SignalSource, TrappedSignal } from './signals.js';
import type { ProcessInfo, RuntimeSnapshot } from '../runtime/snapshot.js';
import { adminVerb, runAdmin, type PeerCred } from '../observe/admin.js';
import type { ObserveServer } from '../observe/server.js';
import type { VrrpDbusService } from '../observe/dbus/service.js';
import { parseListen } from '../observe/listen.js';
import { statusView } from '../observe/view.js';

/** Diagnostics after which keepalived does not start either (file unreadable, a vrrp_instance interface missing). */
const FATAL_AT_START = ['could not be read', 'Non-existent interface specified in configuration'];

export { commandLineLines };

/** A loaded configuration the daemon can run. */
type UsableConfig = LoadedConfig & { readonly config: KeepalivedConfig };

/** Settings of one daemon (already resolved from the command line). */
export interface DaemonSettings {
  /** Configuration file (absolute or relative to the daemon's cwd). */
  readonly configFile: string;
  readonly configId: string;
  /** Interface lookup passed to the configuration loader. */
  readonly interfaceExists?: (name: string) => boolean;
  /** Pid files to check and write with our pid (main, vrrp). */
  readonly pidFiles: readonly string[];
  /** Directory for keepalived.data/.stats/.json. */
  readonly tmpDir: string;
  /** Control socket path; undefined = none. */
  readonly controlSocket?: string;
  /** The words logged as `Command line:` (program name first). */
  readonly commandLine: readonly string[];
  /** `Keepalived v2.2.7 (01/16,2022), keepalived-ts v…`. */
  readonly version: string;
  /** `Running on …` text. */
  readonly platform: string;
  readonly logDetail: number;
  readonly releaseVips: boolean;
  readonly dontReleaseVrrp: boolean;
  readonly addressMonitoring: boolean;
  /** `-d`: log the loaded configuration. */
  readonly dumpConf: boolean;
  /** Warnings logged right after `Command line:` (e.g. options accepted but not acted on). */
  readonly notices?: readonly string[];
  /** Set when this daemon is a supervised child: its role (log identity, no banner, `Stopped`). */
  readonly role?: ChildRole;
  /** `-u/--umask` was given: global_defs `umask` is logged and not applied (keepalived's umask_cmdline). */
  readonly umaskFromCommandLine?: boolean;
  /** `--http=ADDRESS:PORT|PATH`: the observability endpoint (overrides global_defs `http_endpoint`). */
  readonly httpEndpoint?: string;
  /** `-x/--snmp` and `-A/--snmp-agent-socket`: every MIB on, and the master agent's socket. */
  readonly snmp?: { readonly snmp?: boolean; readonly snmpAgentSocket?: string };
}

/** Everything a daemon uses from the outside world. */
export interface DaemonDeps {
  readonly settings: DaemonSettings;
  readonly clock: Clock;
  readonly logs: LogHub;
  readonly signals: SignalSource;
  readonly config: ConfigPort;
  readonly runtimeFactory: RuntimeFactory;
  readonly sdNotify: SdNotifier;
  readonly pid: number;
  readonly probe?: ProcessProbe;
  /** Called once startup completed (daemonize readiness). */
  readonly onReady?: () => void;
  /** CPU usage for the `-D` stop line; default process.resourceUsage. */
  readonly cpuUsage?: () => { userUs: number; systemUs: number };
  /** Event-loop lag sampling period in ms (0 = off). Default 250. */
  readonly lagSampleMs?: number;
  /** Process scheduling (global_defs `vrrp_rt_priority`, …); default: this process, through linuxPriorityPort(). */
  readonly priorities?: ProcessPriorities;
}

/** The daemon. */
export class Daemon {
  private readonly log: Logger;
  private readonly vrrpLog: Logger;
  /** Scheduling of this process; the runtime's timer reports lateness to `priorities.noteTimerLateness(ms)`. */
  readonly priorities: ProcessPriorities;
  private runtime: Runtime | undefined;
  private readonly handlers = new Map<TrappedSignal, () => void>();
  private control: ControlServer | undefined;
  private observe: ObserveServer | undefined;
  private snmpAgent: { close(): void } | undefined;
  /** `enable_dbus` (VRRP child only): keepalived's DBus service. */
  private dbus: VrrpDbusService | undefined;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private readonly reloadQueue = new ReloadQueue(
    () => this.doReload(),
    () => this.state === 'running',
  );
  private reloads = 0;
  /** keepalived logs no `Stopped …` line when it refused to start because another daemon runs. */
  private reportStopped = true;
  private startedMs = 0;
  private lagTimer: ReturnType<typeof setInterval> | undefined;
  /** Keeps the event loop alive while running (signal handlers alone do not). */
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private lagLast = 0;
  private lagMax = 0;
  private resolveExit!: (code: number) => void;
  /** Resolves with the exit status when the daemon has stopped. */
  readonly exited: Promise<number>;

  constructor(private readonly deps: DaemonDeps) {
    const role = deps.settings.role;
    this.log = deps.logs.logger(role ? ROLE_INFO[role].ident : PARENT_IDENT);
    this.vrrpLog = deps.logs.logger(ROLE_INFO[role ?? 'vrrp'].ident);
    this.priorities = deps.priorities ?? new ProcessPriorities(linuxPriorityPort(), this.vrrpLog, deps.pid);
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
  }

  private info(text: string, detail = false): void {
    this.log.log(detail ? { level: 'info', text, detail } : { level: 'info', text });
  }

  /** Lines keepalived's VRRP child writes (ident `Keepalived_vrrp`). */
  private vrrpInfo(text: string): void {
    this.vrrpLog.log({ level: 'info', text });
  }

  /* Startup ------------------------------------------------------------------------------------------------ */

  /** Starts the daemon; resolves with the exit status once it has stopped. */
  async run(): Promise<number> {
    const code = await this.start();
    if (code !== undefined) this.finish(code, code !== ExitCode.OK);
    return this.exited;
  }

  /** Startup sequence; returns an exit status when the daemon must not run. */
  private async start(): Promise<number | undefined> {
    const s = this.deps.settings;
    this.startedMs = this.deps.clock.wallNow();
    if (!s.role) {
      this.info(`Starting ${s.version}`);
      this.info(`Running on ${s.platform}`);
      for (const line of commandLineLines(s.commandLine)) this.info(line);
    }
    for (const n of s.notices ?? []) this.log.log({ level: 'warning', text: n });
    if (!existsSync(s.configFile)) {
      this.log.log({ level: 'err', text: `Unable to find configuration file ${s.configFile}` });
      return ExitCode.NO_CONFIG;
    }
    const loaded = await this.loadConfig('start');
    if (this.state !== 'new') return undefined; // stopped while loading
    if (!loaded) return ExitCode.CONFIG;
    for (const f of s.pidFiles) {
      if (pidfileOwnedByLiveProcess(f, this.deps.pid, this.log, this.deps.probe ?? probeProcess)) {
        this.info('daemon is already running');
        this.reportStopped = false;
        return ExitCode.OK;
      }
    }
    for (const f of s.pidFiles) {
      if (!writePidfile(f, this.deps.pid, this.log)) {
        this.removePidfiles();
        return ExitCode.FATAL;
      }
    }
    this.state = 'running';
    this.keepAlive = setInterval(() => {}, 3_600_000);
    this.installSignals();
    await this.openControl();
    if (this.state !== 'running') return undefined; // TERM during startup
    await this.openObserve(loaded.config);
    if (this.state !== 'running') return undefined;
    this.applyPriorities(loaded.config, true);
    await this.openSnmp(loaded.config);
    this.runtime = this.deps.runtimeFactory({
      log: this.vrrpLog,
      logDetail: s.logDetail,
      releaseVips: s.releaseVips,
      dontReleaseVrrp: s.dontReleaseVrrp,
      addressMonitoring: s.addressMonitoring,
      noteTimerLateness: (ms) => this.priorities.noteTimerLateness(ms),
    });
    try {
      await this.runtime.start(loaded.config);
    } catch (e) {
      this.log.log({ level: 'err', text: `Startup failed: ${(e as Error)?.message ?? String(e)}` });
      await this.runtime.stop().catch(() => {});
      return ExitCode.FATAL;
    }
    if (this.state !== 'running') return undefined; // TERM during runtime startup: stop() owns the exit
    await this.syncDbus(loaded.config, false);
    if (this.state !== 'running') return undefined;
    this.startLagMonitor();
    const snap = this.runtime.snapshot();
    if (snap.instances.length === 0 && !snap.virtualServers?.length && !snap.bgp && !snap.bfd?.length)
      this.info('Warning - keepalived has no configuration to run');
    this.info('Startup complete');
    this.deps.sdNotify.ready();
    this.deps.onReady?.();
    return undefined;
  }

  /**
   * Loads the configuration, logging diagnostics. On reload any error rejects the file (the running configuration
   * stays). At start-up, as keepalived, errors are logged and the daemon runs with what could be read, unless
   * keepalived would not start either: the file cannot be read, or a vrrp_instance's interface does not exist.
   */
  private async loadConfig(phase: 'start' | 'reload' = 'reload'): Promise<UsableConfig | undefined> {
    const s = this.deps.settings;
    this.info(`Opening file '${s.configFile}'.`);
    this.info(`Configuration file ${s.configFile}`);
    let loaded: LoadedConfig;
    try {
      loaded = await this.deps.config.load(s.configFile, {
        configId: s.configId,
        ...(s.interfaceExists ? { interfaceExists: s.interfaceExists } : {}),
      });
    } catch (e) {
      this.log.log({ level: 'err', text: `Configuration file ${s.configFile}: ${(e as Error).message}` });
      return undefined;
    }
    for (const w of loaded.warnings) this.log.log({ level: 'warning', text: w });
    for (const e of loaded.errors) this.log.log({ level: 'err', text: e });
    const config = loaded.config;
    if (config === undefined) return undefined;
    if (loaded.errors.length) {
      const fatal = loaded.errors.some((e) => FATAL_AT_START.some((f) => e.includes(f)));
      if (phase === 'reload' || fatal) return undefined;
      this.log.log({
        level: 'warning',
        text: 'Configuration has errors - starting with the parts that could be read, as keepalived does (see above)',
      });
    }
    if (s.dumpConf) {
      for (const line of this.deps.config.dump(config).split('\n')) this.info(line);
    }
    return { ...loaded, config };
  }

  /** The configuration in force (names the dump files: `data_use_instance`). */
  private current: KeepalivedConfig | undefined;

  /**
   * global_defs' process settings — scheduling (`vrrp_rt_priority`, `checker_rt_priority`, `bfd_rt_priority`, …),
   * CPU affinity, process name, umask — for this process's role: before the runtime starts, and after each reload.
   */
  private applyPriorities(config: KeepalivedConfig, starting: boolean): void {
    this.current = config;
    const { role, umaskFromCommandLine: u = false } = this.deps.settings;
    // default real-time: the VRRP and BFD children
    const p =
      role === 'bfd'
        ? bfdPrioritySettings(config, u)
        : role === 'check'
          ? checkerPrioritySettings(config, u)
          : role === 'bgp'
            ? parentProcessSettings(config, u)
            : prioritySettingsFrom(config, role === 'vrrp', u);
    // keepalived's parent logs the NOTICE (core/main.c); a supervised child leaves it to the supervisor
    const notice = starting && !role ? maxAutoPriorityNotice(p) : undefined;
    if (notice) this.info(notice);
    this.priorities.apply(p);
  }

  private async openControl(): Promise<void> {
    const path = this.deps.settings.controlSocket;
    if (!path) return;
    const server = new ControlServer(path, (cmd, peer) => this.command(cmd, peer), {
      onRefused: (peer) =>
        this.log.log({ level: 'warning', text: `Control: refused a connection from ${refusedPeer(peer)} - the control socket is root only` }),
    });
    const err = await server.listen();
    if (err) this.log.log({ level: 'warning', text: `Control socket ${path} not available: ${err.message}` });
    else if (this.state !== 'running')
      await server.close(); // stopped while we were opening it
    else this.control = server;
  }

  /** The HTTP endpoint (src/observe), when configured; a failure is logged and the daemon runs on without it. */
  private async openObserve(config: unknown): Promise<void> {
    const text = this.deps.settings.httpEndpoint ?? (config as { globalDefs?: { httpEndpoint?: string } } | undefined)?.globalDefs?.httpEndpoint;
    if (!text) return;
    const listen = parseListen(text);
    if (listen instanceof Error) {
      this.log.log({ level: 'err', text: `${listen.message} - HTTP endpoint not started` });
      return;
    }
    // loaded only when configured: the server and prom-client are ~1 MB of heap a daemon without it does not need
    const { ObserveServer } = await import('../observe/server.js');
    const server = new ObserveServer({
      listen,
      log: this.log,
      sources: {
        view: () => statusView(this.processInfo(), this.snapshot(), this.deps.clock.wallNow()),
        keepalivedJson: () => this.renderDump('json'),
      },
    });
    const err = await server.start();
    if (err) this.log.log({ level: 'err', text: `${err.message} - HTTP endpoint not started, the daemon carries on without it` });
    else if (this.state !== 'running') await server.close();
    else this.observe = server;
  }

  /**
   * The SNMP subagent (src/runtime/snmp), when SNMP is enabled: opened once at start-up as keepalived's children
   * do (a reload changes what it serves, not which MIBs it registers nor the socket).
   */
  private async openSnmp(config: KeepalivedConfig): Promise<void> {
    const role = this.deps.settings.role;
    if (role === 'bgp' || role === 'bfd') return;
    const settings = effectiveSnmp(config.globalDefs, this.deps.settings.snmp ?? {});
    if (!settings.vrrp && !settings.checker && !settings.rfcv2 && !settings.rfcv3) return;
    // loaded only when enabled: the AgentX code is not part of a daemon without SNMP
    const { startSnmpAgent } = await import('../runtime/snmp/agent.js');
    this.snmpAgent = startSnmpAgent({
      role,
      settings,
      config: () => this.current ?? config,
      snapshot: () => this.snapshot(),
      log: role ? this.log : this.vrrpLog,
      version: this.deps.settings.version,
      logDetail: this.deps.settings.logDetail > 0,
      wallNow: () => this.deps.clock.wallNow(),
      counters: async () => this.runtime?.checkCounters?.(),
      setInstance: (i, c) => (this.runtime?.setInstance ? this.runtime.setInstance(i, c) : 'the VRRP runtime does not take SNMP SET'),
      setRealServerWeight: (vs, rs, w) =>
        this.runtime?.setRealServerWeight ? this.runtime.setRealServerWeight(vs, rs, w) : 'the checker runtime does not take SNMP SET',
    });
  }

  /**
   * `enable_dbus` in the VRRP child (keepalived's vrrp_daemon.c start_vrrp): started when set, told of a reload
   * (VrrpReloaded) while it stays set, stopped when a reload clears it. The DBus code is loaded only then.
   */
  private async syncDbus(config: KeepalivedConfig, reload: boolean): Promise<void> {
    const role = this.deps.settings.role;
    if (role !== undefined && role !== 'vrrp') return;
    if (!config.globalDefs.enableDbus) {
      const old = this.dbus;
      this.dbus = undefined;
      await old?.close();
      return;
    }
    if (this.dbus) {
      if (reload) this.dbus.reload();
      return;
    }
    const { VrrpDbusService } = await import('../observe/dbus/service.js');
    this.dbus = new VrrpDbusService(
      {
        ...(config.globalDefs.dbusServiceName !== undefined ? { serviceName: config.globalDefs.dbusServiceName } : {}),
        ...(config.netNamespace !== undefined ? { netNamespace: config.netNamespace } : {}),
        ...(config.instanceName !== undefined ? { instanceName: config.instanceName } : {}),
      },
      {
        log: this.vrrpLog,
        instances: () =>
          this.snapshot().instances.map((i) => ({ name: i.name, vrid: i.vrid, family: i.family, ifname: i.ifname ?? '', state: i.state })),
        printData: () => this.writeDump('data'),
        printStats: (clear) => {
          this.writeDump('stats');
          if (clear) this.runtime?.clearStats();
        },
        // keepalived's VRRP child signals its parent; a daemon without a supervisor reloads itself
        reload: () => (role ? process.kill(process.ppid, 'SIGHUP') : void this.reload()),
        sendGarp: (name) => void this.runtime?.refreshGarp?.(name, 1),
      },
    );
    void this.dbus.start(); // keepalived does not wait for the bus either: a slow bus never delays the VRRP start
  }

  private startLagMonitor(): void {
    const period = this.deps.lagSampleMs ?? 250;
    if (period <= 0) return;
    let expected = this.deps.clock.now() + period;
    this.lagTimer = setInterval(() => {
      const now = this.deps.clock.now();
      this.lagLast = Math.max(0, now - expected);
      this.lagMax = Math.max(this.lagMax, this.lagLast);
      expected = now + period;
    }, period);
    this.lagTimer.unref();
  }

  /* Signals ------------------------------------------------------------------------------------------------ */

  private installSignals(): void {
    const guard = (what: string, p: Promise<unknown>) =>
      p.catch((e: unknown) => {
        this.log.log({ level: 'err', text: `${what} failed: ${(e as Error)?.message ?? String(e)}` });
      });
    const table: Record<TrappedSignal, () => void> = {
      SIGHUP: () => void guard('Reload', this.reload()),
      SIGTERM: () => void guard('Stop', this.stop()),
      SIGINT: () => void guard('Stop', this.stop()),
      SIGUSR1: () => {
        this.vrrpInfo(`Printing VRRP data for process(${this.deps.pid}) on signal`);
        this.writeDump('data');
      },
      SIGUSR2: () => {
        this.vrrpInfo(`Printing VRRP stats for process(${this.deps.pid}) on signal`);
        this.writeDump('stats');
      },
      SIGURG: () => this.jsonSignal(),
      SIGJSON: () => this.jsonSignal(),
      SIGSTATS_CLEAR: () => {
        this.vrrpInfo(`Printing and clearing VRRP stats for process(${this.deps.pid}) on signal`);
        this.writeDump('stats');
        this.runtime?.clearStats();
      },
    };
    if (this.deps.signals.rtSignalsTrapped === false) {
      this.log.log({
        level: 'warning',
        text: 'This Node.js cannot trap real-time signals: JSON (36) and STATS_CLEAR (63) would stop the daemon; use SIGURG or the control socket',
      });
    }
    for (const [sig, h] of Object.entries(table) as [TrappedSignal, () => void][]) {
      this.handlers.set(sig, h);
      this.deps.signals.on(sig, h);
    }
  }

  private jsonSignal(): void {
    this.vrrpInfo(`Printing VRRP as json for process(${this.deps.pid}) on signal`);
    this.writeDump('json');
  }

  private removeSignals(): void {
    for (const [sig, h] of this.handlers) this.deps.signals.off(sig, h);
    this.handlers.clear();
  }

  /* Dumps -------------------------------------------------------------------------------------------------- */

  /** The runtime's snapshot; the daemon adds the event-loop lag it measures to the process-wide timing. */
  snapshot(): RuntimeSnapshot {
    const snap = this.runtime?.snapshot() ?? { instances: [], syncGroups: [] };
    return { ...snap, timing: { ...snap.timing, loopLagLastMs: this.lagLast, loopLagMaxMs: this.lagMax } };
  }

  /** Process facts for `status`. */
  processInfo(): ProcessInfo {
    return {
      pid: this.deps.pid,
      version: this.deps.settings.version,
      configFile: this.deps.settings.configFile,
      startedMs: this.startedMs,
      reloads: this.reloads,
      loopLagMaxMs: this.lagMax,
      loopLagLastMs: this.lagLast,
    };
  }

  /** Renders one dump kind. `undefined` for json without instances (keepalived writes nothing then). */
  renderDump(kind: 'data' | 'stats' | 'json'): string | undefined {
    const snap = this.snapshot();
    return kind === 'data' ? renderData(snap) : kind === 'stats' ? renderStats(snap) : renderJson(snap);
  }

  /** Writes `$TMPDIR/keepalived.<kind>` (0600). Returns the path, or undefined when nothing was written. */
  writeDump(kind: 'data' | 'stats' | 'json'): string | undefined {
    let body: string | undefined;
    try {
      body = this.renderDump(kind);
    } catch (e) {
      this.log.log({ level: 'err', text: `Cannot render ${kind} dump: ${(e as Error).message}` });
      return undefined;
    }
    if (body === undefined) return undefined;
    const c = this.current;
    const name = kind === 'data' ? dataDumpName(DUMP_FILES.data, c?.globalDefs.dataUseInstance, c?.netNamespace, c?.instanceName) : DUMP_FILES[kind];
    const res = writeDumpFile(this.deps.settings.tmpDir, name, body);
    if (res instanceof Error) {
      this.info(`Can't open ${this.deps.settings.tmpDir}/${name} (${res.message})`);
      return undefined;
    }
    return res;
  }

  /* Control socket ----------------------------------------------------------------------------------------- */

  /**
   * Answers one control-socket command.
   * @param peer the caller (undefined: in-process, trusted; null: credentials unknown)
   */
  async command(cmd: string, peer?: PeerCred | null): Promise<ControlReply> {
    if (adminVerb(cmd)) {
      const rt = this.runtime;
      return runAdmin(
        cmd,
        peer,
        {
          ...(rt?.setPriorityOffset ? { setPriorityOffset: (i: string, o: number) => rt.setPriorityOffset!(i, o) } : {}),
          ...(rt?.refreshGarp ? { refreshGarp: (i?: string) => rt.refreshGarp!(i) } : {}),
          ...(rt?.drainRealServer ? { drainRealServer: (vs: string, rs: string, on: boolean) => rt.drainRealServer!(vs, rs, on) } : {}),
          reload: () => this.reload(),
        },
        this.log,
        process.getuid?.() ?? 0,
      );
    }
    switch (cmd) {
      case 'ping':
        return { ok: true };
      case 'status':
        return { ok: true, status: { process: this.processInfo(), snapshot: this.snapshot() } };
      case 'json':
        return { ok: true, text: this.renderDump('json') ?? '[]\n' };
      case 'stats':
      case 'data':
        return { ok: true, text: this.renderDump(cmd) ?? '' };
      case 'stats-clear': {
        const text = this.renderDump('stats') ?? '';
        this.runtime?.clearStats();
        return { ok: true, text };
      }
      case 'lvs':
      case 'lvs-rate': {
        const r = await this.runtime?.lvs?.(cmd === 'lvs-rate');
        if (r === undefined)
          return { ok: false, code: ErrorCodes.UNKNOWN_COMMAND, error: 'no load balancer in this process (the checker child answers lvs)' };
        return typeof r === 'string' ? { ok: false, code: ErrorCodes.INTERNAL, error: r } : { ok: true, lvs: r };
      }
      case 'reload': {
        const ok = await this.reload();
        return ok
          ? { ok: true }
          : {
              ok: false,
              code: ErrorCodes.RELOAD_FAILED,
              error: 'reload failed: the new configuration has errors (see the log); the running one is kept',
            };
      }
      default:
        return {
          ok: false,
          code: ErrorCodes.UNKNOWN_COMMAND,
          error: `unknown command '${cmd}' (try status, json, stats, data, stats-clear, reload, ping)`,
        };
    }
  }

  /* Reload ------------------------------------------------------------------------------------------------- */

  /**
   * SIGHUP: re-reads the configuration and hands it to the runtime. An invalid file keeps the running
   * configuration (errors logged). A reload during a reload is queued (keepalived: "request queued").
   * @returns true when the new configuration was applied
   */
  async reload(): Promise<boolean> {
    if (this.state !== 'running') return false;
    return this.reloadQueue.request(() => this.info('Reload already in progress, request queued', true));
  }

  private async doReload(): Promise<boolean> {
    if (!this.deps.settings.role) this.info('Reloading ...'); // a child's parent logs it
    this.deps.sdNotify.reloading();
    const loaded = await this.loadConfig();
    let ok = false;
    if (!loaded) {
      this.log.log({ level: 'err', text: 'Reload failed: configuration has errors - keeping the running configuration' });
    } else if (this.runtime && this.state === 'running') {
      this.vrrpInfo('Reloading');
      try {
        await this.runtime.reload(loaded.config);
        this.applyPriorities(loaded.config, false);
        await this.syncDbus(loaded.config, true);
        this.reloads++;
        ok = true;
        this.info('Reload complete');
      } catch (e) {
        this.log.log({ level: 'err', text: `Reload failed: ${(e as Error)?.message ?? String(e)}` });
      }
    }
    this.deps.sdNotify.ready();
    return ok;
  }

  /* Stop --------------------------------------------------------------------------------------------------- */

  /** TERM/INT: graceful stop. Resolves with the exit status (0). Idempotent. */
  async stop(): Promise<number> {
    if (this.state === 'running') {
      this.state = 'stopping';
      this.info('Stopping');
      this.deps.sdNotify.stopping();
      if (this.reloadQueue.current) await this.reloadQueue.current;
      try {
        await this.runtime?.stop();
      } catch (e) {
        this.log.log({ level: 'err', text: `Error while stopping: ${(e as Error).message}` });
      }
      const dbus = this.dbus;
      this.dbus = undefined;
      await dbus?.close().catch(() => {});
      this.finish(ExitCode.OK, false);
    } else if (this.state === 'new') {
      this.finish(ExitCode.OK, false);
    }
    return this.exited;
  }

  /** Releases everything and resolves `exited`. */
  private finish(code: number, failed: boolean): void {
    if (this.state === 'stopped') return;
    const wasRunning = this.state !== 'new';
    this.state = 'stopped';
    if (this.lagTimer) clearInterval(this.lagTimer);
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.removeSignals();
    this.snmpAgent?.close();
    this.snmpAgent = undefined;
    const closing = Promise.all([this.control?.close(), this.observe?.close()]);
    this.control = undefined;
    this.observe = undefined;
    if (wasRunning) this.removePidfiles();
    if (failed && code !== ExitCode.OK) this.deps.sdNotify.error(code);
    if (this.deps.settings.logDetail && this.reportStopped) {
      const u = this.deps.cpuUsage?.() ?? cpuUsage();
      this.info(`CPU usage (self/children) user: ${usec(u.userUs)}/0.000000 system: ${usec(u.systemUs)}/0.000000`);
    }
    if (this.reportStopped) this.info(this.deps.settings.role ? 'Stopped' : `Stopped ${this.deps.settings.version}`);
    void closing.then(() => this.resolveExit(code));
  }

  private removePidfiles(): void {
    for (const f of this.deps.settings.pidFiles) removeOwnPidfile(f, this.deps.pid);
  }
}

/** `sec.usec` as keepalived prints rusage times. */
function usec(us: number): string {
  return `${Math.floor(us / 1e6)}.${String(Math.floor(us % 1e6)).padStart(6, '0')}`;
}

/** This process's CPU times. */
function cpuUsage(): { userUs: number; systemUs: number } {
  const r = process.resourceUsage();
  return { userUs: r.userCPUTime, systemUs: r.systemCPUTime };
}
