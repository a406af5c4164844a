#!/usr/bin/env node
// The bundled build (issue 17): esbuild bundles the CLI (src/cli/bin.ts) into dist/bundle/, one ES module for the
// entry and one chunk per dynamic import() (code splitting), so `-t` loads the configuration layer and a VRRP child
// its own runtime — each as a few files instead of ~100 modules resolved one by one. npm packages stay external
// (node_modules, resolved by Node as usual). The `keepalived-ts` bin runs dist/bundle/main.js, and the supervisor
// re-executes the same file for its children. The unbundled tsc output (dist/src) is what the tests import.
//   node scripts/bundle.mjs        (run by `npm run build`, `prepare` and `pretest`)
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

rmSync(new URL('../dist/bundle', import.meta.url), { recursive: true, force: true }); // no stale chunks
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/bin.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: `node${engines.node.replace(/^>=/, '')}`,
  packages: 'external',
  sourcemap: 'linked',
  chunkNames: '[name]-[hash]',
  logLevel: 'warning',
});
