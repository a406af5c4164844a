/** The router's agenda: earliest deadline first, replaced and cleared deadlines never surface. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineQueue } from '../../../src/vrrp/deadlines.js';
import { seededRng } from '../../../src/core/rng.js';

test('peek gives the earliest current deadline; moved and cleared ones are skipped; ties keep their order', () => {
  const q = new DeadlineQueue<string>();
  assert.equal(q.peek(), undefined);
  q.set('a', 30);
  q.set('b', 10);
  q.set('c', 10);
  assert.deepEqual(q.peek(), { at: 10, seq: 1, key: 'b' });
  q.set('b', 40); // moved later
  assert.equal(q.peek()?.key, 'c');
  q.set('c', undefined);
  assert.deepEqual([q.peek()?.key, q.peek()?.at], ['a', 30]);
  q.set('a', 5); // moved earlier
  assert.deepEqual([q.peek()?.key, q.peek()?.at], ['a', 5]);
});

test('against a plain map: 10,000 random sets and clears agree on the minimum', () => {
  const rng = seededRng(99);
  const q = new DeadlineQueue<number>();
  const ref = new Map<number, number>();
  for (let i = 0; i < 10_000; i++) {
    const k = Math.floor(rng.next() * 50);
    const at = rng.next() < 0.1 ? undefined : Math.floor(rng.next() * 1000);
    q.set(k, at);
    if (at === undefined) ref.delete(k);
    else ref.set(k, at);
    const min = ref.size ? Math.min(...ref.values()) : undefined;
    assert.equal(q.peek()?.at, min, `step ${i}`);
  }
});
