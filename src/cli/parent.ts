/**
 * The supervising parent (foreground with `-n`, or the detached copy): the Supervisor with real processes,
 * signals, rtnetlink cleanup and sd_notify. Children are this program re-executed with `--ts-child=ROLE` and an
 * IPC channel; they share our stdout/stderr, and do not inherit NOTIFY_SOCKET (only the parent notifies).
 */
import { spawn } from 'node:child_process';
import { statSync, truncateSync } from 'node:fs';
import { systemClock } from '../core/clock.js';
import { defaultConfigId } from '../config/index.js';
import type { CliOptions } from './args.js';
import { interfaceInNamespace } from './interfaces.js';
import { buildSinks, DEFAULT_CONFIG_FILE, ourVersion, platformText, programName } from './common.js';
import { childFlag, DAEMON_CHILD_FLAG, IDENT_SUFFIX_ENV } from '../daemon/child-role.js';
import { linuxPriorityPort, ProcessPriorities } from '../daemon/priorities.js';
import { closeInheritedOnExec } from '../daemon/cloexec.js';
import { defaultV8Flags, inheritedV8Flags } from '../daemon/v8-flags.js';
import { configPort } from '../daemon/config-port.js';
import { controlSocketFor } from '../daemon/control.js';
import { READINESS_ENV, ReadinessReporter, readinessFdFrom } from '../daemon/daemonize.js';
import type { DatagramSender } from '../daemon/datagram.js';
import { FileSink, LogHub, logFileName, tmpDirFrom } from '../daemon/logging.js';
import { DEFAULT_PIDFILES } from '../daemon/pidfile.js';
import { rtnlReleaser } from '../daemon/release.js';
import { SdNotifier } from '../daemon/sdnotify.js';
import { processSignals } from '../daemon/signals.js';
import { spawnError, Supervisor, type ChildMessage, type SpawnChild } from '../daemon/supervisor.js';
import { enterNetNamespace } from '../net/netns.js';
import { Rtnl } from '../net/netlink/rtnl.js';
import { sysioDatagramSender } from '../net/unix-dgram.js';
import { versionString } from './usage.js';
import { startupMark } from '../daemon/startup-trace.js';

/** Children are spawned with their V8 flags (src/daemon/v8-flags.ts), the parent's arguments and the role flag. */
function childSpawner(userArgs: readonly string[]): SpawnChild {
  // the supervisor's own defaults (given first by spawnDetached, or by the bin for a -n start) are not for its children
  const inherited = inheritedV8Flags(process.execArgv);
  return (role, events) => {
    // per spawn: the supervisor sets IDENT_SUFFIX_ENV once the configuration has named the namespace and instance
    const env = { ...process.env };
    delete env['NOTIFY_SOCKET'];
    delete env[READINESS_ENV];
    try {
      const child = spawn(process.execPath, [...defaultV8Flags(role), ...inherited, process.argv[1]!, ...userArgs, childFlag(role)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env,
      });
      child.on('error', () => {}); // a failed spawn has no pid and reports here; a live child's errors are its exit
      if (child.pid === undefined) return spawnError(role, new Error(`cannot execute ${process.execPath}`));
      child.on('message', (m: ChildMessage) => events.message(m));
      child.on('exit', (code, signal) => events.exit(code, signal));
      startupMark('spawned');
      const pid = child.pid;
      return {
        pid,
        // ChildProcess.kill only knows named signals; process.kill takes the real-time numbers too
        kill: (sig) => {
          if (child.exitCode !== null || child.signalCode !== null) return false;
          try {
            return process.kill(pid, sig);
          } catch {
            return false;
          }
        },
        send: (m) => {
          if (!child.connected) return false;
          try {
            return child.send(m);
          } catch {
            return false;
          }
        },
      };
    } catch (e) {
      return spawnError(role, e);
    }
  };
}

/** How long a `reload_check_config` run may take (keepalived: 5 s; a Node.js start-up under load needs more). */
const CONFIG_CHECK_TIMEOUT_MS = 30_000;

/**
 * global_defs `reload_check_config`: this program with the daemon's arguments and `--config-test=LOGFILE` (the
 * LOGFILE truncated first), as keepalived's start_validate_reload_conf_child; resolves with its exit status.
 */
function configChecker(userArgs: readonly string[], logs: LogHub): (logFile: string) => Promise<number | undefined> {
  const log = logs.logger('Keepalived');
  return (logFile) =>
    new Promise((resolve) => {
      try {
        if (statSync(logFile).isFile()) truncateSync(logFile, 0);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code !== 'ENOENT')
          log.log({ level: 'info', text: `truncate of config check log ${logFile} failed (${-(err.errno ?? 0)}) - ${err.message}` });
      }
      const args = [...process.execArgv, process.argv[1]!, ...userArgs.filter((a) => a !== DAEMON_CHILD_FLAG), `--config-test=${logFile}`];
      const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: '' } });
      const timer = setTimeout(() => {
        log.log({ level: 'info', text: 'config check timed out' });
        child.kill('SIGKILL');
      }, CONFIG_CHECK_TIMEOUT_MS);
      child.on('error', () => {
        clearTimeout(timer);
        log.log({ level: 'info', text: 'Could not run config-test' });
        resolve(undefined);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(signal ? undefined : (code ?? undefined));
      });
    });
}

