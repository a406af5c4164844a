/**
 * A non-blocking socket driven by the addon's readiness watcher.
 *
 * On every readiness event it drains recvmsg() until EAGAIN — or, for a socket opened with `batch`, reads up to a
 * batch of datagrams per recvmmsg() into memory it reuses (RecvBatch; issue 17: nothing allocated per datagram),
 * until a batch comes back short. A libuv error status (POLLERR: ENETDOWN on a
 * packet socket after a link flap, ENOBUFS on an overflowing netlink socket) stops the poll inside libuv; the
 * socket reads SO_ERROR (which clears it), reports it through `onError`, and re-arms — without that the socket
 * would go silently deaf. Nothing thrown by a handler escapes from the watcher callback: it goes to `onError`.
 */
import { constants as osConstants } from 'node:os';
import type { Msg, Watch } from '@keepalived-ts/sysio';
import { isSysError, K, sysio, UV_READABLE } from './sysio.js';

/** A socket-level problem, as a value: the errno name, the call, and a readable message. */
export interface SocketProblem {
  readonly code: string;
  readonly syscall: string;
  readonly message: string;
}

/** What a Socket is created with. */
export interface SocketOptions {
  /** Largest datagram to read (bytes). */
  readonly maxLength?: number;
  /** Control-message buffer size (bytes); 0 for none. */
  readonly controlLength?: number;
  /** Called for each received message (not for a socket with `batch`). */
  readonly onMessage: (msg: Msg) => void;
  /**
   * Receive in batches into reused memory instead: `onBatch(batch, count)` gets datagrams 0 … count-1 of `batch`,
   * valid until it returns (the next read overwrites them). `onMessage` is then never called.
   */
  readonly batch?: { readonly size: number; readonly onBatch: (batch: RecvBatch, count: number) => void };
  /** Called for each socket error (after which the socket keeps working). */
  readonly onError?: (p: SocketProblem) => void;
}

/** Bytes of one sockaddr slot in a RecvBatch (sizeof(struct sockaddr_storage)). */
export const RECV_ADDR_SLOT = 128;

/**
 * Receive memory for up to `size` datagrams, reused by every recvmmsg (sysio.recvmmsgInto): datagram i's bytes at
 * `dataOffset(i)` (`length(i)` of them), its sockaddr at `addrOffset(i)` and its control messages at
 * `controlOffset(i)` (`controlLength(i)` bytes).
 */
export class RecvBatch {
  readonly data: Buffer;
  readonly addrs: Buffer;
  readonly control: Buffer;
  /** Per datagram: bytes received, sockaddr length, control length, msg_flags. */
  readonly meta: Int32Array;

  constructor(
    readonly size: number,
    readonly slotLength: number,
    readonly controlSlot: number,
  ) {
    this.data = Buffer.alloc(size * slotLength);
    this.addrs = Buffer.alloc(size * RECV_ADDR_SLOT);
    this.control = Buffer.alloc(Math.max(1, size * controlSlot));
    this.meta = new Int32Array(size * 4);
  }

  /** Reads what is queued on `fd` (at most `size` datagrams); how many were read. */
  receive(fd: number): number {
    return sysio.recvmmsgInto(fd, this.data, this.slotLength, this.addrs, this.control, this.controlSlot, this.meta);
  }

  dataOffset(i: number): number {
    return i * this.slotLength;
  }
  length(i: number): number {
    return this.meta[4 * i]!;
  }
  addrOffset(i: number): number {
    return i * RECV_ADDR_SLOT;
  }
  controlOffset(i: number): number {
    return i * this.controlSlot;
  }
  controlLength(i: number): number {
    return this.meta[4 * i + 2]!;
  }
  flags(i: number): number {
    return this.meta[4 * i + 3]!;
  }
}

/** Turns anything thrown into a SocketProblem. */
export function toProblem(e: unknown, syscall = 'unknown'): SocketProblem {
  if (isSysError(e)) return { code: e.code, syscall: e.syscall, message: e.message };
  return { code: 'EUNKNOWN', syscall, message: e instanceof Error ? e.message : String(e) };
}

/** An open socket with a watcher; create with `Socket.open()`. */
export class Socket {
  private watcher: Watch | undefined;
  private closed = false;
  private readonly maxLength: number;
  private readonly controlLength: number;
  private readonly batch: RecvBatch | undefined;

  private constructor(
    readonly fd: number,
    private readonly opts: SocketOptions,
  ) {
    this.maxLength = opts.maxLength ?? 65536;
    this.controlLength = opts.controlLength ?? 256;
    this.batch = opts.batch ? new RecvBatch(opts.batch.size, this.maxLength, this.controlLength) : undefined;
  }

