process.env['TZ'] = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatG, jsonString, renderData, renderJson, renderStats, formatDataTime } from '../../../src/daemon/dump.js';
import { zeroStats, type RuntimeSnapshot } from '../../../src/runtime/snapshot.js';
import { captured, fixture } from './capture.js';

test('keepalived.stats is byte-identical to keepalived 2.2.7', () => {
  assert.equal(renderStats(captured), fixture('keepalived.stats'));
});

test('keepalived.json is byte-identical to keepalived 2.2.7 (field names, order, types, formatting)', () => {
  assert.equal(renderJson(captured), fixture('keepalived.json'));
});

test('keepalived.json parses, and every counter is a number', () => {
  const parsed = JSON.parse(renderJson(captured)!) as { data: Record<string, unknown>; stats: Record<string, unknown> }[];
  assert.equal(parsed.length, 2);
  assert.equal(parsed[0]!.data['script_master'], "'/usr/bin/echo' 'MASTER' 'x'");
  for (const v of Object.values(parsed[1]!.stats)) assert.equal(typeof v, 'number');
  assert.equal(parsed[1]!.data['adver_int'], 0.5);
  assert.equal(parsed[1]!.data['auth_data'], undefined);
});

test('no instances: no JSON file (undefined), empty stats', () => {
  const empty: RuntimeSnapshot = { instances: [], syncGroups: [] };
  assert.equal(renderJson(empty), undefined);
  assert.equal(renderStats(empty), '');
});

test('counters appear in the stats text at their places', () => {
  const inst = captured.instances[0]!;
  const stats = { ...zeroStats(), advert_rcvd: 11, ip_ttl_err: 3, auth_failure: 4, pri_zero_sent: 9 };
  const text = renderStats({ instances: [{ ...inst, stats }], syncGroups: [] });
  assert.match(text, /Received: 11\n/);
  assert.match(text, /TTL: 3\n/);
  assert.match(text, /Failure: 4\n/);
  assert.match(text, /Priority Zero:\n {4}Received: 0\n {4}Sent: 9\n$/);
});

test('JSON timing object is an extra key next to data and stats', () => {
  const timing = { advertJitterLastMs: 0.25, advertJitterMaxMs: 1.5, advertJitterMeanMs: 0.3333333, loopLagMaxMs: 12, loopLagLastMs: 0 };
  const snap = { ...captured, instances: [{ ...captured.instances[0]!, timing }] };
  const parsed = JSON.parse(renderJson(snap)!) as Record<string, Record<string, number>>[];
  assert.deepEqual(Object.keys(parsed[0]!), ['data', 'stats', 'timing']);
  assert.equal(parsed[0]!['timing']!['advert_jitter_mean_ms'], 0.333);
});

test('keepalived.data: every line we write appears in keepalived 2.2.7 data dump, in the same order', () => {
  const ours = renderData(captured).trimEnd().split('\n');
  const theirs = fixture('keepalived.data').split('\n');
  let j = 0;
  for (const line of ours) {
    while (j < theirs.length && theirs[j] !== line) j++;
    assert.ok(j < theirs.length, `line not found (in order) in keepalived's dump: ${JSON.stringify(line)}`);
    j++;
  }
  assert.ok(ours.length >= 60, `expected a substantial dump, got ${ours.length} lines`);
});

test('keepalived.data shows timing figures when the snapshot has them', () => {
  const text = renderData({ ...captured, timing: { loopLagLastMs: 0.5, loopLagMaxMs: 12.25 } });
  assert.match(text, /^ Event loop lag = last 0\.500 ms, max 12\.250 ms$/m);
  assert.doesNotMatch(text, /Advert send jitter/);
  const inst = {
    ...captured.instances[0]!,
    timing: { advertJitterLastMs: 1, advertJitterMaxMs: 2, advertJitterMeanMs: 1.5, loopLagLastMs: 0, loopLagMaxMs: 3 },
  };
  assert.match(renderData({ ...captured, instances: [inst] }), /^ {3}Advert send jitter = last 1\.000 ms, max 2\.000 ms, mean 1\.500 ms$/m);
});

test('%g and %f number formatting as C printf', () => {
  const cases: [number, string][] = [
    [1, '1'],
    [0.5, '0.5'],
    [5, '5'],
    [0.05, '0.05'],
    [100, '100'],
    [0, '0'],
    [123456, '123456'],
    [1234567, '1.23457e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [2.5e-7, '2.5e-07'],
    [-3.25, '-3.25'],
  ];
  for (const [x, want] of cases) assert.equal(formatG(x), want, String(x));
  assert.equal(formatDataTime(1795344034020.697), '1795344034.020697 (Sun Nov 22 10:40:34.020697 2026)');
});

test('JSON strings escape like keepalived but stay valid JSON', () => {
  assert.equal(jsonString('/a"b'), '"\\/a\\"b"');
  assert.equal(jsonString('a\\b\n\u0001'), '"a\\\\b\\n\\u0001"');
  assert.equal(JSON.parse(jsonString('x/\\\t\u0002é')), 'x/\\\t\u0002é');
});

test('keepalived.data: an instance without interface (vrf), kernel_rx_buf_size and debug, in keepalived 2.2.7 wording and order', () => {
  const { ifname: _, ...inst } = captured.instances[0]!;
  const text = renderData({ ...captured, instances: [{ ...inst, vrf: 'red', kernelRxBufSize: 65536, debug: 2 }] });
  assert.match(text, /^ {3}Interface = not configured\n {3}VRF = red\n/m);
  assert.match(text, /^ {3}Kernel rx buffer size = 65536\n {3}Debug level = 2\n {3}Virtual IP/m);
});
