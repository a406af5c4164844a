import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MemoryLogger } from '../../../src/core/log.js';
import { defaultSmtpFrom, groupAlert, instanceAlert, realServerAlert, SmtpAlerter, virtualServerAlert } from '../../../src/notify/smtp.js';
import { waitFor } from '../../fixtures/notify/helpers.js';

interface Received {
  heloName: string;
  from: string;
  to: string[];
  data: string;
}

const SINK = fileURLToPath(new URL('../../fixtures/notify/smtp-sink.js', import.meta.url));

/** Starts the SMTP sink; resolves with its port and the list receiving messages. */
async function startSink(mode = ''): Promise<{ proc: ChildProcess; port: number; got: Received[] }> {
  const proc = spawn(process.execPath, [SINK, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const got: Received[] = [];
  let buf = '';
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (c) => reject(new Error(`sink exited ${c}`)));
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, i)) as { port?: number } & Received;
        buf = buf.slice(i + 1);
        if (msg.port !== undefined) resolve(msg.port);
        else got.push(msg);
      }
    });
  });
  return { proc, port, got };
}

function stop(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

/** A port on 127.0.0.1 that nobody listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("subject and body texts are keepalived's", () => {
  assert.deepEqual(instanceAlert('VI_1', 'MASTER'), {
    subject: 'VRRP Instance VI_1 - Entering MASTER state',
    body: '=> VRRP Instance is now owning VRRP VIPs <=',
  });
  assert.equal(instanceAlert('VI_1', 'FAULT')!.body, '=> VRRP Instance is no longer owning VRRP VIPs <=');
  assert.deepEqual(instanceAlert('VI_1', 'STOP'), { subject: 'VRRP Instance VI_1 - Stopping', body: '=> VRRP Instance stopping <=' });
  assert.deepEqual(instanceAlert('VI_1', 'DELETED'), { subject: 'VRRP Instance VI_1 - Deleted', body: '=> VRRP Deleted at reload <=' });
  assert.deepEqual(groupAlert('SG1', 'BACKUP'), {
    subject: 'VRRP Group SG1 - Entering BACKUP state',
    body: '=> All VRRP group instances are now in BACKUP state <=',
  });
  assert.equal(groupAlert('SG1', 'DELETED'), undefined);
  assert.equal(
    realServerAlert('[192.0.2.2]:tcp:80', '[192.0.2.10]:tcp:80', false, '=> TCP CHECK failed on service <=').subject,
    'Realserver [192.0.2.2]:tcp:80 of virtual server [192.0.2.10]:tcp:80 - DOWN',
  );
  assert.match(defaultSmtpFrom(), /^[^@\s]+@[^@\s]+$/);
  assert.equal(virtualServerAlert('[192.0.2.10]:tcp:80', true, '=> Gained quorum 2+0=2 <= 3 <=').subject, 'Virtualserver [192.0.2.10]:tcp:80 - UP');
});

test('an alert arrives at a real SMTP server with the expected envelope, headers and body', async () => {
  const sink = await startSink();
  try {
    const logger = new MemoryLogger();
    const a = new SmtpAlerter(
      {
        routerId: 'nodeA',
        to: ['admin@example.com', 'ops@example.com'],
        from: 'ka-A@example.com',
        server: '127.0.0.1',
        port: sink.port,
        heloName: 'vm',
        connectTimeoutSec: 5,
      },
      logger,
    );
    a.send(instanceAlert('VI_1', 'MASTER')!);
    await a.idle();
    assert.ok(await waitFor(() => sink.got.length === 1));
    const m = sink.got[0]!;
    assert.equal(m.from, 'ka-A@example.com');
    assert.deepEqual(m.to, ['admin@example.com', 'ops@example.com']);
    assert.equal(m.heloName, 'vm');
    assert.match(m.data, /^Subject: \[nodeA\] VRRP Instance VI_1 - Entering MASTER state\r$/m);
    assert.match(m.data, /^From: ka-A@example\.com\r$/m);
    assert.match(m.data, /^To: admin@example\.com, ops@example\.com\r$/m);
    assert.match(m.data, /^X-Mailer: Keepalived\r$/m);
    assert.match(m.data, /\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r?\n/);
    assert.equal(a.sent, 1);
    assert.ok(logger.texts().includes('SMTP alert successfully sent.'));
  } finally {
    await stop(sink.proc);
  }
});

test('an unreachable server is logged, retried a bounded number of times, and nothing throws', async () => {
  const port = await deadPort();
  const logger = new MemoryLogger();
  const a = new SmtpAlerter(
    { routerId: 'r', to: ['a@example.com'], from: 'k@example.com', server: '127.0.0.1', port, connectTimeoutSec: 2 },
    logger,
    { maxAttempts: 2, retryDelayMs: 10 },
  );
  a.send(instanceAlert('VI_1', 'BACKUP')!);
  await a.idle();
  assert.equal(a.failed, 1);
  assert.equal(a.sent, 0);
  const errs = logger.texts().filter((t) => t.startsWith(`SMTP connection ERROR to [127.0.0.1]:${port}.`));
  assert.equal(errs.length, 2, logger.texts().join('\n'));
});

test("a failing server (RCPT rejected) is logged with keepalived's text", async () => {
  const sink = await startSink('reject-rcpt');
  try {
    const logger = new MemoryLogger();
    const a = new SmtpAlerter({ routerId: 'r', to: ['a@example.com'], from: 'k@example.com', server: '127.0.0.1', port: sink.port }, logger, {
      maxAttempts: 1,
    });
    a.send(instanceAlert('VI_1', 'FAULT')!);
    await a.idle();
    assert.equal(a.failed, 1);
    assert.ok(
      logger.texts().some((t) => t.startsWith(`Error processing RCPT cmd on SMTP server [127.0.0.1]:${sink.port}. SMTP status code = 550`)),
      logger.texts().join('\n'),
    );
  } finally {
    await stop(sink.proc);
  }
});

test('the queue is bounded and send() returns at once', async () => {
  const port = await deadPort();
  const logger = new MemoryLogger();
  const a = new SmtpAlerter({ routerId: 'r', to: ['a@example.com'], from: 'k@example.com', server: '127.0.0.1', port }, logger, {
    maxQueued: 3,
    maxAttempts: 1,
  });
  for (let i = 0; i < 10; i++) a.send(instanceAlert(`VI_${i}`, 'MASTER')!);
  assert.equal(a.dropped, 6, 'one in flight, three queued, six dropped');
  await a.idle();
  assert.equal(a.failed, 4);
  const disabled = new SmtpAlerter({ routerId: 'r', to: [], from: 'k@example.com', server: '127.0.0.1' }, logger);
  assert.equal(disabled.enabled, false);
  disabled.send(instanceAlert('VI_1', 'MASTER')!);
  await disabled.idle();
});
