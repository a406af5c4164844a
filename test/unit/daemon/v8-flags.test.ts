import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultV8Flags, inheritedV8Flags, V8_FLAGS_ENV } from '../../../src/daemon/v8-flags.js';

test('each process keepalived-ts starts gets its own default V8 flags', () => {
  assert.deepEqual(defaultV8Flags('vrrp', {}), ['--max-semi-space-size=1', '--no-memory-reducer', '--v8-pool-size=1']);
  assert.deepEqual(defaultV8Flags('bfd', {}), ['--max-semi-space-size=1', '--no-memory-reducer', '--v8-pool-size=1']);
  assert.deepEqual(defaultV8Flags('check', {}), ['--max-semi-space-size=1']);
  assert.deepEqual(defaultV8Flags('bgp', {}), ['--max-semi-space-size=1']);
  assert.deepEqual(defaultV8Flags('supervisor', {}), ['--max-semi-space-size=1', '--lite-mode']);
});

test('KEEPALIVED_TS_V8_FLAGS replaces the defaults of every process (empty: none)', () => {
  assert.deepEqual(defaultV8Flags('vrrp', { [V8_FLAGS_ENV]: ' --max-old-space-size=64  --no-opt ' }), ['--max-old-space-size=64', '--no-opt']);
  assert.deepEqual(defaultV8Flags('supervisor', { [V8_FLAGS_ENV]: '' }), []);
});

test("a child does not inherit the detached supervisor's defaults, only what the operator gave node", () => {
  assert.deepEqual(inheritedV8Flags(['--max-semi-space-size=1', '--lite-mode', '--stack-size=900'], {}), ['--stack-size=900']);
  // not our prefix (the operator's own flags): passed on as they are
  assert.deepEqual(inheritedV8Flags(['--lite-mode', '--max-semi-space-size=1'], {}), ['--lite-mode', '--max-semi-space-size=1']);
  assert.deepEqual(inheritedV8Flags(['--no-opt'], { [V8_FLAGS_ENV]: '--no-opt' }), []);
  assert.deepEqual(inheritedV8Flags(['--no-opt'], { [V8_FLAGS_ENV]: '' }), ['--no-opt']);
});
