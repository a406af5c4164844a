/**
 * `-t` with `net_namespace NAME` or `-s NAME`: keepalived 2.2.7 enters the namespace before it validates the
 * configuration (core/main.c calls set_namespaces before validate_config), so the interfaces it looks for are those
 * of the namespace. Loaded only when a namespace is named: `-t` otherwise loads no network code.
 */
import type { HostView } from '../config/index.js';

/**
 * Moves this thread into namespace `name` (the addon's setns, as the daemon does) and returns the host view there:
 * interfaces by if_nametoindex, which follows the thread's namespace (/sys/class/net shows the namespace sysfs was
 * mounted in). Each namespace's loopback is its first device, ifindex 1. On failure, keepalived's log text.
 */
export async function enterTestNamespace(name: string): Promise<{ host: HostView } | { error: string }> {
  const [{ enterNetNamespace }, { interfaceInNamespace }, { sysio }, { realHost }] = await Promise.all([
    import('../net/netns.js'),
    import('./interfaces.js'),
    import('../net/sysio.js'),
    import('../config/config-test.js'),
  ]);
  const error = enterNetNamespace(name);
  if (error !== undefined) return { error };
  return {
    host: {
      ...realHost,
      interfaceKind: (n) => (!interfaceInNamespace(n) ? 'missing' : sysio.ifNameToIndex(n) === 1 ? 'loopback' : 'ok'),
    },
  };
}
