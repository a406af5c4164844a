/**
 * keepalived.conf front end: file → preprocessed tokens → block tree → typed model, with positioned diagnostics.
 */
import { parseBgpAnnounceBlock } from './parse-bgp.js';
import type { BgpAnnounceConfig } from './model-bgp.js';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DiagnosticSink, formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { preprocess, type ConfigFs } from './preprocess.js';
import { buildTree, type ConfNode } from './tree.js';
import { withWords } from './values.js';
import type {
  BfdInstanceConfig,
  InterfaceDelay,
  LinkbeatInterface,
  GarpGroupConfig,
  KeepalivedConfig,
  RouteConfig,
  RuleConfig,
  TrackFileConfig,
  TrackGroupConfig,
  TrackProcessConfig,
  VirtualAddress,
  VrrpInstanceConfig,
  VrrpScriptConfig,
  VrrpSyncGroupConfig,
} from './model.js';
import { parseGarpGroup } from './parse-garp.js';
import { defaultGlobalDefs, parseGlobalDefs } from './parse-global.js';
import { readInterfaceDelays, readLinkbeatInterfaces } from './parse-interfaces.js';
import { parseInstance, parseScript, parseSyncGroup } from './parse-vrrp.js';
import { readRoutes, readRules, readStaticAddresses } from './parse-static.js';
import { DEFAULT_IPROUTE_NAMES, hostIpRouteNames, type IpRouteNames } from './iproute-names.js';
import { parseBfdInstance, parseTrackFile, parseTrackGroup, parseTrackProcess } from './parse-track.js';
import { checkReferences } from './references.js';
import type { Rng } from '../core/rng.js';
import { firstUnsafeComponent } from '../core/path-security.js';
import { parseLvs } from './parse-lvs.js';
import { parseSsl } from './parse-ssl.js';
import { resolveLvsSyncDaemon } from './parse-syncd.js';
import type { SslConfig } from './model-lvs.js';
import { checkHost, realHost, runConfigTest as runTest, type ConfigTestOptions, type HostView } from './config-test.js';

export { formatDiagnostic, type Diagnostic };
export type { ConfNode, KeepalivedConfig, HostView };

/** The real file system. */
export const nodeFs: ConfigFs = {
  readFile(p) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  listDir(p) {
    try {
      return readdirSync(p);
    } catch {
      return [];
    }
  },
};

/** The default config id: the host name up to the first dot (keepalived's). */
export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

/** Reads and parses a configuration file into its block tree. Never throws. */
export function loadConfigTree(
  path: string,
  opts: { configId?: string; fs?: ConfigFs; rng?: Rng } = {},
): { tree: ConfNode[]; diagnostics: Diagnostic[] } {
  const diags = new DiagnosticSink();
  const items = preprocess(
    path,
    { fs: opts.fs ?? nodeFs, configId: opts.configId ?? defaultConfigId(), ...(opts.rng ? { rng: opts.rng } : {}) },
    diags,
  );
  const tree = buildTree(items, diags);
  return { tree, diagnostics: diags.items };
}

/** Parses configuration text (as if read from `fileName`); includes resolve through `fs` (default: none). */
export function parseConfigTree(
  text: string,
  fileName = 'keepalived.conf',
  opts: { configId?: string; fs?: ConfigFs; rng?: Rng } = {},
): { tree: ConfNode[]; diagnostics: Diagnostic[] } {
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
  /** Every file read (the main one, then each included one, in order) with its text: `config_save_dir`'s copy. */
  readonly sources?: readonly { readonly path: string; readonly text: string }[];
}

/** Top-level blocks keepalived knows that the typed model does not cover yet. */
const TOP_NOT_YET = new Set(['real_server']);

/** Top-level blocks whose keepalived handler reads the name unchecked (a bare one stops keepalived: null_strvec). */
const TOP_NEEDS_WORD: ReadonlySet<string> = new Set([
  'virtual_server',
  'virtual_server_group',
  'vrrp_script',
  'track_file',
  'vrrp_track_file',
  'vrrp_track_process',
  'child_wait_time',
]);

