#!/usr/bin/env node
/**
 * keepalived-ts command-line entry point. Placeholder until the daemon lands (issue 5):
 * it answers --version and --help so the package's `bin` works right after `npm ci`.
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
const args = process.argv.slice(2);
if (args.includes('-v') || args.includes('--version')) {
  process.stdout.write(`keepalived-ts v${pkg.version} (keepalived 2.2.7 compatible)\n`);
  process.exit(0);
}
process.stdout.write('Usage: keepalived-ts [OPTION...]\n  -f, --use-file=FILE   Use the specified configuration file\n  -v, --version         Display the version number\n  -h, --help            Display this help message\n');
process.exit(args.includes('-h') || args.includes('--help') ? 0 : 1);
