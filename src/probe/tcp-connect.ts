/**
 * The TCP connect every stream checker starts with (keepalived layer4.c `socket_bind_connect` + `socket_state`),
 * with the checker's `bindto`/`bind_port`, `bind_if` (SO_BINDTODEVICE) and `fwmark` (SO_MARK).
 *
 * Without bind_if/fwmark node:net binds (localAddress/localPort) and connects. With them the socket is created by
 * the native addon so the options can be set before connect(), then handed to node:net by its fd.
 *
 * keepalived's outcomes are kept apart because each checker words them differently: `setup` (socket options or
 * bind failed: "… bind failed. Rescheduling."), `unreachable` (connect() failed at once with ENETUNREACH),
 * `fail` (the connection was refused or reset), `timeout` (connect_timeout passed).
 */
import net from 'node:net';
import type { CheckerConnection } from '../config/model-lvs.js';
import { sockaddrIn, sockaddrIn6 } from '../net/sockaddr.js';
import { K, sysio } from '../net/sysio.js';
import type { ProbeRun } from './probe-run.js';

/** How a connect attempt ended. */
export type ConnectResult =
  | { readonly ok: true; readonly socket: net.Socket }
  | { readonly ok: false; readonly reason: 'setup' | 'unreachable' | 'fail' | 'timeout'; readonly error?: string };

/** The address family of a checker's destination. */
export function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

/**
 * Creates, configures and binds a socket with the addon (SO_MARK, SO_BINDTODEVICE, bind). Throws a SysError;
 * the fd is closed first.
 */
export function preparedFd(co: CheckerConnection, type: number, protocol: number): number {
  const v6 = familyOf(co.connectIp) === 6;
  const fd = sysio.socket(v6 ? (K.AF_INET6 as number) : (K.AF_INET as number), type, protocol);
  try {
    if (co.fwmark) sysio.setsockopt(fd, K.SOL_SOCKET as number, K.SO_MARK as number, co.fwmark);
    if (co.bindIf) sysio.setsockopt(fd, K.SOL_SOCKET as number, K.SO_BINDTODEVICE as number, Buffer.from(`${co.bindIf}\0`));
    if (co.bindto !== undefined || co.bindPort !== undefined) {
      const port = co.bindPort ?? 0;
      sysio.bind(fd, v6 ? sockaddrIn6(co.bindto ?? '::', port) : sockaddrIn(co.bindto ?? '0.0.0.0', port));
    }
  } catch (e) {
    sysio.close(fd);
    throw e;
  }
  return fd;
}

/** True when the connection needs socket options node:net cannot set. */
function needsAddon(co: CheckerConnection): boolean {
  return co.fwmark !== undefined || co.bindIf !== undefined;
}

/**
 * Connects to connect_ip:connect_port within one step of `run` (connect_timeout). On success the socket is
 * closed when the probe ends; on failure it is already gone.
 */
export function tcpConnect(co: CheckerConnection, run: ProbeRun): Promise<ConnectResult> {
  return new Promise((resolve) => {
    let socket: net.Socket;
    try {
      if (needsAddon(co)) {
        socket = new net.Socket({ fd: preparedFd(co, K.SOCK_STREAM as number, K.IPPROTO_TCP as number) });
        socket.connect({ host: co.connectIp, port: co.connectPort });
      } else {
        socket = net.connect({
          host: co.connectIp,
          port: co.connectPort,
          family: familyOf(co.connectIp),
          ...(co.bindto !== undefined ? { localAddress: co.bindto } : {}),
          ...(co.bindPort !== undefined ? { localPort: co.bindPort } : {}),
        });
      }
    } catch (e) {
      resolve({ ok: false, reason: 'setup', error: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, reason: 'timeout' });
    }, run.stepMs);
    run.onCleanup(() => {
      clearTimeout(timer);
      socket.destroy();
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ ok: true, socket });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const reason = e.syscall === 'bind' ? 'setup' : e.code === 'ENETUNREACH' ? 'unreachable' : 'fail';
      resolve({ ok: false, reason, error: e.message });
    });
  });
}
