/**
 * The daemon's view of the configuration layer (src/config).
 *
 * Expected API of `src/config/index.ts`: `loadConfig(path, opts) -> {config, diagnostics}` (sync or async),
 * `formatDiagnostic(d) -> 'file:line:col: error|warning: message'`, `dumpConfig(config) -> string | object`,
 * `runConfigTest({file, configId, stderr, interfaceExists}) -> exit code` (sync or async).
 * It is imported dynamically so the CLI compiles and answers `--version`/`--help` whatever state src/config is in.
 */
import { existsSync } from 'node:fs';

/** A loaded configuration: the opaque model plus formatted diagnostics. */
export interface LoadedConfig {
  /** The model (undefined when loading failed outright). */
  readonly config: unknown;
  /** `file:line:col: error: …` lines. Non-empty ⇒ the configuration must not be used. */
  readonly errors: readonly string[];
  /** `file:line:col: warning: …` lines. */
  readonly warnings: readonly string[];
}

/** Options for loading. */
export interface LoadOptions {
  /** `-i/--config-id`. */
  readonly configId: string;
  /** `-e/--all-config`. */
  readonly allConfig?: boolean;
  /** Whether an interface exists on this host (for keepalived's "doesn't exist" warnings). */
  readonly interfaceExists?: (name: string) => boolean;
}

/** What the daemon needs from src/config. */
export interface ConfigPort {
  load(file: string, opts: LoadOptions): Promise<LoadedConfig>;
  /** `-t`: validates `file`, writes diagnostics to `stderr`, returns keepalived's `-t` exit status. */
  configTest(file: string, opts: LoadOptions, stderr: { write(s: string): unknown }): Promise<number>;
  /** `--dump-config`: the normalised model as JSON text. */
  dump(config: unknown): string;
}

type Fn = (...args: unknown[]) => unknown;

/** A diagnostic's severity, whatever field name the parser uses. */
function isError(d: unknown, text: string): boolean {
  if (d && typeof d === 'object') {
    const r = d as Record<string, unknown>;
    const sev = r['severity'] ?? r['level'] ?? r['kind'];
    if (typeof sev === 'string') return sev === 'error' || sev === 'fatal';
  }
  return /: (error|fatal):/.test(text);
}

/** Adapts a loaded src/config module to the port. */
function adapt(mod: Record<string, unknown>): ConfigPort | Error {
  const loadConfig = mod['loadConfig'] as Fn | undefined;
  const formatDiagnostic = (mod['formatDiagnostic'] as Fn | undefined) ?? ((d: unknown) => String(d));
  const dumpConfig = mod['dumpConfig'] as Fn | undefined;
  const runConfigTest = mod['runConfigTest'] as Fn | undefined;
  if (typeof loadConfig !== 'function') return new Error('src/config does not export loadConfig yet');
  const load = async (file: string, opts: LoadOptions): Promise<LoadedConfig> => {
    const res = (await loadConfig(file, opts)) as { config?: unknown; diagnostics?: unknown[] } | undefined;
    const errors: string[] = [];
    const warnings: string[] = [];
    for (const d of res?.diagnostics ?? []) {
      const text = String(formatDiagnostic(d));
      (isError(d, text) ? errors : warnings).push(text);
    }
    return { config: res?.config, errors, warnings };
  };
  return {
    load,
    async configTest(file, opts, stderr) {
      if (typeof runConfigTest === 'function') {
        return Number(await runConfigTest({ file, configId: opts.configId, stderr, interfaceExists: opts.interfaceExists }));
      }
      if (!existsSync(file)) {
        stderr.write(`Configuration file '${file}' does not exist\n`);
        return 4;
      }
      const r = await load(file, opts);
      for (const l of [...r.errors, ...r.warnings]) stderr.write(`${l}\n`);
      return r.errors.length ? 5 : 0;
    },
    dump(config) {
      const out = typeof dumpConfig === 'function' ? dumpConfig(config) : config;
      return typeof out === 'string' ? out : JSON.stringify(out, null, 2);
    },
  };
}

/**
 * Imports src/config (relative to the compiled daemon) and adapts it.
 * @returns the port, or an Error explaining why the configuration layer is not usable
 */
export async function loadConfigPort(specifier = '../config/index.js'): Promise<ConfigPort | Error> {
  try {
    const mod = (await import(specifier)) as Record<string, unknown>;
    return adapt(mod);
  } catch (e) {
    return new Error(`configuration parser unavailable: ${(e as Error).message}`);
  }
}

/** A port over an in-memory function, for tests and for runtimes that build configs by hand. */
export function configPortFrom(load: (file: string) => LoadedConfig | Promise<LoadedConfig>): ConfigPort {
  return {
    load: async (file) => load(file),
    async configTest(file, _opts, stderr) {
      const r = await load(file);
      for (const l of [...r.errors, ...r.warnings]) stderr.write(`${l}\n`);
      return r.errors.length ? 5 : 0;
    },
    dump: (config) => JSON.stringify(config, null, 2),
  };
}
