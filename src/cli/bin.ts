#!/usr/bin/env node
/**
 * The installed program's entry point (package.json `bin`, the bundle's `main.js`, scripts/bundle.mjs): turns on
 * Node's module compile cache where Node has one (≥ 22.1: compiled code is kept on disk, under Node's own cache
 * directory, so the next start skips compiling; a no-op on Node 20), then loads the CLI (src/cli/main.ts). The cache
 * must be on before the CLI's modules are compiled, so they are imported dynamically, after it.
 */
import * as nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./main.js');
