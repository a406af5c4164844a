import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { applyChildRuntimeV8Flags, CHILD_RUNTIME_V8_FLAGS, defaultV8Flags, inheritedV8Flags, V8_FLAGS_ENV } from '../../../src/daemon/v8-flags.js';

test('each process keepalived-ts starts gets its own default V8 flags', () => {
  assert.deepEqual(defaultV8Flags('vrrp', {}), ['--no-memory-reducer', '--v8-pool-size=1']);
  assert.deepEqual(defaultV8Flags('bfd', {}), ['--no-memory-reducer', '--v8-pool-size=1']);
  assert.deepEqual(defaultV8Flags('check', {}), []);
  assert.deepEqual(defaultV8Flags('bgp', {}), []);
  assert.deepEqual(defaultV8Flags('supervisor', {}), ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm']);
});

test('node takes every default set without a word on stderr (lite mode alone warns about --expose_wasm)', () => {
  for (const what of ['supervisor', 'vrrp', 'bfd', 'check', 'bgp'] as const) {
    const r = spawnSync(process.execPath, [...defaultV8Flags(what, {}), '-e', '0'], { encoding: 'utf8' });
    assert.equal(r.status, 0, what);
    assert.equal(r.stderr, '', `${what}: ${defaultV8Flags(what, {}).join(' ')}`);
  }
  const lite = spawnSync(process.execPath, ['--lite-mode', '-e', '0'], { encoding: 'utf8' });
  assert.match(lite.stderr, /disabling flag --expose_wasm/, 'the warning this avoids');
});

test('KEEPALIVED_TS_V8_FLAGS replaces the defaults of every process (empty: none)', () => {
  assert.deepEqual(defaultV8Flags('vrrp', { [V8_FLAGS_ENV]: ' --max-old-space-size=64  --no-opt ' }), ['--max-old-space-size=64', '--no-opt']);
  assert.deepEqual(defaultV8Flags('supervisor', { [V8_FLAGS_ENV]: '' }), []);
});

test("a child does not inherit the detached supervisor's defaults, only what the operator gave node", () => {
  assert.deepEqual(inheritedV8Flags(['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm', '--stack-size=900'], {}), ['--stack-size=900']);
  // not our prefix (the operator's own flags): passed on as they are
  assert.deepEqual(inheritedV8Flags(['--lite-mode', '--max-semi-space-size=1'], {}), ['--lite-mode', '--max-semi-space-size=1']);
  assert.deepEqual(inheritedV8Flags(['--no-opt'], { [V8_FLAGS_ENV]: '--no-opt' }), []);
  assert.deepEqual(inheritedV8Flags(['--no-opt'], { [V8_FLAGS_ENV]: '' }), ['--no-opt']);
});

test('a child sets its young generation at run time, unless KEEPALIVED_TS_V8_FLAGS replaced the defaults', () => {
  const set: string[] = [];
  assert.deepEqual(
    applyChildRuntimeV8Flags({}, (f) => set.push(f)),
    ['--semi-space-growth-factor=1'],
  );
  assert.deepEqual(set, ['--semi-space-growth-factor=1']);
  assert.deepEqual(
    applyChildRuntimeV8Flags({ [V8_FLAGS_ENV]: '' }, (f) => set.push(f)),
    [],
  );
  assert.equal(set.length, 1);
});

test('--semi-space-growth-factor=1 set at run time keeps the young generation at 1 MB semi-spaces', () => {
  // a node process that keeps garbage alive across scavenges: without the flag its new space grows to 16 MB semi-spaces
  const script =
    "const v8 = require('v8'); if (process.argv[1]) for (const f of process.argv[1].split(',')) v8.setFlagsFromString(f);" +
    'const keep = []; for (let r = 0; r < 150; r++) { const a = []; for (let i = 0; i < 20000; i++) a.push({ i, s: "x" + i });' +
    'keep.push(a.slice(0, 2000)); if (keep.length > 20) keep.shift(); }' +
    "process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576));";
  const newSpaceMb = (flags: readonly string[]) =>
    Number(execFileSync(process.execPath, ['-e', script, '--', flags.join(',')], { encoding: 'utf8' }));
  assert.ok(newSpaceMb([]) >= 8, 'the default grows');
  assert.ok(newSpaceMb(CHILD_RUNTIME_V8_FLAGS) <= 2, 'two 1 MB semi-spaces');
});
