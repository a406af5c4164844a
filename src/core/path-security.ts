/**
 * keepalived's path security rule (lib/notify.c check_script_secure), shared by the script checks (src/notify) and
 * the configuration-file check (src/config): a path is safe for root to trust when every component — `/`, each
 * directory, the file — is owned by root and writable by nobody else (a group write bit is fine for group root;
 * directories with the sticky bit are exempt from the write checks; symlinks only need a root owner).
 */
import { lstatSync, type Stats } from 'node:fs';

/** Why one path component is unsafe, or undefined if it is fine. Symlinks are only checked for their owner. */
export function unsafeReason(st: Pick<Stats, 'uid' | 'gid' | 'mode'>, kind: 'dir' | 'file' | 'link'): string | undefined {
  if (st.uid !== 0) return `is owned by uid ${st.uid}`;
  if (kind === 'link' || (kind === 'dir' && (st.mode & 0o1000) !== 0)) return undefined;
  if (st.gid !== 0 && st.mode & 0o020) return `is writable by group ${st.gid}`;
  if (st.mode & 0o002) return 'is world-writable';
  return undefined;
}

/** The prefixes keepalived checks for `/a/b/c`: `/`, `/a`, `/a/b`, `/a/b/c`. */
export function pathComponents(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const out = ['/'];
  for (let i = 1; i <= parts.length; i++) out.push('/' + parts.slice(0, i).join('/'));
  return out;
}

/** The first unsafe component of `path` and why, or undefined when all are safe or it cannot be read. */
export function firstUnsafeComponent(path: string): { component: string; why: string } | undefined {
  for (const component of pathComponents(path)) {
    let st: Stats;
    try {
      st = lstatSync(component);
    } catch {
      return undefined;
    }
    const why = unsafeReason(st, st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file');
    if (why) return { component, why };
  }
  return undefined;
}
