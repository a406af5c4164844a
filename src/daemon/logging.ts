/**
 * Log sinks behind the Logger port (src/core/log.ts): console (`-l`), syslog (`/dev/log`, `-S`), file (`-g`).
 *
 * Formats are keepalived 2.2.7's (`lib/logger.c vlog_message`):
 * - console (`-l`, only with `-n`, as keepalived): `strftime("%c")` in the C locale, then `: ` and the text —
 *   `Sun Nov 22 08:33:46 2026: (VI_1) Entering MASTER STATE`;
 * - file (`-g`): `%a %b %d %T.<nanoseconds> %Y: text`;
 * - syslog: what glibc's syslog(3) sends to /dev/log — `<PRI>%h %e %T ident[pid]: text`, RFC 3164 style,
 *   no host name, no trailing newline.
 * `-D` lets records marked `detail: true` through. A sink failure is swallowed (logging never throws).
 * Time comes from the injected Clock's wall time; local time as the process's TZ says.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { LOG_PRIORITY, type LogRecord, type Logger } from '../core/log.js';
import type { DatagramSender } from './datagram.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** `%T`: HH:MM:SS of a local date. */
function hms(d: Date): string {
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** strftime `%c` in the C locale (`%a %b %e %H:%M:%S %Y`), local time. Used by the console sink. */
export function formatConsoleTime(wallMs: number): string {
  const d = new Date(wallMs);
  const day = String(d.getDate()).padStart(2, ' ');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ${hms(d)} ${d.getFullYear()}`;
}

/** keepalived's log-file stamp `%a %b %d %T.nnnnnnnnn %Y` (nanoseconds from the ms clock), local time. */
export function formatFileTime(wallMs: number): string {
  const d = new Date(wallMs);
  const ns = String(Math.floor((((wallMs % 1000) + 1000) % 1000) * 1e6)).padStart(9, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad2(d.getDate())} ${hms(d)}.${ns} ${d.getFullYear()}`;
}

/** glibc syslog(3)'s header stamp `%h %e %T` (e.g. `Nov  2 08:33:46`), local time. */
export function formatSyslogTime(wallMs: number): string {
  const d = new Date(wallMs);
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${hms(d)}`;
}

/**
 * One syslog datagram as glibc builds it for /dev/log: `<facility*8+severity>stamp ident[pid]: text`.
 * @param facility syslog facility number (3 = daemon, 16..23 = local0..7, 1 = user)
 */
export function formatSyslogMessage(facility: number, record: LogRecord, ident: string, pid: number, wallMs: number): string {
  const pri = facility * 8 + LOG_PRIORITY[record.level];
  return `<${pri}>${formatSyslogTime(wallMs)} ${ident}[${pid}]: ${record.text}`;
}

/**
 * The `-g` log file name, as keepalived's `make_file_name`: relative names live in the temp directory, and
 * `_<prog>` then `nsInst` (identSuffix: `_NAMESPACE_INSTANCE`) are inserted before the extension
 * (`keepalived.log` ⇒ `/tmp/keepalived_vrrp.log`, `/tmp/keepalived_vrrp_ns1_a.log`).
 */
export function logFileName(name: string, prog: string | undefined, tmpDir: string, nsInst = ''): string {
  const full = isAbsolute(name) ? name : join(tmpDir, name);
  const tail = `${prog ? `_${prog}` : ''}${nsInst}`;
  if (!tail) return full;
  const slash = full.lastIndexOf('/');
  const dot = full.lastIndexOf('.');
  return dot > slash ? `${full.slice(0, dot)}${tail}${full.slice(dot)}` : `${full}${tail}`;
}

/** The temp directory keepalived uses: `$TMPDIR` when absolute, else `/tmp` (`lib/utils.c set_tmp_dir`). */
export function tmpDirFrom(env: Readonly<Record<string, string | undefined>>): string {
  const t = env['TMPDIR'];
  return t && t.startsWith('/') ? t : '/tmp';
}

/** A destination for formatted records. `ident` is the process identity (`Keepalived`, `Keepalived_vrrp`). */
export interface LogSink {
  write(record: LogRecord, ident: string, wallMs: number): void;
  close?(): void;
}

/** Something with a `write(string)`, e.g. `process.stderr`. */
export interface TextOut {
  write(text: string): unknown;
}

/** Console sink (`-l` with `-n`): `%c: text` lines on stderr, no ident, as keepalived. */
export function consoleSink(out: TextOut): LogSink {
  return {
    write: (r, _ident, wall) => {
      out.write(`${formatConsoleTime(wall)}: ${r.text}\n`);
    },
  };
}

/** File sink (`-g`): appends `stamp: text` lines with synchronous writes (ordered, flushed at once). */
export class FileSink implements LogSink {
  private fd: number | undefined;
  /** Why the file could not be opened at first, if it could not. */
  readonly error: string | undefined;

  /** Opens (creates, appends) `path`; on failure the sink stays closed and `error` says why. */
  constructor(public path: string) {
    this.error = this.open();
  }

  private open(): string | undefined {
    try {
      this.fd = openSync(this.path, 'a', 0o644);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /**
   * Closes the file and appends to `path` from now on (keepalived's parent re-opens its log file as
   * `keepalived_NAMESPACE_INSTANCE.log` once the configuration named them); returns why it could not, if it could not.
   */
  reopen(path: string): string | undefined {
    this.close();
    this.path = path;
    return this.open();
  }

  write(record: LogRecord, _ident: string, wallMs: number): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `${formatFileTime(wallMs)}: ${record.text}\n`);
    } catch {
      // A full disk must not stop the daemon.
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already gone */
      }
      this.fd = undefined;
    }
  }
}

/** Options of the syslog sink. */
export interface SyslogOptions {
  readonly sender: DatagramSender;
  /** syslog facility number (`-S`), default 3 (daemon). */
  readonly facility: number;
  readonly pid: number;
  /** Socket path, default `/dev/log`. */
  readonly path?: string;
  /** Where records go when the sender is unavailable (one warning first). Default: nowhere. */
  readonly fallback?: TextOut;
}

/** syslog sink: one datagram per record to /dev/log; falls back to a text stream when it cannot send. */
export class SyslogSink implements LogSink {
  private warned = false;

  constructor(private readonly opts: SyslogOptions) {}

  write(record: LogRecord, ident: string, wallMs: number): void {
    const line = formatSyslogMessage(this.opts.facility, record, ident, this.opts.pid, wallMs);
    const res = this.opts.sender.available
      ? this.opts.sender.send(this.opts.path ?? '/dev/log', Buffer.from(line, 'utf8'))
      : { ok: false as const, error: 'unix datagram sockets unavailable' };
    if (res.ok || !this.opts.fallback) return;
    try {
      if (!this.warned) {
        this.warned = true;
        this.opts.fallback.write(`keepalived-ts: cannot log to syslog (${res.error}); logging to stderr instead\n`);
      }
      this.opts.fallback.write(`${formatSyslogTime(wallMs)} ${ident}[${this.opts.pid}]: ${record.text}\n`);
    } catch {
      // Never throw from logging.
    }
  }
}

/**
 * Fans records out to sinks, dropping `detail` records unless `-D` was given. Loggers for each identity
 * (`Keepalived` for lifecycle, `Keepalived_vrrp` for VRRP) share the sinks.
 */
export class LogHub {
  private readonly sinks: LogSink[];

  constructor(
    private readonly clock: Clock,
    sinks: readonly LogSink[],
    /** `-D` given: let `detail: true` records through. */
    readonly detail: boolean,
  ) {
    this.sinks = [...sinks];
  }

  /** Adds a sink (e.g. after the configuration named a log file). */
  addSink(sink: LogSink): void {
    this.sinks.push(sink);
  }

  /**
   * What every identity gets appended (keepalived's make_syslog_ident: `_NAMESPACE_INSTANCE`); set once the
   * configuration has named them (identSuffix in child-role.ts).
   */
  private identSuffix = '';

  /** Appends `suffix` to every identity from now on (loggers already handed out included). */
  setIdentSuffix(suffix: string): void {
    this.identSuffix = suffix;
  }

  /** A Logger writing under `ident` (plus the suffix set by setIdentSuffix). */
  logger(ident: string): Logger {
    return { log: (record) => this.write(record, ident + this.identSuffix) };
  }

  /** Writes one record to every sink; never throws. */
  write(record: LogRecord, ident: string): void {
    if (record.detail && !this.detail) return;
    let wall: number;
    try {
      wall = this.clock.wallNow();
    } catch {
      wall = 0;
    }
    for (const s of this.sinks) {
      try {
        s.write(record, ident, wall);
      } catch {
        // A failing sink must not stop the others.
      }
    }
  }

  /** Closes every sink. */
  close(): void {
    for (const s of this.sinks) {
      try {
        s.close?.();
      } catch {
        /* ignore */
      }
    }
  }
}

/** State of one rate-limited message key. */
interface LimitState {
  windowStart: number;
  suppressed: number;
}

/**
 * "Once per interval" logging for floods (bad packets on the VRRP socket, repeated errors): the first record for
 * a key in each interval is logged, the rest are counted; the next logged record says how many were suppressed.
 * Time is passed in (monotonic ms), so this works inside pure code too.
 */
export class LogRateLimiter {
  private readonly keys = new Map<string, LimitState>();

  constructor(
    private readonly intervalMs: number,
    /** Upper bound on distinct keys remembered (oldest forgotten first). */
    private readonly maxKeys = 1024,
  ) {}

  /**
   * Logs `record` through `logger` unless `key` was logged less than one interval ago.
   * @returns true when the record was written
   */
  log(logger: Logger, key: string, record: LogRecord, now: number): boolean {
    const st = this.keys.get(key);
    if (st && now - st.windowStart < this.intervalMs) {
      st.suppressed++;
      return false;
    }
    const suppressed = st?.suppressed ?? 0;
    this.remember(key, { windowStart: now, suppressed: 0 });
    const text = suppressed > 0 ? `${record.text} (${suppressed} similar messages suppressed)` : record.text;
    logger.log({ ...record, text });
    return true;
  }

  /** How many records for `key` are being held back in the current interval. */
  suppressedCount(key: string): number {
    return this.keys.get(key)?.suppressed ?? 0;
  }

  private remember(key: string, st: LimitState): void {
    this.keys.delete(key);
    this.keys.set(key, st);
    if (this.keys.size > this.maxKeys) {
      const oldest = this.keys.keys().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }
}
