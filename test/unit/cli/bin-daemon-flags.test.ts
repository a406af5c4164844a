/**
 * The `keepalived-ts` bin (src/cli/bin.sh) gives a foreground daemon start (`-n`) the detached supervisor's V8 flags
 * (issue 17), and no other command line: its shell-level reading of the words agrees with src/cli/args.ts on every
 * command line below. Run with a stand-in `node` first in PATH that prints the words it was given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../../../src/cli/args.js';
import { defaultV8Flags, inheritedV8Flags, V8_FLAGS_ENV } from '../../../src/daemon/v8-flags.js';

const BIN_SH = fileURLToPath(new URL('../../../../src/cli/bin.sh', import.meta.url));

/** What src/cli/args.ts makes of `argv`: a supervisor that stays in the foreground. */
function isForegroundDaemon(argv: readonly string[]): boolean {
  if (['status', 'ctl', 'genhash'].includes(argv[0] ?? '')) return false;
  const p = parseArgs(argv);
  const o = p.options;
  return !p.immediate && p.errors.length === 0 && o.dontFork && !o.configTest && !o.dumpConfig && !o.status && !o.childRole && !o.daemonChild;
}

/** A copy of the bin in a temporary directory, run with a `node` that prints its words (one per line). */
function withBin(fn: (run: (argv: readonly string[], env?: NodeJS.ProcessEnv) => string[]) => void): void {
  const dir = mkdtempSync(`${tmpdir()}/kts-bin-flags-`);
  try {
    mkdirSync(`${dir}/fake`);
    writeFileSync(`${dir}/fake/node`, '#!/bin/sh\nfor a do printf "%s\\n" "$a"; done\n');
    chmodSync(`${dir}/fake/node`, 0o755);
    copyFileSync(BIN_SH, `${dir}/keepalived-ts`);
    chmodSync(`${dir}/keepalived-ts`, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}/fake:/usr/bin:/bin`, NODE_OPTIONS: '' };
    delete env[V8_FLAGS_ENV];
    fn((argv, extra = {}) => {
      const r = spawnSync(`${dir}/keepalived-ts`, argv, { encoding: 'utf8', env: { ...env, ...extra }, timeout: 10_000 });
      assert.equal(r.status, 0, r.stderr);
      const words = r.stdout.split('\n').slice(0, -1);
      const main = words.indexOf(`${dir}/main.js`);
      assert.ok(main >= 0, `main.js is run: ${r.stdout}`);
      assert.deepEqual(words.slice(main + 1), argv, 'the words reach main.js unchanged');
      return words.slice(0, main);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SUPERVISOR = defaultV8Flags('supervisor', {});

const COMMAND_LINES: readonly (readonly string[])[] = [
  ['-n'],
  ['-n', '-l', '-D', '-f', '/etc/keepalived/keepalived.conf'],
  ['-nlD'],
  ['-lDn', '-P'],
  ['--dont-fork', '--log-console'],
  ['--dont-f'],
  ['-f', '/etc/keepalived/test.conf', '-n'], // "test.conf" holds a t and an n
  ['-f/etc/keepalived/n.conf'],
  ['-f', '-n'], // -n is the file's name
  ['-p', '-n', '-D'],
  ['-Dp', '-n'],
  ['--pid', '-n', '-l'],
  ['--pid=/run/k.pid', '-n'],
  ['--namespace', 'blue', '-n'],
  ['--control-socket', '-n'],
  ['-n', '--', '-v'],
  ['-n', 'word'],
  ['-ng/tmp/log'],
  ['-gn'], // -g's optional argument is "n"
  ['-Mn'],
  ['-n', '-d'],
  ['-n', '--dump-conf'],
  ['-l', '-D'], // detached: the supervisor gets its flags from spawnDetached
  [],
  ['-n', '-v'],
  ['-vn'],
  ['-n', '-h'],
  ['-n', '--version'],
  ['-n', '--vers'],
  ['-n', '--help'],
  ['-n', '--signum=STOP'],
  ['-n', '--status'],
  ['-n', '--status=json'],
  ['-n', '--dump-config'],
  ['-n', '-t'],
  ['-nt/tmp/t.log'],
  ['-n', '--config-test'],
  ['-n', '--config-test=/tmp/t.log'],
  ['-n', '--ts-child=vrrp'],
  ['-n', '-T'],
  ['status', '-n'],
  ['ctl', '-n'],
  ['genhash', '-n'],
];

test('a foreground daemon start gets the supervisor flags, first; no other command line gets any', () => {
  assert.deepEqual(SUPERVISOR, ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm'], "the bin's SUPERVISOR_V8_FLAGS are these");
  withBin((run) => {
    let daemons = 0;
    for (const argv of COMMAND_LINES) {
      const flags = run(argv);
      const daemon = isForegroundDaemon(argv);
      daemons += Number(daemon);
      assert.deepEqual(flags, daemon ? SUPERVISOR : [], `${JSON.stringify(argv)}: ${daemon ? 'a foreground daemon' : 'not a daemon start'}`);
      // the supervisor gives its children none of them (src/daemon/v8-flags.ts)
      assert.deepEqual(inheritedV8Flags([...flags, '--trace-gc'], {}), ['--trace-gc']);
    }
    assert.ok(daemons >= 12 && daemons <= COMMAND_LINES.length - 12, `both kinds are covered (${daemons} daemon starts)`);
  });
});

test('KEEPALIVED_TS_V8_FLAGS replaces the supervisor flags of a foreground start (empty: none)', () => {
  withBin((run) => {
    const env = { [V8_FLAGS_ENV]: '--max-semi-space-size=2  --optimize-for-size' };
    assert.deepEqual(run(['-n', '-l'], env), ['--max-semi-space-size=2', '--optimize-for-size']);
    assert.deepEqual(inheritedV8Flags(['--max-semi-space-size=2', '--optimize-for-size'], env), []);
    assert.deepEqual(run(['-n', '-l'], { [V8_FLAGS_ENV]: '' }), []);
    assert.deepEqual(run(['-v'], env), []);
  });
});
