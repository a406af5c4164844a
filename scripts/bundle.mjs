#!/usr/bin/env node
// The bundled build (issue 17): esbuild bundles the CLI (src/cli/bin.ts) into dist/bundle/, one ES module for the
// entry and one chunk per dynamic import() (code splitting), so `-t` loads the configuration layer and a VRRP child
// its own runtime — each as a few files instead of ~100 modules resolved one by one. npm packages stay external
// (node_modules, resolved by Node as usual). The supervisor re-executes main.js for its children. The unbundled tsc
// output (dist/src) is what the tests import.
// Then the `-t` startup snapshot: src/cli/snapshot.ts bundled as one classic script (snapshot.cjs) and run by
// `node --build-snapshot` — this very node binary: a snapshot only starts on the node version that built it — into
// snapshot.blob, with snapshot.node naming that binary and the V8 flags it was built with (CONFIG_TEST_V8_FLAGS);
// the `keepalived-ts` bin (src/cli/bin.sh, copied to dist/bundle/keepalived-ts) uses it for `-t` and runs main.js
// without it. A node that cannot build one (no --build-snapshot) gets no snapshot.
//   node scripts/bundle.mjs        (run by `npm run build`, `prepare` and `pretest`, after tsc: it reads dist/src)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const out = new URL('../dist/bundle/', import.meta.url).pathname;
const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: `node${engines.node.replace(/^>=/, '')}`,
  packages: 'external',
  logLevel: 'warning',
};

/**
 * The snapshot holds what `-t` runs: run.ts's other lazy imports (supervisor, children, control client) stay
 * `import()`s the snapshot never reaches (it declines those command lines), not ~800 KB of daemon in its heap.
 */
const configTestOnly = {
  name: 'config-test-only',
  setup(b) {
    const keep = new Set(['../daemon/config-port.js', '../config/index.js', './test-namespace.js']);
    b.onResolve({ filter: /^\./ }, (a) =>
      a.kind === 'dynamic-import' && a.importer.endsWith('/src/cli/run.ts') && !keep.has(a.path) ? { path: a.path, external: true } : undefined,
    );
  },
};

rmSync(out, { recursive: true, force: true }); // no stale chunks
await build({
  ...common,
  entryPoints: { main: 'src/cli/bin.ts' },
  outdir: out,
  splitting: true,
  format: 'esm',
  sourcemap: 'linked',
  chunkNames: '[name]-[hash]',
});
copyFileSync(`${root}src/cli/bin.sh`, `${out}keepalived-ts`);
chmodSync(`${out}keepalived-ts`, 0o755);

await build({
  ...common,
  entryPoints: ['src/cli/snapshot.ts'],
  outfile: `${out}snapshot.cjs`,
  format: 'iife',
  define: { 'import.meta.url': 'globalThis.__keepalivedTsEntryUrl' }, // ENTRY_URL_GLOBAL in src/cli/snapshot.ts
  plugins: [configTestOnly],
});
// node refuses a snapshot built with other V8 flags: the bin reads them back from snapshot.node, after the binary
const { CONFIG_TEST_V8_FLAGS: flags } = await import('../dist/src/daemon/v8-flags.js');
const env = { ...process.env };
delete env.NODE_OPTIONS;
const built = spawnSync(process.execPath, [...flags, '--snapshot-blob', `${out}snapshot.blob`, '--build-snapshot', `${out}snapshot.cjs`], {
  encoding: 'utf8',
  cwd: out,
  env,
});
if (built.status === 0) writeFileSync(`${out}snapshot.node`, `${realpathSync(process.execPath)}\n${flags.join(' ')}\n`);
else {
  rmSync(`${out}snapshot.blob`, { force: true });
  const why = (built.stderr || built.error?.message || '').trim().split('\n')[0];
  process.stderr.write(`bundle: no -t startup snapshot for node ${process.version} (keepalived-ts runs without it): ${why}\n`);
}
