// @ts-check
/**
 * ESLint flat config: typescript-eslint's recommended rules, a few type-aware correctness rules, and the layer
 * order of src/ as import rules (one block per folder, below). Run by `npm run lint`, which `npm test` runs first.
 *
 * Layer order, bottom up (a folder imports only from folders below it):
 *   core → config → vrrp, check (sans-IO, no node:*) → net, lb, notify, track, probe → runtime → observe → daemon → cli;
 *   observe sees only core/events and the runtime's snapshot/port types; the daemon hosts it, runtimes never see it.
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Every top-level folder of src/; a layer lists the ones it may not import. */
const FOLDERS = ['core', 'config', 'vrrp', 'check', 'bfd', 'net', 'lb', 'notify', 'track', 'probe', 'runtime', 'daemon', 'cli', 'observe'];

/** Gitignore-style groups matching relative imports of the named src/ folders (`../vrrp/x.js`, `../../vrrp/x.js`). */
const dirs = (...names) => names.map((n) => `**/${n}/**`);
const except = (...names) => FOLDERS.filter((f) => !names.includes(f));

/** Node's built-in modules, with and without the `node:` prefix. */
const NODE_BUILTINS = {
  group: ['node:*', ...builtinModules.filter((m) => !m.startsWith('_'))],
  message: 'sans-IO core: no node:* imports (events and an injected clock in, actions out).',
};

/** Only src/net talks to the native addon (the thin OS layer); everyone else goes through src/net. */
const SYSIO = { group: ['@keepalived-ts/sysio'], message: 'only src/net imports the native addon; use src/net/sysio.js.' };

/**
 * The import rule for one layer. `deny` are folder groups (error on any import), `typesOnly` are groups that may be
 * imported with `import type` only.
 */
