/**
 * Tests only: `KEEPALIVED_TS_TEST_STALL_MS=N` in a VRRP or BFD child's environment makes SIGPWR block its JavaScript
 * thread for N ms (Atomics.wait: the event loop, timers and sockets all stop; native threads such as the advert and
 * transmit watchdogs' go on). This is how the netns tier reproduces an event loop that is late — a long garbage collection, a reload, the
 * main thread's vCPU stopped — without stopping the whole process as SIGSTOP would. Unset (always, outside tests):
 * nothing is installed.
 */

/** The environment variable that enables the hook. */
export const TEST_STALL_ENV = 'KEEPALIVED_TS_TEST_STALL_MS';

/** Installs the SIGPWR stall when `env` asks for it; returns the stall length (ms), or undefined. */
export function installTestStall(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const ms = Number(env[TEST_STALL_ENV]);
  if (!(ms > 0 && ms <= 60_000)) return undefined;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  process.on('SIGPWR', () => {
    Atomics.wait(cell, 0, 0, ms);
  });
  return ms;
}
