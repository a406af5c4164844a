/**
 * The daemon's view of the configuration layer: src/config's `loadConfig`, `formatDiagnostic`, `dumpConfig` and
 * `runConfigTest`, with diagnostics split by severity into the `file:line:col: error|warning: …` lines the daemon
 * logs. `configPortFrom` builds a port over an in-memory loader, for tests.
 */
import { dumpConfig, formatDiagnostic, loadConfig, runConfigTest, type HostView, type KeepalivedConfig } from '../config/index.js';
import { ConfigTestExit } from '../core/errors.js';

/** A loaded configuration: the model plus formatted diagnostics. */
export interface LoadedConfig {
  /** The model (undefined when loading failed outright). */
  readonly config: KeepalivedConfig | undefined;
  /** `file:line:col: error: …` lines. Non-empty ⇒ a reload must not use this configuration. */
  readonly errors: readonly string[];
  /** `file:line:col: warning: …` lines. */
  readonly warnings: readonly string[];
  /** The files read, with their text (global_defs `config_save_dir`). */
  readonly sources?: readonly { readonly path: string; readonly text: string }[];
}

/** Options for loading. */
export interface LoadOptions {
  /** `-i/--config-id`. */
  readonly configId: string;
  /** Whether an interface exists on this host; given ⇒ host checks run (keepalived's "doesn't exist" errors). */
  readonly interfaceExists?: (name: string) => boolean;
}

/** Options of `-t` beyond loading. */
export interface ConfigTestOptions extends LoadOptions {
  /** `-s/--namespace`. */
  readonly namespace?: string;
  /** Enters a network namespace for the host checks: the host view there, or keepalived's log text. */
  readonly enterNamespace?: (name: string) => Promise<{ host: HostView } | { error: string }>;
}

/** Something with a `write(string)`, e.g. `process.stderr`. */
export interface TextOut {
  write(text: string): unknown;
}

/** What the daemon needs from src/config. */
export interface ConfigPort {
  /** Reads and parses `file`. Never rejects: an unreadable file is an error line and no model. */
  load(file: string, opts: LoadOptions): Promise<LoadedConfig>;
  /** `-t`: validates `file`, writes diagnostics to `stderr`, returns keepalived's `-t` exit status. */
  configTest(file: string, opts: ConfigTestOptions, stderr: TextOut): Promise<number>;
  /** `--dump-config`: the normalised model as JSON text. */
  dump(config: KeepalivedConfig): string;
}

/** The port over src/config. */
export function configPort(): ConfigPort {
  return {
    async load(file, opts) {
      const r = loadConfig(file, { configId: opts.configId, ...(opts.interfaceExists ? { interfaceExists: opts.interfaceExists } : {}) });
      const errors: string[] = [];
      const warnings: string[] = [];
      // a warning that refuses a reload (a missing include) counts with the errors here: the daemon keeps its configuration
      for (const d of r.diagnostics) (d.severity === 'error' || d.refusesReload ? errors : warnings).push(formatDiagnostic(d));
      return { config: r.config, errors, warnings, ...(r.sources ? { sources: r.sources } : {}) };
    },
    async configTest(file, opts, stderr) {
      return runConfigTest({
        file,
        configId: opts.configId,
        stderr,
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.enterNamespace ? { enterNamespace: opts.enterNamespace } : {}),
      });
    },
    dump: (config) => dumpConfig(config),
  };
}

/** A port over an in-memory loader, for tests. */
export function configPortFrom(load: (file: string) => LoadedConfig | Promise<LoadedConfig>): ConfigPort {
  return {
    load: async (file) => load(file),
    async configTest(file, _opts, stderr) {
      const r = await load(file);
      for (const l of [...r.errors, ...r.warnings]) stderr.write(`${l}\n`);
      return r.errors.length ? ConfigTestExit.ERRORS : ConfigTestExit.OK;
    },
    dump: (config) => JSON.stringify(config, null, 2),
  };
}
