#!/usr/bin/env node
/**
 * keepalived-ts command-line entry point: keepalived 2.2.7's command line (src/cli/args.ts), then one of
 * `--version`, `--help`, `--signum`, `--status` (control-socket client), `-t` (config test), `--dump-config`,
 * or the daemon itself (src/daemon), detached unless `-n`.
 */
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname, release, version as osVersion } from 'node:os';
import { basename } from 'node:path';
import { ConfigTestExit, ExitCode } from '../core/errors.js';
import { systemClock } from '../core/clock.js';
import { parseArgs, type CliOptions, type ImmediateAction } from './args.js';
import { runCtlCommand, runStatusClient, runStatusCommand } from './ctl.js';
import { usageText, versionString, versionText } from './usage.js';
import { loadConfigPort, type ConfigPort } from '../daemon/config-port.js';
import { controlSocketFor } from '../daemon/control.js';
import { Daemon, type DaemonSettings } from '../daemon/daemon.js';
import { READINESS_ENV, ReadinessReporter, readinessFdFrom, spawnDetached } from '../daemon/daemonize.js';
import type { DatagramSender } from '../daemon/datagram.js';
import { sysioDatagramSender } from '../net/unix-dgram.js';
import { FileSink, LogHub, SyslogSink, consoleSink, logFileName, tmpDirFrom, type LogSink } from '../daemon/logging.js';
import { DEFAULT_PIDFILES } from '../daemon/pidfile.js';
import type { RuntimeFactory } from '../runtime/port.js';
import { SdNotifier } from '../daemon/sdnotify.js';
import { processSignals, signumOf } from '../daemon/signals.js';
import { LinuxVrrpRuntime } from '../runtime/vrrp/linux-runtime.js';

/** Default configuration file. */
const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';

/** Our package version, from package.json. */
function ourVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** The program name shown in `Usage:` and `Command line:`. */
function programName(): string {
  const b = basename(process.argv[1] ?? 'keepalived-ts');
  return b === 'main.js' ? 'keepalived-ts' : b;
}

/** `-v`, `-h`, `--signum`: print and return the exit status. */
function runImmediate(a: ImmediateAction): number {
  switch (a.kind) {
    case 'version':
      process.stderr.write(versionText(ourVersion(), process.version));
      return 0;
    case 'help':
      process.stderr.write(usageText(programName()));
      return 0;
    case 'signum': {
      const n = signumOf(a.sigfunc);
      if (n === undefined) {
        process.stderr.write(`Unknown sigfunc ${a.sigfunc}\n`);
        return 1;
      }
      process.stdout.write(`${n}\n`);
      return 0;
    }
  }
}

/** The configuration port, or an explanation why there is none. */
async function configPort(): Promise<ConfigPort | Error> {
  return loadConfigPort();
}

/** Whether a network interface exists in this namespace (for keepalived's "doesn't exist" diagnostics). */
function interfaceExists(name: string): boolean {
  return name.length > 0 && !name.includes('/') && name !== '.' && name !== '..' && existsSync(`/sys/class/net/${name}`);
}

/** Default `-i`: the host name without its domain. */
function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

