/** Linux only. Every fd is O_NONBLOCK|O_CLOEXEC. Failures throw a SysError. */

/** The error every failing call throws: `code` is the errno name, `syscall` the call that failed. */
export interface SysError extends Error {
  readonly name: 'SysError';
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
}
/** AF_*, SOCK_*, SOL_*, IP_*, IPV6_*, ETH_P_*, NETLINK_*, MSG_*, SCHED_*, RLIMIT_*, MCL_*, … from the C headers. */
export declare const constants: Readonly<Record<string, number>>;
/** socket(2). */
export declare function socket(family: number, type: number, protocol: number): number;
/** setsockopt(2): a number or boolean is passed as a C int; bytes as they are. */
export declare function setsockopt(fd: number, level: number, name: number, value: number | boolean | Uint8Array): void;
/** getsockopt(2): an int without `len`, else `len` bytes. */
export declare function getsockopt(fd: number, level: number, name: number, len?: number): number | Buffer;
/** bind(2) with a raw sockaddr. */
export declare function bind(fd: number, sockaddr: Uint8Array): void;
/**
 * connect(2) with a raw sockaddr: 0, or the errno as a number (EINPROGRESS while a non-blocking stream socket
 * connects; then wait for writability and read SO_ERROR). Never throws for a failing connect.
 */
export declare function connect(fd: number, sockaddr: Uint8Array): number;
/** getsockname(2): the raw sockaddr. */
export declare function getsockname(fd: number): Buffer;
/** sendto(2): bytes sent, or -1 when the socket would block (EAGAIN). MSG_NOSIGNAL is always added. */
export declare function sendto(fd: number, data: Uint8Array, sockaddr?: Uint8Array | null, flags?: number): number;
/**
 * sendmmsg(2): sends `packets` (at most 1024) to one address in one call, without blocking. Returns how many went
 * out: fewer than given when the socket buffer filled up (0 when the first would block). MSG_NOSIGNAL is added.
 */
export declare function sendmmsg(fd: number, packets: readonly Uint8Array[], sockaddr?: Uint8Array | null, flags?: number): number;
/** One control message. */
export interface Cmsg {
  level: number;
  type: number;
  data: Buffer;
}
/** A received message. `length` is the real length (larger than data.length when truncated). */
export interface Msg {
  data: Buffer;
  length: number;
  addr: Buffer;
  flags: number;
  cmsgs: Cmsg[];
}
/** recvmsg(2), non-blocking: undefined when nothing is queued (EAGAIN). */
export declare function recvmsg(fd: number, maxLen: number, controlLen: number, flags?: number): Msg | undefined;
/**
 * recvmmsg(2), non-blocking, into memory the caller owns and reuses (nothing is allocated per datagram): datagram i
 * goes to data[i*slotLength …], its sockaddr to addrs[i*128 …], its control messages to control[i*controlLength …];
 * meta[4i … 4i+3] = bytes received, sockaddr length, control length, msg_flags (MSG_TRUNC: longer than slotLength).
 * Reads at most meta.length / 4 (≤ 64) datagrams, as many as the buffers hold; returns how many (0: none queued).
 * Fewer than asked means the queue was empty.
 */
export declare function recvmmsgInto(
  fd: number,
  data: Uint8Array,
  slotLength: number,
  addrs: Uint8Array,
  control: Uint8Array,
  controlLength: number,
  meta: Int32Array,
): number;
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
/**
 * Marks every open descriptor ≥ `minFd` close-on-exec (read from /proc/self/fd); returns how many were changed.
 * A process calls it once at start, so descriptors it inherited (Node's IPC channel) never reach a program it runs.
 */
export declare function cloexecFrom(minFd: number): number;
/** open(path, O_RDONLY|O_CLOEXEC): for namespace files such as /proc/self/ns/net or /run/netns/NAME. */
export declare function openReadOnly(path: string): number;
/**
 * sched_setscheduler(2) on one thread (`tid` 0 = the calling thread): `policy` is SCHED_OTHER, SCHED_RR, …;
 * `resetOnFork` adds SCHED_RESET_ON_FORK, so children (and threads created later) do not inherit a real-time policy.
 */
