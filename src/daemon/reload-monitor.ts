/**
 * global_defs `reload_time_file` (and `reload_repeat`), as keepalived 2.2.7's core/reload_monitor.c: the file's
 * directory is watched (inotify, through fs.watch); whenever the file appears or changes its first line is read
 * (reload-time.ts) and a reload is scheduled, moved or cancelled; deleting the file cancels it. When the time comes
 * the file is deleted — unless `reload_repeat` and it holds only a time of day, so the reload happens again the next
 * day — and the daemon reloads. The supervisor stops the monitor when a reload starts and starts a new one, with the
 * new configuration's file, after it.
 */
import { readFileSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../core/log.js';
import { formatLocalTime, parseReloadTime, systemCalendar, type Calendar } from './reload-time.js';

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 0x7fffffff;

/** Timers as the supervisor has them. */
export interface MonitorTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What the monitor needs. */
export interface ReloadMonitorDeps {
  /** The `reload_time_file` path. */
  readonly file: string;
  /** `reload_repeat`. */
  readonly repeat: boolean;
  readonly log: Logger;
  readonly timers: MonitorTimers;
  /** Wall-clock ms. */
  readonly now: () => number;
  /** Called when the scheduled time has come (the supervisor reloads). */
  readonly onReload: () => void;
  readonly calendar?: Calendar;
}

/** One monitor per configuration in force; stop() before replacing it. */
export class ReloadMonitor {
  private watcher: FSWatcher | undefined;
  private timer: unknown;
  private scheduledMs = 0;
  private dateSpecified = false;

  constructor(private readonly deps: ReloadMonitorDeps) {}

  /** Watches the file's directory and reads the file if it is there. */
  start(): void {
    const dir = dirname(this.deps.file) || '/';
    const name = basename(this.deps.file);
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, f) => {
        if (f === null || f === name) this.readFile();
      });
      this.watcher.on('error', () => {
        this.cancel(true);
        this.watcher?.close();
        this.watcher = undefined;
        this.info('Directory of reload timer file has disappeared. Monitoring stopped.');
      });
    } catch {
      this.info(`Unable to monitor reload timer file directory ${dir}- ignoring`);
      return;
    }
    this.readFile();
  }

  /** Stops watching and drops a scheduled reload (without a log line, as keepalived at a reload). */
  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.cancel(false);
  }

  /** The scheduled reload time (wall ms), 0 when none: for tests and dumps. */
  get scheduled(): number {
    return this.scheduledMs;
  }

  private info(text: string): void {
    this.deps.log.log({ level: 'info', text });
  }

  private cancel(log: boolean): void {
    if (this.timer === undefined) return;
    this.deps.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (log && this.scheduledMs) this.info(`Cancelling reload scheduled for ${this.fmt(this.scheduledMs)}`);
    this.scheduledMs = 0;
  }

  private fmt(ms: number): string {
    return formatLocalTime(ms, this.deps.calendar ?? systemCalendar);
  }

  /** keepalived's read_file: the first line (at most 20 characters), parsed; schedule, move or cancel. */
  private readFile(): void {
    let line: string;
    try {
      line = readFileSync(this.deps.file, 'utf8').slice(0, 20).split('\n')[0] ?? '';
    } catch {
      this.cancel(true);
      return;
    }
    const t = parseReloadTime(line, this.deps.now(), this.deps.calendar ?? systemCalendar);
    if (!t.ok) {
      for (const l of t.log) this.info(l);
      this.cancel(true);
      return;
    }
    this.dateSpecified = t.dateSpecified;
    if (t.atMs === this.scheduledMs) return;
    const delay = Math.max(0, t.atMs - this.deps.now());
    if (this.timer !== undefined) {
      this.info(`Reload time updated from ${this.fmt(this.scheduledMs)} to ${this.fmt(t.atMs)}`);
      this.deps.timers.clearTimeout(this.timer);
    } else {
      this.info(`Scheduling reload for ${this.fmt(t.atMs)}`);
    }
    this.scheduledMs = t.atMs;
    this.arm(delay);
  }

  /** A timer for `delay` ms; beyond setTimeout's range (24.8 days) in steps. */
  private arm(delay: number): void {
    this.timer = this.deps.timers.setTimeout(
      () => {
        const left = this.scheduledMs - this.deps.now();
        if (delay > MAX_TIMER_MS && left > 0) this.arm(left);
        else this.fire();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  private fire(): void {
    this.timer = undefined;
    this.scheduledMs = 0;
    this.watcher?.close(); // "We don't want to know that the file is being removed"
    this.watcher = undefined;
    if (!this.deps.repeat || this.dateSpecified) {
      try {
        unlinkSync(this.deps.file);
      } catch {
        /* gone already */
      }
    }
    this.deps.onReload();
  }
}
