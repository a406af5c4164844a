import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log.js';
import { describeOutcome, execPlan, runScript, ScriptRunner } from '../../../src/notify/script-runner.js';
import { tempDir, writeScript, sleep } from '../../fixtures/notify/helpers.js';

test('runScript reports exit status, signals and spawn failures', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const ok = writeScript(dir, 'ok.sh', 'exit 0');
    const bad = writeScript(dir, 'bad.sh', 'exit 3');
    const sig = writeScript(dir, 'sig.sh', 'kill -9 $$');
    assert.deepEqual(await runScript({ argv: [ok] }), { kind: 'exited', status: 0 });
    assert.deepEqual(await runScript({ argv: [bad] }), { kind: 'exited', status: 3 });
    const s = await runScript({ argv: [sig] });
    assert.equal(s.kind, 'signaled');
    assert.equal(describeOutcome(s), 'due to signal 9');
    const nf = await runScript({ argv: [join(dir, 'missing')] });
    assert.deepEqual(nf, { kind: 'exited', status: 127 }, 'a missing script is reported by the shell as 127');
    const nobin = await runScript({ argv: ['kts-no-such-program-xyz'] });
    assert.equal(nobin.kind, 'spawnFailed');
  } finally {
    cleanup();
  }
});

test('arguments are passed verbatim with execve semantics; non-executable files go through /bin/sh', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'out');
    const exe = writeScript(dir, 'args.sh', `for a in "$@"; do printf '[%s]' "$a" >> ${out}; done`);
    await runScript({ argv: [exe, 'a b', '$HOME', "it's"] }, { extraArgs: ['INSTANCE', 'VI_1'] });
    assert.equal(readFileSync(out, 'utf8'), "[a b][$HOME][it's][INSTANCE][VI_1]");
    const plain = writeScript(dir, 'plain.sh', `printf 'sh:%s' "$1" > ${out}`, 0o644);
    assert.equal(execPlan([plain, 'x']).file, '/bin/sh');
    assert.deepEqual(await runScript({ argv: [plain, 'x y'] }), { kind: 'exited', status: 0 });
    assert.equal(readFileSync(out, 'utf8'), 'sh:x y');
  } finally {
    cleanup();
  }
});

test('a hung script times out: SIGTERM to its process group, SIGKILL if ignored', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pidf = join(dir, 'child.pid');
    // The script starts a grandchild in its group, then ignores TERM and waits.
    const hung = writeScript(dir, 'hung.sh', `trap '' TERM; sleep 30 & echo $! > ${pidf}; wait`);
    const t0 = Date.now();
    const o = await runScript({ argv: [hung] }, { timeoutMs: 200, killGraceMs: 200 });
    assert.equal(o.kind, 'timedOut');
    assert.equal(describeOutcome(o), 'timed_out');
    assert.ok(Date.now() - t0 < 5000);
    const gpid = Number(readFileSync(pidf, 'utf8'));
    await sleep(100);
    assert.equal(
      existsSync(`/proc/${gpid}`) && !readFileSync(`/proc/${gpid}/stat`, 'utf8').includes(') Z'),
      false,
      'grandchild in the process group must be killed too',
    );
  } finally {
    cleanup();
  }
});

test('per-owner ordering: a slow script for transition 1 delays transition 2; other owners run concurrently', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = join(dir, 'log');
    const s = writeScript(dir, 'step.sh', `echo "start $1" >> ${log}; sleep $2; echo "end $1" >> ${log}`);
    const logger = new MemoryLogger();
    const r = new ScriptRunner({ logger });
    const p1 = r.run('instance:VI_1', { argv: [s, 'one', '0.3'] }, 'x');
    const p2 = r.run('instance:VI_1', { argv: [s, 'two', '0'] }, 'x');
    const p3 = r.run('instance:VI_2', { argv: [s, 'other', '0'] }, 'x');
    await Promise.all([p1, p2, p3]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.ok(lines.indexOf('end one') < lines.indexOf('start two'), lines.join('|'));
    assert.ok(lines.indexOf('end other') < lines.indexOf('end one'), 'VI_2 must not wait for VI_1');
    assert.equal(r.busyOwners, 0);
  } finally {
    cleanup();
  }
});

test('a hung script times out and the next one for the same owner runs; failures are logged', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'out');
    const hung = writeScript(dir, 'hung.sh', 'sleep 30');
    const next = writeScript(dir, 'next.sh', `echo ran > ${out}; exit 2`);
    const logger = new MemoryLogger();
    const r = new ScriptRunner({ logger, defaultTimeoutMs: 200, killGraceMs: 100 });
    const a = r.run('g', { argv: [hung] }, '(VI_1) notify_master script');
    const b = r.run('g', { argv: [next] }, '(VI_1) notify_backup script');
    assert.equal((await a).kind, 'timedOut');
    assert.deepEqual(await b, { kind: 'exited', status: 2 });
    assert.equal(readFileSync(out, 'utf8'), 'ran\n');
    const texts = logger.texts();
    assert.ok(
      texts.some((t) => t.startsWith('(VI_1) notify_master script') && t.endsWith('failed (timed_out)')),
      texts.join('\n'),
    );
    assert.ok(texts.some((t) => t.includes('notify_backup script') && t.endsWith('failed (exited with status 2)')));
  } finally {
    cleanup();
  }
});

test('drain waits for queued work up to a bound', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const slow = writeScript(dir, 'slow.sh', 'sleep 2');
    const fast = writeScript(dir, 'fast.sh', 'sleep 0.1');
    const r = new ScriptRunner({ logger: new MemoryLogger(), defaultTimeoutMs: 5000 });
    void r.run('a', { argv: [fast] }, 'x');
    assert.equal(await r.drain(3000), true);
    const p = r.run('a', { argv: [slow] }, 'x');
    assert.equal(await r.drain(200), false);
    await p;
  } finally {
    cleanup();
  }
});

test('scripts run as the configured uid/gid (root) or fail to start (unprivileged)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    chmodSync(dir, 0o755);
    const out = join(dir, 'out');
    writeFileSync(out, '');
    chmodSync(out, 0o666);
    const s = writeScript(dir, 'id.sh', `echo "$(id -u):$(id -g)" > ${out}`);
    const o = await runScript({ argv: [s], uid: 65534, gid: 65534 });
    if (process.getuid?.() === 0) {
      assert.deepEqual(o, { kind: 'exited', status: 0 });
      assert.equal(readFileSync(out, 'utf8'), '65534:65534\n');
    } else {
      assert.equal(o.kind, 'spawnFailed');
    }
  } finally {
    cleanup();
  }
});
