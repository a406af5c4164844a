/**
 * The bundled build (scripts/bundle.mjs: dist/bundle/, what the `keepalived-ts` bin runs) answers like the tsc
 * build, and keeps the lazy loading: `-t` loads neither the supervisor nor a runtime chunk. The bin
 * (dist/bundle/keepalived-ts, src/cli/bin.sh) answers `-t` from the startup snapshot (src/cli/snapshot.ts) exactly
 * as the ES modules do, and without it — snapshot missing, built by another node or older than it, NODE_OPTIONS
 * set, or a command line the snapshot declines — runs the ES modules, silently. The daemon itself runs from the
 * bundle in test/netns/cli/bundle.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_TEST_V8_FLAGS } from '../../../src/daemon/v8-flags.js';

const TSC_CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const BUNDLED_CLI = fileURLToPath(new URL('../../../bundle/main.js', import.meta.url));
const BUNDLE_DIR = fileURLToPath(new URL('../../../bundle/', import.meta.url));
const BIN = `${BUNDLE_DIR}keepalived-ts`;
const CONF = fileURLToPath(new URL('../../../../test/fixtures/seed-configs/lvs-tun-dr01-master.conf', import.meta.url));
const PKG = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };

/** Runs a CLI; NODE_DEBUG=esm makes Node name each ES module it loads. */
function run(cli: string, args: string[], debugEsm = false) {
  const env = { ...process.env, NODE_DEBUG: debugEsm ? 'esm' : '' };
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 30_000 });
}

/** Runs the bin (a shell script) with `node` first in PATH being this test's node; NODE_DEBUG=esm as above. */
function runBin(bin: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const path = `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`;
  return spawnSync(bin, args, {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NODE_DEBUG: 'esm', PATH: path, ...env },
    timeout: 30_000,
  });
}

/** The file names of the ES modules of ours a run loaded (from NODE_DEBUG=esm). */
function loadedModules(stderr: string): string[] {
  return [...new Set([...stderr.matchAll(/Translating StandardModule file:\/\/\S*\/([^/\s]+\.js)/g)].map((m) => m[1]!))];
}

test("the bin is the bundle's wrapper, and the bundle and the snapshot exist after the build", () => {
  assert.equal(PKG.bin['keepalived-ts'], 'dist/bundle/keepalived-ts');
  accessSync(BIN, constants.X_OK);
  assert.ok(existsSync(BUNDLED_CLI));
  // built by this node (Node 20 here) with the flags of src/daemon/v8-flags.ts
  assert.ok(existsSync(`${BUNDLE_DIR}snapshot.blob`));
  const [node, flags] = readFileSync(`${BUNDLE_DIR}snapshot.node`, 'utf8').split('\n');
  assert.equal(node, realpathSync(process.execPath));
  assert.equal(flags, CONFIG_TEST_V8_FLAGS.join(' '));
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

/** Command lines the snapshot answers (`-t`, and what `main` answers before it: `-v`), with a log file, and failing. */
function configTests(log: string): string[][] {
  return [
    ['-t', '-f', CONF],
    ['-t', '-f', '/nonexistent/keepalived.conf'],
    ['-t', '-v'],
    [`--config-test=${log}`, '-f', CONF],
    ['-nt', '-f', CONF],
  ];
}

test('-t from the bin starts from the snapshot (no ES module loaded) and answers exactly as the ES modules do', () => {
  const dir = mkdtempSync(`${tmpdir()}/kts-snap-`);
  try {
    for (const args of configTests(`${dir}/log`)) {
      const a = run(BUNDLED_CLI, args);
      const logA = existsSync(`${dir}/log`) ? readFileSync(`${dir}/log`, 'utf8') : '';
      rmSync(`${dir}/log`, { force: true });
      const b = runBin(BIN, args);
      const logB = existsSync(`${dir}/log`) ? readFileSync(`${dir}/log`, 'utf8') : '';
      rmSync(`${dir}/log`, { force: true });
      assert.deepEqual(loadedModules(b.stderr), [], args.join(' '));
      assert.equal(b.status, a.status, args.join(' '));
      assert.equal(b.stdout, a.stdout, args.join(' '));
      assert.equal(b.stderr, a.stderr, args.join(' '));
      assert.equal(logB, logA, args.join(' '));
    }
    assert.match(runBin(BIN, ['-t', '-f', CONF]).stderr, /ens37 for vrrp_instance VI_1 doesn't exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bin runs the ES modules, silently, whenever the snapshot cannot or does not answer', () => {
  const dir = mkdtempSync(`${tmpdir()}/kts-snap-`);
  try {
    cpSync(BUNDLE_DIR, dir, { recursive: true });
    const bin = `${dir}/keepalived-ts`;
    const expected = run(BUNDLED_CLI, ['-t', '-f', CONF]);
    /** Asserts that `-t` through the copy loaded the ES modules and answered as they do. */
    const fellBack = (why: string, env: NodeJS.ProcessEnv = {}, args = ['-t', '-f', CONF], want = expected) => {
      assert.ok(loadedModules(runBin(bin, args, env).stderr).includes('main.js'), why);
      const r = runBin(bin, args, { ...env, NODE_DEBUG: '' });
      assert.deepEqual([r.status, r.stdout, r.stderr], [want.status, want.stdout, want.stderr], why);
    };
    const snapped = () => assert.deepEqual(loadedModules(runBin(bin, ['-t', '-f', CONF]).stderr), [], 'the copy starts from its snapshot');
    snapped();
    // NODE_OPTIONS' V8 flags would make node refuse the snapshot
    fellBack('NODE_OPTIONS set', { NODE_OPTIONS: '--max-old-space-size=200' });
    // a command line the snapshot declines (exit 100): `status` is the control client's, not -t
    fellBack('declined', {}, ['status', '-t'], run(BUNDLED_CLI, ['status', '-t']));
    // node is newer than the snapshot (upgraded in place)
    const old = new Date(Date.now() - 10 * 365 * 86_400_000);
    utimesSync(`${dir}/snapshot.blob`, old, old);
    fellBack('snapshot older than node');
    utimesSync(`${dir}/snapshot.blob`, new Date(), new Date());
    snapped();
    // another node binary built it
    const stamp = readFileSync(`${dir}/snapshot.node`, 'utf8');
    writeFileSync(`${dir}/snapshot.node`, stamp.replace(/^.*/, '/nonexistent/bin/node'));
    fellBack('built by another node');
    writeFileSync(`${dir}/snapshot.node`, stamp);
    snapped();
    // no snapshot at all (a node that could not build one)
    rmSync(`${dir}/snapshot.blob`);
    fellBack('no snapshot');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
