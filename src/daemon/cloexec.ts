/**
 * Descriptors a daemon process inherited must not reach the programs it runs (issue 16: scripts never inherit the
 * daemon's file descriptors). Node.js opens everything of its own close-on-exec, and so does packages/sysio; what a
 * process inherits is not: a child's IPC channel to the supervisor (fd 3, NODE_CHANNEL_FD, which Node leaves
 * inheritable), the detached supervisor's readiness pipe, or whatever the caller of keepalived-ts left open. Each
 * daemon process therefore marks every descriptor above stderr close-on-exec once, at start; scripts, `nft` and
 * `gobgpd` then get exactly the stdio they are spawned with.
 */
import { sysio } from '../net/sysio.js';

/** Marks every open descriptor above 2 close-on-exec; returns how many were not yet. Never throws. */
export function closeInheritedOnExec(): number {
  try {
    return sysio.cloexecFrom(3);
  } catch {
    return 0; // no /proc: nothing better to do than carry on
  }
}
