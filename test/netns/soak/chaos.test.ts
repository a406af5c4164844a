/**
 * The chaos soak on the wire, 2 minutes (test/soak/netns.ts; `npm run soak -- --minutes N --seed S` runs longer):
 * four nodes in namespaces, keepalived-ts and keepalived 2.2.7 alternating, a v2 sync group, v3 at 1 s and 0.05 s
 * and an IPv6 VRID, one seeded disturbance at a time. Every invariant holds: one VIP holder per VRID within the
 * settle bound, a GARP/NA from it since it won, no crash, no reload flap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runNetnsSoak } from '../../soak/netns.js';
import { SOAK_VRIDS, vipsOf } from '../../soak/netns-cluster.js';

const SEED = 3;

test(`chaos soak on the wire: seed ${SEED}, 4 nodes, 2 minutes, no violation`, { timeout: 240_000 }, async () => {
  const r = await runNetnsSoak({ seed: SEED, minutes: 2, nodes: 4 });
  const replay = `replay: npm run soak -- --seed ${SEED} --minutes 2 --nodes 4 --verbose`;
  assert.deepEqual(r.violations, [], `${replay}\n${r.log.join('\n')}`);
  // The schedule ran (one disturbance per ~6-12 s) and the watchers saw every VRID's VIP held and announced.
  assert.ok(r.disturbances >= 6 && r.disturbances <= 20, `${r.disturbances} disturbances`);
  for (const v of SOAK_VRIDS) {
    const vip = vipsOf(v, false)[0]!;
    assert.ok(
      r.log.some((l) => l.endsWith(` +${vip}`)),
      `${v.name}: no host was seen adding ${vip}`,
    );
    assert.ok(
      r.log.some((l) => l.endsWith(` announces ${vip}`)),
      `${v.name}: no GARP/NA for ${vip} was seen`,
    );
  }
  assert.deepEqual(
    r.nodes.map((n) => n.impl),
    ['ours', 'keepalived', 'ours', 'keepalived'],
  );
});
