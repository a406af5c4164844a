/**
 * Files the supervising parent keeps about its configuration reads (keepalived core/main.c, lib/parser.c):
 * - `reload_file`: exists (empty, rw-r--r--) while a reload reads the configuration, so that a tool updating the
 *   files can wait for it to disappear;
 * - `config_save_dir`: a copy of each configuration read, DIR/keepalived.conf.PID.N (N from 0), for debugging
 *   repeated reloads. keepalived copies its in-memory concatenation of the files; ours is each file read, in order,
 *   after a `# PATH` line, as keepalived marks each included file.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Logger } from '../core/log.js';

const errText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return `${-(err.errno ?? 0) || ''} - ${err.message}`.trim();
};

/** keepalived's create_reload_file: created or truncated, mode 0644. */
export function createReloadFile(path: string, log: Logger): void {
  try {
    closeSync(openSync(path, 'w', 0o644));
    chmodSync(path, 0o644);
  } catch (e) {
    log.log({ level: 'info', text: `Failed to create reload file (${path}) ${errText(e)}` });
  }
}

/** keepalived's remove_reload_file. */
export function removeReloadFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* not there */
  }
}

/** Saves configuration copies for `config_save_dir`; one per daemon (it numbers the copies). */
export class ConfigSaver {
  private next = 0;

  constructor(
    private readonly pid: number,
    private readonly log: Logger,
  ) {}

  /**
   * Writes the copy. The directory is created (mode 0700) when missing, as keepalived's config_save_dir handler
   * does in the parent; its parent directories must exist.
   * @returns the file written, or undefined (logged)
   */
  save(dir: string, sources: readonly { readonly path: string; readonly text: string }[]): string | undefined {
    if (!this.ensureDir(dir)) return undefined;
    const file = `${dir}/keepalived.conf.${this.pid}.${this.next++}`;
    const body = sources.map((s) => `# ${s.path}\n${s.text}${s.text.endsWith('\n') || !s.text ? '' : '\n'}`).join('');
    try {
      writeFileSync(file, body, { mode: 0o600 });
      return file;
    } catch (e) {
      this.log.log({ level: 'info', text: `Unable to save configuration to ${file} - ${(e as Error).message}` });
      return undefined;
    }
  }

  private ensureDir(dir: string): boolean {
    try {
      if (statSync(dir).isDirectory()) return true;
      this.log.log({ level: 'err', text: `config_save_dir ${dir} exists and is not a directory` });
      return false;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log.log({ level: 'err', text: `config_save_dir ${dir} error ${errText(e)}` });
        return false;
      }
    }
    try {
      mkdirSync(dir, { mode: 0o700 });
      return true;
    } catch (e) {
      this.log.log({ level: 'err', text: `Unable to create config_save_dir ${dir} (error ${errText(e)})` });
      return false;
    }
  }
}