function layer(name, { deny = [], typesOnly = [], extra = [] }) {
  const patterns = [
    ...extra,
    ...(deny.length ? [{ group: deny, message: `layer order: ${name} may not import this (see eslint.config.js).` }] : []),
    ...(typesOnly.length ? [{ group: typesOnly, allowTypeImports: true, message: `layer order: ${name} may import only types from here.` }] : []),
  ];
  return { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'packages/*/build/**', 'run/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `void promise` marks a deliberately unawaited promise (ignoreVoid); anything else must be handled.
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          ignoreVoid: true,
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-duplicate-type-constituents': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      'no-restricted-imports': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Regexes over keepalived config text match its two-space indentation literally; `/ {2}/` reads worse.
      'no-regex-spaces': 'off',
      // Control characters in regexes are deliberate here (ANSI escapes in terminal output, binary protocols).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The native addon's loader and build script are CommonJS.
    files: ['packages/*/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  // ---- Layer order (src/) -------------------------------------------------------------------------------------------
  // Each block covers one folder; the rule is replaced (not merged) per block, so every block lists all its patterns.
  {
    files: ['src/**/*.ts'],
    rules: layer('src', { extra: [SYSIO] }),
  },
  {
    // core: clock, rng, log, inet, events, errors — imports nothing above it.
    files: ['src/core/**/*.ts'],
    rules: layer('src/core', { deny: dirs(...except('core')), extra: [SYSIO] }),
  },
  {
    // config: the model and its parsers — no runtime, no protocol logic.
    files: ['src/config/**/*.ts'],
    rules: layer('src/config', { deny: dirs(...except('core', 'config')), extra: [SYSIO] }),
  },
  {
    // vrrp: the sans-IO VRRP core. No node:*, no check; from below only inet, clock, rng, log types, config model types.
    files: ['src/vrrp/**/*.ts'],
    rules: layer('src/vrrp', {
      deny: [...dirs(...except('core', 'vrrp')), '!**/config/model*.js', '**/core/events.js', '**/core/errors.js'],
      typesOnly: ['**/core/log.js', '**/config/model*.js'],
      extra: [NODE_BUILTINS, SYSIO],
    }),
  },
  {
    // bgp: the sans-IO announcement core (plan, announcer). No node:*, nothing above core; config model types only.
    files: ['src/bgp/**/*.ts'],
    rules: layer('src/bgp', {
      deny: [...dirs(...except('core', 'bgp')), '!**/config/model*.js', '**/core/events.js', '**/core/errors.js'],
      typesOnly: ['**/core/log.js', '**/config/model*.js'],
      extra: [NODE_BUILTINS, SYSIO],
    }),
  },
  {
    // bfd: the sans-IO BFD core (codec, session state machine, session table). No node:*, nothing above core.
    files: ['src/bfd/**/*.ts'],
    rules: layer('src/bfd', {
      deny: [...dirs(...except('core', 'bfd')), '!**/config/model*.js', '**/core/events.js', '**/core/errors.js'],
      typesOnly: ['**/core/log.js', '**/config/model*.js'],
      extra: [NODE_BUILTINS, SYSIO],
    }),
  },
  {
    // check: the sans-IO checker core. Same rules as src/vrrp, with check and vrrp swapped.
    files: ['src/check/**/*.ts'],
    rules: layer('src/check', {
      deny: [
        ...dirs(...except('core', 'check')),
        '!**/config/model*.js',
        '**/core/events.js',
        '**/core/errors.js',
        // Exception: notify/split.js is keepalived's pure command-string splitter (no node:*); every other
        // notify module does IO. It belongs in src/core; moving it is left to the lead (issue 10).
        '!**/notify/split.js',
      ],
      typesOnly: ['**/core/log.js', '**/config/model*.js'],
      extra: [NODE_BUILTINS, SYSIO],
    }),
  },
  {
    // net: sockets, ARP/NA, rtnetlink, generic netlink, nft — bytes, no protocol decisions.
    files: ['src/net/**/*.ts'],
    rules: layer('src/net', {
      deny: [
        ...dirs('check', 'lb', 'notify', 'track', 'probe', 'runtime', 'cli', 'observe', 'vrrp'),
        '!**/vrrp/types.js',
        // Exception: the DatagramSender port (daemon/datagram.ts) is implemented by net/unix-dgram.ts; the port
        // should live in src/net. Left to the supervisor work, which owns src/daemon (issue 10).
        ...dirs('daemon'),
        '!**/daemon/datagram.js',
      ],
      extra: [
        // The VRRP socket needs the protocol number (112) and the address-family type, nothing else from src/vrrp.
        {
          group: ['**/vrrp/types.js'],
          allowImportNames: ['IPPROTO_VRRP', 'IPPROTO_AH', 'Family'],
          message: 'src/net takes only protocol constants from src/vrrp.',
        },
      ],
    }),
  },
  {
    // lb: the backend port and its IPVS / nftables implementations — no checker or VRRP logic, no runtime.
    files: ['src/lb/**/*.ts'],
    rules: layer('src/lb', { deny: dirs('check', 'vrrp', 'notify', 'track', 'probe', 'runtime', 'daemon', 'cli', 'observe'), extra: [SYSIO] }),
  },
  {
    // observe: metrics, event stream, dashboard — subscribes to core/events, reads snapshots, never runtime internals.
    files: ['src/observe/**/*.ts'],
    rules: layer('src/observe', {
      deny: [...dirs(...except('core', 'runtime', 'observe')), '**/runtime/**', '!**/runtime/snapshot.js', '!**/runtime/port.js'],
      typesOnly: ['**/runtime/snapshot.js', '**/runtime/port.js'],
      extra: [SYSIO],
    }),
  },
  {
    // notify, track, probe: IO helpers below the runtimes.
    files: ['src/notify/**/*.ts', 'src/track/**/*.ts', 'src/probe/**/*.ts'],
    rules: layer('src/notify|track|probe', { deny: dirs('runtime', 'daemon', 'cli', 'observe', 'lb'), extra: [SYSIO] }),
  },
  {
    // runtime: the IO drivers of the sans-IO cores — never the process shell.
    files: ['src/runtime/**/*.ts'],
    rules: layer('src/runtime', { deny: dirs('daemon', 'cli', 'observe'), extra: [SYSIO] }),
  },
  {
    // daemon: supervisor and process shell; it hosts the observers (src/observe). Never the CLI.
    files: ['src/daemon/**/*.ts'],
    rules: layer('src/daemon', { deny: dirs('cli'), extra: [SYSIO] }),
  },
  {
    // Exception: daemonize.ts imports the child flag from cli/args.ts (issue 10 lists it); the supervisor work
    // removes it. Delete this block then.
    files: ['src/daemon/daemonize.ts'],
    rules: layer('src/daemon', { deny: [...dirs('cli'), '!**/cli/args.js'], extra: [SYSIO] }),
  },
);
