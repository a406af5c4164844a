/**
 * `-t`, `--dump-config`, `-v` and `-h` load only what they need (issue 17: their time is mostly module loading):
 * run.ts imports the configuration layer, the supervisor and the runtimes dynamically, on the paths that use them.
 * The `-t` startup snapshot (src/cli/snapshot.ts) holds the configuration layer and no daemon code, and answers only
 * the command lines that need nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answersFromConfigLayer } from '../../../src/cli/run.js';

/** The repository root (this file runs from dist/test/unit/cli). */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Source files a module loads when it is imported: static value imports and re-exports (type-only ones are erased). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;]*?\sfrom\s+)?'(\.[^']+)'/gms)) {
    const ts = resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
    if (existsSync(ts)) out.push(ts);
  }
  return out;
}

/** Every source file the entries load, transitively through static imports. */
function closure(...entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = entries.map((e) => join(ROOT, e));
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...staticImports(f));
  }
  return new Set([...seen].map((f) => relative(ROOT, f)));
}

/** Daemon code none of the answering paths may load. */
const DAEMON_ONLY =
  /^src\/(vrrp|check|probe|track|notify|runtime|lb|net|observe|bfd)\/|^src\/cli\/(parent|child|roles)\.ts$|^src\/daemon\/(supervisor|daemon)\.ts$/;

test('-v and -h load neither the configuration parser nor the daemon', () => {
  const loaded = closure('src/cli/main.ts');
  assert.ok(loaded.has('src/cli/args.ts') && loaded.has('src/cli/usage.ts'), [...loaded].join('\n'));
  assert.deepEqual(
    [...loaded].filter((f) => DAEMON_ONLY.test(f) || f.startsWith('src/config/')),
    [],
  );
});

test('-t and --dump-config load the configuration layer and no runtime, supervisor or network code', () => {
  const main = readFileSync(join(ROOT, 'src/cli/run.ts'), 'utf8');
  // the modules runConfigTest and runDumpConfig import on their way
  for (const m of ['../daemon/config-port.js', '../config/index.js']) assert.ok(main.includes(`import('${m}')`), m);
  const loaded = closure('src/cli/main.ts', 'src/daemon/config-port.ts', 'src/config/index.ts');
  assert.ok(loaded.has('src/config/parse-vrrp.ts') && loaded.has('src/config/config-test.ts'), [...loaded].join('\n'));
  assert.deepEqual(
    [...loaded].filter((f) => DAEMON_ONLY.test(f)),
    [],
  );
});

test('the -t startup snapshot holds the configuration layer and no runtime, supervisor or network code', () => {
  const loaded = closure('src/cli/snapshot.ts');
  assert.ok(loaded.has('src/config/parse-vrrp.ts') && loaded.has('src/daemon/config-port.ts'), [...loaded].join('\n'));
  assert.deepEqual(
    [...loaded].filter((f) => DAEMON_ONLY.test(f)),
    [],
  );
});

test('the snapshot answers -t and what main answers before it, and declines every other command line', () => {
  for (const argv of [['-t'], ['-t', '-f', 'k.conf'], ['--config-test=log'], ['-nt'], ['-t', '-v'], ['-t', '--bogus'], ['-t', '--dump-config']])
    assert.equal(answersFromConfigLayer(argv), true, argv.join(' '));
  for (const argv of [
    [],
    ['-n'],
    ['-f', '-t'],
    ['-t', '--status'],
    ['-t', '--ts-child=vrrp'],
    ['status', '-t'],
    ['ctl', '-t'],
    ['genhash', '-t'],
    ['--dump-config'],
  ])
    assert.equal(answersFromConfigLayer(argv), false, argv.join(' '));
});
