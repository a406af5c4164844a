/**
 * A bare non-blocking TCP connect on the addon (keepalived layer4.c `socket_bind_connect` + `socket_state`), for
 * TCP_CHECK: socket → SO_MARK / SO_BINDTODEVICE / bind → connect → wait writable (at most `timeoutMs`) → SO_ERROR →
 * close. No node:net socket, no stream, no promise per step: one fd, one readiness watcher and one timer per probe.
 *
 * Outcomes follow keepalived: connect() failing at once with ENETUNREACH, EHOSTUNREACH, ECONNREFUSED, EHOSTDOWN,
 * ENETDOWN, ECONNRESET, ECONNABORTED or ETIMEDOUT is a `failed` connection; any other immediate error, and a socket
 * that cannot be created, configured or bound, is `setup` (the checker is rescheduled, not failed). After the wait,
 * SO_ERROR 0 is `connected`, ETIMEDOUT `timeout`, anything else `failed`; no writability within the timeout is
 * `timeout`.
 *
 * Closing: keepalived sets SO_LINGER {on, 5 s} on checker sockets, which only makes its close() wait for the FIN to
 * be acknowledged; the packets are the same as a plain close() (FIN; RST if the server sent data we did not read).
 * A plain close() is used here, so no probe can block the event loop.
 */
import { constants as osConstants } from 'node:os';
import { sockaddrIn, sockaddrIn6 } from './sockaddr.js';
import { K, sysio, UV_WRITABLE } from './sysio.js';

const E = osConstants.errno;
const SOCK_STREAM = K.SOCK_STREAM as number;
const IPPROTO_TCP = K.IPPROTO_TCP as number;
const SOL_SOCKET = K.SOL_SOCKET as number;
const SO_ERROR = K.SO_ERROR as number;
const SO_MARK = K.SO_MARK as number;
const SO_BINDTODEVICE = K.SO_BINDTODEVICE as number;

/** Linux's EHOSTDOWN (node's errno table lacks it). */
const EHOSTDOWN = 112;

/** connect() errors keepalived counts as a failed connection rather than a failure to run the check. */
const FAIL_ERRNOS: ReadonlySet<number> = new Set([
  E.ENETUNREACH,
  E.EHOSTUNREACH,
  E.ECONNREFUSED,
  EHOSTDOWN,
  E.ENETDOWN,
  E.ECONNRESET,
  E.ECONNABORTED,
  E.ETIMEDOUT,
]);

/** The errno name of `n` (ECONNREFUSED, …). */
export function errnoName(n: number): string {
  for (const [name, v] of Object.entries(E)) if (v === n) return name;
  return n === EHOSTDOWN ? 'EHOSTDOWN' : `errno ${n}`;
}

/** Where and how to connect: encoded once, reused by every probe of a checker. */
export interface TcpTarget {
  /** AF_INET or AF_INET6. */
  readonly family: number;
  /** The destination sockaddr. */
  readonly dst: Uint8Array;
  /** The local sockaddr to bind (bindto / bind_port), if any. */
  readonly src?: Uint8Array;
  /** SO_MARK (fwmark). */
  readonly fwmark?: number;
  /** SO_BINDTODEVICE value: the interface name, NUL-terminated. */
  readonly bindIf?: Uint8Array;
  /** `ip:port` for messages. */
  readonly text: string;
}

/** What a checker's connection settings name (src/config CheckerConnection has this shape). */
export interface TcpTargetSpec {
  readonly connectIp: string;
  readonly connectPort: number;
  readonly bindto?: string;
  readonly bindPort?: number;
  readonly bindIf?: string;
  readonly fwmark?: number;
}

/**
 * Encodes `spec`. IPv6 scope: a `%zone` on connect_ip (interface name or index), else bind_if's index for a
 * link-local destination. Throws (a TypeError or the addon's SysError) when an address or interface is bad.
 */
