/**
 * The advert watchdog in the addon (packages/sysio/src/watchdog.c), on loopback UDP: a record nobody kicks is sent
 * by the native threads at its interval (each send: every datagram of the record, counted once); kicks hold it
 * back; it stops at its hold; after disarm nothing leaves, even while sends are due every millisecond; two
 * watchdogs are independent (no global state); threads start with the first arm, one per CPU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { K, sysio } from '../../../src/net/sysio.js';
import { parseSockaddr, sockaddrIn } from '../../../src/net/sockaddr.js';

function udpPair(): { rx: number; tx: number; to: Buffer } {
  const rx = sysio.socket(K.AF_INET!, K.SOCK_DGRAM!, 0);
  const tx = sysio.socket(K.AF_INET!, K.SOCK_DGRAM!, 0);
  sysio.bind(rx, sockaddrIn('127.0.0.1', 0));
  sysio.setsockopt(rx, K.SOL_SOCKET!, K.SO_RCVBUF!, 1 << 20);
  const a = parseSockaddr(sysio.getsockname(rx));
  return { rx, tx, to: sockaddrIn('127.0.0.1', a.family === 'inet' ? a.port : 0) };
}

/** Reads every queued datagram; their first bytes. */
function drain(fd: number): number[] {
  const out: number[] = [];
  for (let m = sysio.recvmsg(fd, 64, 0); m; m = sysio.recvmsg(fd, 64, 0)) out.push(m.data[0]!);
  return out;
}

/** The CPUs this process may run on (sched affinity), as the watchdog counts them. */
function allowedCpus(): number {
  const m = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return (m?.[1] ?? '')
    .split(',')
    .filter(Boolean)
    .reduce((n, r) => {
      const [a, b] = r.split('-').map(Number);
      return n + (b === undefined ? 1 : b - a! + 1);
    }, 0);
}
test('an armed record nobody kicks is sent natively at its interval, all its datagrams once per send, until its hold', async () => {
  const { rx, tx, to } = udpPair();
  const wd = sysio.watchdogCreate();
  try {
    const id = sysio.watchdogAdd(wd);
    assert.equal(sysio.watchdogThreads(wd), 0, 'no thread before the first arm');
    sysio.watchdogSet(wd, id, tx, [Buffer.from([1]), Buffer.from([2])], [to, to]);
    const t0 = performance.now();
    sysio.watchdogKick(wd, id, 20, 5, 400); // first native send at 25 ms, then every 20 ms, none after 400 ms
    assert.equal(sysio.watchdogThreads(wd), allowedCpus(), 'one thread per allowed CPU');
    await sleep(700);
    const got = drain(rx);
    const s = sysio.watchdogStats(wd, id);
    const held = Math.min(400, performance.now() - t0);
    // sends at 25, 45, … ≤ 400 ms: 19; a loaded host delays some, but a deadline missed is caught up only once
    assert.ok(s.sent >= 8 && s.sent <= Math.floor((held - 25) / 20) + 1, `${s.sent} native sends`);
    assert.equal(got.length, 2 * s.sent, 'every send carries both datagrams, and every send is counted');
    assert.deepEqual(
      got.filter((_, i) => i % 2 === 0),
      new Array<number>(s.sent).fill(1),
    );
    assert.equal(s.errors, 0);
    await sleep(100);
    assert.deepEqual(drain(rx), [], 'nothing after the hold');
    assert.equal(sysio.watchdogStats(wd, id).sent, s.sent);
  } finally {
    sysio.watchdogClose(wd);
    sysio.close(rx);
    sysio.close(tx);
  }
});

test('kicked more often than interval + slack, a record is never sent natively', async () => {
  const { rx, tx, to } = udpPair();
  const wd = sysio.watchdogCreate();
  try {
    const id = sysio.watchdogAdd(wd);
    sysio.watchdogSet(wd, id, tx, [Buffer.from([7])], [to]);
    for (let i = 0; i < 40; i++) {
      sysio.watchdogKick(wd, id, 100, 100, 1000); // due 200 ms after each kick; kicked every ~10 ms
      await sleep(10);
    }
    assert.equal(sysio.watchdogStats(wd, id).sent, 0);
    assert.deepEqual(drain(rx), []);
    await sleep(300); // no more kicks: it is due now
    assert.ok(sysio.watchdogStats(wd, id).sent >= 1, 'sent once the kicks stopped');
    assert.ok(drain(rx).length >= 1);
  } finally {
    sysio.watchdogClose(wd);
    sysio.close(rx);
    sysio.close(tx);
  }
});

test('after disarm returns no datagram leaves, even with sends due every millisecond', async () => {
  const { rx, tx, to } = udpPair();
  const wd = sysio.watchdogCreate();
  try {
    const id = sysio.watchdogAdd(wd);
    sysio.watchdogSet(wd, id, tx, [Buffer.from([3]), Buffer.from([4])], [to, to]);
    let total = 0;
    for (let round = 0; round < 50; round++) {
      sysio.watchdogKick(wd, id, 1, 0, 1000);
      await sleep(3);
      sysio.watchdogDisarm(wd, id);
      const sent = sysio.watchdogStats(wd, id).sent;
      total += drain(rx).length; // loopback delivers within sendto: all that left is queued now
      assert.equal(total, 2 * sent, `round ${round}: received = 2 × counted sends`);
      assert.equal(sysio.watchdogStats(wd, id).armed, false);
    }
    await sleep(20);
    assert.deepEqual(drain(rx), [], 'nothing after the last disarm');
    assert.ok(total > 0, 'the rounds did send');
  } finally {
    sysio.watchdogClose(wd);
    sysio.close(rx);
    sysio.close(tx);
  }
});

test('new bytes replace the old ones; the record sends on its own dup of the socket; two watchdogs are independent', async () => {
  const { rx, tx, to } = udpPair();
  const a = sysio.watchdogCreate();
  const b = sysio.watchdogCreate();
  try {
    const ia = sysio.watchdogAdd(a);
    const ib = sysio.watchdogAdd(b);
    sysio.watchdogSet(a, ia, tx, [Buffer.from([10])], [to]);
    sysio.watchdogSet(b, ib, tx, [Buffer.from([20])], [to]);
    sysio.watchdogSet(a, ia, tx, [Buffer.from([11])], [to]);
    sysio.close(tx); // the records keep their own descriptors
    sysio.watchdogKick(a, ia, 10, 0, 1000);
    sysio.watchdogKick(b, ib, 10, 0, 1000);
    await sleep(100);
    sysio.watchdogClose(a);
    const seen = drain(rx);
    assert.ok(seen.includes(11) && seen.includes(20) && !seen.includes(10), `${seen.join(',')}`);
    await sleep(60);
    const after = drain(rx);
    assert.ok(after.length >= 2 && after.every((x) => x === 20), `only b sends after a closed: ${after.join(',')}`);
    assert.throws(() => sysio.watchdogKick(a, ia, 10, 0, 1000), TypeError, 'a closed watchdog refuses calls');
  } finally {
    sysio.watchdogClose(a);
    sysio.watchdogClose(b);
    sysio.close(rx);
  }
});
