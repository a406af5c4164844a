/** keepalived-ts-rogue's AH target (--auth-type AH): protocol 51 adverts whose ICV fails (auth) or holds (spoof). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { floodKinds, kindApplies, roguePacket, type RogueTarget } from '../../../src/vrrp/rogue.js';
import { checkAh } from '../../../src/vrrp/ah.js';
import { IPPROTO_AH } from '../../../src/vrrp/types.js';

const t: RogueTarget = { vrid: 62, version: 2, vips: ['192.0.2.171'], source: '192.0.2.66', authPass: 'secret12', ah: true };
const key = Buffer.from('secret12');

test('AH target: auth fails the ICV check, spoof passes it with a sequence far ahead', () => {
  const bad = roguePacket('auth', t, 3, () => 0.5);
  const good = roguePacket('spoof', t, 3, () => 0.5);
  for (const p of [bad, good]) {
    assert.equal(p[9], IPPROTO_AH);
    assert.equal(p.length, 20 + 24 + 20);
  }
  assert.equal(checkAh(bad, 20, key, false, 0), 'icv');
  assert.equal(checkAh(good, 20, key, false, 0), undefined);
  assert.equal(checkAh(good, 20, key, false, 0x20000000), 'sequence');
});

test('AH target: only auth, spoof and flood (= auth) apply', () => {
  assert.deepEqual(floodKinds(t), ['auth']);
  assert.equal(kindApplies('ttl', t), false);
  assert.equal(kindApplies('spoof', t), true);
  assert.equal(kindApplies('auth', { ...t, version: 3 }), false);
});
