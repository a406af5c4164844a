/**
 * Fuzz target: the HTTP endpoint (src/observe/server.ts: routing, query and Last-Event-ID parsing, the metrics,
 * status and event-stream handlers) with raw request bytes over a unix socket.
 *
 * Properties: the server never throws (an uncaught exception would surface as a finding), every answer starts with
 * an HTTP/1.1 status line whose code is one the endpoint uses (or 400/413/431 from Node's parser), and a plain
 * `GET /status` on a fresh connection still works (checked every 64 inputs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ObserveServer } from '../../../src/observe/server.js';
import { statusView } from '../../../src/observe/view.js';
import { PROCESS, snapshot } from '../../unit/observe/fake.js';
import { ensure } from './input.js';

let server: ObserveServer | undefined;
let path = '';
let runs = 0;
const CODES = new Set([200, 304, 400, 404, 405, 408, 413, 414, 431, 500, 503, 505]);

async function ensureServer(): Promise<void> {
  if (server) return;
  path = join(mkdtempSync(join(tmpdir(), 'kts-fuzz-http-')), 'h.sock');
  server = new ObserveServer({
    listen: { kind: 'unix', path },
    sources: { view: () => statusView(PROCESS, snapshot(), 1_700_000_000_000), keepalivedJson: () => '[{"data":{"iname":"VI_1"}}]' },
    defaultMetrics: false,
    heartbeatMs: 60_000,
  });
  const err = await server.start();
  if (err) throw err;
}

function exchange(bytes: Buffer, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = connect(path, () => s.write(bytes));
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), waitMs).unref();
  });
}

/** Words worth inserting (the fuzz loop's dictionary). */
export const dictionary = [
  'GET ',
  'HEAD ',
  'POST ',
  ' HTTP/1.1\r\n',
  '\r\n',
  '\r\n\r\n',
  'Host: x\r\n',
  'Last-Event-ID: ',
  '/events',
  '/events?lastEventId=',
  '/metrics',
  '/status',
  '/',
  '%',
  '%ff',
  'Transfer-Encoding: chunked\r\n',
  'Content-Length: 5\r\n',
  'Connection: close\r\n',
];

/** One input. */
export async function fuzz(data: Uint8Array): Promise<void> {
  await ensureServer();
  const reply = await exchange(Buffer.from(data), 40);
  for (const m of reply.matchAll(/(?:^|\r\n\r\n|\n)HTTP\/1\.1 (\d{3}) /g)) ensure(CODES.has(Number(m[1])), `status ${m[1]}`);
  ensure(reply === '' || reply.startsWith('HTTP/1.1 '), `not an HTTP answer: ${JSON.stringify(reply.slice(0, 80))}`);
  if (++runs % 64 === 0) {
    const r = await exchange(Buffer.from('GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 2000);
    ensure(r.startsWith('HTTP/1.1 200 '), `GET /status after ${runs} inputs: ${JSON.stringify(r.slice(0, 80))}`);
  }
}

/** Closes the server the target started (a replay ends with it, so that its process can exit). */
export async function teardown(): Promise<void> {
  const s = server;
  server = undefined;
  await s?.close();
  if (path) rmSync(dirname(path), { recursive: true, force: true });
  path = '';
}
