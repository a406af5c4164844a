/**
 * keepalived.conf front end (work in progress): file → preprocessed tokens → block tree, with positioned diagnostics.
 * The typed model and keyword tables are the next step (issue 3).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DiagnosticSink, formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { preprocess, type ConfigFs } from './preprocess.js';
import { buildTree, type ConfNode } from './tree.js';

export { formatDiagnostic, type Diagnostic };
export type { ConfNode };

/** The real file system. */
export const nodeFs: ConfigFs = {
  readFile(p) {
    try { return readFileSync(p, 'utf8'); } catch { return undefined; }
  },
  listDir(p) {
    try { return readdirSync(p); } catch { return []; }
  },
};

/** The default config id: the host name up to the first dot (keepalived's). */
export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

/** Reads and parses a configuration file into its block tree. Never throws. */
export function loadConfigTree(path: string, opts: { configId?: string; fs?: ConfigFs } = {}): { tree: ConfNode[]; diagnostics: Diagnostic[] } {
  const diags = new DiagnosticSink();
  const items = preprocess(path, { fs: opts.fs ?? nodeFs, configId: opts.configId ?? defaultConfigId() }, diags);
  const tree = buildTree(items, diags);
  return { tree, diagnostics: diags.items };
}

/** Parses configuration text (as if read from `fileName`); includes resolve through `fs` (default: none). */
export function parseConfigTree(text: string, fileName = 'keepalived.conf', opts: { configId?: string; fs?: ConfigFs } = {}): { tree: ConfNode[]; diagnostics: Diagnostic[] } {
  const inner = opts.fs ?? { readFile: () => undefined, listDir: () => [] };
  const fs: ConfigFs = { readFile: (p) => (p === fileName || p === resolvePath(fileName) ? text : inner.readFile(p)), listDir: inner.listDir };
  return loadConfigTree(fileName, { ...opts, fs });
}

function resolvePath(p: string): string {
  return p.startsWith('/') ? p : `${process.cwd()}/${p}`;
}
