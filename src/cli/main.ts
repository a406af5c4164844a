#!/usr/bin/env node
/**
 * keepalived-ts command-line entry point: runs the command line (src/cli/run.ts; `genhash …` in src/cli/genhash.ts)
 * and exits with its status. The bin (src/cli/bin.ts, the bundle's `main.js`) loads this file.
 */
import { programName } from './common.js';
import { exitWith, main } from './run.js';

const cliArgs = process.argv.slice(2);
exitWith(
  cliArgs[0] === 'genhash'
    ? import('./genhash.js').then((g) =>
        g.genhashMain(cliArgs.slice(1), programName(), {
          out: (t) => process.stdout.write(t),
          err: (t) => process.stderr.write(t),
        }),
      )
    : main(cliArgs),
);
