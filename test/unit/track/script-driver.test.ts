import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../../src/core/clock.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { ScriptTrackerDriver } from '../../../src/track/script-driver.js';
import type { TrackerResult } from '../../../src/vrrp/types.js';
import { tempDir, waitFor, writeScript } from '../../fixtures/notify/helpers.js';

test('the driver runs a real script periodically and reports rise/fall changes', async () => {
  const { dir, cleanup } = tempDir();
  const flag = join(dir, 'status');
  // timeout 5 s, not the 50 ms interval: under load a shell takes longer than that to start (a timeout is a failure)
  // the script may read the flag at any moment: write it atomically (a truncated read is `exit` = status 0)
  const setFlag = (v: string): void => {
    writeFileSync(`${flag}.new`, v);
    renameSync(`${flag}.new`, flag);
  };
  setFlag('0');
  const chk = writeScript(dir, 'chk.sh', `exit $(cat ${flag})`);
  const logger = new MemoryLogger();
  const updates: TrackerResult[] = [];
  const d = new ScriptTrackerDriver({
    script: { argv: [chk] },
    clock: systemClock(),
    logger,
    onUpdate: (u) => updates.push(u),
    track: { name: 'chk', intervalMs: 50, timeoutMs: 5000, rise: 2, fall: 2, initFail: false },
  });
  try {
    d.start();
    assert.ok(await waitFor(() => updates.length === 1, 15_000));
    assert.deepEqual(updates[0], { kind: 'script', name: 'chk', ok: true });
    setFlag('1');
    assert.ok(await waitFor(() => updates.length === 2, 15_000));
    assert.equal(updates[1]!.ok, false);
    assert.ok(logger.texts().includes('Script `chk` now returning 1'));
    assert.ok(logger.texts().includes('VRRP_Script(chk) failed (exited with status 1)'));
    setFlag('0');
    assert.ok(await waitFor(() => updates.length === 3, 15_000));
    assert.equal(updates[2]!.ok, true);
  } finally {
    d.stop();
    cleanup();
  }
});

test('a hung track script times out and is reported as timed_out', async () => {
  const { dir, cleanup } = tempDir();
  const chk = writeScript(dir, 'hang.sh', 'sleep 30');
  const logger = new MemoryLogger();
  const updates: TrackerResult[] = [];
  const d = new ScriptTrackerDriver({
    script: { argv: [chk] },
    clock: systemClock(),
    logger,
    onUpdate: (u) => updates.push(u),
    killGraceMs: 100,
    track: { name: 'hang', intervalMs: 1000, timeoutMs: 100, rise: 1, fall: 1, initFail: false },
  });
  try {
    d.start();
    assert.ok(await waitFor(() => updates.length === 1));
    assert.equal(updates[0]!.ok, false);
    assert.deepEqual(logger.texts(), ['VRRP_Script(hang) timed_out']);
  } finally {
    d.stop();
    cleanup();
  }
});

test('stop() kills a running track script', async () => {
  const { dir, cleanup } = tempDir();
  const pidf = join(dir, 'pid');
  const chk = writeScript(dir, 'hang.sh', `echo $$ > ${pidf}; exec sleep 30`);
  const d = new ScriptTrackerDriver({
    script: { argv: [chk] },
    clock: systemClock(),
    logger: new MemoryLogger(),
    onUpdate: () => {},
    killGraceMs: 100,
    track: { name: 'hang', intervalMs: 1000, timeoutMs: 20000, rise: 1, fall: 1, initFail: false },
  });
  try {
    d.start();
    const { existsSync, readFileSync } = await import('node:fs');
    assert.ok(await waitFor(() => existsSync(pidf) && readFileSync(pidf, 'utf8').length > 0));
    const pid = Number(readFileSync(pidf, 'utf8'));
    d.stop();
    const gone = (): boolean => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
    assert.ok(await waitFor(gone, 3000), 'the script must be killed');
  } finally {
    d.stop();
    cleanup();
  }
});
