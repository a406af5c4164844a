import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { seededRng } from '../../../src/core/rng.js';

test('ManualClock moves only forward', () => {
  const c = new ManualClock();
  c.advance(10);
  assert.equal(c.now(), 10);
  assert.throws(() => c.set(5), RangeError);
});

test('seededRng is deterministic per seed', () => {
  const a = seededRng(42),
    b = seededRng(42),
    c = seededRng(43);
  const xs = [a.next(), a.next()],
    ys = [b.next(), b.next()];
  assert.deepEqual(xs, ys);
  assert.notEqual(xs[0], c.next());
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});
