/**
 * Going to the background without fork(2), which Node.js cannot do.
 *
 * The foreground process re-spawns itself detached (new session, stdin/stdout/stderr on /dev/null) with the
 * same arguments plus an internal flag, and waits on a pipe (the child's fd 3) for one line: `READY` once
 * startup completed, or `EXIT <code>` when startup failed. It then exits 0 (or the child's status), as
 * keepalived's parent does after `xdaemon()`. keepalived's parent/VRRP-child structure is not reproduced: one
 * process does the work, and its pid is the one in the pid files.
 */
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { DAEMON_CHILD_FLAG } from './child-role.js';
import { defaultV8Flags } from './v8-flags.js';

/** The readiness pipe's fd in the child. */
export const READINESS_FD = 3;

/** Environment variable naming the readiness fd; the child only writes to it when this is set. */
export const READINESS_ENV = 'KEEPALIVED_TS_READINESS_FD';

/** The readiness fd a detached child was given, from its environment (undefined when not spawned by us). */
export function readinessFdFrom(env: NodeJS.ProcessEnv): number | undefined {
  const v = env[READINESS_ENV];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * Spawns the detached daemon and waits for its readiness line.
 * @param script the CLI script to run (process.argv[1])
 * @param args the original arguments (without node and script)
 * @returns the exit status the foreground process should exit with
 */
export function spawnDetached(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...defaultV8Flags('supervisor', env), ...process.execArgv, script, ...args, DAEMON_CHILD_FLAG], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...env, [READINESS_ENV]: String(READINESS_FD) },
    });
    const pipe = child.stdio[READINESS_FD] as Readable;
    let buf = '';
    let settled = false;
    const settle = (code: number) => {
      if (settled) return;
      settled = true;
      pipe.destroy();
      child.unref();
      resolve(code);
    };
    pipe.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      if (/^READY\b/m.test(buf)) settle(0);
      const m = /^EXIT (\d+)/m.exec(buf);
      if (m) settle(Number(m[1]));
    });
    pipe.on('error', () => {});
    child.on('exit', (code, signal) => settle(code ?? (signal ? 1 : 0)));
    child.on('error', () => settle(1));
  });
}

/** The child's side: tells the waiting parent (if any) how startup went. Never throws. */
export class ReadinessReporter {
  private done = false;

  constructor(private readonly fd: number | undefined) {}

  /** Startup complete. */
  ready(): void {
    this.send('READY\n');
  }

  /** Startup failed with `code`. */
  failed(code: number): void {
    this.send(`EXIT ${code}\n`);
  }

  private send(line: string): void {
    if (this.done || this.fd === undefined) return;
    this.done = true;
    try {
      writeSync(this.fd, line);
      closeSync(this.fd);
    } catch {
      // The parent went away: nothing to tell.
    }
  }
}
