process.env['TZ'] = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { MemorySender, unavailableSender } from '../../../src/daemon/datagram.js';
import {
  FileSink,
  LogHub,
  LogRateLimiter,
  SyslogSink,
  consoleSink,
  formatConsoleTime,
  formatFileTime,
  formatSyslogMessage,
  logFileName,
  tmpDirFrom,
} from '../../../src/daemon/logging.js';

// Sun Nov 22 08:33:46.123 2026 UTC, and a single-digit day.
const T = Date.UTC(2026, 10, 22, 8, 33, 46, 123);
const T2 = Date.UTC(2026, 10, 2, 8, 3, 6, 5);

test('console time is strftime %c in the C locale (space-padded day)', () => {
  assert.equal(formatConsoleTime(T), 'Sun Nov 22 08:33:46 2026');
  assert.equal(formatConsoleTime(T2), 'Mon Nov  2 08:03:06 2026');
});

test('file time is %a %b %d %T.nanoseconds %Y', () => {
  assert.equal(formatFileTime(T), 'Sun Nov 22 08:33:46.123000000 2026');
  assert.equal(formatFileTime(T2), 'Mon Nov 02 08:03:06.005000000 2026');
});

test('syslog datagram as glibc writes it: <PRI>Mmm dd hh:mm:ss ident[pid]: text', () => {
  const rec = { level: 'info' as const, text: '(VI_1) Entering MASTER STATE' };
  assert.equal(formatSyslogMessage(3, rec, 'Keepalived_vrrp', 4242, T), '<30>Nov 22 08:33:46 Keepalived_vrrp[4242]: (VI_1) Entering MASTER STATE');
  assert.equal(formatSyslogMessage(16 + 3, { level: 'err', text: 'x' }, 'Keepalived', 1, T2), '<155>Nov  2 08:03:06 Keepalived[1]: x');
  assert.equal(formatSyslogMessage(1, { level: 'debug', text: 'y' }, 'K', 1, T2), '<15>Nov  2 08:03:06 K[1]: y');
});

test("syslog datagrams match what glibc syslog(3) sent to a /dev/log socket (captured with Python's syslog module)", () => {
  // captured: TZ=UTC, unshare -m, tmpfs on /dev, AF_UNIX SOCK_DGRAM bound at /dev/log, openlog(ident, LOG_PID, facility)
  const at = 1795345763436;
  assert.equal(
    formatSyslogMessage(19, { level: 'info', text: '(VI_1) Entering MASTER STATE' }, 'Keepalived_vrrp', 17928, at),
    '<158>Nov 22 11:09:23 Keepalived_vrrp[17928]: (VI_1) Entering MASTER STATE',
  );
  assert.equal(formatSyslogMessage(3, { level: 'err', text: 'x' }, 'Keepalived', 17928, at), '<27>Nov 22 11:09:23 Keepalived[17928]: x');
});

test('console sink writes keepalived console lines; -D gates detail records', () => {
  const clock = new ManualClock(0, T);
  const lines: string[] = [];
  const hub = new LogHub(clock, [consoleSink({ write: (s: string) => lines.push(s) })], false);
  const log = hub.logger('Keepalived_vrrp');
  log.log({ level: 'info', text: '(VI_1) Entering MASTER STATE' });
  log.log({ level: 'info', text: 'Assigned address 192.0.2.1 for interface eth0', detail: true });
  assert.deepEqual(lines, ['Sun Nov 22 08:33:46 2026: (VI_1) Entering MASTER STATE\n']);
  const detailed = new LogHub(clock, [consoleSink({ write: (s: string) => lines.push(s) })], true);
  detailed.logger('K').log({ level: 'info', text: 'detail line', detail: true });
  assert.equal(lines.at(-1), 'Sun Nov 22 08:33:46 2026: detail line\n');
});

test('syslog sink sends one datagram per record to /dev/log with ident and facility', () => {
  const sender = new MemorySender();
  const hub = new LogHub(new ManualClock(0, T), [new SyslogSink({ sender, facility: 16, pid: 77 })], false);
  hub.logger('Keepalived_vrrp').log({ level: 'warning', text: 'hello' });
  hub.logger('Keepalived').log({ level: 'info', text: 'Startup complete' });
  assert.deepEqual(sender.sent, [
    { path: '/dev/log', text: '<132>Nov 22 08:33:46 Keepalived_vrrp[77]: hello' },
    { path: '/dev/log', text: '<134>Nov 22 08:33:46 Keepalived[77]: Startup complete' },
  ]);
});

