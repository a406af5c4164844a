/**
 * The bare TCP connect (src/net/tcp-connect.ts) and TCP_CHECK on it, against listeners on 127.0.0.1 in this
 * process: connected, refused (keepalived's failure), a bad bind (rescheduled), abort, and no fd left behind after
 * 10,000 probes. The timeout case needs a blackholed address: test/netns/probe/tcp-connect.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import { tcpConnect, tcpConnectAsync, tcpTarget, type TcpConnectResult } from '../../../src/net/tcp-connect.js';
import { runTcpProbe } from '../../../src/probe/tcp.js';
import { tcpCheck, conn } from '../../fixtures/probe/checks.js';

async function listener(): Promise<{ port: number; close: () => Promise<void> }> {
  const s = net.createServer((c) => c.destroy());
  await new Promise<void>((r) => s.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => r()));
  return { port: (s.address() as net.AddressInfo).port, close: () => new Promise((r) => s.close(() => r())) };
}

/** A port on 127.0.0.1 nobody listens on (bound by a listener, then released). */
async function closedPort(): Promise<number> {
  const l = await listener();
  await l.close();
  return l.port;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

test('a listening port on 127.0.0.1 connects; TCP_CHECK reports up', async () => {
  const l = await listener();
  try {
    assert.deepEqual(await tcpConnectAsync(tcpTarget({ connectIp: '127.0.0.1', connectPort: l.port }), 1000), { kind: 'connected' });
    assert.deepEqual(await tcpConnectAsync(tcpTarget({ connectIp: '127.0.0.1', connectPort: l.port, bindto: '127.0.0.1' }), 1000), {
      kind: 'connected',
    });
    assert.deepEqual(await runTcpProbe(tcpCheck(conn('127.0.0.1', l.port))), { kind: 'result', outcome: { ok: true } });
  } finally {
    await l.close();
  }
});

test("a closed port is ECONNREFUSED: a failed connection, keepalived's plain TCP_CHECK failure", async () => {
  const port = await closedPort();
  assert.deepEqual(await tcpConnectAsync(tcpTarget({ connectIp: '127.0.0.1', connectPort: port }), 1000), {
    kind: 'failed',
    error: 'ECONNREFUSED',
    message: `connect ECONNREFUSED 127.0.0.1:${port}`,
  });
  assert.deepEqual(await runTcpProbe(tcpCheck(conn('127.0.0.1', port))), { kind: 'result', outcome: { ok: false } });
});

test('a bind that fails skips the run ("TCP socket bind failed. Rescheduling.")', async () => {
  const r = await tcpConnectAsync(tcpTarget({ connectIp: '127.0.0.1', connectPort: 9, bindto: '192.0.2.250' }), 1000);
  assert.equal(r.kind, 'setup');
  assert.equal((r as { error?: string }).error, 'EADDRNOTAVAIL');
  assert.deepEqual(await runTcpProbe(tcpCheck(conn('127.0.0.1', 9, { bindto: '192.0.2.250' }))), {
    kind: 'skipped',
    detail: 'TCP socket bind failed. Rescheduling.',
  });
  assert.deepEqual(await runTcpProbe(tcpCheck(conn('127.0.0.1', 9, { bindIf: 'no-such-if0' }))), {
    kind: 'skipped',
    detail: 'TCP socket bind failed. Rescheduling.',
  });
});

test('IPv6 targets: the sockaddr carries the port and the %zone as scope id', () => {
  const t = tcpTarget({ connectIp: 'fe80::1%1', connectPort: 80 });
  const b = Buffer.from(t.dst);
  assert.equal(b.length, 28);
  assert.equal(b.readUInt16BE(2), 80);
  assert.equal(b.readUInt32LE(24), 1);
  assert.equal(t.text, '[fe80::1%1]:80');
  assert.equal(Buffer.from(tcpTarget({ connectIp: '2001:db8::1', connectPort: 80 }).dst).readUInt32LE(24), 0);
});

test('an aborted probe reports aborted at once and closes its fd', async () => {
  const l = await listener();
  const before = openFds();
  const ac = new AbortController();
  const got: TcpConnectResult[] = [];
  try {
    // Aborted in the same tick, before any readiness callback can run.
    tcpConnect(tcpTarget({ connectIp: '127.0.0.1', connectPort: l.port }), 1000, ac.signal, (r) => got.push(r));
    ac.abort();
    assert.deepEqual(got, [{ kind: 'aborted', message: 'aborted' }]);
    assert.equal(openFds(), before);
    const pre = new AbortController();
    pre.abort();
    tcpConnect(tcpTarget({ connectIp: '127.0.0.1', connectPort: l.port }), 1000, pre.signal, (r) => got.push(r));
    assert.equal(got.length, 2);
    assert.equal(got[1]!.kind, 'aborted');
  } finally {
    await l.close();
  }
});

test('10,000 probes (up and refused, 200 at a time) leave the fd count where it was', async () => {
  const l = await listener();
  const refused = tcpTarget({ connectIp: '127.0.0.1', connectPort: await closedPort() });
  const up = tcpTarget({ connectIp: '127.0.0.1', connectPort: l.port });
  try {
    const before = openFds();
    const counts = { connected: 0, failed: 0, other: 0 };
    for (let batch = 0; batch < 50; batch++) {
      const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => tcpConnectAsync(i % 2 ? refused : up, 2000)));
      for (const r of rs) {
        if (r.kind === 'connected') counts.connected++;
        else if (r.kind === 'failed') counts.failed++;
        else counts.other++;
      }
    }
    assert.deepEqual(counts, { connected: 5000, failed: 5000, other: 0 });
    assert.equal(openFds(), before);
  } finally {
    await l.close();
  }
});
