/**
 * The V8 flags keepalived-ts gives the Node.js processes it starts itself (issue 17), chosen per role from
 * measurements (`npm run bench -- memory`, README "Performance against keepalived 2.2.7"). They come first on the
 * command line, so a flag the operator gave node itself (`node --flag keepalived-ts …`) comes later and wins;
 * `KEEPALIVED_TS_V8_FLAGS` (space-separated, may be empty) replaces all of them.
 */

/** The environment variable that replaces the default flags of every process keepalived-ts starts. */
export const V8_FLAGS_ENV = 'KEEPALIVED_TS_V8_FLAGS';

/** Which process is being started. */
export type FlaggedProcess = 'supervisor' | 'vrrp' | 'check' | 'bgp' | 'bfd';

/**
 * Every child: a child keeps a few MB of live data; V8's default young generation (up to 16 MB semi-spaces on
 * 64-bit) would be most of its resident set, and 1 MB semi-spaces cost a few more scavenges of a heap that small.
 */
const SMALL_YOUNG = ['--max-semi-space-size=1'];

/**
 * The defaults per process.
 * - The detached supervisor (started without `-n`) also runs `--lite-mode`: no optimising compiler, lazily
 *   allocated feedback. It parses the configuration at start and reload and otherwise relays messages; measured with
 *   200 instances: 6 MB less anonymous memory and 5 MB fewer pages of the node binary touched, for ~18 % more CPU
 *   on a large configuration's parse. A foreground supervisor (`-n`) gets them from the `keepalived-ts` bin
 *   (src/cli/bin.sh); started as `node main.js -n` it runs with whatever flags node was given.
 * - The VRRP child adds `--no-memory-reducer` (issue 14: the reducer's idle-time mark-compact stretched to 0.5-1.8 s
 *   under CPU starvation); it is not in lite mode: the receive path ran 4-10× slower per advert there.
 * - The VRRP child also runs `--v8-pool-size=1` (issue 16: the hour-long soak's RSS floor grew 11 %): one V8 worker
 *   thread for background compiling and concurrent marking instead of Node's default 4. Each worker thread mallocs from an
 *   arena of its own, and each arena stays at its high-water mark (in use, so malloc_trim gives nothing back):
 *   `npm run bench -- leak`, 6000 reloads, RSS 58-63 MiB instead of 63-72 MiB after warm-up.
 * - The BFD child runs the VRRP child's flags: its timers are tighter still (10 ms × 3).
 */
const DEFAULTS: Readonly<Record<FlaggedProcess, readonly string[]>> = {
  supervisor: [...SMALL_YOUNG, '--lite-mode'],
  vrrp: [...SMALL_YOUNG, '--no-memory-reducer', '--v8-pool-size=1'],
  check: SMALL_YOUNG,
  bgp: SMALL_YOUNG,
  bfd: [...SMALL_YOUNG, '--no-memory-reducer', '--v8-pool-size=1'],
};

/** The flags to put before the inherited ones when starting `what`. */
export function defaultV8Flags(what: FlaggedProcess, env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const given = env[V8_FLAGS_ENV];
  return given === undefined ? DEFAULTS[what] : given.split(/\s+/).filter(Boolean);
}

/**
 * The flags a child inherits from its supervisor: its `execArgv` without the supervisor's own defaults (which
 * spawnDetached, or the bin for a `-n` start, put first), so that a child does not run in the supervisor's lite mode.
 */
export function inheritedV8Flags(execArgv: readonly string[], env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const own = defaultV8Flags('supervisor', env);
  return own.length > 0 && own.every((f, i) => execArgv[i] === f) ? execArgv.slice(own.length) : execArgv;
}

/**
 * The flags of a `-t` that starts from the startup snapshot (src/cli/snapshot.ts; scripts/bundle.mjs builds the
 * snapshot with them and records them for the bin, src/cli/bin.sh: node refuses a snapshot built with other V8 flags).
 * A config test runs its parser once: `--no-opt` skips TurboFan compiling code that will not run again, and 1 MB
 * semi-spaces touch fewer fresh pages. Measured on 200 instances + 50 virtual servers × 40 real servers (load ~45):
 * CPU 583 → 469 ms (`node -e 0`: 134 ms). Given to node without the snapshot, any V8 flag also costs node the code
 * cache of its own built-in modules (a snapshot built with the flags carries its own): +25 ms on a small `-t`.
 * `--initial-old-space-size=64` (sixth pass): nearly everything a parse allocates lives to its end (tokens, the
 * tree, the model: ~12 MB for the configuration above), so the old generation grows past V8's first limit and V8
 * ran a full mark-compact that found almost nothing to free; with a 64 MB starting limit a `-t` runs none (it stays
 * a limit, not memory taken: peak RSS is unchanged). Measured with the snapshot, same run, load ~10: CPU 362 → 301 ms;
 * with TurboFan on (no `--no-opt`) 389 ms, so `--no-opt` stays.
 */
export const CONFIG_TEST_V8_FLAGS: readonly string[] = ['--no-opt', '--max-semi-space-size=1', '--initial-old-space-size=64'];
