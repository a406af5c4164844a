import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advert, fsm, logs, toMaster } from './fsm-helpers.js';
import { masterDownInterval } from '../../../src/vrrp/timers.js';

/** The FSM's map of competing masters (private; its size is what this test is about). */
function rivalCount(f: ReturnType<typeof fsm>): number {
  return (f as unknown as { rivals: Map<string, number> }).rivals.size;
}

test('a MASTER forgets lower-priority rivals silent for longer than a Master_Down_Interval (the map stays bounded)', () => {
  const f = fsm({ priority: 200 });
  let now = toMaster(f);
  // 5000 rivals, each heard once, 2 s apart: a long mastership on a segment with many (or spoofed) sources
  for (let i = 0; i < 5000; i++) {
    now += 2000;
    f.handle({ type: 'advert', advert: advert(100), source: `198.51.100.${i % 250}/${i}` }, now);
  }
  assert.ok(rivalCount(f) <= 32, `${rivalCount(f)} rivals remembered`);
});

test('forgetting old rivals keeps the episode rule: a rival heard again within the interval is the same episode', () => {
  const f = fsm({ priority: 200 });
  let now = toMaster(f);
  const quiet = masterDownInterval(2, 200, 1000, 3);
  const garps = (src: string, at: number) => logs(f.handle({ type: 'advert', advert: advert(100), source: src }, at));
  const first = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.9' }, (now += 100));
  assert.ok(
    first.some((a) => a.kind === 'sendGarp'),
    'a new rival: split-brain GARP',
  );
  // many other rivals meanwhile, so that pruning runs while 192.0.2.9 is still recent
  for (let i = 0; i < 100; i++) garps(`203.0.113.${i}`, (now += 10));
  const again = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.9' }, (now += 10));
  assert.ok(!again.some((a) => a.kind === 'sendGarp' && a.reason === 'split-brain'), 'same episode: no new split-brain GARP');
  const later = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.9' }, now + quiet + 1);
  assert.ok(
    later.some((a) => a.kind === 'sendGarp' && a.reason === 'split-brain'),
    'silent for longer than the interval: a new episode',
  );
});