/** Turns a block tree into the typed model. Never throws. */
export function buildModel(written: readonly ConfNode[], diags: DiagnosticSink, routeNames: IpRouteNames = DEFAULT_IPROUTE_NAMES): KeepalivedConfig {
  const tree = withWords(written, TOP_NEEDS_WORD, diags);
  let globalDefs = defaultGlobalDefs();
  for (const n of tree) if (n.keyword.text === 'global_defs') globalDefs = parseGlobalDefs(n, globalDefs, diags);
  // keepalived also takes linkbeat_use_polling at the top level (install_keyword_root)
  if (tree.some((n) => n.keyword.text === 'linkbeat_use_polling')) globalDefs = { ...globalDefs, linkbeatUsePolling: true };
  const m = {
    vrrpInstances: [] as VrrpInstanceConfig[],
    vrrpSyncGroups: [] as VrrpSyncGroupConfig[],
    vrrpScripts: [] as VrrpScriptConfig[],
    trackFiles: [] as TrackFileConfig[],
    trackProcesses: [] as TrackProcessConfig[],
    bfdInstances: [] as BfdInstanceConfig[],
    trackGroups: [] as TrackGroupConfig[],
    staticIpaddress: [] as VirtualAddress[],
    staticRoutes: [] as RouteConfig[],
    staticRules: [] as RuleConfig[],
    unparsed: [] as ConfNode[],
    linkbeatInterfaces: [] as LinkbeatInterface[],
    garpGroups: [] as GarpGroupConfig[],
    interfaceDelays: [] as InterfaceDelay[],
    instanceName: undefined as string | undefined,
    netNamespace: undefined as string | undefined,
    netNamespaceIpvs: undefined as string | undefined,
    namespaceWithIpsets: false,
    usePidDir: false,
    childWaitTimeSec: undefined as number | undefined,
  };
  let bgpAnnounce: BgpAnnounceConfig | undefined;
  let ssl: SslConfig | undefined;
  const garpTaken = new Set<string>();
  let garpNumbered = 0;
  const add = <T>(list: T[], v: T | undefined): void => {
    if (v) list.push(v);
  };
  for (const n of tree) {
    const k = n.keyword.text;
    switch (k) {
      case 'global_defs':
        break;
      case 'vrrp_instance':
        add(m.vrrpInstances, parseInstance(n, globalDefs, diags, routeNames));
        break;
      case 'vrrp_sync_group':
        add(m.vrrpSyncGroups, parseSyncGroup(n, diags));
        break;
      case 'vrrp_script':
        add(m.vrrpScripts, parseScript(n, diags));
        break;
      case 'track_file':
      case 'vrrp_track_file':
        add(m.trackFiles, parseTrackFile(n, diags));
        break;
      case 'vrrp_track_process':
        add(m.trackProcesses, parseTrackProcess(n, diags));
        break;
      case 'track_group':
        add(m.trackGroups, parseTrackGroup(n, diags));
        break;
      case 'bfd_instance':
        add(m.bfdInstances, parseBfdInstance(n, diags));
        break;
      case 'static_ipaddress':
        m.staticIpaddress.push(...readStaticAddresses(n, diags, globalDefs.defaultInterface));
        break;
      case 'static_routes':
        m.staticRoutes.push(...readRoutes(n, diags, true, routeNames));
        break;
      case 'static_rules':
        m.staticRules.push(...readRules(n, diags, true, routeNames));
        break;
      case 'virtual_server':
      case 'virtual_server_group':
        break; // parseLvs below
      case 'instance': // keepalived core/global_parser.c instance_handler
        if (!n.args[0]) diags.error(n.keyword.pos, 'instance name missing - ignoring');
        else if (m.instanceName !== undefined) diags.error(n.args[0].pos, `Duplicate instance definition ${n.args[0].text} - ignoring`);
        else {
          m.instanceName = n.args[0].text;
          m.usePidDir = true;
        }
        break;
      case 'linkbeat_use_polling':
        break; // read above, before the instances
      case 'garp_group':
        add(
          m.garpGroups,
          parseGarpGroup(n, garpTaken, () => ++garpNumbered, diags),
        );
        break;
      case 'linkbeat_interfaces':
        m.linkbeatInterfaces.push(...readLinkbeatInterfaces(n, diags));
        break;
      case 'interface_up_down_delays': {
        const later = readInterfaceDelays(n, diags);
        m.interfaceDelays = [...m.interfaceDelays.filter((x) => !later.some((y) => y.name === x.name)), ...later];
        break;
      }
      case 'use_pid_dir':
        m.usePidDir = true;
        break;
      case 'net_namespace': // keepalived core/global_parser.c net_namespace_handler
        if (!n.args[0]) diags.error(n.keyword.pos, 'net_namespace name missing - ignoring');
        else if (m.netNamespace !== undefined) diags.error(n.args[0].pos, `Duplicate net_namespace definition ${n.args[0].text} - ignoring`);
        else {
          m.netNamespace = n.args[0].text;
          m.usePidDir = true;
        }
        break;
      case 'net_namespace_ipvs': // keepalived core/global_parser.c net_namespace_ipvs_handler (no name: the default namespace)
        if (m.netNamespaceIpvs !== undefined)
          diags.error(n.keyword.pos, `Duplicate net_namespace_ipvs definition ${n.args[0]?.text ?? '(null)'} - ignoring`);
        else m.netNamespaceIpvs = n.args[0]?.text ?? '';
        break;
      case 'child_wait_time': // keepalived core/global_parser.c child_wait_handler: 0..UINT_MAX seconds
        if (n.args[0] && /^\d+$/.test(n.args[0].text) && Number(n.args[0].text) <= 0xffffffff) m.childWaitTimeSec = Number(n.args[0].text);
        else diags.keptError(n.args[0]?.pos ?? n.keyword.pos, `Invalid child_wait_time ${n.args[0]?.text ?? '(null)'}`);
        break;
      case 'namespace_with_ipsets': // keepalived namespace_ipsets_handler: only for ipsets on Linux < 3.13
        m.namespaceWithIpsets = true;
        break;
      case 'bgp_announce': // keepalived-ts extension, top level (keepalived 2.2.7 skips it line by line; inside global_defs its '}' would end global_defs)
        if (bgpAnnounce) diags.warning(n.keyword.pos, 'bgp_announce already specified - the later block wins');
        bgpAnnounce = parseBgpAnnounceBlock(n, diags);
        break;
      case 'SSL': // keepalived check_parser.c ssl_handler: the SSL_GET client context
        ssl = parseSsl(n, ssl, diags);
        break;
      default:
        if (TOP_NOT_YET.has(k)) diags.warning(n.keyword.pos, `'${k}' is not supported yet - ignored`);
        else diags.keptError(n.keyword.pos, `Unknown keyword '${k}'`);
        m.unparsed.push(n);
    }
  }
  const { lvsSyncDaemon: declared, ...rest } = globalDefs;
  const lvsSyncDaemon = resolveLvsSyncDaemon(declared, m.vrrpInstances, diags);
  globalDefs = { ...rest, ...(lvsSyncDaemon ? { lvsSyncDaemon } : {}) };
  const names = (l: readonly { name: string }[]): Set<string> => new Set(l.map((x) => x.name));
  const lvs = parseLvs(tree, globalDefs, names(m.trackFiles), diags);
  const config: KeepalivedConfig = { globalDefs, ...m, ...lvs, ...(bgpAnnounce ? { bgpAnnounce } : {}), ...(ssl ? { ssl } : {}) };
  checkReferences(config, diags);
  return config;
}

