import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log.js';
import { FileTracker, strtol0, trackFileValue } from '../../../src/track/file-tracker.js';
import type { TrackerResult } from '../../../src/vrrp/types.js';
import { tempDir, waitFor } from '../../fixtures/notify/helpers.js';

test('strtol(…, 0) semantics', () => {
  assert.equal(strtol0('42\n'), 42);
  assert.equal(strtol0('  -7 trailing'), -7);
  assert.equal(strtol0('+5'), 5);
  assert.equal(strtol0('0x1F'), 31);
  assert.equal(strtol0('010'), 8);
  assert.equal(strtol0('0'), 0);
  assert.equal(strtol0('abc'), 0);
  assert.equal(strtol0(''), 0);
  assert.equal(strtol0('09'), 0, 'octal stops at 9');
  assert.equal(trackFileValue('2147483648'), 2147483648, 'INT32_MAX + 1 is accepted, as keepalived');
  assert.equal(trackFileValue('2147483649'), undefined);
  assert.equal(trackFileValue('-2147483649'), undefined);
});

test('file values are reported initially and on every change (write, replace, delete)', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'weight');
  writeFileSync(path, '5\n');
  const updates: TrackerResult[] = [];
  const logger = new MemoryLogger();
  const t = new FileTracker({ name: 'tf', path }, logger, (u) => updates.push(u));
  try {
    t.start();
    assert.deepEqual(updates, [{ kind: 'file', name: 'tf', ok: false, value: 5 }]);
    writeFileSync(path, '-3');
    assert.ok(await waitFor(() => updates.at(-1)?.value === -3));
    writeFileSync(join(dir, 'tmp'), '0x10');
    renameSync(join(dir, 'tmp'), path);
    assert.ok(await waitFor(() => updates.at(-1)?.value === 16));
    rmSync(path);
    assert.ok(await waitFor(() => updates.at(-1)?.value === 0));
    assert.equal(updates.at(-1)!.ok, true);
    writeFileSync(path, '99999999999');
    assert.ok(await waitFor(() => logger.texts().some((l) => l === `Invalid number 99999999999 read from ${path} - ignoring`)));
    assert.equal(t.value, 0, 'invalid values are ignored');
    const n = updates.length;
    writeFileSync(path, '0');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(updates.length, n, 'an unchanged value is not re-reported');
  } finally {
    t.stop();
    cleanup();
  }
});

test('init_file creates the file (or overwrites it)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = join(dir, 'a');
    const ta = new FileTracker({ name: 'a', path: a, initFile: { value: 7, overwrite: false } }, new MemoryLogger(), () => {});
    ta.start();
    ta.stop();
    assert.equal(readFileSync(a, 'utf8'), '7\n');
    writeFileSync(a, '3');
    const tb = new FileTracker({ name: 'a', path: a, initFile: { value: 7, overwrite: false } }, new MemoryLogger(), () => {});
    tb.start();
    tb.stop();
    assert.equal(tb.value, 3);
    const tc = new FileTracker({ name: 'a', path: a, initFile: { value: 1, overwrite: true } }, new MemoryLogger(), () => {});
    tc.start();
    tc.stop();
    assert.equal(tc.value, 1);
  } finally {
    cleanup();
  }
});