  /**
   * Opens socket(family, type, protocol), lets `setup(fd)` set options and bind (the fd is closed if it throws),
   * then starts watching it for readability.
   */
  static open(family: number, type: number, protocol: number, opts: SocketOptions, setup?: (fd: number) => void): Socket {
    const fd = sysio.socket(family, type, protocol);
    try {
      setup?.(fd);
    } catch (e) {
      sysio.close(fd);
      throw e;
    }
    const s = new Socket(fd, opts);
    s.watcher = sysio.watch(fd, UV_READABLE, (status) => s.onReady(status));
    return s;
  }

  /** Sends `data` to `sockaddr`; returns false when the kernel queue is full (EAGAIN). Throws a SysError. */
  send(data: Uint8Array, sockaddr?: Uint8Array, flags = 0): boolean {
    if (this.closed) throw new Error('socket is closed');
    return sysio.sendto(this.fd, data, sockaddr, flags) >= 0;
  }

  /**
   * Sends `packets` (at most 1024) to `sockaddr` in one sendmmsg(2); returns how many went out (fewer when the queue
   * filled up or a later one failed: the rest were not sent). Throws a SysError when the first one fails.
   */
  sendMany(packets: readonly Uint8Array[], sockaddr?: Uint8Array, flags = 0): number {
    if (this.closed) throw new Error('socket is closed');
    return sysio.sendmmsg(this.fd, packets, sockaddr, flags);
  }

  /** Like send(), but failures come back as a value instead of an exception. */
  trySend(data: Uint8Array, sockaddr?: Uint8Array, flags = 0): SocketProblem | undefined {
    try {
      return this.send(data, sockaddr, flags) ? undefined : { code: 'EAGAIN', syscall: 'sendto', message: 'send queue full' };
    } catch (e) {
      return toProblem(e, 'sendto');
    }
  }

  /** Lets the process exit while this socket is open (or not). */
  ref(on: boolean): void {
    if (this.watcher && !this.closed) sysio.watchRef(this.watcher, on);
  }

  /** Stops the watcher, then closes the fd. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.watcher) sysio.unwatch(this.watcher);
    sysio.close(this.fd);
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  private onReady(status: number): void {
    if (this.closed) return;
    if (status < 0) {
      this.report(this.pendingError() ?? { code: `UV_${-status}`, syscall: 'poll', message: `poll error ${status}` });
      if (this.closed) return;
      try {
        if (this.watcher) sysio.watchUpdate(this.watcher, UV_READABLE);
      } catch (e) {
        this.report(toProblem(e, 'watchUpdate'));
      }
    }
    this.drain();
  }

  /**
   * Reads until EAGAIN (bounded, so that one busy socket cannot starve the event loop). Also called by timer
   * code after an event-loop stall, so that packets already queued are seen before a timeout is acted on.
   */
  drain(): void {
    if (this.batch) return this.drainBatches(this.batch, this.opts.batch!.onBatch);
    for (let i = 0; i < 1024 && !this.closed; i++) {
      let msg: Msg | undefined;
      try {
        msg = sysio.recvmsg(this.fd, this.maxLength, this.controlLength);
      } catch (e) {
        this.report(toProblem(e, 'recvmsg'));
        continue; // the error was consumed (e.g. ENOBUFS, ENETDOWN); keep reading what is queued
      }
      if (!msg) return;
      try {
        this.opts.onMessage(msg);
      } catch (e) {
        this.report(toProblem(e, 'onMessage'));
      }
    }
  }

  /** drain() for a batch socket: batches until one comes back short (the queue is empty), at most ~1024 datagrams. */
  private drainBatches(batch: RecvBatch, onBatch: (b: RecvBatch, n: number) => void): void {
    for (let read = 0; read < 1024 && !this.closed;) {
      let n: number;
      try {
        n = batch.receive(this.fd);
      } catch (e) {
        this.report(toProblem(e, 'recvmmsg'));
        read++;
        continue; // the error was consumed (e.g. ENOBUFS, ENETDOWN); keep reading what is queued
      }
      if (n > 0) {
        try {
          onBatch(batch, n);
        } catch (e) {
          this.report(toProblem(e, 'onMessage'));
        }
      }
      if (n < batch.size) return;
      read += n;
    }
  }

  private pendingError(): SocketProblem | undefined {
    try {
      const err = sysio.getsockopt(this.fd, K.SOL_SOCKET as number, K.SO_ERROR as number) as number;
      return err ? { code: errnoName(err), syscall: 'SO_ERROR', message: `socket error ${errnoName(err)}` } : undefined;
    } catch (e) {
      return toProblem(e, 'getsockopt');
    }
  }

  private report(p: SocketProblem): void {
    try {
      this.opts.onError?.(p);
    } catch {
      // an error handler that throws must not take the process down from inside a watcher callback
    }
  }
}

/** The errno name for a number (ENETDOWN for 100 …), from node's own table. */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(osConstants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}
