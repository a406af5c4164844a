/**
 * Log records and the logger port.
 *
 * The pure cores do not write logs: they return `LogRecord`s (or call an injected `Logger`),
 * and the daemon decides where they go (syslog, console with `-l`, a file with `-g`).
 * Message texts follow keepalived 2.2.7 exactly where keepalived has one, because operators grep for them.
 */

/** syslog severities, in keepalived's (and syslog(3)'s) order. */
export type LogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

/** syslog(3) numeric priority for each level. */
export const LOG_PRIORITY: Readonly<Record<LogLevel, number>> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** One log message. `detail` marks messages keepalived prints only with `-D/--log-detail`. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly text: string;
  readonly detail?: boolean;
}

/** Where log records go. Implementations must never throw. */
export interface Logger {
  log(record: LogRecord): void;
}

/** A logger that keeps records in memory; for tests. */
export class MemoryLogger implements Logger {
  /** Every record logged so far, oldest first. */
  readonly records: LogRecord[] = [];

  log(record: LogRecord): void {
    this.records.push(record);
  }

  /** The texts of all records, oldest first. */
  texts(): string[] {
    return this.records.map((r) => r.text);
  }
}

/** A logger that drops everything. */
export const nullLogger: Logger = { log: () => {} };
