/**
 * Our daemon started once for a whole test file (the load-balancer files run one daemon through all their tests):
 * `-n -l -D` plus `extra` flags, its pid files and control socket in `dir`, stdout and stderr captured, and a
 * SIGKILL from an `after` hook of the file when a test left it running (a failed assertion before its stop).
 *
 *   const d = startFileDaemon((cmd, args) => lab.spawn('dir', cmd, args), dir, 'lbd', confFile, ['-C']);
 *   await controlRequest(d.controlSocket, 'lvs');
 *   assert.match(d.log(), /Startup complete/);
 */
import { after } from 'node:test';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { captureOutput } from './daemons.js';

/** Our CLI, compiled by tsc (this file runs from dist/test/netns/harness). */
const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;

/** The daemon of a test file. */
export interface FileDaemon {
  readonly child: ChildProcess;
  /** `--control-socket`. */
  readonly controlSocket: string;
  /** `-c`: the checker child's pid. */
  readonly chkPidFile: string;
  /** Everything it printed so far (stdout and stderr together). */
  log(): string;
}

/**
 * Starts our daemon with `spawn` (which runs a command in the right namespace), its files named `tag…` in `dir`;
 * registers the SIGKILL on the file's `after`. Call it at the top level of a test file.
 */
export function startFileDaemon(
  spawn: (cmd: string, args: readonly string[]) => ChildProcess,
  dir: string,
  tag: string,
  confFile: string,
  extra: readonly string[] = [],
): FileDaemon {
  const d = spawnOurs(spawn, dir, tag, confFile, extra);
  after(() => {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  });
  return d;
}

/** Starts our daemon as startFileDaemon() does, without the `after` hook (the caller stops it; the lab kills it). */
export function spawnOurs(
  spawn: (cmd: string, args: readonly string[]) => ChildProcess,
  dir: string,
  tag: string,
  confFile: string,
  extra: readonly string[] = [],
): FileDaemon {
  const controlSocket = join(dir, `${tag}.sock`);
  const chkPidFile = join(dir, `${tag}-chk.pid`);
  const child = spawn(process.execPath, [
    CLI,
    '-n',
    '-l',
    '-D',
    ...extra,
    '-f',
    confFile,
    '-p',
    join(dir, `${tag}.pid`),
    '-r',
    join(dir, `${tag}-vrrp.pid`),
    '-c',
    chkPidFile,
    `--control-socket=${controlSocket}`,
  ]);
  return { child, controlSocket, chkPidFile, log: captureOutput(child) };
}
