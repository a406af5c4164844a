/**
 * keepalived.conf front end (work in progress): file → preprocessed tokens → block tree, with positioned diagnostics.
 * The typed model and keyword tables are the next step (issue 3).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DiagnosticSink, formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { preprocess, type ConfigFs } from './preprocess.js';
import { buildTree, type ConfNode } from './tree.js';
import type { KeepalivedConfig, VrrpInstanceConfig, VrrpScriptConfig, VrrpSyncGroupConfig } from './model.js';
import { defaultGlobalDefs, parseGlobalDefs } from './parse-global.js';
import { parseInstance, parseScript, parseSyncGroup } from './parse-vrrp.js';

export { formatDiagnostic, type Diagnostic };
export type { ConfNode, KeepalivedConfig };

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

/** The result of loading a configuration: the typed model (as far as it goes) and every diagnostic. */
export interface LoadResult {
  readonly config: KeepalivedConfig;
  readonly diagnostics: Diagnostic[];
}

/** Top-level blocks keepalived knows that the typed model does not cover yet. */
const TOP_NOT_YET = new Set(['virtual_server', 'virtual_server_group', 'real_server', 'bfd_instance', 'vrrp_track_file', 'track_file',
  'vrrp_track_process', 'static_ipaddress', 'static_routes', 'static_rules', 'SSL', 'garp_group', 'track_group', 'linkbeat_interfaces',
  'interface_up_down_delays', 'net_namespace', 'net_namespace_ipvs', 'namespace_with_ipsets', 'instance', 'use_pid_dir',
  'child_wait_time', 'linkbeat_use_polling']);

/** Turns a block tree into the typed model. Never throws. */
export function buildModel(tree: readonly ConfNode[], diags: DiagnosticSink): KeepalivedConfig {
  let globalDefs = defaultGlobalDefs();
  for (const n of tree) if (n.keyword.text === 'global_defs') globalDefs = parseGlobalDefs(n, globalDefs, diags);
  const vrrpInstances: VrrpInstanceConfig[] = [];
  const vrrpSyncGroups: VrrpSyncGroupConfig[] = [];
  const vrrpScripts: VrrpScriptConfig[] = [];
  const unparsed: ConfNode[] = [];
  for (const n of tree) {
    const k = n.keyword.text;
    if (k === 'global_defs') continue;
    if (k === 'vrrp_instance') { const i = parseInstance(n, globalDefs, diags); if (i) vrrpInstances.push(i); }
    else if (k === 'vrrp_sync_group') { const s = parseSyncGroup(n, diags); if (s) vrrpSyncGroups.push(s); }
    else if (k === 'vrrp_script') { const s = parseScript(n, diags); if (s) vrrpScripts.push(s); }
    else if (TOP_NOT_YET.has(k)) { diags.warning(n.keyword.pos, `'${k}' is not supported yet - ignored`); unparsed.push(n); }
    else { diags.warning(n.keyword.pos, `Unknown keyword '${k}'`); unparsed.push(n); }
  }
  const vrids = new Map<string, VrrpInstanceConfig>();
  for (const i of vrrpInstances) {
    const key = `${i.interface ?? ''}/${i.family}/${i.virtualRouterId}`;
    const other = vrids.get(key);
    if (other) diags.error(i.pos, `(${i.name}) VRID ${i.virtualRouterId} is already used by ${other.name} on ${i.interface ?? 'the same interface'}`);
    vrids.set(key, i);
  }
  return { globalDefs, vrrpInstances, vrrpSyncGroups, vrrpScripts, unparsed };
}

/** Reads a configuration file into the typed model. Never throws. */
export function loadConfig(path: string, opts: { configId?: string; fs?: ConfigFs } = {}): LoadResult {
  const diags = new DiagnosticSink();
  const items = preprocess(path, { fs: opts.fs ?? nodeFs, configId: opts.configId ?? defaultConfigId() }, diags);
  const config = buildModel(buildTree(items, diags), diags);
  return { config, diagnostics: diags.items };
}
