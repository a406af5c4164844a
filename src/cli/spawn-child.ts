/**
 * Starting a supervised child process (this program re-executed with `--ts-child=ROLE`, its V8 flags, the
 * supervisor's arguments and an IPC channel), and the VRRP child started early (issue 17, README "sixth pass"):
 *
 * The supervisor needs its configuration before it may start a child (which children, the network namespace, the
 * syslog ident suffix, the umask, the pid files). Node's start-up and the child's module loading do not: so a
 * supervisor that will most likely run a VRRP child spawns it first thing, before loading the rest of itself and
 * parsing the configuration ({@link prespawnVrrp}). That child loads its code and then waits, doing nothing
 * observable (no log line, no file, no socket), for the supervisor's `go` message carrying what the configuration
 * decided (the ident suffix; the umask in force). The supervisor adopts it where it would have spawned the VRRP
 * child ({@link Prespawned.adopt}): same logs, pid file and process tree, only sooner. When it cannot be used — the
 * supervisor entered a network namespace (a child started before is outside it), the configuration runs no VRRP
 * child, another daemon is already running, the start failed, or it died before adoption — it is killed unseen and
 * the supervisor spawns one as before, if it needs one. A child that loses its supervisor while waiting exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { childFlag, PRESPAWN_ENV, type ChildRole } from '../daemon/child-role.js';
import { closeInheritedOnExec } from '../daemon/cloexec.js';
import { READINESS_ENV } from '../daemon/daemonize.js';
import { defaultV8Flags, inheritedV8Flags } from '../daemon/v8-flags.js';
import type { ChildEvents, ChildHandle, ChildMessage, GoMessage } from '../daemon/supervisor.js';

/**
 * Spawns a child for `role`: node with the role's V8 flags and the supervisor's own node flags (not the
 * supervisor's defaults), this script, `userArgs` and the role flag; stdout/stderr shared, an IPC channel; without
 * NOTIFY_SOCKET and the readiness pipe's variable (only the supervisor notifies). Throws when spawn itself throws.
 */
export function spawnChildProcess(role: ChildRole, userArgs: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
  // per spawn: the supervisor sets the ident suffix's variable once the configuration has named it
  const env = { ...process.env, ...extraEnv };
  delete env['NOTIFY_SOCKET'];
  delete env[READINESS_ENV];
  // the supervisor's own defaults (given first by spawnDetached, or by the bin for a -n start) are not for its children
  const inherited = inheritedV8Flags(process.execArgv);
  const child = spawn(process.execPath, [...defaultV8Flags(role), ...inherited, process.argv[1]!, ...userArgs, childFlag(role)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env,
  });
  child.on('error', () => {}); // a failed spawn has no pid and reports here; a live child's errors are its exit
  return child;
}

/** The supervisor's handle on a spawned child: signals by number too, messages only while the channel is open. */
export function childHandle(child: ChildProcess & { readonly pid: number }): ChildHandle {
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
}

/** A VRRP child started before the configuration was read, until the supervisor adopts or discards it. */
export class Prespawned {
  private events: ChildEvents | undefined;
  private done = false;

  private constructor(private readonly child: ChildProcess & { readonly pid: number }) {
    child.on('message', (m: ChildMessage) => this.events?.message(m));
    child.on('exit', (code, signal) => {
      this.done = true;
      this.events?.exit(code, signal);
    });
  }

  /**
   * Spawns the waiting VRRP child; undefined when it could not be spawned (the supervisor will try as usual).
   * Marks inherited descriptors close-on-exec first (the detached supervisor's readiness pipe), as runSupervisor does
   * before its children.
   */
  static spawn(userArgs: readonly string[]): Prespawned | undefined {
    closeInheritedOnExec();
    try {
      const child = spawnChildProcess('vrrp', userArgs, { [PRESPAWN_ENV]: '1' });
      if (child.pid === undefined) return undefined;
      return new Prespawned(child as ChildProcess & { readonly pid: number });
    } catch {
      return undefined;
    }
  }

  /**
   * The supervisor starts its VRRP child: this one, told to go on with `go`, reporting to `events` from now on;
   * undefined when it is gone or was already adopted or discarded (the supervisor then spawns one).
   */
  adopt(go: GoMessage, events: ChildEvents): ChildHandle | undefined {
    if (this.done || this.events || !this.child.connected) return undefined;
    this.events = events; // from now on its exit is the supervisor's news
    try {
      this.child.send(go); // false only says the message is queued
    } catch {
      this.events = undefined;
      return undefined;
    }
    return childHandle(this.child);
  }

  /** Kills it unless it was adopted (it has written nothing and logged nothing). Idempotent. */
  discard(): void {
    if (this.events || this.done) return;
    this.done = true;
    try {
      this.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
