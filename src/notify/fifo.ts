/**
 * Notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo`) and their optional reader scripts.
 *
 * Like keepalived, the FIFO is created with mkfifo if absent and opened O_RDWR|O_NONBLOCK, so opening never
 * blocks, a missing reader never causes ENXIO/EPIPE, and lines written before a reader appears wait in the pipe.
 * Unlike keepalived (which drops a line on EAGAIN), lines are queued in order and retried; the queue is bounded
 * (`maxQueuedLines`), and overflow is logged and drops the newest lines only, so delivered lines keep their order.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, constants, lstatSync, openSync, write } from 'node:fs';
import type { Logger } from '../core/log.js';
import type { ScriptSpec } from './script-runner.js';

/** Writes up to this size to a pipe are atomic (POSIX PIPE_BUF on Linux). */
const PIPE_BUF = 4096;

/** Formats a VRRP instance line: `INSTANCE "VI_1" MASTER 100`. */
export function instanceFifoLine(name: string, state: string, priority: number): string {
  return `INSTANCE "${name}" ${state} ${priority}\n`;
}

/** Formats a sync group line: `GROUP "SG1" MASTER 0`. */
export function groupFifoLine(name: string, state: string): string {
  return `GROUP "${name}" ${state} 0\n`;
}

/** Formats a virtual server quorum line: `VS [192.0.2.15]:tcp:80 UP`. `vs` is already formatted. */
export function vsFifoLine(vs: string, up: boolean): string {
  return `VS ${vs} ${up ? 'UP' : 'DOWN'}\n`;
}

/** Formats a real server line: `RS [192.0.2.4]:tcp:80 [192.0.2.15]:tcp:80 DOWN`. */
export function rsFifoLine(rs: string, vs: string, up: boolean): string {
  return `RS ${rs} ${vs} ${up ? 'UP' : 'DOWN'}\n`;
}

/** A configured FIFO: `notify_fifo PATH [user [group]]` plus optional `*_fifo_script`. */
export interface FifoSpec {
  readonly path: string;
  /** Owner for a FIFO we create. */
  readonly uid?: number;
  readonly gid?: number;
  /** Reader started by us with the FIFO path appended as last argument. */
  readonly script?: ScriptSpec;
  /** Label for log texts: '', 'vrrp ' or 'lvs ' (as keepalived's `Unable to create %snotify fifo`). */
  readonly kind?: string;
}

/** Options of FifoWriter. */
export interface FifoWriterOptions {
  readonly logger: Logger;
  /** Bound on queued, unwritten lines (default 4096). */
  readonly maxQueuedLines?: number;
  /** Delay before retrying a write that got EAGAIN, ms (default 20). */
  readonly retryMs?: number;
  /** File mode for a FIFO we create (keepalived: 0644 & ~umask). */
  readonly mode?: number;
}

/** Creates the FIFO at `path` if nothing is there; returns false (and logs) if that failed or it is not a FIFO. */
export function ensureFifo(spec: FifoSpec, mode: number, logger: Logger): boolean {
  try {
    const st = lstatSync(spec.path, { throwIfNoEntry: false });
    if (st) {
      if (st.isFIFO()) return true;
      logger.log({ level: 'info', text: `${spec.path} is not a fifo` });
      return false;
    }
    execFileSync('mkfifo', ['-m', (mode & 0o7777).toString(8), spec.path], { stdio: 'ignore' });
    if (spec.uid !== undefined || spec.gid !== undefined) {
      try {
        chownSync(spec.path, spec.uid ?? -1, spec.gid ?? -1);
      } catch {
        logger.log({ level: 'info', text: `Failed to set uid:gid for fifo ${spec.path}` });
      }
    }
    return true;
  } catch {
    logger.log({ level: 'info', text: `Unable to create ${spec.kind ?? ''}notify fifo ${spec.path}` });
    return false;
  }
}

/** An ordered, non-blocking line writer for one FIFO, plus its reader script if configured. */
export class FifoWriter {
  private fd = -1;
  private readonly queue: string[] = [];
  private writing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private overflowLogged = false;
  private reader: ChildProcess | undefined;
  private closed = false;
  /** Lines dropped because the queue was full. */
  dropped = 0;

  constructor(
    readonly spec: FifoSpec,
    private readonly opts: FifoWriterOptions,
  ) {}

