import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptTracker, type TrackScriptOptions } from '../../../src/track/script-tracker.js';
import type { ScriptOutcome } from '../../../src/notify/script-runner.js';
import type { TrackerResult } from '../../../src/vrrp/types.js';

const OK: ScriptOutcome = { kind: 'exited', status: 0 };
const FAIL: ScriptOutcome = { kind: 'exited', status: 1 };

function opts(o: Partial<TrackScriptOptions> = {}): TrackScriptOptions {
  return { name: 'chk', intervalMs: 1000, timeoutMs: 0, rise: 1, fall: 1, initFail: false, ...o };
}

/** Runs the tracker in virtual time: at each due poll, feeds the next outcome; returns logs and updates with times. */
function simulate(t: ScriptTracker, outcomes: ScriptOutcome[], runMs = 10): { logs: string[]; updates: [number, TrackerResult][] } {
  const logs: string[] = [];
  const updates: [number, TrackerResult][] = [];
  let now = 0;
  for (const o of outcomes) {
    now = t.pollTimeout()!;
    assert.equal(t.poll(now), true);
    assert.equal(t.pollTimeout(), undefined, 'no new run while one is outstanding');
    assert.equal(t.poll(now + 5000), false);
    const step = t.handleResult(now + runMs, o);
    logs.push(...step.logs.map((l) => `${now}: ${l.text}`));
    if (step.update) updates.push([now, step.update]);
  }
  return { logs, updates };
}

test('first result always reports; keepalived log texts', () => {
  const t = new ScriptTracker(opts());
  const r = simulate(t, [OK, OK, FAIL, FAIL, OK]);
  assert.deepEqual(r.logs, [
    '0: VRRP_Script(chk) succeeded',
    '2000: Script `chk` now returning 1',
    '2000: VRRP_Script(chk) failed (exited with status 1)',
    '4000: Script `chk` now returning 0',
    '4000: VRRP_Script(chk) succeeded',
  ]);
  assert.deepEqual(
    r.updates.map(([, u]) => u.ok),
    [true, false, true],
  );
  assert.deepEqual(r.updates[0]![1], { kind: 'script', name: 'chk', ok: true });
});

test('fall 2 / rise 2: state changes only after 2 consecutive failures / successes (Appendix A)', () => {
  const t = new ScriptTracker(opts({ rise: 2, fall: 2, name: 'chk_file' }));
  const seq = [OK, OK, FAIL, OK, FAIL, FAIL, FAIL, OK, FAIL, OK, OK];
  const r = simulate(t, seq);
  // t=0: init, one success is enough. 2000 fail (1 of 2), 3000 ok resets, 4000+5000 fail -> failed at 5000.
  // 7000 ok (1 of 2), 8000 fail resets, 9000+10000 ok -> succeeded at 10000.
  assert.deepEqual(
    r.updates.map(([at, u]) => [at, u.ok]),
    [
      [0, true],
      [5000, false],
      [10000, true],
    ],
  );
  assert.ok(r.logs.includes('5000: VRRP_Script(chk_file) failed (exited with status 1)'));
  assert.ok(r.logs.includes('2000: Script `chk_file` now returning 1'));
});

test('init_fail starts failed: needs `rise` successes; first failure reports at once', () => {
  const t = new ScriptTracker(opts({ rise: 3, fall: 1, initFail: true }));
  assert.equal(t.ok, false);
  const r = simulate(t, [OK, OK, OK]);
  assert.deepEqual(
    r.updates.map(([at, u]) => [at, u.ok]),
    [[2000, true]],
  );
  const t2 = new ScriptTracker(opts({ rise: 2, fall: 3 }));
  assert.deepEqual(
    simulate(t2, [FAIL]).updates.map(([, u]) => u.ok),
    [false],
    'a failure in init state reports',
  );
});

test('timeouts and signals count as failures with their own texts', () => {
  const t = new ScriptTracker(opts({ timeoutMs: 500 }));
  assert.equal(t.effectiveTimeoutMs, 500);
  assert.equal(new ScriptTracker(opts({ intervalMs: 2000 })).effectiveTimeoutMs, 2000, 'timeout 0 = interval');
  const r = simulate(t, [OK, { kind: 'timedOut' }, OK, { kind: 'signaled', signal: 'SIGKILL', signo: 9 }]);
  assert.deepEqual(r.logs, [
    '0: VRRP_Script(chk) succeeded',
    '1000: VRRP_Script(chk) timed_out',
    '2000: VRRP_Script(chk) succeeded',
    '3000: VRRP_Script(chk) failed (due to signal 9)',
  ]);
});

test('schedule: runs every interval from the start of the previous run; a long run delays the next', () => {
  const t = new ScriptTracker(opts({ intervalMs: 1000 }), 500);
  assert.equal(t.pollTimeout(), 500);
  assert.equal(t.poll(499), false);
  assert.equal(t.poll(500), true);
  t.handleResult(700, OK);
  assert.equal(t.pollTimeout(), 1500);
  assert.equal(t.poll(1500), true);
  t.handleResult(2700, OK);
  assert.equal(t.pollTimeout(), 2700);
});

test('failover budget: with fall F and interval I, the failure is reported within F × I of the first failure', () => {
  for (const [fall, interval] of [
    [1, 1000],
    [3, 2000],
    [5, 500],
  ] as const) {
    const t = new ScriptTracker(opts({ fall, rise: 1, intervalMs: interval }));
    const r = simulate(t, [OK, ...Array<ScriptOutcome>(fall).fill(FAIL)]);
    const failedAt = r.updates.find(([, u]) => !u.ok)![0];
    assert.equal(failedAt - interval, (fall - 1) * interval);
  }
});
