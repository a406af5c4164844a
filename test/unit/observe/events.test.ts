/**
 * /events: server-sent events in publication order with ids; a reconnect with Last-Event-ID gets exactly what
 * it missed; a gap (ring overflow, another run's id) is announced with `event: reset`. The endpoint listens on a
 * UNIX socket here (no network outside namespaces in unit tests).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { publish } from '../../../src/core/events.js';
import { EventLog } from '../../../src/observe/event-log.js';
import { ObserveServer, parseListen } from '../../../src/observe/server.js';
import { statusView } from '../../../src/observe/view.js';
import { PROCESS, snapshot } from './fake.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-observe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const transition = (i: number) =>
  publish('keepalived-ts:vrrp:transition', {
    instance: 'VI_1',
    vrid: 51,
    family: 4,
    interface: 'eth0',
    from: i % 2 ? 'BACKUP' : 'MASTER',
    to: i % 2 ? 'MASTER' : 'BACKUP',
    reason: `flap ${i}`,
    priority: 100,
    at: 1000 + i,
  });

interface Sse {
  id?: string;
  event?: string;
  data?: string;
}

/** Opens /events; collects parsed events until close(). */
function openStream(
  socketPath: string,
  lastEventId?: string,
): Promise<{ events: Sse[]; res: IncomingMessage; close(): void; waitFor(n: number): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/events', headers: lastEventId ? { 'last-event-id': lastEventId } : {} }, (res) => {
      const events: Sse[] = [];
      let buf = '';
      const waiters: { n: number; r: () => void }[] = [];
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let k;
        while ((k = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, k);
          buf = buf.slice(k + 2);
          const e: Sse = {};
          for (const line of block.split('\n')) {
            const m = /^(id|event|data): (.*)$/.exec(line);
            if (m) e[m[1] as keyof Sse] = m[2];
          }
          if (e.event) events.push(e);
        }
        for (const w of [...waiters])
          if (events.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.r();
          }
      });
      resolve({
        events,
        res,
        close: () => req.destroy(),
        waitFor: (n) =>
          new Promise<void>((r, j) => {
            if (events.length >= n) return r();
            const t = setTimeout(() => j(new Error(`only ${events.length} of ${n} events`)), 3000);
            waiters.push({
              n,
              r: () => {
                clearTimeout(t);
                r();
              },
            });
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function get(socketPath: string, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sources = { view: () => statusView(PROCESS, snapshot(), Date.now()), keepalivedJson: () => '[{"data":{"iname":"VI_1"}}]' };

test('event log: ids in order, since() exact, gaps and foreign ids reported', () => {
  const log = new EventLog(5, 'abcd');
  for (let i = 1; i <= 3; i++) log.push('transition', { i });
  assert.deepEqual(
    log.since('abcd.1').events.map((e) => e.id),
    ['abcd.2', 'abcd.3'],
  );
  assert.equal(log.since('abcd.1').complete, true);
  assert.deepEqual(log.since('abcd.3').events, []);
  for (let i = 4; i <= 9; i++) log.push('transition', { i });
  assert.deepEqual(
    log.since().events.map((e) => e.seq),
    [5, 6, 7, 8, 9],
    'the ring keeps the last 5',
  );
  assert.equal(log.since('abcd.3').complete, false, 'event 4 is gone');
  assert.equal(log.since('abcd.4').complete, true);
  assert.equal(log.since('ffff.4').complete, false, "another run's id");
  assert.equal(log.since('abcd.99').complete, false, 'an id from the future (a restarted daemon with the same boot cannot happen, but be safe)');
});

test('/events: 50 transitions in order with ids; resume after a disconnect gets exactly the missed ones', async () => {
  const path = join(dir, 'http1.sock');
  const s = new ObserveServer({ listen: { kind: 'unix', path }, sources, defaultMetrics: false });
  assert.equal(await s.start(), undefined);
  try {
    const a = await openStream(path);
    for (let i = 1; i <= 50; i++) transition(i);
    await a.waitFor(50);
    assert.deepEqual(
      a.events.map((e) => JSON.parse(e.data!).reason),
      Array.from({ length: 50 }, (_, i) => `flap ${i + 1}`),
    );
    assert.deepEqual(
      a.events.map((e) => e.event),
      Array(50).fill('transition'),
    );
    const seqs = a.events.map((e) => Number(e.id!.split('.')[1]));
    assert.deepEqual(
      seqs,
      Array.from({ length: 50 }, (_, i) => seqs[0]! + i),
      'ids strictly consecutive',
    );
    const last = a.events[29]!.id!;
    a.close();
    for (let i = 51; i <= 60; i++) transition(i);
    const b = await openStream(path, last);
    await b.waitFor(30);
    assert.equal(
      b.events.some((e) => e.event === 'reset'),
      false,
    );
    assert.deepEqual(
      b.events.map((e) => JSON.parse(e.data!).reason),
      Array.from({ length: 30 }, (_, i) => `flap ${i + 31}`),
    );
    transition(61);
    await b.waitFor(31);
    assert.equal(JSON.parse(b.events[30]!.data!).reason, 'flap 61');
    b.close();
    // another run's id: reset first, then everything kept
    const c = await openStream(path, 'deadbeef.3');
    await c.waitFor(62);
    assert.equal(c.events[0]!.event, 'reset');
    assert.equal(JSON.parse(c.events[61]!.data!).reason, 'flap 61');
    c.close();
  } finally {
    await s.close();
  }
});

test('/events: a reader that falls behind the ring gets a reset; a slow reader is cut off, bounded', async () => {
  const path = join(dir, 'http2.sock');
  const s = new ObserveServer({ listen: { kind: 'unix', path }, sources, defaultMetrics: false, ringSize: 10, maxBacklogBytes: 4096 });
  assert.equal(await s.start(), undefined);
  try {
    const a = await openStream(path);
    transition(1);
    await a.waitFor(1);
    const first = a.events[0]!.id!;
    a.close();
    for (let i = 2; i <= 30; i++) transition(i);
    const b = await openStream(path, first);
    await b.waitFor(11);
    assert.equal(b.events[0]!.event, 'reset');
    assert.deepEqual(
      b.events.slice(1).map((e) => JSON.parse(e.data!).reason),
      Array.from({ length: 10 }, (_, i) => `flap ${i + 21}`),
    );
    // a client that stops reading: its backlog passes 4 KiB and it is disconnected
    b.res.pause();
    const closed = new Promise<void>((r) => b.res.socket.once('close', () => r()));
    for (let i = 0; i < 2000; i++) transition(100 + i);
    await Promise.race([closed, new Promise((_, j) => setTimeout(() => j(new Error('slow reader not cut off')), 3000))]);
    b.close();
  } finally {
    await s.close();
  }
});

test('/status, /metrics, /, 404, 405', async () => {
  const path = join(dir, 'http3.sock');
  const s = new ObserveServer({ listen: { kind: 'unix', path }, sources, defaultMetrics: false });
  assert.equal(await s.start(), undefined);
  try {
    const st = await get(path, '/status');
    assert.equal(st.status, 200);
    const doc = JSON.parse(st.body) as { view: { instances: { name: string; reason: string }[] }; keepalived: unknown };
    assert.equal(doc.view.instances[0]!.reason, 'master down timer');
    assert.deepEqual(doc.keepalived, [{ data: { iname: 'VI_1' } }]);
    const m = await get(path, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.type, /^text\/plain; version=0\.0\.4/);
    assert.match(m.body, /^keepalived_up 1$/m);
    const d = await get(path, '/');
    assert.match(d.type, /^text\/html/);
    assert.match(d.body, /new EventSource\("\/events"\)/);
    assert.doesNotMatch(d.body, /https?:\/\//, 'the dashboard loads nothing from elsewhere');
    assert.equal((await get(path, '/nope')).status, 404);
    // fuzz finding: a target `new URL` refuses threw in the handler and took the process down
    for (const bad of ['//[', '//a:b', '//%', '//:99999']) assert.equal((await get(path, bad)).status, 400, bad);
    assert.equal((await get(path, '/status')).status, 200, 'still serving after bad targets');
    assert.equal((await get(path, '/status', 'POST')).status, 405);
  } finally {
    await s.close();
  }
});

test('an address in use: a clear error, nothing listening, the caller carries on', async () => {
  const path = join(dir, 'busy.sock');
  const other = createServer(() => {});
  await new Promise<void>((r) => other.listen(path, () => r()));
  try {
    const s = new ObserveServer({ listen: { kind: 'unix', path }, sources, defaultMetrics: false });
    const err = await s.start();
    assert.match(err?.message ?? '', /^HTTP endpoint .*busy\.sock: address already in use/);
    await s.close();
  } finally {
    await new Promise<void>((r) => other.close(() => r()));
  }
  // a stale socket file (nobody listening) is replaced
  writeFileSync(join(dir, 'stale.sock'), '');
  const s2 = new ObserveServer({ listen: { kind: 'unix', path: join(dir, 'stale.sock') }, sources, defaultMetrics: false });
  assert.equal(await s2.start(), undefined);
  await s2.close();
});

test('listen addresses', () => {
  assert.deepEqual(parseListen('192.0.2.1:9650'), { kind: 'tcp', host: '192.0.2.1', port: 9650 });
  assert.deepEqual(parseListen('[2001:db8::1]:80'), { kind: 'tcp', host: '2001:db8::1', port: 80 });
  assert.deepEqual(parseListen(':9650'), { kind: 'tcp', port: 9650 });
  assert.deepEqual(parseListen('9650'), { kind: 'tcp', port: 9650 });
  assert.deepEqual(parseListen('/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
  assert.ok(parseListen('host:0') instanceof Error);
  assert.ok(parseListen('a:b:c') instanceof Error);
  assert.ok(parseListen('x:70000') instanceof Error);
});
