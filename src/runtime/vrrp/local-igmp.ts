/**
 * `disable_local_igmp` (global_defs), as keepalived 2.2.7's vrrp_daemon.c does it: at the VRRP process's start
 * (not on a reload) it writes 0 to /proc/sys/net/ipv4/igmp_link_local_mcast_reports, so the kernel sends no IGMP
 * reports for link-local groups such as 224.0.0.18 — switches that snoop IGMP and drop unreported groups must be
 * configured for VRRP instead; at exit it writes back the saved value. The file is per network namespace; the write
 * is synchronous on the calling thread, so it lands in the namespace the process runs in.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { Logger } from '../../core/log.js';

/** keepalived's igmp_link_local_mcast_reports path. */
export const IGMP_LINK_LOCAL_MCAST_REPORTS = '/proc/sys/net/ipv4/igmp_link_local_mcast_reports';

/** The saved setting: restore() writes it back when it was changed. */
export interface LocalIgmpSetting {
  restore(): void;
}

const errnoOf = (e: unknown): number => -((e as NodeJS.ErrnoException).errno ?? 0);

/**
 * Turns the reports off (keepalived's set_disable_local_igmp); returns undefined (logged with keepalived's texts)
 * when the file cannot be opened, read or written — keepalived then clears the setting.
 */
export function disableLocalIgmp(log: Logger, path = IGMP_LINK_LOCAL_MCAST_REPORTS): LocalIgmpSetting | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (e) {
    log.log({ level: 'info', text: `Unable to open ${path} - errno ${errnoOf(e)}` });
    return undefined;
  }
  try {
    const saved = Buffer.alloc(1);
    try {
      if (readSync(fd, saved, 0, 1, 0) !== 1) throw Object.assign(new Error('short read'), { errno: 0 });
    } catch (e) {
      log.log({ level: 'info', text: `Unable to read ${path} - errno ${errnoOf(e)}` });
      return undefined;
    }
    if (saved.toString() !== '1') return { restore: () => {} };
    try {
      writeSync(fd, '0', 0);
    } catch (e) {
      log.log({ level: 'info', text: `Unable to write ${path} - errno ${errnoOf(e)}` });
      return undefined;
    }
    return { restore: () => restoreLocalIgmp(log, path) };
  } finally {
    closeSync(fd);
  }
}

/** keepalived's reset_disable_local_igmp: writes back '1'. */
function restoreLocalIgmp(log: Logger, path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r+');
    writeSync(fd, '1', 0);
  } catch (e) {
    log.log({ level: 'info', text: `Unable to write ${path} - errno ${errnoOf(e)}` });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
