import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterCache } from '../../../src/runtime/snmp/counter-cache.js';
import type { CheckCounters } from '../../../src/snmp/check-mib.js';

const tick = () => new Promise((r) => setImmediate(r));

test("IPVS counters are re-read when a request finds them older than 5 s (keepalived's STATS_REFRESH), not before", async () => {
  let now = 0;
  let reads = 0;
  const readings = [[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]] as unknown as CheckCounters[];
  const c = new CounterCache(
    async () => readings[reads++],
    () => now,
    5000,
  );
  assert.equal(reads, 1, 'read once at start');
  assert.equal(c.refreshing(), true);
  await tick();
  assert.equal(c.refreshing(), false);
  assert.deepEqual(c.get(), readings[0]);
  now = 4999;
  assert.deepEqual(c.get(), readings[0]);
  assert.equal(reads, 1, 'younger than 5 s: no new reading');
  now = 5000;
  assert.deepEqual(c.get(), readings[0], 'the stale reading answers this request');
  assert.equal(reads, 2, 'and a new one is started');
  assert.equal(c.refreshing(), true);
  assert.deepEqual(c.get(), readings[0]);
  assert.equal(reads, 2, 'one reading at a time');
  await tick();
  assert.equal(c.refreshing(), false);
  assert.deepEqual(c.get(), readings[1], 'the next request reads the new counters');
  now = 9999;
  c.get();
  assert.equal(reads, 2, 'the age counts from the new reading');
  now = 10_000;
  c.get();
  assert.equal(reads, 3);
});

test('no counter source (no load balancer): nothing is read, every counter reads 0', () => {
  const c = new CounterCache(undefined, () => 1e9);
  assert.deepEqual(c.get(), []);
  assert.equal(c.refreshing(), false);
});