export function tcpTarget(spec: TcpTargetSpec): TcpTarget {
  const v6 = spec.connectIp.includes(':');
  let dst: Uint8Array;
  if (v6) {
    const [ip = '', zone] = spec.connectIp.split('%');
    let scope = 0;
    if (zone !== undefined && zone !== '') scope = /^\d+$/.test(zone) ? Number(zone) : sysio.ifNameToIndex(zone);
    else if (spec.bindIf && /^fe[89ab]/i.test(ip)) scope = sysio.ifNameToIndex(spec.bindIf);
    dst = sockaddrIn6(ip, spec.connectPort, scope);
  } else {
    dst = sockaddrIn(spec.connectIp, spec.connectPort);
  }
  const bound = spec.bindto !== undefined || spec.bindPort !== undefined;
  const port = spec.bindPort ?? 0;
  return {
    family: v6 ? (K.AF_INET6 as number) : (K.AF_INET as number),
    dst,
    ...(bound ? { src: v6 ? sockaddrIn6(spec.bindto ?? '::', port) : sockaddrIn(spec.bindto ?? '0.0.0.0', port) } : {}),
    ...(spec.fwmark ? { fwmark: spec.fwmark } : {}),
    ...(spec.bindIf ? { bindIf: Buffer.from(`${spec.bindIf}\0`) } : {}),
    text: v6 ? `[${spec.connectIp}]:${spec.connectPort}` : `${spec.connectIp}:${spec.connectPort}`,
  };
}

/** How a connect ended. `error` is the errno name (ECONNREFUSED, …) where there was one; `message` says more. */
export type TcpConnectResult =
  { readonly kind: 'connected' } | { readonly kind: 'failed' | 'timeout' | 'setup' | 'aborted'; readonly error?: string; readonly message: string };

const CONNECTED: TcpConnectResult = { kind: 'connected' };

function failure(kind: 'failed' | 'timeout' | 'setup', t: TcpTarget, syscall: string, errno?: number): TcpConnectResult {
  if (errno === undefined) return { kind, message: `${syscall} ${kind === 'timeout' ? 'timed out' : 'failed'} ${t.text}` };
  const code = errnoName(errno);
  return { kind, error: code, message: `${syscall} ${code} ${t.text}` };
}

/** socket() failed: keepalived's "TCP connect fail to create socket. Rescheduling." case. */
export const SOCKET_FAILED = 'socket';

/**
 * Connects to `t` within `timeoutMs`, then closes; `done` is called exactly once (synchronously when connect()
 * fails at once). Aborting `signal` closes the fd and reports `aborted`.
 */
export function tcpConnect(t: TcpTarget, timeoutMs: number, signal: AbortSignal | undefined, done: (r: TcpConnectResult) => void): void {
  if (signal?.aborted) {
    done({ kind: 'aborted', message: 'aborted' });
    return;
  }
  let fd: number;
  try {
    fd = sysio.socket(t.family, SOCK_STREAM, IPPROTO_TCP);
  } catch (e) {
    done({ kind: 'setup', error: SOCKET_FAILED, message: (e as Error).message });
    return;
  }
  let rc: number;
  try {
    if (t.fwmark) sysio.setsockopt(fd, SOL_SOCKET, SO_MARK, t.fwmark);
    if (t.bindIf) sysio.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t.bindIf);
    if (t.src) sysio.bind(fd, t.src);
    rc = sysio.connect(fd, t.dst);
  } catch (e) {
    sysio.close(fd);
    const err = e as Error & { code?: string };
    done({ kind: 'setup', ...(err.code ? { error: err.code } : {}), message: err.message });
    return;
  }
  if (rc !== E.EINPROGRESS) {
    sysio.close(fd);
    if (rc === 0) done(CONNECTED);
    else done(failure(FAIL_ERRNOS.has(rc) ? 'failed' : 'setup', t, 'connect', rc));
    return;
  }
  let settled = false;
  const finish = (r: TcpConnectResult): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    sysio.unwatch(w);
    sysio.close(fd);
    done(r);
  };
  const onAbort = (): void => finish({ kind: 'aborted', message: 'aborted' });
  const w = sysio.watch(fd, UV_WRITABLE, (status) => {
    // Writable, or an error libuv saw (POLLERR): SO_ERROR tells which, and clears it.
    let err: number;
    try {
      err = sysio.getsockopt(fd, SOL_SOCKET, SO_ERROR) as number;
    } catch (e) {
      err = (e as { errno?: number }).errno ?? E.EBADF;
    }
    if (err === 0 && status < 0) err = E.EIO; // libuv saw an error the socket no longer reports
    if (err === 0) finish(CONNECTED);
    else finish(failure(err === E.ETIMEDOUT ? 'timeout' : 'failed', t, 'connect', err));
  });
  const timer = setTimeout(() => finish(failure('timeout', t, 'connect')), timeoutMs);
  signal?.addEventListener('abort', onAbort, { once: true });
}

/** tcpConnect as a promise. */
export function tcpConnectAsync(t: TcpTarget, timeoutMs: number, signal?: AbortSignal): Promise<TcpConnectResult> {
  return new Promise((resolve) => tcpConnect(t, timeoutMs, signal, resolve));
}
