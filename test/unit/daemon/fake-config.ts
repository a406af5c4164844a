/** A stand-in for src/config with the expected API, for the config-port adapter tests. */

/** A diagnostic as the parser is expected to produce it. */
export interface FakeDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** Loads "configs": file names containing `bad` have an error, every file has one warning. */
export async function loadConfig(path: string, opts: { configId: string }) {
  const diagnostics: FakeDiagnostic[] = [{ severity: 'warning', file: path, line: 1, col: 2, message: `config id ${opts.configId}` }];
  if (path.includes('bad')) diagnostics.push({ severity: 'error', file: path, line: 3, col: 4, message: 'unknown keyword' });
  return { config: path.includes('bad') ? undefined : { vrrpInstances: [{ name: 'VI_9' }] }, diagnostics };
}

/** `file:line:col: severity: message`. */
export function formatDiagnostic(d: FakeDiagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** The model as an object (the port stringifies it). */
export function dumpConfig(config: unknown): unknown {
  return { dumped: config };
}
