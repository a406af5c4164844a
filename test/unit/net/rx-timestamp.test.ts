/**
 * Issue 14: the kernel's receive time of a packet (SO_TIMESTAMPNS, decoded by decodeCmsgs) is when the kernel took
 * it, not when the process read it: a UDP datagram on loopback read 60 ms after it was sent is 60 ms old. And the
 * bench-only stall canary of packages/sysio starts one thread per CPU, counts its wake-ups and stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeCmsgs } from '../../../src/net/cmsg.js';
import { K, sysio } from '../../../src/net/sysio.js';
import { parseSockaddr, sockaddrIn } from '../../../src/net/sockaddr.js';

const num = (k: string) => K[k] as number;

test('SO_TIMESTAMPNS: a datagram read 60 ms after it arrived carries its arrival time (age 60 ms, not 0)', async () => {
  // Loopback delivery itself can be deferred (softirq work pushed to ksoftirqd on a loaded host): an attempt whose
  // datagram arrived late says nothing about the timestamp, so up to three are made; a read-time stamp fails all.
  const failures: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const rx = sysio.socket(num('AF_INET'), num('SOCK_DGRAM'), 0);
    const tx = sysio.socket(num('AF_INET'), num('SOCK_DGRAM'), 0);
    try {
      sysio.setsockopt(rx, num('SOL_SOCKET'), num('SO_TIMESTAMPNS'), 1);
      sysio.bind(rx, sockaddrIn('127.0.0.1', 0));
      const port = (parseSockaddr(sysio.getsockname(rx)) as { port: number }).port;
      const sentAt = sysio.clockMs(num('CLOCK_REALTIME'));
      assert.equal(sysio.sendto(tx, Buffer.from('advert'), sockaddrIn('127.0.0.1', port)), 6);
      await sleep(60);
      const m = sysio.recvmsg(rx, 64, 256);
      const readAt = sysio.clockMs(num('CLOCK_REALTIME'));
      assert.ok(m);
      const t = decodeCmsgs(m.cmsgs).receivedRealtimeMs;
      assert.ok(t !== undefined, 'an SCM_TIMESTAMPNS control message');
      assert.ok(t >= sentAt - 1, `stamped ${sentAt - t} ms before the send`);
      if (t > sentAt + 20) {
        failures.push(`received ${t - sentAt} ms after the send`);
        continue;
      }
      assert.ok(readAt - t >= 55 && readAt - t < 2000, `age at read ${readAt - t} ms`);
      return;
    } finally {
      sysio.close(rx);
      sysio.close(tx);
    }
  }
  assert.fail(`no attempt arrived within 20 ms of its send: ${failures.join('; ')}`);
});

test('stall canary: one thread per CPU, 1 ms sleeps counted, a threshold no wake-up reaches records nothing', async () => {
  const n = sysio.stallCanaryStart(10_000, 0);
  try {
    assert.equal(n, availableParallelism());
    assert.throws(() => sysio.stallCanaryStart(10_000, 0), /already running/);
    await sleep(300);
    const r = sysio.stallCanaryRead();
    // each thread sleeps ≥ 1 ms per loop: at most ~300 wake-ups each in 300 ms; at least a few even under load
    assert.ok(r.wakeups >= 5 && r.wakeups <= 320 * n, `wake-ups ${r.wakeups}`);
    assert.deepEqual(r.stalls, []);
    assert.equal(r.lost, 0);
    assert.equal(r.rtFailed, 0, 'priority 0 asks for no real-time policy');
  } finally {
    sysio.stallCanaryStop();
    sysio.stallCanaryStop();
  }
  const n2 = sysio.stallCanaryStart(0, 0);
  await sleep(50);
  sysio.stallCanaryStop();
  const r2 = sysio.stallCanaryRead();
  assert.equal(n2, n);
  // threshold 0: every wake-up (each at least 1 ms after its sleep began) is recorded, with its CPU and time
  assert.equal(r2.stalls.length, r2.wakeups);
  const now = sysio.clockMs(num('CLOCK_REALTIME'));
  for (const s of r2.stalls) {
    assert.ok(s.cpu >= 0 && s.cpu < 1024 && s.durationMs >= 0);
    assert.ok(s.startMs > now - 5000 && s.startMs <= now, `start ${now - s.startMs} ms ago`);
  }
});
