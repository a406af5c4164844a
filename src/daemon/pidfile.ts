/**
 * Pid files, as keepalived's `keepalived/core/pidfile.c`: `<pid>\n`, mode 0644, written with O_NOFOLLOW;
 * a start is refused while a live process owns any of them; stale files are removed
 * (`Remove a zombie pid file …`); files are removed on exit.
 *
 * One deliberate difference: an unreadable pid (garbage in the file) is removed and treated as "not running";
 * keepalived removes it too but then refuses to start ("we don't know"), which leaves the operator stuck.
 * A pid equal to our own is also "not running" (a container restart can reuse the old pid).
 */
import { constants, closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type { Logger } from '../core/log.js';

/** Default pid file locations (keepalived's RUNSTATEDIR defaults). */
export const DEFAULT_PIDFILES = {
  main: '/run/keepalived.pid',
  vrrp: '/run/keepalived_vrrp.pid',
  checkers: '/run/keepalived_checkers.pid',
  bfd: '/run/keepalived_bfd.pid',
} as const;

/** The pid files of one daemon. */
export interface PidFiles {
  readonly main: string;
  readonly vrrp: string;
  readonly checkers: string;
  /** The BFD child's (`-b`). */
  readonly bfd?: string;
}

/** keepalived's pid directory (KEEPALIVED_PID_DIR), used with `use_pid_dir` or `instance`. */
export const PID_DIR = '/run/keepalived';

/**
 * The pid files as keepalived 2.2.7 picks them (core/main.c): a file given on the command line wins; otherwise
 * `instance NAME` gives /run/keepalived/keepalived_NAME.pid, vrrp_NAME.pid, checkers_NAME.pid, `use_pid_dir` alone
 * /run/keepalived/keepalived.pid, vrrp.pid, checkers.pid, and neither the DEFAULT_PIDFILES. With a network
 * namespace (`net_namespace`, `-s`) the directory is /run/keepalived/NAMESPACE: keepalived bind-mounts that
 * directory on /run/keepalived in a private mount namespace, so this is where its files are seen from outside.
 */
export function pidFilesFor(
  given: Partial<PidFiles>,
  config: { readonly instanceName?: string; readonly usePidDir: boolean; readonly netNamespace?: string },
): PidFiles {
  const dir = pidDirFor(config.netNamespace);
  const name = (base: string, fallback: string): string => {
    if (config.instanceName !== undefined) return `${dir}/${base}_${config.instanceName}.pid`;
    return config.usePidDir || config.netNamespace !== undefined ? `${dir}/${base}.pid` : fallback;
  };
  return {
    main: given.main ?? name('keepalived', DEFAULT_PIDFILES.main),
    vrrp: given.vrrp ?? name('vrrp', DEFAULT_PIDFILES.vrrp),
    checkers: given.checkers ?? name('checkers', DEFAULT_PIDFILES.checkers),
    bfd: given.bfd ?? name('bfd', DEFAULT_PIDFILES.bfd),
  };
}

/**
 * global_defs `reload_file`'s path: the name given, or keepalived's default (core/global_data.c) — keepalived.reload
 * beside the main pid file: /run/keepalived.reload, /run/keepalived/keepalived.reload with a pid directory,
 * /run/keepalived/keepalived_INSTANCE.reload with an instance name. Undefined without `reload_file`.
 */
export function reloadFileFor(
  config: { readonly globalDefs: { readonly reloadFile?: string | true }; readonly instanceName?: string; readonly usePidDir: boolean },
  netNamespace: string | undefined,
): string | undefined {
  const f = config.globalDefs.reloadFile;
  if (f === undefined || typeof f === 'string') return f;
  const dir = pidDirFor(netNamespace);
  if (config.instanceName !== undefined) return `${dir}/keepalived_${config.instanceName}.reload`;
  return config.usePidDir || netNamespace !== undefined ? `${dir}/keepalived.reload` : '/run/keepalived.reload';
}

/** The pid directory: PID_DIR, or PID_DIR/NAMESPACE in a network namespace. */
export function pidDirFor(netNamespace: string | undefined): string {
  return netNamespace === undefined ? PID_DIR : `${PID_DIR}/${netNamespace}`;
}

/** Whether a process exists: `kill(pid, 0)` succeeds or fails with EPERM. Injectable for tests. */
export type ProcessProbe = (pid: number) => boolean;

/** The real probe, with `process.kill(pid, 0)`. */
export const probeProcess: ProcessProbe = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** What was found in a pid file. */
export type PidfileState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'running'; readonly pid: number }
  | { readonly kind: 'stale'; readonly pid: number }
  | { readonly kind: 'garbage' };

/** Reads `path` and classifies it; does not change anything. */
export function inspectPidfile(path: string, ownPid: number, alive: ProcessProbe = probeProcess): PidfileState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { kind: 'absent' };
  }
  const m = /^\s*(\d+)/.exec(text);
  const pid = m ? Number(m[1]) : 0;
  if (!pid) return { kind: 'garbage' };
  if (pid === ownPid || !alive(pid)) return { kind: 'stale', pid };
  return { kind: 'running', pid };
}

/**
 * keepalived's `process_running`: true when a live process owns `path`. Stale and unreadable files are removed
 * and logged with keepalived's texts.
 */
export function pidfileOwnedByLiveProcess(path: string, ownPid: number, log: Logger, alive: ProcessProbe = probeProcess): boolean {
  const st = inspectPidfile(path, ownPid, alive);
  switch (st.kind) {
    case 'absent':
      return false;
    case 'running':
      return true;
    case 'garbage':
      log.log({ level: 'info', text: `Error reading pid file ${path}` });
      removePidfile(path);
      return false;
    case 'stale':
      log.log({ level: 'info', text: `Remove a zombie pid file ${path}` });
      removePidfile(path);
      return false;
  }
}

/** Writes `<pid>\n` to `path` (0644, no symlink following). False (and a keepalived log line) on failure. */
export function writePidfile(path: string, pid: number, log: Logger): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  } catch {
    log.log({ level: 'info', text: `pidfile_write : Cannot open ${path} pidfile` });
    return false;
  }
  try {
    writeSync(fd, `${pid}\n`);
    return true;
  } catch {
    log.log({ level: 'info', text: `pidfile_write : Cannot open ${path} pidfile` });
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Removes `path`, ignoring a missing file. */
export function removePidfile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Removes `path` only if it still holds `pid` — so a daemon that lost the race to another one
 * (or whose file was replaced) never deletes a file that is not its own.
 */
export function removeOwnPidfile(path: string, pid: number): void {
  try {
    const m = /^\s*(\d+)/.exec(readFileSync(path, 'utf8'));
    if (m && Number(m[1]) === pid) unlinkSync(path);
  } catch {
    // Already gone or unreadable: leave it.
  }
}