test('syslog sink falls back to a text stream with one warning when it cannot send', () => {
  const out: string[] = [];
  const sink = new SyslogSink({ sender: unavailableSender(), facility: 3, pid: 5, fallback: { write: (s: string) => out.push(s) } });
  const hub = new LogHub(new ManualClock(0, T), [sink], false);
  hub.logger('Keepalived').log({ level: 'info', text: 'a' });
  hub.logger('Keepalived').log({ level: 'info', text: 'b' });
  assert.equal(out.length, 3);
  assert.match(out[0]!, /cannot log to syslog/);
  assert.equal(out[1], 'Nov 22 08:33:46 Keepalived[5]: a\n');
  const failing = new MemorySender();
  failing.failWith = 'ECONNREFUSED';
  const out2: string[] = [];
  new SyslogSink({ sender: failing, facility: 3, pid: 5, fallback: { write: (s: string) => out2.push(s) } }).write(
    { level: 'info', text: 'c' },
    'K',
    T,
  );
  assert.match(out2[0]!, /ECONNREFUSED/);
});

test('a throwing sink never breaks logging or the other sinks', () => {
  const good: string[] = [];
  const hub = new LogHub(
    new ManualClock(0, T),
    [
      {
        write: () => {
          throw new Error('boom');
        },
      },
      consoleSink({ write: (s: string) => good.push(s) }),
    ],
    false,
  );
  assert.doesNotThrow(() => hub.logger('K').log({ level: 'info', text: 'still here' }));
  assert.equal(good.length, 1);
});

test('file sink appends keepalived file-format lines; -g name gets _vrrp before the extension', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-log-'));
  try {
    assert.equal(logFileName('keepalived.log', 'vrrp', dir), join(dir, 'keepalived_vrrp.log'));
    assert.equal(logFileName('/var/log/ka.d/k.log', 'vrrp', dir), '/var/log/ka.d/k_vrrp.log');
    assert.equal(logFileName('/var/log/ka.d/klog', 'vrrp', dir), '/var/log/ka.d/klog_vrrp');
    assert.equal(logFileName('/x/k.log', undefined, dir), '/x/k.log');
    // keepalived's make_file_name: _prog, then _namespace, then _instance, before the extension
    assert.equal(logFileName('keepalived.log', 'vrrp', dir, '_ns1_i1'), join(dir, 'keepalived_vrrp_ns1_i1.log'));
    assert.equal(logFileName('/x/k.log', undefined, dir, '_ns1'), '/x/k_ns1.log');
    assert.equal(logFileName('/x.d/klog', undefined, dir, '_i1'), '/x.d/klog_i1');
    const path = logFileName('keepalived.log', 'vrrp', dir);
    const sink = new FileSink(path);
    const hub = new LogHub(new ManualClock(0, T), [sink], false);
    hub.logger('K').log({ level: 'info', text: 'one' });
    hub.logger('K').log({ level: 'info', text: 'two' });
    hub.close();
    assert.equal(readFileSync(path, 'utf8'), 'Sun Nov 22 08:33:46.123000000 2026: one\nSun Nov 22 08:33:46.123000000 2026: two\n');
    const bad = new FileSink(join(dir, 'no/such/dir/x.log'));
    assert.ok(bad.error);
    assert.doesNotThrow(() => bad.write({ level: 'info', text: 'x' }, 'K', T));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tmp dir is $TMPDIR only when absolute', () => {
  assert.equal(tmpDirFrom({}), '/tmp');
  assert.equal(tmpDirFrom({ TMPDIR: 'rel' }), '/tmp');
  assert.equal(tmpDirFrom({ TMPDIR: '/var/tmp' }), '/var/tmp');
});

test('rate limiter logs once per interval per key and reports what it held back', () => {
  const log = new MemoryLogger();
  const rl = new LogRateLimiter(1000);
  const rec = { level: 'warning' as const, text: '(VI_1) ip ttl error' };
  assert.equal(rl.log(log, 'ttl', rec, 0), true);
  for (let t = 1; t < 1000; t += 10) assert.equal(rl.log(log, 'ttl', rec, t), false);
  assert.equal(rl.suppressedCount('ttl'), 100);
  assert.equal(rl.log(log, 'other', { level: 'info', text: 'different key' }, 500), true);
  assert.equal(rl.log(log, 'ttl', rec, 1000), true);
  assert.deepEqual(log.texts(), ['(VI_1) ip ttl error', 'different key', '(VI_1) ip ttl error (100 similar messages suppressed)']);
  assert.equal(rl.log(log, 'ttl', rec, 2500), true);
  assert.equal(log.texts().at(-1), '(VI_1) ip ttl error');
});

test('rate limiter forgets the oldest keys beyond its bound', () => {
  const log = new MemoryLogger();
  const rl = new LogRateLimiter(1000, 4);
  for (let k = 0; k < 10; k++) rl.log(log, `k${k}`, { level: 'info', text: `m${k}` }, 0);
  assert.equal(rl.log(log, 'k0', { level: 'info', text: 'again' }, 1), true);
  assert.equal(rl.log(log, 'k9', { level: 'info', text: 'again' }, 1), false);
});
