/**
 * Writing dump files as keepalived's `fopen_safe(…, "w")`: a private temporary file (mode 0600) in the same
 * directory, renamed over the target, so no reader ever sees a half-written file and no other user can read
 * it (keepalived.json carries the VRRP password).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Names of the dump files keepalived writes into its temp directory. */
export const DUMP_FILES = {
  data: 'keepalived.data',
  stats: 'keepalived.stats',
  json: 'keepalived.json',
} as const;

/**
 * A `.data` dump's file name: with global_defs `data_use_instance` and an instance name or network namespace,
 * keepalived's open_dump_file puts them before the extension (`keepalived.NAMESPACE_INSTANCE.data`), so that two
 * daemons on one host do not overwrite each other's dumps.
 */
export function dataDumpName(name: string, dataUseInstance: boolean | undefined, netNamespace?: string, instanceName?: string): string {
  if (!dataUseInstance || (netNamespace === undefined && instanceName === undefined)) return name;
  const dot = name.lastIndexOf('.');
  const tag = [netNamespace, instanceName].filter((x) => x !== undefined).join('_');
  return `${name.slice(0, dot)}.${tag}${name.slice(dot)}`;
}

/**
 * Atomically writes `body` to `dir/name` with mode 0600.
 * @returns the full path, or an Error (never thrown)
 */
export function writeDumpFile(dir: string, name: string, body: string): string | Error {
  const target = join(dir, name);
  const tmp = `${target}${randomBytes(4).toString('hex')}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    writeSync(fd, body);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
    return target;
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* ignore */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* ignore */
    }
    return e as Error;
  }
}
