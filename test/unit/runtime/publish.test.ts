/** The VRRP runtime's observer events: router actions published on the channels of src/core/events.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, type VrrpDropEvent, type VrrpTransitionEvent } from '../../../src/core/events.js';
import { publishAction } from '../../../src/runtime/vrrp/publish.js';
import { instanceParams } from '../../../src/vrrp/instance-params.js';
import { VrrpRouter } from '../../../src/vrrp/router.js';

const where = { vrid: 51, family: 4 as const, ifname: 'eth0' };

function router(): VrrpRouter {
  const r = new VrrpRouter();
  const params = instanceParams({ name: 'VI_1', vrid: 51, primaryAddress: '192.0.2.1', priority: 100, vips: ['192.0.2.100'] });
  r.addInstance({ params, socketKey: 'eth0', ifindex: 2, source: '192.0.2.1', group: '224.0.0.18' });
  return r;
}

test('a transition is published on keepalived-ts:vrrp:transition with its reason', () => {
  const seen: VrrpTransitionEvent[] = [];
  const off = subscribe('keepalived-ts:vrrp:transition', (e) => seen.push(e));
  try {
    const r = router();
    for (const a of r.event('VI_1', { type: 'startup' }, 0)) publishAction(a, where, 1_000);
    for (const a of r.timeout(r.pollTimeout()!)) publishAction(a, where, 4_000);
  } finally {
    off();
  }
  assert.deepEqual(seen, [
    { instance: 'VI_1', vrid: 51, family: 4, interface: 'eth0', from: 'INIT', to: 'BACKUP', reason: 'startup', priority: 100, at: 1_000 },
    { instance: 'VI_1', vrid: 51, family: 4, interface: 'eth0', from: 'BACKUP', to: 'MASTER', reason: 'master down timer', priority: 100, at: 4_000 },
  ]);
});

test('drops and priority changes are published; nothing is published without a subscriber', () => {
  const drops: VrrpDropEvent[] = [];
  const prios: unknown[] = [];
  const offDrop = subscribe('keepalived-ts:vrrp:drop', (e) => drops.push(e));
  const offPrio = subscribe('keepalived-ts:vrrp:priority', (e) => prios.push(e));
  const r = router();
  r.event('VI_1', { type: 'startup' }, 0);
  try {
    publishAction({ kind: 'dropped', instance: 'VI_1', reason: 'ttl', source: '192.0.2.9' }, where, 7);
    publishAction({ kind: 'priorityChanged', instance: 'VI_1', from: 100, to: 40 }, where, 8);
  } finally {
    offDrop();
    offPrio();
  }
  publishAction({ kind: 'dropped', instance: 'VI_1', reason: 'ttl', source: '192.0.2.9' }, where, 9);
  assert.deepEqual(drops, [{ instance: 'VI_1', reason: 'ttl', source: '192.0.2.9', at: 7 }]);
  assert.deepEqual(prios, [{ instance: 'VI_1', from: 100, to: 40, at: 8 }]);
});
