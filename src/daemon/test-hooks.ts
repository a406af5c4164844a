/**
 * Test-only memory load for a VRRP child, from its environment (issue 16: the soak's leak check must catch a slow
 * leak and must not take steady garbage for one; test/netns/soak/leak-check.test.ts). Unset in production: nothing
 * runs. Both allocate V8 heap strings every 100 ms:
 * - `KEEPALIVED_TS_TEST_LEAK_KIB_S`: KiB per second kept forever (a leak);
 * - `KEEPALIVED_TS_TEST_GARBAGE_KIB_S`: KiB per second kept for 2 s and then dropped (garbage that survives the
 *   young generation, as netlink dumps, script results and reloads make: the heap swings but does not grow).
 */

/** KiB/s of heap retained forever. */
export const TEST_LEAK_ENV = 'KEEPALIVED_TS_TEST_LEAK_KIB_S';
/** KiB/s of heap retained for 2 s. */
export const TEST_GARBAGE_ENV = 'KEEPALIVED_TS_TEST_GARBAGE_KIB_S';

const TICK_MS = 100;
const GARBAGE_LIFE_TICKS = 20;

/** Starts the hooks the environment asks for; returns a function that stops them (and frees what they hold). */
export function startTestMemoryHooks(env: NodeJS.ProcessEnv): () => void {
  const leak = Number(env[TEST_LEAK_ENV] ?? 0);
  const garbage = Number(env[TEST_GARBAGE_ENV] ?? 0);
  if (!(leak > 0) && !(garbage > 0)) return () => {};
  let kept: string[] = [];
  const ring: string[][] = [];
  let n = 0;
  const chunk = () => `${'x'.repeat(1000)}${n++}`.padEnd(1024, '.');
  const timer = setInterval(() => {
    for (let i = 0; i < (leak * TICK_MS) / 1000; i++) kept.push(chunk());
    const batch: string[] = [];
    for (let i = 0; i < (garbage * TICK_MS) / 1000; i++) batch.push(chunk());
    ring.push(batch);
    if (ring.length > GARBAGE_LIFE_TICKS) ring.shift();
  }, TICK_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    kept = [];
    ring.length = 0;
  };
}
