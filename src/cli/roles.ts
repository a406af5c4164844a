/**
 * Which runtime each child role runs. Loaded only in a child process (src/cli/child.ts), so the supervising
 * parent never loads runtime code.
 */
import type { ChildRole } from '../daemon/child-role.js';
import { createCheckRuntime } from '../runtime/check/runtime.js';
import type { RuntimeFactory } from '../runtime/port.js';
import { LinuxVrrpRuntime } from '../runtime/vrrp/linux-runtime.js';

/** Role → runtime factory. */
export const RUNTIMES: Readonly<Record<ChildRole, RuntimeFactory>> = {
  vrrp: (ctx) => new LinuxVrrpRuntime(ctx),
  check: (ctx) => createCheckRuntime(ctx),
};