export declare function schedSetScheduler(tid: number, policy: number, priority: number, resetOnFork?: boolean): void;
/** sched_setaffinity(2) on one thread (`tid` 0 = the calling thread): run only on the listed CPU numbers. */
export declare function schedSetAffinity(tid: number, cpus: readonly number[]): void;
/** prctl(PR_SET_NAME) on the calling thread: the name /proc/PID/comm and `ps` show (at most 15 bytes are kept). */
export declare function setThreadName(name: string): void;
/** sched_getscheduler(2): the policy, with the SCHED_RESET_ON_FORK bit when set. */
export declare function schedGetScheduler(tid: number): number;
/** A resource limit; `Infinity` is RLIM_INFINITY. */
export interface Rlimit {
  soft: number;
  hard: number;
}
/** getrlimit(2) for RLIMIT_* `resource`. */
export declare function getRlimit(resource: number): Rlimit;
/** setrlimit(2); `Infinity` sets RLIM_INFINITY. */
export declare function setRlimit(resource: number, soft: number, hard: number): void;
/**
 * mlockall(2) with MCL_* flags. Caution: V8 later frees heap pages with madvise(MADV_DONTNEED), which Linux refuses
 * on locked memory, and then aborts the process (measured on Node 20, with and without MCL_FUTURE/MCL_ONFAULT).
 */
export declare function mlockall(flags: number): void;
/** munlockall(2). */
export declare function munlockall(): void;
/** clock_gettime(2) of `clockId` (constants.CLOCK_REALTIME, CLOCK_MONOTONIC) in ms, with sub-microsecond resolution. */
export declare function clockMs(clockId: number): number;
/** A wake-up of the stall canary that came `durationMs` later than its 1 ms sleep; `startMs` is CLOCK_REALTIME (epoch ms). */
export interface CanaryStall {
  cpu: number;
  startMs: number;
  durationMs: number;
}
/**
 * Benchmarks only: starts one thread per CPU the process may run on, pinned to it, SCHED_FIFO at `priority` (0: no
 * real-time), sleeping 1 ms in a loop and recording every wake-up later than `thresholdMs`. Returns the thread count.
 */
export declare function stallCanaryStart(thresholdMs: number, priority: number): number;
/** The stalls recorded since the last read (the ring then empties); `lost`: dropped when the ring was full; `rtFailed`: threads left without SCHED_FIFO. */
export declare function stallCanaryRead(): { stalls: CanaryStall[]; lost: number; wakeups: number; rtFailed: number };
/** Stops and joins the canary threads. Idempotent. */
export declare function stallCanaryStop(): void;
/** An advert watchdog (see src/watchdog.c): its own records and threads; close it with watchdogClose(). */
export type Watchdog = { readonly __brand: 'sysio.Watchdog' };
/** A new watchdog whose threads are named `name` (default `advert-wd`; 15 bytes kept); no thread runs until a record is armed. */
export declare function watchdogCreate(name?: string): Watchdog;
/** A new, disarmed record of `wd`; its id. */
export declare function watchdogAdd(wd: Watchdog): number;
/**
 * The record's datagrams: `packets[i]` to `sockaddrs[i]` (at most 64), sent on a dup of `fd` (so a closed and reused
 * descriptor is never written). Replaces the previous ones; the record stays armed or disarmed as it was.
 */
export declare function watchdogSet(wd: Watchdog, id: number, fd: number, packets: readonly Uint8Array[], sockaddrs: readonly Uint8Array[]): void;
/**
 * Arms the record (threads start on the first arm): unless kicked again within `intervalMs + slackMs` (slack may be
 * negative, down to −intervalMs), a native thread sends its datagrams then, and every `intervalMs` after (with
 * `jitter` j > 0: every intervalMs × (1 − j × U[0,1)), counted from each native send), for at most `holdMs` from
 * now. Returns the record's native sends so far (as watchdogStats().sent).
 */
export declare function watchdogKick(wd: Watchdog, id: number, intervalMs: number, slackMs: number, holdMs: number, jitter?: number): number;
/**
 * The event loop is about to send the record's next datagram (BFD's periodic packets). −1: it is the event loop's
 * to send (no native send since the last kick or claim); the record is armed as by watchdogKick. Otherwise native
 * sends took over: do not send now; the native side's next deadline (the ms returned, from now) is booked for the
 * event loop, the native side sending `graceMs` later only if the event loop has not claimed it by then.
 */
export declare function watchdogClaim(
  wd: Watchdog,
  id: number,
  intervalMs: number,
  slackMs: number,
  holdMs: number,
  jitter: number,
  graceMs: number,
): number;
/** Disarms the record: when it returns, no native send of it is in flight and none will start. */
export declare function watchdogDisarm(wd: Watchdog, id: number): void;
/** `sent`: native sends of the record so far (each: all its datagrams); `errors`: datagrams that failed; `armed`. */
export declare function watchdogStats(wd: Watchdog, id: number): { sent: number; errors: number; armed: boolean };
/** How many native threads run (one per CPU the process may use, once a record was armed; 0 before). */
export declare function watchdogThreads(wd: Watchdog): number;
/** Disarms every record, stops and joins the threads, closes the dup'd sockets. Idempotent. */
export declare function watchdogClose(wd: Watchdog): void;
