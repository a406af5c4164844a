/**
 * What keepalived-ts does with its command line (keepalived 2.2.7's, src/cli/args.ts): one of `--version`,
 * `--help`, `--signum`, `--status` (control-socket client), `-t` (config test), `--dump-config`, or the daemon: the
 * supervising parent (src/cli/parent.ts), detached unless `-n`, which re-executes the program as its children
 * (`--ts-child=ROLE`, src/cli/child.ts, loaded only there). No side effects on import: src/cli/main.ts runs it, and
 * the startup snapshot (src/cli/snapshot.ts) holds it.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { ConfigTestExit, ExitCode } from '../core/errors.js';
import { parseArgs, type CliOptions, type ImmediateAction } from './args.js';
import { DEFAULT_CONFIG_FILE, interfaceExists, ourVersion, programName } from './common.js';
import { usageText, versionText } from './usage.js';
import { DAEMON_CHILD_FLAG } from '../daemon/child-role.js';
import { signumOf } from '../daemon/signals.js';
import { startupMark } from '../daemon/startup-trace.js';

// Each path below imports what it needs when it runs (`import()`): `-t`, `--dump-config`, `-v` and `-h` answer
// without loading the supervisor, and `-v`/`-h` without the configuration parser (issue 17: start-up time is
// mostly module loading).

/** `-v`, `-h`, `--signum`: print and return the exit status. */
function runImmediate(a: ImmediateAction): number {
  switch (a.kind) {
    case 'version':
      process.stderr.write(versionText(ourVersion(), process.version));
      return 0;
    case 'help':
      process.stderr.write(usageText(programName()));
      return 0;
    case 'signum': {
      const n = signumOf(a.sigfunc);
      if (n === undefined) {
        process.stderr.write(`Unknown sigfunc ${a.sigfunc}\n`);
        return 1;
      }
      process.stdout.write(`${n}\n`);
      return 0;
    }
  }
}

/** `-t[=LOGFILE]`. */
async function runConfigTest(o: CliOptions): Promise<number> {
  let out: { write(s: string): unknown } = process.stderr;
  let fd: number | undefined;
  if (o.configTestLogFile) {
    try {
      fd = openSync(o.configTestLogFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      process.stderr.write(`Unable to open config-test log file ${o.configTestLogFile} ${-(err.errno ?? 0)} - ${err.message}\n`);
      return 1;
    }
    const f = fd;
    out = { write: (s: string) => writeSync(f, s) };
  }
  try {
    const [{ configPort }, { defaultConfigId }] = await Promise.all([import('../daemon/config-port.js'), import('../config/index.js')]);
    const enterNamespace = async (name: string) => (await import('./test-namespace.js')).enterTestNamespace(name);
    const opts = {
      configId: o.configId ?? defaultConfigId(),
      interfaceExists,
      enterNamespace,
      ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    };
    return await configPort().configTest(o.useFile ?? DEFAULT_CONFIG_FILE, opts, out);
  } catch (e) {
    out.write(`${(e as Error).message}\n`);
    return ConfigTestExit.FATAL;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `--dump-config`: the normalised model as JSON on stdout; diagnostics on stderr. */
async function runDumpConfig(o: CliOptions): Promise<number> {
  const [{ configPort }, { defaultConfigId }] = await Promise.all([import('../daemon/config-port.js'), import('../config/index.js')]);
  const port = configPort();
  const r = await port.load(o.useFile ?? DEFAULT_CONFIG_FILE, { configId: o.configId ?? defaultConfigId() }); // no host checks: the model of any host's file
  for (const l of [...r.errors, ...r.warnings]) process.stderr.write(`${l}\n`);
  if (r.config === undefined || r.errors.length) return ExitCode.CONFIG;
  process.stdout.write(`${port.dump(r.config)}\n`);
  return ExitCode.OK;
}

/**
 * Whether `main(argv)` answers with the configuration layer alone: `-t` (`--config-test`), or what `main` answers
 * before it gets there (`-v`, `-h`, `--signum`, a usage error). This is what the startup snapshot holds
 * (src/cli/snapshot.ts); any other command line needs the modules `main` imports on its other paths.
 */
export function answersFromConfigLayer(argv: readonly string[]): boolean {
  if (argv[0] === 'status' || argv[0] === 'ctl' || argv[0] === 'genhash') return false;
  const parsed = parseArgs(argv);
  if (parsed.immediate || parsed.errors.length) return true;
  const o = parsed.options;
  return o.configTest && !o.childRole && !o.status;
}

/** Runs the command line `argv` (without node and the script); resolves to the process exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  startupMark('main');
  // keepalived-ts's client subcommands (keepalived itself takes no words): `status …`, `ctl …`
  if (argv[0] === 'status') return (await import('./ctl.js')).runStatusCommand(argv.slice(1));
  if (argv[0] === 'ctl') return (await import('./ctl.js')).runCtlCommand(argv.slice(1));
  const parsed = parseArgs(argv);
  for (const w of parsed.warnings) process.stderr.write(`${w}\n`);
  for (const e of parsed.errors) process.stderr.write(`${e}\n`);
  if (parsed.immediate) return runImmediate(parsed.immediate);
  if (parsed.unexpected.length) process.stdout.write(`Unexpected argument(s): ${parsed.unexpected.join(' ')} \n`);
  if (parsed.errors.length) return 1;
  const o = parsed.options;
  if (o.umask !== undefined) process.umask(o.umask);
  if (o.childRole) {
    const { runChild } = await import('./child.js');
    return runChild(
      o.childRole,
      o,
      argv.filter((a) => !a.startsWith('--ts-child')),
    );
  }
  if (o.status) {
    const [{ runStatusClient }, { controlSocketFor }] = await Promise.all([import('./ctl.js'), import('../daemon/control.js')]); // the client renders dumps; the daemon's parent never does
    return runStatusClient(o.controlSocket ?? controlSocketFor(o.pidFile), o.status);
  }
  if (o.configTest) return runConfigTest(o);
  if (o.dumpConfig) return runDumpConfig(o);
  if (!o.dontFork && !o.daemonChild) return (await import('../daemon/daemonize.js')).spawnDetached(process.argv[1]!, argv, process.env);
  return (await import('./parent.js')).runSupervisor(
    o,
    argv.filter((a) => a !== DAEMON_CHILD_FLAG),
  );
}

/** Exits the process with the status `run` resolves to; a rejection is an internal error (`ExitCode.PROGRAM_ERROR`). */
export function exitWith(run: Promise<number>): void {
  run.then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`keepalived-ts: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(ExitCode.PROGRAM_ERROR);
    },
  );
}
