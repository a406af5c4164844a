/** Unit tests of effective-priority computation and address comparison. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareAddresses } from '../../../src/core/inet/address.js';
import { effectivePriority, trackerKey } from '../../../src/vrrp/priority.js';
import type { TrackerConfig } from '../../../src/vrrp/instance-params.js';
import type { TrackerResult } from '../../../src/vrrp/types.js';

const results = (...r: TrackerResult[]) => new Map(r.map((x) => [trackerKey(x), x]));
const t = (kind: TrackerConfig['kind'], name: string, weight: number, reverse = false): TrackerConfig => ({ kind, name, weight, reverse });

test('weights: positive adds while OK, negative subtracts while failed, reverse flips the sense', () => {
  const trackers = [t('script', 'a', 20), t('script', 'b', -30), t('interface', 'eth1', -10, true)];
  assert.equal(effectivePriority(100, trackers, results()).effective, 120);
  assert.equal(
    effectivePriority(100, trackers, results({ kind: 'script', name: 'a', ok: false }, { kind: 'script', name: 'b', ok: false })).effective,
    70,
  );
  assert.equal(effectivePriority(100, trackers, results({ kind: 'interface', name: 'eth1', ok: true })).effective, 110);
});

test('clamped to 1..254; owner 255 never adjusted', () => {
  assert.equal(effectivePriority(250, [t('script', 'a', 50)], results()).effective, 254);
  assert.equal(effectivePriority(20, [t('script', 'a', -50)], results({ kind: 'script', name: 'a', ok: false })).effective, 1);
  assert.equal(effectivePriority(255, [t('script', 'a', -50)], results({ kind: 'script', name: 'a', ok: false })).effective, 255);
});

test('weight 0 failure ⇒ fault; track_file value × weight, non-zero with weight 0 ⇒ fault', () => {
  assert.equal(effectivePriority(100, [t('process', 'p', 0)], results({ kind: 'process', name: 'p', ok: false })).faultBy?.name, 'p');
  assert.equal(effectivePriority(100, [t('file', 'f', 5)], results({ kind: 'file', name: 'f', ok: true, value: -4 })).effective, 80);
  const v = effectivePriority(100, [t('file', 'f', 0)], results({ kind: 'file', name: 'f', ok: true, value: 3 }));
  assert.equal(v.faultBy?.name, 'f');
  assert.equal(v.faultValue, 3);
});

test('address comparison is numeric for IPv4 and IPv6', () => {
  assert.ok(compareAddresses('192.0.2.10', '192.0.2.9') > 0);
  assert.ok(compareAddresses('192.0.2.9', '198.51.100.1') < 0);
  assert.equal(compareAddresses('2001:db8::1', '2001:db8:0::1'), 0);
  assert.ok(compareAddresses('2001:db8::10', '2001:db8::f') > 0);
  assert.ok(compareAddresses('fe80::2%eth0', 'fe80::1') > 0);
});
