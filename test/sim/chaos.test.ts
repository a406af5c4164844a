/**
 * The chaos soak's sim tier (test/soak/chaos.ts): a few hundred seeds of 3–5 nodes with a v2 sync group and v3
 * VRIDs at 1 s and 0.05 s through link flaps, partitions, one-way loss, loss/delay, SIGSTOP, SIGKILL + restart,
 * reloads and tracker flips; every invariant holds on every seed. `npm run soak -- --sim --seeds N` runs more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DISTURBANCES, runChaos } from '../soak/chaos.js';
import { SimNetwork } from './network.js';
import { VrrpState } from '../../src/vrrp/types.js';

test('chaos: 200 seeds × 2 virtual minutes keep one master per VRID, GARP after winning, reloads without flaps', () => {
  const seen = Object.fromEntries(DISTURBANCES.map((d) => [d, 0]));
  let total = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const r = runChaos(seed, { horizonMs: 120_000 });
    total += r.disturbances;
    for (const d of DISTURBANCES) seen[d]! += r.counts[d];
    assert.deepEqual(r.violations, [], `seed ${seed} (replay: npm run soak -- --sim --seed ${seed} --minutes 2 --verbose)\n${r.log.join('\n')}`);
  }
  // Every kind of disturbance was exercised, many times.
  for (const d of DISTURBANCES) assert.ok(seen[d]! >= 100, `${d}: ${seen[d]}`);
  assert.ok(total >= 1000 && total <= 3000, `${total} disturbances`);
});

test('chaos: the same seed replays the same run exactly', () => {
  const a = runChaos(4242, { horizonMs: 60_000 });
  const b = runChaos(4242, { horizonMs: 60_000 });
  assert.deepEqual(a.log, b.log);
  assert.ok(a.log.length > 20);
});

test('regression (found by the soak): a sync group whose members share a link leaves FAULT when the link returns', () => {
  const net = new SimNetwork({ latencyMs: 1, jitterMs: 0, loss: 0, duplicate: 0 }, 1);
  const two = (ip: string, priority: number) =>
    ['VI_1', 'VI_2'].map((name, k) => ({
      name,
      vrid: 10 + k,
      primaryAddress: ip,
      priority,
      advertIntervalMs: 1000,
      vips: [`203.0.113.${10 + k}`],
    }));
  net.addNode('A', two('192.0.2.1', 200), { SG: ['VI_1', 'VI_2'] });
  net.addNode('B', two('192.0.2.2', 100), { SG: ['VI_1', 'VI_2'] });
  net.start();
  net.runUntil(10_000);
  assert.deepEqual([net.masters('VI_1'), net.masters('VI_2')], [['A'], ['A']]);
  net.setLink('A', false);
  net.runFor(5000);
  assert.deepEqual([net.stateOf('A', 'VI_1'), net.stateOf('A', 'VI_2')], [VrrpState.FAULT, VrrpState.FAULT]);
  assert.deepEqual([net.masters('VI_1'), net.masters('VI_2')], [['B'], ['B']]);
  net.setLink('A', true);
  // Back up: A leaves FAULT at once and, with the higher priority, preempts B within Master_Down_Interval + latency.
  net.runFor(1);
  assert.deepEqual([net.stateOf('A', 'VI_1'), net.stateOf('A', 'VI_2')], [VrrpState.BACKUP, VrrpState.BACKUP]);
  net.runFor(3000 + 220 + 5);
  assert.deepEqual([net.masters('VI_1'), net.masters('VI_2')], [['A'], ['A']]);
});
