import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { MemoryLogger } from '../../../src/core/log.js';
import { adminVerb, peerCredentials, runAdmin, type AdminTarget } from '../../../src/observe/admin.js';
import { controlSocketFor } from '../../../src/daemon/control.js';
import { parseClientArgs } from '../../../src/cli/ctl.js';

function target(calls: string[]): AdminTarget {
  return {
    setPriorityOffset: (i, o) => {
      calls.push(`offset ${i} ${o}`);
      return i === 'VI_1' ? undefined : `no VRRP instance ${i}`;
    },
    refreshGarp: (i) => {
      calls.push(`garp ${i ?? '*'}`);
      return i === 'VI_9' ? [] : ['VI_1'];
    },
    reload: async () => {
      calls.push('reload');
      return true;
    },
  };
}

test('admin verbs', () => {
  assert.deepEqual(['priority VI_1 -5', 'garp', 'drain a b', 'undrain a b', 'reload', 'status', 'json', 'ping'].map(adminVerb), [
    'priority',
    'garp',
    'drain',
    'undrain',
    'reload',
    undefined,
    undefined,
    undefined,
  ]);
});

test('root runs admin actions, each logged with who asked', async () => {
  const calls: string[] = [];
  const log = new MemoryLogger();
  const root = { pid: 77, uid: 0, gid: 0 };
  assert.deepEqual(await runAdmin('priority VI_1 -50', root, target(calls), log, 0), { ok: true, text: 'priority offset -50 on VI_1' });
  assert.deepEqual(await runAdmin('priority VI_1 0', root, target(calls), log, 0), { ok: true, text: 'priority offset on VI_1 cleared' });
  assert.deepEqual(await runAdmin('priority VI_7 5', root, target(calls), log, 0), { ok: false, error: 'no VRRP instance VI_7' });
  assert.deepEqual(await runAdmin('priority VI_1 x', root, target(calls), log, 0), {
    ok: false,
    error: 'usage: priority INSTANCE OFFSET (-253..253, 0 clears)',
  });
  assert.deepEqual(await runAdmin('garp', root, target(calls), log, 0), { ok: true, text: 'GARP/NA refresh sent for VI_1' });
  assert.deepEqual(await runAdmin('garp VI_9', root, target(calls), log, 0), { ok: false, error: 'VI_9: not a MASTER instance' });
  assert.deepEqual(await runAdmin('drain 192.0.2.100:80 198.51.100.1:80', root, target(calls), log, 0), {
    ok: false,
    error: 'no checker runtime in this daemon: virtual servers are not running',
  });
  assert.deepEqual(await runAdmin('reload', root, target(calls), log, 0), { ok: true });
  assert.deepEqual(calls, ['offset VI_1 -50', 'offset VI_1 0', 'offset VI_7 5', 'garp *', 'garp VI_9', 'reload']);
  const texts = log.records.map((r) => r.text);
  assert.equal(texts.length, 8, 'one line per action');
  assert.equal(texts[0], "Control: 'priority VI_1 -50' by uid 0 pid 77: priority offset -50 on VI_1");
  assert.equal(texts[7], "Control: 'reload' by uid 0 pid 77: ok");
});

test('non-root and unknown callers are refused (a non-root daemon accepts its own user)', async () => {
  const calls: string[] = [];
  const log = new MemoryLogger();
  const user = { pid: 5, uid: 1000, gid: 1000 };
  assert.deepEqual(await runAdmin('priority VI_1 -50', user, target(calls), log, 0), { ok: false, error: "refused: 'priority' is root only" });
  assert.deepEqual(await runAdmin('reload', null, target(calls), log, 0), {
    ok: false,
    error: 'refused: cannot verify the caller is root (SO_PEERCRED unavailable)',
  });
  assert.deepEqual(calls, []);
  assert.equal(log.records.length, 2);
  assert.match(log.records[0]!.text, /refused 'priority VI_1 -50' from uid 1000 pid 5 - admin actions are root only/);
  assert.equal((await runAdmin('garp', user, target(calls), log, 1000)).ok, true);
});

test('SO_PEERCRED reads the connecting process over a UNIX socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-cred-'));
  const path = join(dir, 's.sock');
  try {
    const got = await new Promise<ReturnType<typeof peerCredentials>>((resolve) => {
      const srv = createServer((s) => {
        resolve(peerCredentials(s));
        s.destroy();
        srv.close();
      });
      srv.listen(path, () => {
        const c = connect(path);
        c.on('error', () => {});
      });
    });
    assert.deepEqual(got, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('control socket path follows the pid file; client options', () => {
  assert.equal(controlSocketFor(undefined), '/run/keepalived-ts.sock');
  assert.equal(controlSocketFor('/run/keepalived.pid'), '/run/keepalived-ts.sock');
  assert.equal(controlSocketFor('/run/lab/node-a.pid'), '/run/lab/node-a-ts.sock');
  assert.equal(controlSocketFor('/tmp/x/a'), '/tmp/x/a-ts.sock');
  assert.deepEqual(parseClientArgs(['-p', '/run/a.pid', '--json']), { socket: '/run/a-ts.sock', json: true, colour: 'auto', rest: [] });
  assert.deepEqual(parseClientArgs(['--control-socket=/s', '--watch=0.5', 'x']), {
    socket: '/s',
    json: false,
    watchSec: 0.5,
    colour: 'auto',
    rest: ['x'],
  });
  assert.deepEqual(parseClientArgs(['--pid=/r/b.pid', 'priority', 'VI_1', '-50']), {
    socket: '/r/b-ts.sock',
    json: false,
    colour: 'auto',
    rest: ['priority', 'VI_1', '-50'],
  });
  assert.deepEqual(parseClientArgs(['-p/r/c.pid', '--no-color', '--watch']), {
    socket: '/r/c-ts.sock',
    json: false,
    watchSec: 1,
    colour: 'never',
    rest: [],
  });
  assert.ok(parseClientArgs(['--frob']) instanceof Error);
  assert.ok(parseClientArgs(['--watch=0']) instanceof Error);
  assert.ok(parseClientArgs(['-p']) instanceof Error);
});