/** Warnings for options accepted for compatibility but not acted on yet, and for sd_notify. */
function startupNotices(o: CliOptions, sender: DatagramSender): string[] {
  const out: string[] = [];
  const ignored: [boolean, string][] = [[o.coreDump, '-m/--core-dump']];
  for (const [on, name] of ignored) {
    if (on) out.push(`keepalived-ts: option ${name} is not supported yet - ignored`);
  }
  if (process.env['NOTIFY_SOCKET'] && !sender.available) {
    out.push('NOTIFY_SOCKET is set but unix datagram sockets are unavailable in this build: the service manager will not receive READY=1');
  }
  return out;
}

/** An rtnetlink client, or undefined (logged) when netlink is not available. */
function openRtnl(logs: LogHub): Rtnl | undefined {
  try {
    return new Rtnl();
  } catch (e) {
    logs.logger('Keepalived').log({ level: 'warning', text: `rtnetlink unavailable: ${(e as Error).message}` });
    return undefined;
  }
}

/** Runs the supervisor until it stops; returns the exit status. */
export async function runSupervisor(o: CliOptions, userArgs: readonly string[]): Promise<number> {
  startupMark('supervisor');
  closeInheritedOnExec(); // the readiness pipe and anything our caller left open reach no child
  const tmpDir = tmpDirFrom(process.env);
  const sender = await sysioDatagramSender();
  const clock = systemClock();
  const sinks = buildSinks(o, tmpDir, sender, process.pid, undefined);
  const logs = new LogHub(clock, sinks, o.logDetail > 0);
  const readiness = new ReadinessReporter(o.daemonChild ? readinessFdFrom(process.env) : undefined);
  delete process.env[READINESS_ENV];
  // opened now, so that releasing a dead VRRP child's VIPs starts with a request, not with socket set-up
  let rtnl = o.dontReleaseVrrp ? undefined : openRtnl(logs);
  const supervisor = new Supervisor({
    settings: {
      configFile: o.useFile ?? DEFAULT_CONFIG_FILE,
      configId: o.configId ?? defaultConfigId(),
      interfaceExists: interfaceInNamespace,
      pidFile: o.pidFile ?? DEFAULT_PIDFILES.main,
      childPidFiles: {
        vrrp: o.vrrpPidFile ?? DEFAULT_PIDFILES.vrrp,
        check: o.checkersPidFile ?? DEFAULT_PIDFILES.checkers,
        bfd: o.bfdPidFile ?? DEFAULT_PIDFILES.bfd,
      },
      pidFilesGiven: {
        ...(o.pidFile !== undefined ? { main: o.pidFile } : {}),
        ...(o.vrrpPidFile !== undefined ? { vrrp: o.vrrpPidFile } : {}),
        ...(o.checkersPidFile !== undefined ? { checkers: o.checkersPidFile } : {}),
        ...(o.bfdPidFile !== undefined ? { bfd: o.bfdPidFile } : {}),
      },
      ...(o.controlSocket === 'none' ? {} : { controlSocket: o.controlSocket ?? controlSocketFor(o.pidFile) }),
      controlSocketFollowsPidFile: o.controlSocket === undefined,
      commandLine: [programName(), ...userArgs],
      version: versionString(ourVersion()),
      platform: platformText(),
      notices: startupNotices(o, sender),
      vrrpOnly: o.vrrpOnly,
      checkOnly: o.checkOnly,
      noBfd: o.noBfd,
      all: o.all,
      dontRespawn: o.dontRespawn,
      dontReleaseVrrp: o.dontReleaseVrrp,
      ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
      ...(o.umask !== undefined ? { umaskFromCommandLine: true } : {}),
    },
    priorities: new ProcessPriorities(linuxPriorityPort(), logs.logger('Keepalived'), process.pid),
    checkConfig: configChecker(userArgs, logs),
    clock,
    logs,
    signals: processSignals(),
    config: configPort(),
    spawn: childSpawner(userArgs),
    release: rtnlReleaser(() => rtnl, logs.logger('Keepalived')),
    sdNotify: new SdNotifier(sender, process.env['NOTIFY_SOCKET'], process.pid),
    pid: process.pid,
    onReady: () => readiness.ready(),
    enterNamespace: (name) => {
      const err = enterNetNamespace(name);
      if (err === undefined && rtnl) {
        rtnl.close(); // opened in the namespace we left
        rtnl = openRtnl(logs);
      }
      return err;
    },
    onIdentSuffix: (suffix) => {
      process.env[IDENT_SUFFIX_ENV] = suffix;
      // keepalived re-opens -g's file as keepalived_NAMESPACE_INSTANCE.log (core/main.c open_log_file)
      for (const f of sinks) {
        if (!(f instanceof FileSink) || !o.logFile) continue;
        const err = f.reopen(logFileName(o.logFile, undefined, tmpDir, suffix));
        if (err) process.stderr.write(`Unable to open log file ${f.path}: ${err}\n`);
      }
    },
  });
  const code = await supervisor.run();
  rtnl?.close();
  readiness.failed(code);
  logs.close();
  sender.close();
  return code;
}
