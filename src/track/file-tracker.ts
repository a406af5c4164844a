/**
 * `track_file` / `vrrp_track_file`: an integer read from a file, re-read whenever the file changes
 * (keepalived `trackers/track_file.c`: inotify on the directory, `strtol(buf, NULL, 0)` of the first 127 bytes;
 * a missing or empty file reads as 0; out-of-range values are ignored with a log line).
 *
 * Reported as TrackerResult `{kind: 'file', name, ok: value === 0, value}`; the state machine applies
 * value × weight (weight 0: non-zero means FAULT, inverted with `reverse`).
 */
import { closeSync, existsSync, openSync, readSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../core/log.js';
import type { TrackerResult } from '../vrrp/types.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** C `strtol(s, NULL, 0)`: blanks, sign, 0x hex / 0 octal / decimal prefix; no digits → 0. */
export function strtol0(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(s);
  const digits = m?.[2];
  if (!digits) return 0;
  let v: number;
  if (/^0[xX]/.test(digits)) v = parseInt(digits.slice(2), 16);
  else if (digits.startsWith('0')) v = digits.length > 1 ? parseInt(digits.slice(1), 8) : 0;
  else v = parseInt(digits, 10);
  return m![1] === '-' ? -v : v;
}

/** The value of a track file's contents, or undefined (ignored) when out of range. */
export function trackFileValue(contents: string): number | undefined {
  const v = strtol0(contents.slice(0, 127));
  if (!Number.isSafeInteger(v) || v < INT32_MIN || v > INT32_MAX + 1) return undefined;
  return v;
}

/** `track_file NAME { file PATH; init_file [VALUE] [overwrite] }`. */
export interface TrackFileOptions {
  readonly name: string;
  readonly path: string;
  /** `init_file`: create the file with this value if absent (or always, with overwrite). */
  readonly initFile?: { readonly value: number; readonly overwrite: boolean };
}

/** Watches one track file and reports its value. */
export class FileTracker {
  private watcher: FSWatcher | undefined;
  private current: number | undefined;

  constructor(
    readonly opts: TrackFileOptions,
    private readonly logger: Logger,
    private readonly onUpdate: (r: TrackerResult) => void,
  ) {}

  /** The last value read (undefined before start). */
  get value(): number | undefined {
    return this.current;
  }

  /** Applies init_file, reads the initial value (reported), and starts watching the directory. */
  start(): void {
    const init = this.opts.initFile;
    if (init && (init.overwrite || !existsSync(this.opts.path))) {
      try {
        writeFileSync(this.opts.path, `${init.value}\n`);
      } catch (e) {
        this.logger.log({ level: 'info', text: `Unable to write init_file ${this.opts.path}: ${(e as Error).message}` });
      }
    }
    this.reread(true);
    const base = basename(this.opts.path);
    try {
      this.watcher = watch(dirname(this.opts.path), { persistent: false }, (_ev, file) => {
        if (file === null || file === base) this.reread(false);
      });
      this.watcher.on('error', (e) => this.logger.log({ level: 'info', text: `track_file ${this.opts.name} watch error: ${e.message}` }));
    } catch (e) {
      this.logger.log({ level: 'info', text: `Unable to watch track file ${this.opts.path}: ${(e as Error).message}` });
    }
  }

  /** Stops watching. */
  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Reads the file now; reports if the value changed (or `force`). */
  reread(force: boolean): void {
    let text = '';
    try {
      const fd = openSync(this.opts.path, 'r');
      try {
        const buf = Buffer.alloc(127);
        const n = readSync(fd, buf, 0, buf.length, 0);
        text = buf.subarray(0, n).toString('latin1');
      } finally {
        closeSync(fd);
      }
    } catch {
      /* missing file reads as 0 */
    }
    const v = trackFileValue(text);
    if (v === undefined) {
      this.logger.log({ level: 'info', text: `Invalid number ${strtol0(text)} read from ${this.opts.path} - ignoring` });
      return;
    }
    if (!force && v === this.current) return;
    this.current = v;
    this.onUpdate({ kind: 'file', name: this.opts.name, ok: v === 0, value: v });
  }
}
