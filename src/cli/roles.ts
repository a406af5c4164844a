/**
 * Which runtime each child role runs. Loaded only in a child process (src/cli/child.ts), so the supervising
 * parent never loads runtime code; and each role's runtime is imported only in that role's child, so the VRRP
 * child does not load the checker, IPVS or nftables code (nor the checker child the VRRP code).
 */
import type { ChildRole } from '../daemon/child-role.js';
import type { RuntimeFactory } from '../runtime/port.js';

/** Role → a loader of its runtime factory (a dynamic import: only the role's own modules are loaded). */
export const RUNTIMES: Readonly<Record<ChildRole, () => Promise<RuntimeFactory>>> = {
  vrrp: async () => {
    const { LinuxVrrpRuntime } = await import('../runtime/vrrp/linux-runtime.js');
    return (ctx) => new LinuxVrrpRuntime(ctx);
  },
  bgp: async () => {
    const { BgpRuntime } = await import('../runtime/bgp/runtime.js');
    return (ctx) => new BgpRuntime(ctx);
  },
  bfd: async () => {
    const { BfdRuntime } = await import('../runtime/bfd/runtime.js');
    return (ctx) => new BfdRuntime(ctx);
  },
  check: async () => {
    const { createCheckRuntime } = await import('../runtime/check/runtime.js');
    return (ctx) => createCheckRuntime(ctx);
  },
};
