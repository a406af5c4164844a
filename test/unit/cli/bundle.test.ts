/**
 * The bundled build (scripts/bundle.mjs: dist/bundle/, what the `keepalived-ts` bin runs) answers like the tsc
 * build, and keeps the lazy loading: `-t` loads neither the supervisor nor a runtime chunk. The daemon itself runs
 * from the bundle in test/netns/cli/bundle.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TSC_CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const BUNDLED_CLI = fileURLToPath(new URL('../../../bundle/main.js', import.meta.url));
const CONF = fileURLToPath(new URL('../../../../test/fixtures/seed-configs/lvs-tun-dr01-master.conf', import.meta.url));
const PKG = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };

/** Runs a CLI; NODE_DEBUG=esm makes Node name each ES module it loads. */
function run(cli: string, args: string[], debugEsm = false) {
  const env = { ...process.env, NODE_DEBUG: debugEsm ? 'esm' : '' };
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 30_000 });
}

/** The file names of the ES modules of ours a run loaded (from NODE_DEBUG=esm). */
function loadedModules(stderr: string): string[] {
  return [...new Set([...stderr.matchAll(/Translating StandardModule file:\/\/\S*\/([^/\s]+\.js)/g)].map((m) => m[1]!))];
}

test('the bin is the bundle, and the bundle exists after the build', () => {
  assert.equal(PKG.bin['keepalived-ts'], 'dist/bundle/main.js');
  assert.ok(existsSync(BUNDLED_CLI));
});

test('-v and -t answer exactly as the tsc build does', () => {
  for (const args of [['-v'], ['-t', '-f', CONF]]) {
    const a = run(TSC_CLI, args);
    const b = run(BUNDLED_CLI, args);
    assert.equal(b.status, a.status, args.join(' '));
    assert.equal(b.stdout, a.stdout, args.join(' '));
    assert.equal(b.stderr, a.stderr, args.join(' '));
  }
  assert.match(run(BUNDLED_CLI, ['-v']).stderr, /keepalived-ts v\d+\.\d+\.\d+/, 'the version is read from package.json');
});

test('-t from the bundle loads a few chunks and no daemon chunk (code splitting keeps the lazy imports)', () => {
  const r = run(BUNDLED_CLI, ['-t', '-f', CONF], true);
  const loaded = loadedModules(r.stderr);
  assert.ok(loaded.includes('main.js') && loaded.length >= 2 && loaded.length <= 20, loaded.join(' '));
  // esbuild names a dynamic import's chunk after its file: parent.ts, child.ts, linux-runtime.ts, runtime.ts
  assert.deepEqual(
    loaded.filter((f) => /^(parent|child|linux-runtime|runtime|supervisor)-/.test(f)),
    [],
  );
});