  /** Creates and opens the FIFO and starts the reader script. Returns false if the FIFO is unusable. */
  open(): boolean {
    if (!ensureFifo(this.spec, this.opts.mode ?? 0o644, this.opts.logger)) return false;
    try {
      this.fd = openSync(this.spec.path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).errno ?? 0;
      this.opts.logger.log({ level: 'info', text: `Unable to open ${this.spec.kind ?? ''}notify fifo ${this.spec.path} - errno ${-errno}` });
      return false;
    }
    if (this.spec.script) this.startReader(this.spec.script);
    return true;
  }

  /** Starts the reader script `argv… PATH` in its own process group. */
  private startReader(script: ScriptSpec): void {
    const [file, ...args] = script.argv;
    if (!file) return;
    const child = spawn(file, [...args, this.spec.path], {
      detached: true,
      stdio: 'ignore',
      uid: script.uid,
      gid: script.gid,
    });
    child.on('error', (e) => {
      this.opts.logger.log({ level: 'warning', text: `notify fifo script ${file} could not be started: ${e.message}` });
    });
    child.on('exit', (code, signal) => {
      if (!this.closed) {
        const how = signal ? `due to signal ${signal}` : `with status ${code}`;
        this.opts.logger.log({ level: 'warning', text: `notify fifo script ${file} exited ${how}` });
      }
    });
    this.reader = child;
  }

  /** Number of lines waiting to be written. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues one line (must end in `\n`). Never blocks, never throws. */
  writeLine(line: string): void {
    if (this.fd < 0 || this.closed) return;
    if (this.queue.length >= (this.opts.maxQueuedLines ?? 4096)) {
      this.dropped++;
      if (!this.overflowLogged) {
        this.overflowLogged = true;
        this.opts.logger.log({ level: 'warning', text: `notify fifo ${this.spec.path} is full - dropping lines` });
      }
      return;
    }
    this.queue.push(line);
    this.pump();
  }

  /**
   * Writes as many queued lines as fit in PIPE_BUF (4096 bytes, so the write is atomic: all or EAGAIN) in one
   * write; on EAGAIN retries later; a partial write (only possible for an over-long line) keeps the rest queued.
   */
  private pump(): void {
    if (this.writing || this.retryTimer || this.queue.length === 0 || this.fd < 0) return;
    let count = 1;
    let bytes = Buffer.byteLength(this.queue[0]!);
    while (count < this.queue.length) {
      const next = Buffer.byteLength(this.queue[count]!);
      if (bytes + next > PIPE_BUF) break;
      bytes += next;
      count++;
    }
    const buf = Buffer.from(this.queue.slice(0, count).join(''));
    this.writing = true;
    write(this.fd, buf, 0, buf.length, null, (err, n) => {
      this.writing = false;
      if (err) {
        if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.pump();
          }, this.opts.retryMs ?? 20);
          return;
        }
        if (!this.closed) this.opts.logger.log({ level: 'warning', text: `Write to notify fifo ${this.spec.path} failed: ${err.code}` });
        this.queue.splice(0, count);
      } else {
        this.consume(n);
      }
      this.pump();
    });
  }

  /** Drops `n` written bytes from the head of the queue (whole lines, plus a partial remainder). */
  private consume(n: number): void {
    let left = n;
    while (left > 0 && this.queue.length > 0) {
      const head = Buffer.from(this.queue[0]!);
      if (head.length <= left) {
        left -= head.length;
        this.queue.shift();
      } else {
        this.queue[0] = head.subarray(left).toString();
        left = 0;
      }
    }
    if (this.queue.length === 0) this.overflowLogged = false;
  }

  /** Resolves when the queue is empty or `boundMs` passed (true = flushed). */
  async flush(boundMs: number): Promise<boolean> {
    const until = performance.now() + boundMs;
    while (this.pending > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
    return this.pending === 0;
  }

  /** Stops the reader script (SIGTERM to its group) and closes the FIFO. Queued lines are discarded. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queue.length = 0;
    if (this.reader?.pid && this.reader.exitCode === null && this.reader.signalCode === null) {
      try {
        process.kill(-this.reader.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      if (this.writing) setTimeout(() => closeSync(fd), 50);
      else closeSync(fd);
    }
  }
}
