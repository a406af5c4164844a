/**
 * Issue 6: no notify FIFO line is lost or reordered under rapid mastership flaps. Our daemon on host a
 * (priority 200, `notify_fifo` created by the test and read continuously by `cat`) and our daemon on host b
 * (priority 100), VRRPv3 with advert_int 0.1. a's link is cut at the bridge 50 times: a goes FAULT, b takes
 * over, the link returns, a goes BACKUP and preempts back to MASTER. Every "Entering … STATE" line of a's log
 * must appear as one FIFO line in keepalived's format (`INSTANCE "VI_1" MASTER 200`), in the same order, and
 * the stop must end the stream with STOP.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, confText, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-fifo-flaps-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const VIP = '192.0.2.150';
const FLAPS = 50;

/** A VRRPv3 instance with advert_int 0.1 and a global notify_fifo. */
function conf(name: string, prio: number, state: string, fifo?: string): string {
  const text = confText(name, prio, state, 3, VIP).replace('  advert_int 1\n', '  advert_int 0.1\n');
  return d.write(`${name}.conf`, fifo ? text.replace('global_defs {\n', `global_defs {\n  notify_fifo ${fifo}\n`) : text);
}

/** How many times `re` (a global regex) matches in `text`. */
const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

test(
  `${FLAPS} mastership flaps: every transition reaches the notify FIFO once, in order, in keepalived's format`,
  { timeout: 120_000 },
  async (t) => {
    const fifo = join(d.dir, 'notify.fifo');
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    const reader = topo.spawn('a', 'cat', [fifo]);
    let fifoText = '';
    reader.stdout?.on('data', (b: Buffer) => {
      fifoText += b.toString();
    });
    const readerDone = new Promise<void>((resolve) => reader.once('exit', () => resolve()));

    const a = d.ours('a', conf('a', 200, 'MASTER', fifo));
    const masterA = /\(VI_1\) Entering MASTER STATE/g;
    const faultA = /\(VI_1\) Entering FAULT STATE/g;
    assert.ok((await waitFor(() => count(a.log(), masterA) >= 1 && d.hasVip('a', VIP), 10_000)) >= 0, `a never became MASTER:\n${a.log()}`);
    const b = d.ours('b', conf('b', 100, 'BACKUP'));
    const masterB = /\(VI_1\) Entering MASTER STATE/g;
    assert.ok((await waitFor(() => /Entering BACKUP STATE \(init\)/.test(b.log()), 10_000)) >= 0, `b did not start:\n${b.log()}`);

    const t0 = Date.now();
    for (let i = 1; i <= FLAPS; i++) {
      const bMasters = count(b.log(), masterB);
      topo.linkDown('a');
      assert.ok((await waitFor(() => count(a.log(), faultA) >= i, 5000)) >= 0, `flap ${i}: a did not go FAULT\n${a.log().slice(-3000)}`);
      assert.ok((await waitFor(() => count(b.log(), masterB) > bMasters, 5000)) >= 0, `flap ${i}: b did not take over\n${b.log().slice(-3000)}`);
      topo.linkUp('a');
      assert.ok((await waitFor(() => count(a.log(), masterA) >= i + 1, 5000)) >= 0, `flap ${i}: a did not preempt back\n${a.log().slice(-3000)}`);
    }
    const flapMs = Date.now() - t0;
    await stop(a.child);
    assert.ok(
      await Promise.race([readerDone.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]),
      'the FIFO reader saw end-of-file after the daemon stopped',
    );
    await stop(b.child);

    const fifoLines = fifoText.split('\n').slice(0, -1);
    const logStates = [...a.log().matchAll(/\(VI_1\) Entering (\w+) STATE/g)].map((m) => m[1]!);
    for (const l of fifoLines) assert.match(l, /^INSTANCE "VI_1" (MASTER|BACKUP|FAULT|STOP) 200$/);
    // one FIFO line per logged transition, same order, then STOP (which keepalived does not log as "Entering")
    assert.deepEqual(
      fifoLines,
      [...logStates, 'STOP'].map((s) => `INSTANCE "VI_1" ${s} 200`),
    );
    assert.equal(count(a.log(), faultA), FLAPS, 'one FAULT per cut');
    assert.ok(count(a.log(), masterA) >= FLAPS + 1);
    assert.ok(fifoLines.length >= 3 * FLAPS + 3, `${fifoLines.length} FIFO lines`);
    assert.ok(count(b.log(), masterB) >= FLAPS, 'b took over on every cut');
    assert.doesNotMatch(a.log(), /notify fifo .* is full|Write to notify fifo/);
    t.diagnostic(`${FLAPS} flaps in ${flapMs} ms, ${fifoLines.length} FIFO lines, all matched the log`);
  },
);
