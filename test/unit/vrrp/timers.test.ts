/** The state machine's timer table: deadlines by name, the earliest first, ties in the order they were armed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerTable } from '../../../src/vrrp/timers.js';
import { seededRng } from '../../../src/core/rng.js';

test('set, get, clear and next', () => {
  const t = new TimerTable<'a' | 'b' | 'c'>();
  assert.equal(t.next(), undefined);
  assert.equal(t.get('a'), undefined);
  t.set('a', 30);
  t.set('b', 10);
  assert.equal(t.get('a'), 30);
  assert.equal(t.next(), 10);
  t.clear('b');
  assert.equal(t.get('b'), undefined);
  assert.equal(t.next(), 30);
  t.set('a', 5); // re-armed earlier
  assert.equal(t.next(), 5);
  t.clearAll();
  assert.equal(t.next(), undefined);
  assert.deepEqual(t.takeExpired(1e9), []);
});

test('takeExpired: due timers earliest first, ties in arming order (re-arming an armed timer keeps its place); they are disarmed', () => {
  const t = new TimerTable<'a' | 'b' | 'c'>();
  t.set('a', 10);
  t.set('b', 10);
  t.set('c', 20);
  t.set('a', 10); // still armed: keeps its place before b
  assert.deepEqual(t.takeExpired(9), []);
  assert.deepEqual(t.takeExpired(15), ['a', 'b']);
  assert.equal(t.get('a'), undefined);
  assert.equal(t.next(), 20);
  t.set('a', 20); // armed again after c: comes after it on a tie
  assert.deepEqual(t.takeExpired(20), ['c', 'a']);
  assert.equal(t.next(), undefined);
});

test('takeExpired and next agree with a Map-backed model on random operations', () => {
  const r17 = seededRng(17);
  const rng = () => r17.next();
  const names = ['Adver_Timer', 'Master_Down_Timer', 'garpDelayed'] as const;
  for (let run = 0; run < 200; run++) {
    const t = new TimerTable<(typeof names)[number]>();
    const model = new Map<string, number>();
    for (let op = 0; op < 60; op++) {
      const name = names[Math.floor(rng() * names.length)]!;
      const r = rng();
      if (r < 0.5) {
        const at = Math.floor(rng() * 20);
        t.set(name, at);
        model.set(name, at);
      } else if (r < 0.65) {
        t.clear(name);
        model.delete(name);
      } else {
        const now = Math.floor(rng() * 20);
        const want = [...model].filter(([, d]) => d <= now).sort((a, b) => a[1] - b[1]);
        for (const [k] of want) model.delete(k);
        assert.deepEqual(
          t.takeExpired(now),
          want.map(([k]) => k),
        );
      }
      const min = [...model.values()].reduce<number | undefined>((m, d) => (m === undefined || d < m ? d : m), undefined);
      assert.equal(t.next(), min);
      assert.equal(t.get(name), model.get(name));
    }
  }
});
