/** IPVS schedulers as nftables lookups (src/lb/nft/schedule.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HASH_BUCKETS, maglevTable, numgenSlots, planScheduler, shTable, type SchedDest } from '../../../src/lb/nft/schedule.js';

const d = (id: number, weight: number): SchedDest => ({ id, weight, name: `192.0.2.${id}:80` });
const count = (t: readonly number[]) => t.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<number, number>());
const WRR = { kind: 'numgen', weighted: true, failover: false } as const;

test('rr, wrr, fo as numgen slots: exact shares per cycle, weight 0 gets none, gcd reduces the cycle', () => {
  assert.deepEqual(numgenSlots({ kind: 'numgen', weighted: false, failover: false }, [d(1, 1), d(2, 5), d(3, 0)]), {
    modulus: 2,
    ranges: [
      [0, 0, 1],
      [1, 1, 2],
    ],
  });
  assert.deepEqual(numgenSlots(WRR, [d(1, 1), d(2, 2)]), {
    modulus: 3,
    ranges: [
      [0, 0, 1],
      [1, 2, 2],
    ],
  });
  assert.deepEqual(numgenSlots(WRR, [d(1, 100), d(2, 300), d(3, 0)]), {
    modulus: 4,
    ranges: [
      [0, 0, 1],
      [1, 3, 2],
    ],
  });
  assert.deepEqual(numgenSlots({ kind: 'numgen', weighted: true, failover: true }, [d(1, 3), d(2, 7), d(3, 7)]), { modulus: 1, ranges: [[0, 0, 2]] });
  assert.deepEqual(numgenSlots(WRR, [d(1, 0)]), { modulus: 1, ranges: [] });
});

test('sh: 256 buckets filled in turn by weight; a server leaving moves its buckets only to the others', () => {
  const t = shTable([d(1, 1), d(2, 3)]);
  assert.equal(t.length, HASH_BUCKETS);
  assert.deepEqual(t.slice(0, 8), [1, 2, 2, 2, 1, 2, 2, 2]);
  assert.deepEqual([...count(t)].sort(), [
    [1, 64],
    [2, 192],
  ]);
  assert.deepEqual(shTable([d(1, 0)]), []);
});

test('mh: a Maglev table of 251 buckets, shares by weight, small disruption when one of ten leaves', () => {
  const ten = Array.from({ length: 10 }, (_, i) => d(i + 1, 1));
  const t = maglevTable(ten);
  assert.equal(t.length, 251);
  for (const [, n] of count(t)) assert.ok(n >= 24 && n <= 27, `share ${n}`);
  const without = maglevTable(ten.filter((x) => x.id !== 4));
  const moved = t.filter((id, i) => id !== 4 && without[i] !== id).length;
  assert.ok(moved <= 25, `buckets of staying servers that moved: ${moved}`);
  assert.ok(without.every((id) => id !== 4));
  const w = count(maglevTable([d(1, 1), d(2, 2)]));
  assert.ok(Math.abs(w.get(2)! / w.get(1)! - 2) < 0.1, JSON.stringify([...w]));
});

test('connection-count schedulers map to the nearest weight-based one with a notice; unknown names are refused', () => {
  assert.deepEqual(planScheduler('wrr', 0), { shape: WRR, effective: 'wrr' });
  assert.deepEqual(planScheduler('sh', 0x10)?.shape, { kind: 'hash', on: 'saddr', port: true, table: 'sh' });
  assert.deepEqual(planScheduler('dh', 0)?.shape, { kind: 'hash', on: 'daddr', port: false, table: 'sh' });
  const wlc = planScheduler('wlc', 0)!;
  assert.equal(wlc.effective, 'wrr');
  assert.equal(
    wlc.notice,
    'scheduler wlc: weighted least-connection needs live per-server connection counts, which nftables cannot compare; scheduling as wrr instead',
  );
  assert.deepEqual(
    ['lc', 'sed', 'nq', 'ovf', 'lblc', 'lblcr', 'twos'].map((s) => planScheduler(s, 0)!.effective),
    ['rr', 'wrr', 'wrr', 'fo', 'dh', 'dh', 'wrr'],
  );
  assert.equal(planScheduler('nonesuch', 0), undefined);
});
