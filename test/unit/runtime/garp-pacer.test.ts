import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { GarpPacer } from '../../../src/runtime/vrrp/garp-pacer.js';

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
