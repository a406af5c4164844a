/** Linux only. Every fd is O_NONBLOCK|O_CLOEXEC. Failures throw a SysError. */

/** The error every failing call throws: `code` is the errno name, `syscall` the call that failed. */
export interface SysError extends Error {
  readonly name: 'SysError';
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
}
/** AF_*, SOCK_*, SOL_*, IP_*, IPV6_*, ETH_P_*, NETLINK_*, MSG_*, … from the C headers. */
export declare const constants: Readonly<Record<string, number>>;
/** socket(2). */
export declare function socket(family: number, type: number, protocol: number): number;
/** setsockopt(2): a number or boolean is passed as a C int; bytes as they are. */
export declare function setsockopt(fd: number, level: number, name: number, value: number | boolean | Uint8Array): void;
/** getsockopt(2): an int without `len`, else `len` bytes. */
export declare function getsockopt(fd: number, level: number, name: number, len?: number): number | Buffer;
/** bind(2) with a raw sockaddr. */
export declare function bind(fd: number, sockaddr: Uint8Array): void;
/** getsockname(2): the raw sockaddr. */
export declare function getsockname(fd: number): Buffer;
/** sendto(2): bytes sent, or -1 when the socket would block (EAGAIN). MSG_NOSIGNAL is always added. */
export declare function sendto(fd: number, data: Uint8Array, sockaddr?: Uint8Array | null, flags?: number): number;
/** One control message. */
export interface Cmsg { level: number; type: number; data: Buffer }
/** A received message. `length` is the real length (larger than data.length when truncated). */
export interface Msg { data: Buffer; length: number; addr: Buffer; flags: number; cmsgs: Cmsg[] }
/** recvmsg(2), non-blocking: undefined when nothing is queued (EAGAIN). */
export declare function recvmsg(fd: number, maxLen: number, controlLen: number, flags?: number): Msg | undefined;
/** close(2). Call unwatch() first. */
export declare function close(fd: number): void;
/** An fd readiness watcher (libuv uv_poll). */
export type Watch = { readonly __brand: 'sysio.Watch' };
/**
 * Watches `fd` for `events` (1 readable, 2 writable). `cb(status, events)`: status < 0 is a libuv error (the
 * poll is then stopped: read SO_ERROR and call watchUpdate() to re-arm).
 */
export declare function watch(fd: number, events: number, cb: (status: number, events: number) => void): Watch;
/** Changes the watched events; 0 pauses; also re-arms after an error. */
export declare function watchUpdate(w: Watch, events: number): void;
/** Whether the watcher keeps the event loop alive. */
export declare function watchRef(w: Watch, ref: boolean): void;
/** Stops the watcher for good; must run before close(fd). Idempotent. */
export declare function unwatch(w: Watch): void;
/** if_nametoindex(3); throws ENODEV for an unknown name. */
export declare function ifNameToIndex(name: string): number;
/** if_indextoname(3). */
export declare function ifIndexToName(index: number): string;
/** setns(2): moves the calling (JS) thread only. Used by tests to create sockets inside a namespace. */
export declare function setns(fd: number, nstype: number): void;
/** open(path, O_RDONLY|O_CLOEXEC): for namespace files such as /proc/self/ns/net or /run/netns/NAME. */
export declare function openReadOnly(path: string): number;
