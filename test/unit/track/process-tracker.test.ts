import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { systemClock } from '../../../src/core/clock.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { matchesProcess, QuorumTracker, type ProcInfo, type TrackProcessOptions } from '../../../src/track/process-tracker.js';
import { parseStat, ProcessTrackerDriver, scanProcesses } from '../../../src/track/proc-scan.js';
import type { TrackerResult } from '../../../src/vrrp/types.js';
import { waitFor } from '../../fixtures/notify/helpers.js';

const P = (argv: string[], comm = argv[0]!.split('/').pop()!.slice(0, 15)): ProcInfo => ({ pid: 1, comm, argv });

test('matching by comm / full command and parameters (exact, partial, initial)', () => {
  const base: TrackProcessOptions = { name: 't', process: 'sleep' };
  assert.ok(matchesProcess(base, P(['/usr/bin/sleep', '100'])));
  assert.ok(!matchesProcess({ ...base, process: '/usr/bin/sleep' }, P(['/usr/bin/sleep', '100'])));
  assert.ok(matchesProcess({ ...base, process: '/usr/bin/sleep', fullCommand: true }, P(['/usr/bin/sleep', '100'])));
  assert.ok(!matchesProcess(base, { ...P(['sleep']), zombie: true }));
  const exact = { ...base, params: ['100', 'x'] };
  assert.ok(matchesProcess(exact, P(['sleep', '100', 'x'])));
  assert.ok(!matchesProcess(exact, P(['sleep', '100', 'x', 'y'])));
  assert.ok(!matchesProcess(exact, P(['sleep', '100'])));
  assert.ok(!matchesProcess(exact, P(['/usr/bin/sleep', '100', 'x'])), 'parameters imply full_command: argv[0] must equal');
  assert.ok(matchesProcess({ ...exact, process: '/usr/bin/sleep' }, P(['/usr/bin/sleep', '100', 'x'])));
  const partial = { ...base, params: ['100'], paramMatch: 'partial' as const };
  assert.ok(matchesProcess(partial, P(['sleep', '100', 'more'])));
  assert.ok(!matchesProcess(partial, P(['sleep', '1000'])));
  const initial = { ...base, params: ['-c', '/etc/my'], paramMatch: 'initial' as const };
  assert.ok(matchesProcess(initial, P(['sleep', '-c', '/etc/my.conf', 'z'])));
  assert.ok(!matchesProcess(initial, P(['sleep', '-x', '/etc/my.conf'])));
  assert.deepEqual(parseStat('123 (a (b) c) S 1 2'), { comm: 'a (b) c', zombie: false });
  assert.deepEqual(parseStat('9 (x) Z 1'), { comm: 'x', zombie: true });
});

test('quorum, quorum_max and delays in virtual time', () => {
  const q = new QuorumTracker({ name: 'p', process: 'x', quorum: 2, quorumMax: 3, forkDelayMs: 1000, terminateDelayMs: 500 });
  assert.deepEqual(q.setCount(0, 1).update, { kind: 'process', name: 'p', ok: false, value: 1 });
  assert.equal(q.setCount(100, 2).update, undefined, 'fork_delay postpones');
  assert.equal(q.pollTimeout(), 1100);
  assert.equal(q.poll(1099).update, undefined);
  const s = q.poll(1100);
  assert.equal(s.update?.ok, true);
  assert.deepEqual(
    s.logs.map((l) => l.text),
    ['Quorum gained for tracked process p'],
  );
  assert.equal(q.setCount(2000, 1).update, undefined, 'terminate_delay postpones');
  assert.equal(q.setCount(2200, 2).update, undefined, 'back to quorum before the delay: cancelled');
  assert.equal(q.pollTimeout(), undefined);
  assert.equal(q.poll(3000).update, undefined);
  assert.equal(q.setCount(3000, 4).update, undefined, 'above quorum_max, after fork_delay');
  assert.deepEqual(
    q.poll(4000).logs.map((l) => l.text),
    ['Quorum lost for tracked process p'],
  );
  const nd = new QuorumTracker({ name: 'n', process: 'x' });
  nd.setCount(0, 1);
  assert.equal(nd.setCount(1, 0).update?.ok, false, 'no delay: immediate');
});

test('tracking real processes the test spawns (sleep with a unique argument)', async () => {
  const tag = `${process.pid}${Date.now() % 100000}`;
  const arg = `1000${tag}`; // a unique duration: only our sleeps match
  const updates: TrackerResult[] = [];
  const logger = new MemoryLogger();
  const d = new ProcessTrackerDriver({
    clock: systemClock(),
    logger,
    onUpdate: (u) => updates.push(u),
    pollMs: 50,
    trackers: [{ name: 'sleepers', process: 'sleep', params: [arg], quorum: 2 }],
  });
  const kids: ChildProcess[] = [];
  try {
    d.start();
    assert.deepEqual(updates, [{ kind: 'process', name: 'sleepers', ok: false, value: 0 }]);
    kids.push(spawn('sleep', [arg], { stdio: 'ignore' }));
    kids.push(spawn('sleep', [arg], { stdio: 'ignore' }));
    assert.ok(await waitFor(() => updates.at(-1)?.ok === true));
    assert.equal(updates.at(-1)!.value, 2);
    assert.ok(scanProcesses().some((p) => p.pid === kids[0]!.pid && p.argv[1] === arg));
    kids[0]!.kill('SIGKILL');
    assert.ok(await waitFor(() => updates.at(-1)?.ok === false));
    assert.deepEqual(logger.texts(), ['Quorum gained for tracked process sleepers', 'Quorum lost for tracked process sleepers']);
  } finally {
    d.stop();
    for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
  }
});

test('tracking by comm (no parameters) with a uniquely named binary; quorum_max', async () => {
  const { copyFileSync, chmodSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'kts-proc-'));
  const comm = `kts${process.pid % 1000000}s`;
  const bin = join(dir, comm);
  copyFileSync('/bin/sleep', bin);
  chmodSync(bin, 0o755);
  const updates: TrackerResult[] = [];
  const d = new ProcessTrackerDriver({
    clock: systemClock(),
    logger: new MemoryLogger(),
    onUpdate: (u) => updates.push(u),
    pollMs: 50,
    trackers: [{ name: 'uniq', process: comm, quorum: 1, quorumMax: 1 }],
  });
  const kids: ChildProcess[] = [];
  try {
    d.start();
    assert.equal(updates.at(-1)?.ok, false);
    kids.push(spawn(bin, ['60'], { stdio: 'ignore' }));
    assert.ok(await waitFor(() => updates.at(-1)?.ok === true));
    kids.push(spawn(bin, ['60'], { stdio: 'ignore' }));
    assert.ok(await waitFor(() => updates.at(-1)?.ok === false), 'two processes exceed quorum_max 1');
    assert.equal(updates.at(-1)!.value, 2);
  } finally {
    d.stop();
    for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
