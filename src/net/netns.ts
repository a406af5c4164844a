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

/**
 * Runs `fn` with the calling thread in another network namespace and moves it back (keepalived's
 * socket_netns_name / nl_ipvs_connect for `net_namespace_ipvs`): `name` is one under /run/netns, or '' for the
 * default namespace (that of pid 1). A socket `fn` creates stays in that namespace. Returns `fn`'s value, or
 * keepalived's log text when the namespace could not be entered.
 */
export function inNetNamespace<T>(name: string, fn: () => T, dir = NETNS_DIR): { value: T } | { error: string } {
  const fds: number[] = [];
  const errText = (e: unknown) => (isSysError(e) ? `errno ${e.errno} (${e.code})` : String(e));
  try {
    fds.push(sysio.openReadOnly(name ? `${dir}/${name}` : '/proc/1/ns/net'));
    fds.push(sysio.openReadOnly('/proc/thread-self/ns/net'));
  } catch (e) {
    for (const fd of fds) sysio.close(fd);
    return { error: `Failed to open namespace fds, ${errText(e)}` };
  }
  const [target, current] = fds as [number, number];
  try {
    sysio.setns(target, K.CLONE_NEWNET as number);
  } catch (e) {
    sysio.close(current);
    return { error: `Open socket - unable to set namespace, ${errText(e)}` };
  } finally {
    sysio.close(target);
  }
  try {
    return { value: fn() };
  } finally {
    try {
      sysio.setns(current, K.CLONE_NEWNET as number);
    } finally {
      sysio.close(current);
    }
  }
}
