/**
 * The BFD transmit watchdog's timing (src/runtime/bfd/tx-watchdog.ts) against RFC 5880 section 6.8.7, for every
 * jitter the session may draw: the first native deadline is never later than the negotiated interval after the
 * packet just sent (90 % with `multiplier 1`) and never before the event loop's own next packet plus the grace
 * (unless that would pass the limit); native periods stay within [75 %, 80 %], and 80 % + the grace (20 %, 10 % with `multiplier 1`) ≤ the limit (so a booked deadline plus
 * the grace still keeps the limit); the hold is max(1 s, 3 intervals); too short an interval is not armed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitterRange } from '../../../src/bfd/session.js';
import { bfdWatchdogGrace, bfdWatchdogTiming } from '../../../src/runtime/bfd/tx-watchdog.js';

test('native timing keeps RFC 5880 6.8.7 spacing for every drawn jitter, multiplier 1 and 3', () => {
  for (const mult of [1, 3]) {
    const [lo, hi] = jitterRange(mult);
    for (const intervalUs of [10_000, 50_000, 1_000_000]) {
      const I = intervalUs / 1000;
      for (let k = 0; k <= 100; k++) {
        const j = lo + ((hi - lo) * k) / 100;
        const now = 5000;
        const t = bfdWatchdogTiming(intervalUs, mult, now, now + j * I)!;
        const due = t.intervalMs + t.slackMs;
        assert.ok(due <= hi * I + 1e-9, `mult ${mult} I ${I} j ${j}: first native deadline ${due} ≤ ${hi * I}`);
        assert.ok(due >= Math.min(j * I + t.graceMs!, hi * I) - 1e-9, `not before the loop's next packet + grace`);
        assert.ok(due >= lo * I, 'never sooner than 75 %');
        const shortest = t.intervalMs * (1 - t.jitter!);
        assert.ok(Math.abs(shortest - lo * I) < 1e-9, `shortest native period ${shortest} = 75 %`);
        assert.ok(t.intervalMs + t.graceMs! <= hi * I + 1e-9, 'longest native period + grace ≤ the limit (a booked deadline)');
        assert.ok(Math.abs(t.graceMs! - (mult === 1 ? 0.1 : 0.2) * I) < 1e-9 && t.graceMs === bfdWatchdogGrace(mult) * I);
        assert.ok(Math.abs(t.intervalMs - 0.8 * I) < 1e-9, 'longest native period: 80 %');
        assert.equal(t.holdMs, Math.max(1000, 3 * I));
      }
    }
  }
  assert.equal(bfdWatchdogTiming(1_500, 3, 0, 1), undefined, 'a 1.5 ms interval is not armed');
});
