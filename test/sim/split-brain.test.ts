/**
 * Split brain heals cleanly (issue 14): after a partition heals, the winner re-announces its VIPs (GARP/NA) within
 * 10 ms after the loser stepped down, whichever advert crosses first. The loser's yield advert is what tells the
 * winner; without it (keepalived's default) the winner stays silent when its own advert crosses first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimNetwork } from './network.js';
import { randomInt, seededRng } from '../../src/core/rng.js';
import type { VrrpInstanceParamsInput } from '../../src/vrrp/instance-params.js';
import { VrrpState } from '../../src/vrrp/types.js';

const VIP = '192.0.2.100';
const BOUND_MS = 10;

function pair(extra: Partial<VrrpInstanceParamsInput> = {}, seed = 1): SimNetwork {
  const net = new SimNetwork({ latencyMs: 1, jitterMs: 1, loss: 0, duplicate: 0 }, seed);
  const vi = (addr: string, priority: number): VrrpInstanceParamsInput => ({
    name: 'VI_1',
    vrid: 51,
    primaryAddress: addr,
    priority,
    vips: [VIP],
    ...extra,
  });
  net.addNode('A', [{ ...vi('192.0.2.1', 150), initialState: 'MASTER' }]);
  net.addNode('B', [vi('192.0.2.2', 100)]);
  net.start();
  return net;
}

interface Heal {
  /** When the loser (B) left MASTER. */
  readonly stepDown: number;
  /** The winner's (A) first GARP burst at or after the step-down, if any. */
  readonly garp: number | undefined;
  /** B's advert reached A before B stepped down (the loser's advert crossed first). */
  readonly loserFirst: boolean;
}

/** What happened after the heal at `healAt`: B's step-down, A's re-announcement, which advert crossed first. */
function heal(net: SimNetwork, healAt: number): Heal {
  const down = net.transitions({ node: 'B', to: VrrpState.BACKUP }).find((e) => e.t >= healAt && e.from === VrrpState.MASTER);
  assert.ok(down, `B was MASTER before the heal at ${healAt} and stepped down after it`);
  const garp = net.timeline.find((e) => e.kind === 'garp' && e.node === 'A' && e.t >= down.t);
  const loserFirst = net
    .logs('A')
    .some((l) => l.t >= healAt && l.t < down.t && l.text.startsWith('(VI_1) Received advert from 192.0.2.2 with lower priority'));
  return { stepDown: down.t, garp: garp?.t, loserFirst };
}

const reannounced = (h: Heal): boolean => h.garp !== undefined && h.garp - h.stepDown <= BOUND_MS;

test('the winner re-announces within 10 ms after the loser steps down, whichever advert crosses first', () => {
  // A's adverts go out at 3.414 + k s; B is MASTER from 13.02 s with adverts at 13.02 + k s.
  for (const [healAt, loserFirst] of [
    [20_000, true],
    [20_100, false],
  ] as const) {
    const net = pair();
    net.at(10_000, () => net.partition(['A'], ['B']));
    net.at(healAt, () => net.heal());
    net.runUntil(30_000);
    const h = heal(net, healAt);
    assert.equal(h.loserFirst, loserFirst, `heal at ${healAt}: crossing order`);
    assert.ok(reannounced(h), `heal at ${healAt}: A's GARP ${h.garp} after B's step-down ${h.stepDown}`);
    assert.ok(h.garp! >= h.stepDown);
    assert.deepEqual(net.masters('VI_1'), ['A']);
    assert.deepEqual(net.holdersOf(VIP), ['A']);
  }
});

test("without the yield advert (keepalived's default) the heal is silent when the winner's advert crosses first", () => {
  for (const [healAt, loserFirst] of [
    [20_000, true],
    [20_100, false],
  ] as const) {
    const net = pair({ yieldAdvert: false });
    net.at(10_000, () => net.partition(['A'], ['B']));
    net.at(healAt, () => net.heal());
    net.runUntil(30_000);
    const h = heal(net, healAt);
    assert.equal(h.loserFirst, loserFirst);
    assert.equal(reannounced(h), false, `heal at ${healAt}: no re-announcement within ${BOUND_MS} ms of the step-down`);
  }
});

test('20 heals at random phase (both crossing orders): every one re-announces within 10 ms after the step-down', () => {
  const rng = seededRng(1414);
  const net = pair({}, 7);
  const heals: number[] = [];
  let t = 10_000;
  for (let i = 0; i < 20; i++) {
    const cut = t;
    const healAt = cut + randomInt(rng, 5_000, 9_000) + rng.next() * 1000; // longer than B's Master_Down_Interval
    net.at(cut, () => net.partition(['A'], ['B']));
    net.at(healAt, () => net.heal());
    heals.push(healAt);
    t = healAt + 5_000;
  }
  net.runUntil(t + 5_000);
  const results = heals.map((at) => heal(net, at));
  const late = results.filter((h) => !reannounced(h));
  assert.deepEqual(late, [], `heals without a re-announcement: ${JSON.stringify(late)}`);
  const loserFirst = results.filter((h) => h.loserFirst).length;
  assert.ok(loserFirst > 0 && loserFirst < results.length, `both crossing orders occur (${loserFirst} of ${results.length} loser-first)`);
  assert.deepEqual(net.masters('VI_1'), ['A']);
  assert.deepEqual(net.holdersOf(VIP), ['A']);
});
