/**
 * Fuzz target: the control-socket protocol (src/daemon/control.ts ControlServer framing and
 * src/observe/admin.ts command handling) over a real unix socket.
 *
 * The input is sent in one to three chunks (the first byte chooses the split), optionally followed by a
 * half-close. Properties: the server never throws, answers every connection that sent a line with exactly
 * one JSON line whose `ok` is a boolean, hands the handler at most 256 characters, and still answers `ping`
 * afterwards (checked every 64 inputs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ControlServer, controlRequest, type ControlReply } from '../../../src/daemon/control.js';
import { adminVerb, runAdmin } from '../../../src/observe/admin.js';
import { FuzzInput, ensure } from './input.js';

const quietLog = { log: () => {} };
let server: ControlServer | undefined;
let path = '';
let runs = 0;
let longest = 0;

async function handler(cmd: string, peer: Parameters<typeof runAdmin>[1]): Promise<ControlReply> {
  longest = Math.max(longest, cmd.length);
  if (adminVerb(cmd))
    return runAdmin(
      cmd,
      peer,
      {
        setPriorityOffset: (i, o) => (i === 'VI_1' && Math.abs(o) <= 253 ? undefined : `no instance ${i}`),
        refreshGarp: (i) => (i === undefined || i === 'VI_1' ? ['VI_1'] : []),
        drainRealServer: () => undefined,
        reload: async () => false,
      },
      quietLog,
      0,
    );
  if (cmd === 'ping') return { ok: true };
  if (cmd === 'boom') throw new Error('handler failure');
  return { ok: false, error: `unknown command '${cmd}'` };
}

async function ensureServer(): Promise<void> {
  if (server) return;
  path = join(mkdtempSync(join(tmpdir(), 'kts-fuzz-ctl-')), 'c.sock');
  server = new ControlServer(path, handler);
  const err = await server.listen();
  if (err) throw err;
}

function exchange(chunks: readonly Buffer[], halfClose: boolean, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = connect(path, () => {
      for (const c of chunks) s.write(c);
      if (halfClose) s.end();
    });
    s.on('data', (d) => (out += d.toString('utf8')));
    s.on('close', () => resolve(out));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), waitMs).unref();
  });
}

/** Words worth inserting (the fuzz loop's dictionary). */
export const dictionary = ['ping', 'status', 'priority VI_1 ', 'garp', 'drain a b', 'undrain ', 'reload', 'boom', '\n', '\r\n', ' '];

/** One input. */
export async function fuzz(data: Uint8Array): Promise<void> {
  await ensureServer();
  const inp = new FuzzInput(data);
  const split = inp.byte();
  const halfClose = (split & 0x80) !== 0;
  const body = inp.rest();
  const a = Math.min(body.length, split & 0x3f);
  const chunks = [body.subarray(0, a), body.subarray(a)].filter((c) => c.length > 0);
  const hasLine = body.includes(0x0a) || body.length > 256;
  // a line is answered at once (wait for it, generously: the machine may be loaded); without one, the server waits
  const reply = await exchange(chunks, halfClose, hasLine ? 5000 : 50);
  if (hasLine) {
    ensure(reply.endsWith('\n') && reply.indexOf('\n') === reply.length - 1, `not one line: ${JSON.stringify(reply)}`);
    const j = JSON.parse(reply) as { ok: unknown };
    ensure(typeof j.ok === 'boolean', `no ok field: ${reply}`);
  }
  ensure(longest <= 256, `the handler got a command of ${longest} characters`);
  if (++runs % 64 === 0) {
    const r = await controlRequest(path, 'ping', 2000);
    ensure(r.ok, `ping after ${runs} inputs: ${JSON.stringify(r)}`);
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
