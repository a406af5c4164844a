/**
 * Administrative actions on the control socket (keepalived-ts addition): root only (the peer's uid from
 * SO_PEERCRED; a daemon not running as root also accepts its own uid, which could signal or ptrace it anyway),
 * each one logged with who asked. Commands:
 *   `priority INSTANCE OFFSET`  temporary priority offset (-253..253; 0 clears), a maintenance hand-over without
 *                               editing the configuration; kept across reloads, gone at restart
 *   `garp [INSTANCE]`           a GARP/NA burst now for MASTER instances
 *   `drain VS RS` / `undrain VS RS`  weight 0 for a real server until its connections finish / back to its weight
 *   `reload`                    as SIGHUP, answered when done
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Logger } from '../core/log.js';

/** A peer's credentials (SO_PEERCRED). */
export interface PeerCred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/** Reply shape shared with the control socket. */
export type AdminReply = { readonly ok: true; readonly text?: string } | { readonly ok: false; readonly error: string };

/** What the actions act on (the daemon forwards to its runtimes). */
export interface AdminTarget {
  setPriorityOffset?(instance: string, offset: number): string | undefined;
  refreshGarp?(instance?: string): string[];
  drainRealServer?(vs: string, rs: string, drain: boolean): string | undefined;
  reload(): Promise<boolean>;
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

type GetSockOpt = (fd: number, level: number, name: number, len: number) => Buffer;
let getsockopt: GetSockOpt | null | undefined;

/** The peer's credentials of a connected UNIX socket, or null when they cannot be read (no addon, no fd). */
export function peerCredentials(sock: Socket): PeerCred | null {
  if (getsockopt === undefined) {
    try {
      getsockopt = (createRequire(import.meta.url)('@keepalived-ts/sysio') as { getsockopt: GetSockOpt }).getsockopt;
    } catch {
      getsockopt = null;
    }
  }
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!getsockopt || typeof fd !== 'number' || fd < 0) return null;
  try {
    const b = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, 12);
    return { pid: b.readInt32LE(0), uid: b.readUInt32LE(4), gid: b.readUInt32LE(8) };
  } catch {
    return null;
  }
}

/** The first word of an admin command, or undefined when `cmd` is not one. */
export function adminVerb(cmd: string): string | undefined {
  const verb = cmd.trim().split(/\s+/)[0] ?? '';
  return ['priority', 'garp', 'drain', 'undrain', 'reload'].includes(verb) ? verb : undefined;
}

/**
 * Runs an admin command.
 * @param peer the caller (undefined: an in-process call, trusted; null: unknown, refused)
 * @param selfUid this process's uid (a non-root daemon also accepts its own user)
 */
export async function runAdmin(
  cmd: string,
  peer: PeerCred | null | undefined,
  target: AdminTarget,
  log: Logger,
  selfUid: number,
): Promise<AdminReply> {
  const words = cmd.trim().split(/\s+/);
  const who = peer ? `uid ${peer.uid} pid ${peer.pid}` : peer === null ? 'unknown peer' : 'in-process';
  if (peer === null) {
    log.log({ level: 'warning', text: `Control: refused '${cmd}' - cannot read the peer's credentials (SO_PEERCRED)` });
    return { ok: false, error: 'refused: cannot verify the caller is root (SO_PEERCRED unavailable)' };
  }
  if (peer && peer.uid !== 0 && !(selfUid !== 0 && peer.uid === selfUid)) {
    log.log({ level: 'warning', text: `Control: refused '${cmd}' from ${who} - admin actions are root only` });
    return { ok: false, error: `refused: '${words[0]}' is root only` };
  }
  const reply = await act(words, target);
  log.log({
    level: reply.ok ? 'info' : 'warning',
    text: `Control: '${words.join(' ')}' by ${who}: ${reply.ok ? (reply.text ?? 'ok') : reply.error}`,
  });
  return reply;
}

async function act(words: string[], t: AdminTarget): Promise<AdminReply> {
  const [verb, a, b] = words;
  switch (verb) {
    case 'priority': {
      if (!a || b === undefined || !/^[-+]?\d+$/.test(b)) return { ok: false, error: 'usage: priority INSTANCE OFFSET (-253..253, 0 clears)' };
      if (!t.setPriorityOffset) return { ok: false, error: 'the VRRP runtime does not support priority offsets' };
      const err = t.setPriorityOffset(a, Number(b));
      return err
        ? { ok: false, error: err }
        : { ok: true, text: Number(b) === 0 ? `priority offset on ${a} cleared` : `priority offset ${Number(b)} on ${a}` };
    }
    case 'garp': {
      if (!t.refreshGarp) return { ok: false, error: 'the VRRP runtime does not support GARP refresh' };
      const done = t.refreshGarp(a);
      if (!done.length) return { ok: false, error: a ? `${a}: not a MASTER instance` : 'no MASTER instance' };
      return { ok: true, text: `GARP/NA refresh sent for ${done.join(', ')}` };
    }
    case 'drain':
    case 'undrain': {
      if (!a || !b) return { ok: false, error: `usage: ${verb} VIRTUAL_SERVER REAL_SERVER` };
      if (!t.drainRealServer) return { ok: false, error: 'no checker runtime in this daemon: virtual servers are not running' };
      const err = t.drainRealServer(a, b, verb === 'drain');
      return err ? { ok: false, error: err } : { ok: true, text: `${b} in ${a} ${verb === 'drain' ? 'draining (weight 0)' : 'restored'}` };
    }
    case 'reload':
      return (await t.reload())
        ? { ok: true } // the old `reload` reply, unchanged
        : { ok: false, error: 'reload failed: the new configuration has errors (see the log); the running one is kept' };
    default:
      return { ok: false, error: `unknown admin command '${verb}'` };
  }
}
