/**
 * What the CLI's parent and child paths share: defaults, the version, interface lookup, and keepalived's choice
 * of log sinks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { release, version as osVersion } from 'node:os';
import type { CliOptions } from './args.js';
import type { DatagramSender } from '../daemon/datagram.js';
import { FileSink, SyslogSink, consoleSink, logFileName, type LogSink } from '../daemon/logging.js';

/** Default configuration file. */
export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';

/**
 * Our package version, from the nearest package.json above this module: dist/src/cli/ (tsc) and dist/bundle/
 * (scripts/bundle.mjs) sit at different depths in the package.
 */
export function ourVersion(): string {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    try {
      return (JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { version: string }).version;
    } catch {
      /* not here: one level up */
    }
  }
  return 'unknown';
}

/** The program name shown in `Usage:` and `Command line:`. */
export function programName(): string {
  const b = basename(process.argv[1] ?? 'keepalived-ts');
  return b === 'main.js' ? 'keepalived-ts' : b;
}

/** The `Running on …` text. */
export function platformText(): string {
  return `Linux ${release()} ${osVersion()} (Node.js ${process.version})`;
}

/** Whether a network interface exists (`-t`: /sys/class/net, the namespace sysfs was mounted in; the daemon uses interfaces.ts). */
export function interfaceExists(name: string): boolean {
  return name.length > 0 && !name.includes('/') && name !== '.' && name !== '..' && existsSync(`/sys/class/net/${name}`);
}

/**
 * Log sinks as keepalived chooses them: console only with `-l -n`, syslog unless `-G`, a file with `-g`
 * (`_<suffix>` and then `nsInst` inserted for a child: `keepalived_vrrp.log`, `keepalived_vrrp_ns1_a.log`).
 */
export function buildSinks(o: CliOptions, tmpDir: string, sender: DatagramSender, pid: number, suffix: string | undefined, nsInst = ''): LogSink[] {
  const sinks: LogSink[] = [];
  const console = o.logConsole && o.dontFork;
  if (console) sinks.push(consoleSink(process.stderr));
  if (!o.noSyslog) {
    sinks.push(
      new SyslogSink({
        sender,
        facility: o.logFacility,
        pid,
        ...(console || !o.dontFork ? {} : { fallback: process.stderr }),
      }),
    );
  }
  if (o.logFile) {
    const file = new FileSink(logFileName(o.logFile, suffix, tmpDir, nsInst));
    if (file.error) process.stderr.write(`Unable to open log file ${file.path}: ${file.error}\n`);
    sinks.push(file);
  }
  return sinks;
}
