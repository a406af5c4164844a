import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log.js';
import { FifoWriter, groupFifoLine, instanceFifoLine, rsFifoLine, vsFifoLine } from '../../../src/notify/fifo.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { ScriptRunner } from '../../../src/notify/script-runner.js';
import { tempDir, waitFor, writeScript } from '../../fixtures/notify/helpers.js';

/** Starts `cat FIFO > out` as a reader process. */
function reader(fifo: string, out: string): ChildProcess {
  return spawn('/bin/sh', ['-c', `exec cat "$0" > "$1"`, fifo, out], { stdio: 'ignore' });
}

function stop(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

test('keepalived FIFO line formats', () => {
  assert.equal(instanceFifoLine('VI_1', 'MASTER', 100), 'INSTANCE "VI_1" MASTER 100\n');
  assert.equal(groupFifoLine('SG1', 'BACKUP'), 'GROUP "SG1" BACKUP 0\n');
  assert.equal(vsFifoLine('[192.0.2.15]:tcp:80', true), 'VS [192.0.2.15]:tcp:80 UP\n');
  assert.equal(rsFifoLine('[192.0.2.4]:tcp:80', '[192.0.2.15]:tcp:80', false), 'RS [192.0.2.4]:tcp:80 [192.0.2.15]:tcp:80 DOWN\n');
});

test('the FIFO is created if absent and a reader sees 50 rapid flaps in order', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'notify.fifo');
  const out = join(dir, 'out');
  const logger = new MemoryLogger();
  const w = new FifoWriter({ path }, { logger });
  let r: ChildProcess | undefined;
  try {
    assert.equal(w.open(), true);
    assert.ok(lstatSync(path).isFIFO());
    r = reader(path, out);
    const n = new Notifier({ runner: new ScriptRunner({ logger }), logger, fifos: [w] });
    n.setInstance({ name: 'VI_1', scripts: {}, notifyDeleted: false, smtpAlert: false });
    const expected: string[] = [];
    for (let i = 0; i < 50; i++) {
      const state = i % 2 === 0 ? 'MASTER' : 'BACKUP';
      void n.instanceTransition('VI_1', state, 100 + i);
      expected.push(`INSTANCE "VI_1" ${state} ${100 + i}`);
    }
    assert.ok(await w.flush(5000));
    assert.ok(await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 50));
    assert.deepEqual(readFileSync(out, 'utf8').split('\n').slice(0, -1), expected);
  } finally {
    w.close();
    if (r) await stop(r);
    cleanup();
  }
});

test('lines written before a reader appears are kept; a reader that goes away does not break writing', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'f');
  const logger = new MemoryLogger();
  const w = new FifoWriter({ path }, { logger, retryMs: 5 });
  const readers: ChildProcess[] = [];
  try {
    assert.ok(w.open());
    w.writeLine(instanceFifoLine('VI_1', 'BACKUP', 90));
    assert.ok(await w.flush(2000), 'opening O_RDWR means no reader is needed to write');
    const out1 = join(dir, 'out1');
    readers.push(reader(path, out1));
    assert.ok(await waitFor(() => existsSync(out1) && readFileSync(out1, 'utf8').length > 0));
    await stop(readers[0]!);
    w.writeLine(instanceFifoLine('VI_1', 'MASTER', 90));
    assert.ok(await w.flush(2000));
    const out2 = join(dir, 'out2');
    readers.push(reader(path, out2));
    assert.ok(await waitFor(() => existsSync(out2) && readFileSync(out2, 'utf8').length > 0));
    assert.equal(readFileSync(out1, 'utf8'), 'INSTANCE "VI_1" BACKUP 90\n');
    assert.equal(readFileSync(out2, 'utf8'), 'INSTANCE "VI_1" MASTER 90\n');
    assert.deepEqual(logger.texts(), []);
  } finally {
    w.close();
    for (const r of readers) await stop(r);
    cleanup();
  }
});

test('a full pipe never blocks: lines queue (EAGAIN) and arrive in order once a reader drains it', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'f');
  const out = join(dir, 'out');
  const w = new FifoWriter({ path }, { logger: new MemoryLogger(), retryMs: 5, maxQueuedLines: 10000 });
  let r: ChildProcess | undefined;
  try {
    assert.ok(w.open());
    const expected: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const l = instanceFifoLine(`VI_${i}`, 'MASTER', i % 256); // ~30 bytes: 4000 lines > 64 KiB pipe buffer
      expected.push(l);
      w.writeLine(l);
    }
    // We got here, so writeLine never blocked; and the event loop still runs timers while the pipe is full.
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(w.pending > 0, 'the pipe must be full with nobody reading');
    r = reader(path, out);
    assert.ok(await w.flush(10000), `still pending: ${w.pending}`);
    const want = expected.join('');
    assert.ok(await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').length >= want.length, 10000));
    assert.equal(readFileSync(out, 'utf8'), want);
  } finally {
    w.close();
    if (r) await stop(r);
    cleanup();
  }
});

test('queue overflow drops the newest lines and logs once', () => {
  const { dir, cleanup } = tempDir();
  const logger = new MemoryLogger();
  const w = new FifoWriter({ path: join(dir, 'f') }, { logger, maxQueuedLines: 3 });
  try {
    assert.ok(w.open());
    for (let i = 0; i < 10; i++) w.writeLine(`x${i}\n`);
    assert.equal(w.dropped, 10 - 3, 'the bound counts the line being written');
    assert.equal(logger.texts().filter((t) => t.includes('is full')).length, 1);
  } finally {
    w.close();
    cleanup();
  }
});

test('notify_fifo_script is started with the FIFO path appended and reads the lines', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'f');
  const out = join(dir, 'out');
  const script = writeScript(dir, 'rd.sh', `echo "arg1=$1 arg2=$2" > ${out}.args; exec cat "$2" > ${out}`);
  const w = new FifoWriter({ path, script: { argv: [script, 'extra'] } }, { logger: new MemoryLogger() });
  try {
    assert.ok(w.open());
    w.writeLine(groupFifoLine('SG1', 'FAULT'));
    assert.ok(await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').length > 0));
    assert.equal(readFileSync(`${out}.args`, 'utf8'), `arg1=extra arg2=${path}\n`);
    assert.equal(readFileSync(out, 'utf8'), 'GROUP "SG1" FAULT 0\n');
  } finally {
    w.close();
    cleanup();
  }
});

test('a path that exists but is not a FIFO is refused', () => {
  const { dir, cleanup } = tempDir();
  try {
    const p = join(dir, 'plain');
    writeFileSync(p, '');
    const logger = new MemoryLogger();
    assert.equal(new FifoWriter({ path: p }, { logger }).open(), false);
    assert.ok(logger.texts().some((t) => t.includes('is not a fifo')));
  } finally {
    cleanup();
  }
});

test('an over-long line (partial writes) is delivered whole and in order', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'f');
  const out = join(dir, 'out');
  const w = new FifoWriter({ path }, { logger: new MemoryLogger(), retryMs: 2 });
  let r: ChildProcess | undefined;
  try {
    assert.ok(w.open());
    const long = `INSTANCE "${'x'.repeat(200000)}" MASTER 1\n`;
    w.writeLine('first\n');
    w.writeLine(long);
    w.writeLine('last\n');
    r = reader(path, out);
    assert.ok(await w.flush(10000));
    const want = `first\n${long}last\n`;
    assert.ok(await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').length >= want.length, 10000));
    assert.equal(readFileSync(out, 'utf8'), want);
  } finally {
    w.close();
    if (r) await stop(r);
    cleanup();
  }
});
