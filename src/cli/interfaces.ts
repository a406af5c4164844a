/**
 * The daemon's interface lookup (parent and children; `-t` keeps /sys/class/net and does not load the addon).
 */
import { sysio } from '../net/sysio.js';

/**
 * Whether a network interface exists in this thread's network namespace (keepalived's "doesn't exist"
 * diagnostics): if_nametoindex, not /sys/class/net, which shows the namespace sysfs was mounted in — after
 * `net_namespace`/`-s` that is still the host's.
 */
export function interfaceInNamespace(name: string): boolean {
  if (name.length === 0 || name.length >= 16) return false;
  try {
    return sysio.ifNameToIndex(name) > 0;
  } catch {
    return false;
  }
}