/** Options of `loadConfig`. */
export interface LoadOptions {
  /** `-i`: selects `@id` lines (default: the host name up to the first dot). */
  readonly configId?: string;
  readonly fs?: ConfigFs;
  /** Randomness for `${_RANDOM}` (default: the system's); tests pass a seeded one. */
  readonly rng?: Rng;
  /** Check interfaces and scripts against this host (keepalived does at start-up). */
  readonly host?: HostView;
  /** The daemon's port passes this: when given, host checks run against the real host. */
  readonly interfaceExists?: (name: string) => boolean;
}

/** Reads a configuration file into the typed model. Never throws. */
export function loadConfig(path: string, opts: LoadOptions = {}): LoadResult {
  const diags = new DiagnosticSink();
  const base = opts.fs ?? nodeFs;
  const read: string[] = [];
  const texts = new Map<string, string>();
  const fs: ConfigFs = {
    ...base,
    readFile: (p) => {
      const text = base.readFile(p);
      if (text !== undefined) read.push(p);
      if (text !== undefined && !texts.has(p)) texts.set(p, text);
      return text;
    },
  };
  const items = preprocess(path, { fs, configId: opts.configId ?? defaultConfigId(), ...(opts.rng ? { rng: opts.rng } : {}) }, diags);
  // routes' and rules' names: this host's /etc/iproute2 files in front of the built-in ones, as keepalived reads them
  const config = buildModel(
    buildTree(items, diags),
    diags,
    hostIpRouteNames((p) => base.readFile(p)),
  );
  const host = opts.host ?? (opts.interfaceExists ? realHost : undefined);
  if (host) checkHost(config, host, diags);
  // the real daemon as root: files others can write could make it run anything as root
  if (opts.interfaceExists && !opts.fs && process.getuid?.() === 0) checkConfigFiles(read, diags);
  return { config, diagnostics: diags.items, sources: [...texts].map(([path, text]) => ({ path, text })) };
}

/**
 * Reports each configuration file (the main one and every included one) that a user other than root could change,
 * with the path component at fault — keepalived's script-security wording, applied to the files it reads.
 */
export function checkConfigFiles(files: readonly string[], diags: DiagnosticSink, unsafe = firstUnsafeComponent): void {
  for (const file of new Set(files)) {
    const bad = unsafe(resolvePath(file));
    if (!bad) continue;
    const at = { file, line: 0, col: 0 };
    diags.warning(at, `Unsafe permissions found for configuration file '${file}'`);
    diags.warning(at, `Configuration file '${file}': path component '${bad.component}' ${bad.why}`);
  }
}

/** `-t` as the daemon's config port calls it: diagnostics to `stderr`, keepalived's exit status returned. */
export function runConfigTest(o: Omit<ConfigTestOptions, 'load'>): Promise<number> {
  return runTest({ ...o, load: (file, configId) => loadConfig(file, { configId }) });
}

/** `--dump-config`: the normalised model (positions included) as JSON text. */
export function dumpConfig(config: KeepalivedConfig): string {
  return JSON.stringify(config, null, 2);
}
