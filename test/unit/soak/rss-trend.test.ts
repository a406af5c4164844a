/**
 * The soak's leak check (test/soak/rss-trend.ts) on synthetic RSS series sampled every 5 s for 62 minutes, the
 * soak's own figures: a heap that swings (a sawtooth up to 16 MiB) and grows during warm-up is not a leak; the
 * same swing over a floor that rises 15 % in the hour is; the seed-7 pattern (a high sample at the end, flat
 * floor) is not; a process sampled less than 55 minutes is not judged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RssTrend, SOAK_RSS_TREND } from '../../soak/rss-trend.js';

const MIN = 60_000;
const BASE = 62 * 1024; // KiB

/** Samples every 5 s for `minutes`; kib(t) gives RSS at t ms. */
function run(minutes: number, kib: (t: number) => number): RssTrend {
  const r = new RssTrend(SOAK_RSS_TREND);
  for (let t = 0; t <= minutes * MIN; t += 5000) r.add(1_000_000 + t, Math.round(kib(t)));
  return r;
}
/** A sawtooth of `amp` KiB with a 47 s period (not a multiple of the sample period). */
const saw = (t: number, amp: number) => ((t % 47_000) / 47_000) * amp;
/** Warm-up: +8 MiB over the first 6 minutes, then flat. */
const warm = (t: number) => Math.min(t / (6 * MIN), 1) * 8 * 1024;

test('a swinging heap after warm-up is not a leak; the same swing over a rising floor (+15 % in the hour) is', () => {
  const flat = run(62, (t) => BASE + warm(t) + saw(t, 16 * 1024)).verdict()!;
  assert.equal(flat.leak, false, JSON.stringify(flat));
  // the floors are the sawtooth's minimum (warm-up still adds its last MiB at minute 5), not its phase
  assert.ok(flat.baseline! >= BASE + 6 * 1024 && flat.baseline! <= BASE + 8 * 1024 + 2 * 1024, JSON.stringify(flat));
  assert.ok(Math.abs(flat.end - flat.baseline!) <= 2 * 1024, JSON.stringify(flat));

  const leaking = run(62, (t) => BASE + warm(t) + saw(t, 16 * 1024) + (t / (62 * MIN)) * 0.15 * (BASE + 8 * 1024)).verdict()!;
  assert.equal(leaking.leak, true, JSON.stringify(leaking));
  // a leak just under the bound (7 % in the hour) passes: the check has no margin of its own to hide a leak in
  const slow = run(62, (t) => BASE + warm(t) + saw(t, 16 * 1024) + (t / (62 * MIN)) * 0.07 * (BASE + 8 * 1024)).verdict()!;
  assert.equal(slow.leak, false, JSON.stringify(slow));
});

test('seed 7: a single high sample at the end over a flat floor is not a leak (the old check called it +29 %)', () => {
  const r = run(62, (t) => (t > 61 * MIN ? 78.8 * 1024 : BASE + (t % 60_000 < 5000 ? 10 * 1024 : 0))).verdict()!;
  assert.equal(r.leak, false, JSON.stringify(r));
  assert.equal(r.end, BASE);
});

test('no verdict before 55 minutes, nor without a baseline window', () => {
  const short = run(50, (t) => BASE + t / 100).verdict()!;
  assert.equal(short.leak, false);
  assert.ok(short.end > short.baseline! * SOAK_RSS_TREND.ratio, 'it would be a leak if judged');
  const young = run(8, (t) => BASE + t).verdict()!;
  assert.equal(young.baseline, undefined);
  assert.equal(young.leak, false);
  assert.equal(new RssTrend().verdict(), undefined);
});
