import { test } from 'node:test';
import assert from 'node:assert/strict';
import { senderFromSysio, sockaddrUn, sysioDatagramSender, type SysioUnixApi } from '../../../src/net/unix-dgram.js';

test('sockaddr_un for a path: family 1, path, NUL', () => {
  const a = Buffer.from(sockaddrUn('/dev/log')!);
  assert.equal(a.length, 2 + 8 + 1);
  assert.equal(a.readUInt16LE(0), 1);
  assert.equal(a.subarray(2).toString('latin1'), '/dev/log\0');
});

test('sockaddr_un for an abstract @name: leading NUL, no terminator', () => {
  const a = Buffer.from(sockaddrUn('@/org/freedesktop/systemd1/notify')!);
  assert.equal(a.length, 2 + 1 + 32);
  assert.equal(a[2], 0);
  assert.equal(a.subarray(3).toString('latin1'), '/org/freedesktop/systemd1/notify');
});

test('sockaddr_un rejects paths longer than sun_path and the empty path', () => {
  assert.equal(sockaddrUn(`/${'x'.repeat(106)}`)!.length, 110);
  assert.equal(sockaddrUn(`/${'x'.repeat(107)}`), undefined);
  assert.equal(sockaddrUn(''), undefined);
});

function fakeApi(fail?: string) {
  const calls: { fd: number; data: string; addr: string }[] = [];
  const closed: number[] = [];
  const api: SysioUnixApi = {
    socket: (family, type, protocol) => {
      assert.deepEqual([family, type, protocol], [1, 2, 0]);
      return 7;
    },
    sendto: (fd, data, addr) => {
      if (fail) throw Object.assign(new Error('sendto failed'), { code: fail });
      calls.push({ fd, data: Buffer.from(data).toString(), addr: Buffer.from(addr!).subarray(2).toString('latin1') });
      return data.length;
    },
    close: (fd) => {
      closed.push(fd);
    },
  };
  return { api, calls, closed };
}

test('the sysio sender sends through one AF_UNIX datagram socket and reports errno codes', () => {
  const f = fakeApi();
  const s = senderFromSysio(f.api);
  assert.equal(s.available, true);
  assert.deepEqual(s.send('/dev/log', Buffer.from('<30>x')), { ok: true });
  assert.deepEqual(f.calls, [{ fd: 7, data: '<30>x', addr: '/dev/log\0' }]);
  s.close();
  s.close();
  assert.deepEqual(f.closed, [7]);
  assert.equal(s.send('/dev/log', Buffer.from('late')).ok, false);
  const g = fakeApi('ECONNREFUSED');
  assert.deepEqual(senderFromSysio(g.api).send('/dev/log', Buffer.from('x')), { ok: false, error: 'ECONNREFUSED' });
});

test('without a usable addon the sender is unavailable (never throws)', async () => {
  const s = await sysioDatagramSender('node:os');
  assert.equal(s.available, false);
  const t = await sysioDatagramSender('@keepalived-ts/no-such-package');
  assert.equal(t.available, false);
  const failing = senderFromSysio({
    socket: () => {
      throw new Error('EAFNOSUPPORT');
    },
    sendto: () => 0,
    close: () => {},
  });
  assert.equal(failing.available, false);
});
