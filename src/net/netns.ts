/**
 * Entering a named network namespace (`net_namespace NAME`, `-s NAME`) as keepalived's core/namespaces.c does:
 * open /run/netns/NAME and setns(CLONE_NEWNET). Node has threads, and setns moves only the calling one; the
 * supervisor calls this on its JS thread before it opens any socket or starts a child, so every socket it creates
 * afterwards, and every child process (forked from this thread), lives in the namespace with all of its threads.
 * keepalived also unshares a mount namespace to bind /run/keepalived/NAME on /run/keepalived; unshare(CLONE_NEWNS)
 * is refused to a multi-threaded process, so keepalived-ts writes its pid files to /run/keepalived/NAME directly.
 */
import { sysio, K, isSysError } from './sysio.js';

/** Where `ip netns` keeps named namespaces (keepalived's RUNSTATEDIR "/netns/"). */
export const NETNS_DIR = '/run/netns';

/**
 * Moves the calling thread into the network namespace `name`; returns keepalived's log text on failure
 * (`Failed to open /run/netns/NAME`, `setns() failed with error N`), undefined on success.
 */
export function enterNetNamespace(name: string, dir = NETNS_DIR): string | undefined {
  const path = `${dir}/${name}`;
  let fd: number;
  try {
    fd = sysio.openReadOnly(path);
  } catch {
    return `Failed to open ${path}`;
  }
  try {
    sysio.setns(fd, K.CLONE_NEWNET as number);
    return undefined;
  } catch (e) {
    return `setns() failed with error ${isSysError(e) ? e.errno : String(e)}`;
  } finally {
    sysio.close(fd);
  }
}