/** `-t[=LOGFILE]`. */
async function runConfigTest(o: CliOptions): Promise<number> {
  let out: { write(s: string): unknown } = process.stderr;
  let fd: number | undefined;
  if (o.configTestLogFile) {
    try {
      fd = openSync(o.configTestLogFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      process.stderr.write(`Unable to open config-test log file ${o.configTestLogFile} ${-(err.errno ?? 0)} - ${err.message}\n`);
      return 1;
    }
    const f = fd;
    out = { write: (s: string) => writeSync(f, s) };
  }
  try {
    const port = await configPort();
    if (port instanceof Error) {
      out.write(`${port.message}\n`);
      return ConfigTestExit.FATAL;
    }
    return await port.configTest(o.useFile ?? DEFAULT_CONFIG_FILE, { configId: o.configId ?? defaultConfigId(), allConfig: o.allConfig, interfaceExists }, out);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `--dump-config`: the normalised model as JSON on stdout; diagnostics on stderr. */
async function runDumpConfig(o: CliOptions): Promise<number> {
  const port = await configPort();
  if (port instanceof Error) {
    process.stderr.write(`${port.message}\n`);
    return ExitCode.FATAL;
  }
  const file = o.useFile ?? DEFAULT_CONFIG_FILE;
  // no host checks: the model is the file's, whatever interfaces this machine has (those are -t's and the daemon's business)
  const r = await port.load(file, { configId: o.configId ?? defaultConfigId(), allConfig: o.allConfig });
  for (const l of [...r.errors, ...r.warnings]) process.stderr.write(`${l}\n`);
  if (r.config === undefined || r.errors.length) return ExitCode.CONFIG;
  process.stdout.write(`${port.dump(r.config)}\n`);
  return ExitCode.OK;
}

/** A stand-in configuration port while src/config is unavailable: the file must exist; nothing is parsed. */
function rawConfigPort(reason: string): ConfigPort {
  return {
    load: async (file) => ({ config: { file, raw: readFileSync(file, 'utf8') }, errors: [], warnings: [`${reason} - configuration not parsed`] }),
    configTest: async (_f, _o, err) => { err.write(`${reason}\n`); return ConfigTestExit.FATAL; },
    dump: (c) => JSON.stringify(c, null, 2),
  };
}


/** Log sinks as keepalived chooses them: console only with `-l -n`, syslog unless `-G`, a file with `-g`. */
function buildSinks(o: CliOptions, tmpDir: string, sender: DatagramSender): LogSink[] {
  const sinks: LogSink[] = [];
  const console = o.logConsole && o.dontFork;
  if (console) sinks.push(consoleSink(process.stderr));
  if (!o.noSyslog) {
    sinks.push(new SyslogSink({
      sender, facility: o.logFacility, pid: process.pid,
      ...(console || o.daemonChild ? {} : { fallback: process.stderr }),
    }));
  }
  if (o.logFile) {
    const file = new FileSink(logFileName(o.logFile, 'vrrp', tmpDir));
    if (file.error) process.stderr.write(`Unable to open log file ${file.path}: ${file.error}\n`);
    sinks.push(file);
  }
  return sinks;
}

/** Warnings for options keepalived-ts accepts for compatibility but does not act on yet, and for sd_notify. */
function startupNotices(o: CliOptions, sender: DatagramSender): string[] {
  const out: string[] = [];
  const ignored: [boolean, string][] = [
    [o.namespace !== undefined, '-s/--namespace'], [o.snmp || o.snmpAgentSocket !== undefined, '-x/--snmp'],
    [o.coreDump, '-m/--core-dump'], [o.checkOnly, '-C/--check (no health checkers yet)'],
    [o.bfdPidFile !== undefined, '-b/--bfd_pid'], [o.checkersPidFile !== undefined, '-c/--checkers_pid'],
  ];
  for (const [on, name] of ignored) {
    if (on) out.push(`keepalived-ts: option ${name} is not supported yet - ignored`);
  }
  if (process.env['NOTIFY_SOCKET'] && !sender.available) {
    out.push('NOTIFY_SOCKET is set but unix datagram sockets are unavailable in this build: the service manager will not receive READY=1');
  }
  return out;
}

/** The VRRP runtime factory: the Linux runtime (src/runtime). */
const runtimeFactory: RuntimeFactory = (ctx) => new LinuxVrrpRuntime(ctx);

/** Runs the daemon in this process (foreground with `-n`, or as the detached child). */
async function runDaemon(o: CliOptions, argv: readonly string[]): Promise<number> {
  const tmpDir = tmpDirFrom(process.env);
  const sender = await sysioDatagramSender();
  const clock = systemClock();
  const logs = new LogHub(clock, buildSinks(o, tmpDir, sender), o.logDetail > 0);
  const readiness = new ReadinessReporter(o.daemonChild ? readinessFdFrom(process.env) : undefined);
  delete process.env[READINESS_ENV];
  let port = await configPort();
  if (port instanceof Error) port = rawConfigPort(port.message);
  const settings: DaemonSettings = {
    configFile: o.useFile ?? DEFAULT_CONFIG_FILE,
    configId: o.configId ?? defaultConfigId(),
    allConfig: o.allConfig,
    interfaceExists,
    pidFiles: [o.pidFile ?? DEFAULT_PIDFILES.main, o.vrrpPidFile ?? DEFAULT_PIDFILES.vrrp],
    tmpDir,
    ...(o.controlSocket === 'none' ? {} : { controlSocket: o.controlSocket ?? controlSocketFor(o.pidFile) }),
    ...(o.http !== undefined ? { httpEndpoint: o.http } : {}),
    commandLine: [programName(), ...argv],
    version: versionString(ourVersion()),
    platform: `Linux ${release()} ${osVersion()} (Node.js ${process.version})`,
    logDetail: o.logDetail,
    releaseVips: o.releaseVips,
    dontReleaseVrrp: o.dontReleaseVrrp,
    addressMonitoring: o.addressMonitoring,
    dumpConf: o.dumpConf,
    notices: startupNotices(o, sender),
  };
  const daemon = new Daemon({
    settings, clock, logs, signals: processSignals(), config: port, runtimeFactory,
    sdNotify: new SdNotifier(sender, process.env['NOTIFY_SOCKET'], process.pid),
    pid: process.pid, onReady: () => readiness.ready(),
  });
  const code = await daemon.run();
  readiness.failed(code);
  logs.close();
  sender.close();
  return code;
}

/** Entry point: returns the process exit status. */
async function main(argv: readonly string[]): Promise<number> {
  // keepalived-ts's client subcommands (keepalived itself takes no words): `status …`, `ctl …`
  if (argv[0] === 'status') return runStatusCommand(argv.slice(1));
  if (argv[0] === 'ctl') return runCtlCommand(argv.slice(1));
  const parsed = parseArgs(argv);
  for (const w of parsed.warnings) process.stderr.write(`${w}\n`);
  for (const e of parsed.errors) process.stderr.write(`${e}\n`);
  if (parsed.immediate) return runImmediate(parsed.immediate);
  if (parsed.unexpected.length) process.stdout.write(`Unexpected argument(s): ${parsed.unexpected.join(' ')} \n`);
  if (parsed.errors.length) return 1;
  const o = parsed.options;
  if (o.umask !== undefined) process.umask(o.umask);
  if (o.status) return runStatusClient(o.controlSocket ?? controlSocketFor(o.pidFile), o.status);
  if (o.configTest) return runConfigTest(o);
  if (o.dumpConfig) return runDumpConfig(o);
  if (!o.dontFork && !o.daemonChild) return spawnDetached(process.argv[1]!, argv, process.env);
  const userArgs = argv.filter((a) => a !== '--ts-daemon-child');
  return runDaemon(o, userArgs);
}

const cliArgs = process.argv.slice(2);
(cliArgs[0] === 'genhash'
  ? import('./genhash.js').then((g) => g.genhashMain(cliArgs.slice(1), programName(), {
    out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t),
  }))
  : main(cliArgs)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`keepalived-ts: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(ExitCode.PROGRAM_ERROR);
  },
);
