/**
 * packages/sysio additions of issue 16: cloexecFrom() marks inherited descriptors close-on-exec (a child spawned with
 * an extra pipe at fd 40 reports its flags before and after: Node's own start-up, libuv's
 * uv_disable_stdio_inheritance, only reaches the first descriptors up to the first gap above 15), and
 * sendmmsg() sends a batch of datagrams in one call (UDP on loopback: all arrive, in order, with their own lengths).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { K, sysio } from '../../../src/net/sysio.js';
import { parseSockaddr, sockaddrIn } from '../../../src/net/sockaddr.js';

const SYSIO = new URL('../../../src/net/sysio.js', import.meta.url).href;

test('cloexecFrom(3) makes an inherited descriptor close-on-exec', () => {
  const code =
    `const { sysio } = await import(${JSON.stringify(SYSIO)}); const { readFileSync } = await import('node:fs');` +
    `const cloexec = (fd) => (parseInt(/^flags:\\s+([0-7]+)$/m.exec(readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1], 8) & 0o2000000) !== 0;` +
    `const before = [1, 40].map(cloexec); const changed = sysio.cloexecFrom(3);` +
    `console.log(JSON.stringify({ before, after: [1, 40].map(cloexec), changed, again: sysio.cloexecFrom(3) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit', ...Array<'ignore'>(37).fill('ignore'), 'pipe'],
    encoding: 'utf8',
  });
  assert.equal(r.status, 0);
  const out = JSON.parse(r.stdout) as { before: boolean[]; after: boolean[]; changed: number; again: number };
  assert.deepEqual(out.before, [true, false], 'Node marked stdout close-on-exec; fd 40 arrives inheritable');
  assert.deepEqual(out.after, [true, true]);
  assert.ok(out.changed >= 1, `changed ${out.changed}`);
  assert.equal(out.again, 0, 'nothing left to change');
});

test('sendmmsg sends a batch of datagrams in one call', () => {
  const rx = sysio.socket(K.AF_INET!, K.SOCK_DGRAM!, 0);
  const tx = sysio.socket(K.AF_INET!, K.SOCK_DGRAM!, 0);
  try {
    sysio.bind(rx, sockaddrIn('127.0.0.1', 0));
    const a = parseSockaddr(sysio.getsockname(rx));
    const port = a.family === 'inet' ? a.port : 0;
    const packets = [1, 2, 3, 40, 500].map((n) => Buffer.alloc(n, n & 0xff));
    assert.equal(sysio.sendmmsg(tx, packets, sockaddrIn('127.0.0.1', port)), 5);
    assert.equal(sysio.sendmmsg(tx, [], sockaddrIn('127.0.0.1', port)), 0);
    const got: number[] = [];
    for (let m = sysio.recvmsg(rx, 2048, 0); m; m = sysio.recvmsg(rx, 2048, 0)) {
      assert.ok(m.data.every((b) => b === (m.length & 0xff)));
      got.push(m.length);
    }
    assert.deepEqual(got, [1, 2, 3, 40, 500]);
    assert.throws(() => sysio.sendmmsg(tx, ['x' as unknown as Uint8Array]), /every packet must be bytes/);
  } finally {
    sysio.close(rx);
    sysio.close(tx);
  }
});
