import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { GarpPacer, pacingGroups } from '../../../src/runtime/vrrp/garp-pacer.js';

const pos = { file: 't.conf', line: 1, col: 1 };

/** Runs `fn` with mocked timers and a clock starting at `start` that `tick` advances with them. */
function withClock(start: number, fn: (now: () => number, tick: (ms: number) => void) => void): void {
  mock.timers.enable({ apis: ['setTimeout'] });
  let now = start;
  try {
    fn(
      () => now,
      (ms) => {
        now += ms;
        mock.timers.tick(ms);
      },
    );
  } finally {
    mock.timers.reset();
  }
}

test('vrrp_garp_interval: frames on one interface are spaced by the interval; other interfaces and NA have their own pace', () => {
  withClock(1000, (now, tick) => {
    const sent: string[] = [];
    const pacer = new GarpPacer(200, 0, now);
    for (let i = 0; i < 3; i++) pacer.send(2, false, () => sent.push(`eth0@${now()}`));
    pacer.send(3, false, () => sent.push(`eth1@${now()}`));
    pacer.send(2, true, () => sent.push(`na@${now()}`)); // gna_interval 0: at once
    assert.deepEqual(sent, ['eth0@1000', 'eth1@1000', 'na@1000']);
    tick(199);
    assert.equal(sent.length, 3);
    tick(1);
    assert.deepEqual(sent.slice(3), ['eth0@1200']);
    tick(200);
    assert.deepEqual(sent.slice(4), ['eth0@1400']);
    tick(1000);
    assert.equal(sent.length, 5);
    // after a quiet period the next frame goes at once
    pacer.send(2, false, () => sent.push(`eth0@${now()}`));
    assert.equal(sent[5], 'eth0@2400');
    pacer.send(2, false, () => sent.push(`eth0@${now()}`));
    pacer.clear();
    tick(1000);
    assert.equal(sent.length, 6, 'clear() drops queued frames');
  });
});

test('setIntervals (a reload): queued and later frames go at the new pace, and 0 empties the queue at once', () => {
  withClock(0, (now, tick) => {
    const sent: number[] = [];
    const pacer = new GarpPacer(100, 100, now);
    for (let i = 0; i < 3; i++) pacer.send(2, false, () => sent.push(now()));
    assert.deepEqual(sent, [0]);
    pacer.setIntervals(300, 300);
    tick(100);
    assert.deepEqual(sent, [0], 'the queued frame waits for the new interval');
    tick(200);
    assert.deepEqual(sent, [0, 300]);
    tick(300);
    assert.deepEqual(sent, [0, 300, 600]);
    pacer.send(2, false, () => sent.push(now()));
    pacer.send(2, false, () => sent.push(now()));
    tick(10);
    pacer.setIntervals(0, 0);
    assert.deepEqual(sent, [0, 300, 600, 610, 610], 'both waiting frames at once');
  });
});

test('garp_group: its interfaces share one queue at the group pace; an interval the group lacks is 0 there; others keep the global one', () => {
  withClock(0, (now, tick) => {
    const sent: string[] = [];
    const pacer = new GarpPacer(100, 300, now);
    pacer.setGroups(
      pacingGroups([
        {
          garpIntervalMs: 500,
          interfaces: [
            { name: 'eth0', pos },
            { name: 'ex0', pos },
          ],
          pos,
        },
        { gnaIntervalMs: 50, interfaces: [{ name: 'eth1', pos }], pos },
      ]),
    );
    pacer.send('eth0', false, () => sent.push(`eth0@${now()}`));
    pacer.send('ex0', false, () => sent.push(`ex0@${now()}`));
    pacer.send('eth0', true, () => sent.push(`na-eth0@${now()}`)); // the group has no gna_interval: at once
    pacer.send('eth1', false, () => sent.push(`eth1@${now()}`)); // no garp_interval in its group: at once
    pacer.send('eth1', false, () => sent.push(`eth1@${now()}`));
    pacer.send('eth2', false, () => sent.push(`eth2@${now()}`)); // not grouped: the global 100 ms
    pacer.send('eth2', false, () => sent.push(`eth2@${now()}`));
    assert.deepEqual(sent, ['eth0@0', 'na-eth0@0', 'eth1@0', 'eth1@0', 'eth2@0']);
    tick(100);
    assert.deepEqual(sent.slice(5), ['eth2@100']);
    tick(399);
    assert.equal(sent.length, 6);
    tick(1);
    assert.deepEqual(sent.slice(6), ['ex0@500']);
  });
});
