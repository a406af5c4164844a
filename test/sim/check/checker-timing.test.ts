/**
 * Checker scheduling against keepalived 2.2.7's rules, to the millisecond: BOOTSTRAP_DELAY + warmup, retry /
 * delay_before_retry, delay_loop between rounds, "one failure is enough initially", alpha mode, and the
 * differences between checker types (who retries while down, SMTP's per-round retries, MISC's start-based delays).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byTime, CheckSim, virtualServers, type ProbeScript } from './harness.js';

const RS = '[192.0.2.1]:tcp:80';
const VS = '[192.0.2.10]:tcp:80';

/** One virtual server with one real server carrying `checker` (a block's body text). */
function conf(checker: string, rsExtra = '', vsExtra = ''): string {
  return `virtual_server 192.0.2.10 80 {
    delay_loop 5
    lb_algo rr
    protocol TCP
    ${vsExtra}
    real_server 192.0.2.1 80 {
      ${rsExtra}
      ${checker}
    }
  }`;
}

function sim(text: string, script: ProbeScript, until: number, seed = 1): CheckSim {
  return new CheckSim(virtualServers(text)[0]!, { script, seed }).start().runUntil(until);
}

test('TCP_CHECK: first probe after 1 s; a failure is retried `retry` times delay_before_retry apart, then the server goes', () => {
  const s = sim(conf('TCP_CHECK { retry 2 delay_before_retry 1 warmup 0 }'), byTime({ 0: (t) => t < 20_000 || t >= 33_000 }), 40_000);
  // rounds every delay_loop (5 s) from 1 s; fail at 21 s, retries at 22 and 23 s; down; while down TCP keeps retrying
  assert.deepEqual(s.probeTimes(), [1000, 6000, 11_000, 16_000, 21_000, 22_000, 23_000, 28_000, 29_000, 30_000, 35_000, 40_000]);
  assert.deepEqual(
    s.logs().filter(([t]) => t > 0),
    [
      [1000, `TCP connection to ${RS} success.`],
      [23_000, `TCP_CHECK on service ${RS} failed after 2 retries.`],
      [23_000, `Removing service ${RS} from VS ${VS}`],
      [23_000, `Lost quorum 1-0=1 > 0 for VS ${VS}`],
      [35_000, `TCP connection to ${RS} success.`],
      [35_000, `Adding service ${RS} to VS ${VS}`],
      [35_000, `Gained quorum 1+0=1 <= 1 for VS ${VS}`],
    ],
  );
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [0, '+rs0=1'],
    [23_000, '-rs0'],
    [35_000, '+rs0=1'],
  ]);
});

test('TCP_CHECK: the first failure takes the server out at once (retry_it starts at retry), without "after N retries"', () => {
  const s = sim(conf('TCP_CHECK { retry 2 delay_before_retry 1 warmup 0 }'), () => ({ ok: false }), 16_000);
  assert.deepEqual(s.probeTimes(), [1000, 6000, 7000, 8000, 13_000, 14_000, 15_000]);
  assert.deepEqual(s.logsWith('TCP_CHECK'), [[1000, `TCP_CHECK on service ${RS} failed.`]]);
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [0, '+rs0=1'],
    [1000, '-rs0'],
  ]);
});

test('delays count from the end of the probe; timeouts log "timeout." only with log_all_failures', () => {
  const s = sim(
    conf('TCP_CHECK { retry 1 delay_before_retry 2 warmup 0 log_all_failures connect_timeout 3 }'),
    byTime({ 0: (t) => (t < 10_000 ? { ok: true, latencyMs: 10 } : { ok: false, timeout: true, latencyMs: 3000 }) }),
    25_000,
  );
  // 1000(+10) ok, 6010(+10) ok, 11020 timeout at 14020, retry at 16020 timeout at 19020 -> down; next 24020
  assert.deepEqual(s.probeTimes(), [1000, 6010, 11_020, 16_020, 24_020]);
  assert.deepEqual(s.logsWith('TCP'), [
    [1010, `TCP connection to ${RS} success.`],
    [14_020, `TCP connection to ${RS} timeout.`],
    [19_020, `TCP connection to ${RS} timeout.`],
    [19_020, `TCP_CHECK on service ${RS} failed after 1 retries.`],
  ]);
});

test('PING_CHECK and UDP_CHECK retry only while up: a down checker is re-run every delay_loop', () => {
  const ping = sim(conf('PING_CHECK { retry 2 delay_before_retry 1 warmup 0 }'), byTime({ 0: (t) => t < 10_000 }), 30_000);
  assert.deepEqual(ping.probeTimes(), [1000, 6000, 11_000, 12_000, 13_000, 18_000, 23_000, 28_000]);
  assert.deepEqual(ping.logsWith('ICMP'), [
    [1000, `ICMP connection to ${RS} success.`],
    [13_000, `ICMP CHECK on service ${RS} of ${VS} failed after 2 retries.`],
  ]);
  const udp = sim(
    conf('UDP_CHECK { retry 1 delay_before_retry 1 warmup 0 log_all_failures }').replace('protocol TCP', 'protocol UDP'),
    byTime({ 0: (t) => (t < 10_000 ? { ok: true } : { ok: false, mismatch: t < 12_000 }) }),
    20_000,
  );
  const URS = '[192.0.2.1]:udp:80';
  assert.deepEqual(udp.probeTimes(), [1000, 6000, 11_000, 12_000, 17_000]);
  assert.deepEqual(udp.logsWith('UDP'), [
    [1000, `UDP connection to ${URS} success.`],
    [11_000, `UDP check to ${URS} reply data mismatch.`],
    [12_000, `UDP connection to ${URS} failed.`],
    [12_000, `UDP_CHECK on service ${URS} failed after 1 retries.`],
  ]);
});

test('alpha: the server starts out of the pool and joins on its first success', () => {
  const s = sim(conf('TCP_CHECK { warmup 0 }', 'alpha'), () => ({ ok: true }), 7000);
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [1000, '+rs0=1'],
  ]);
  assert.deepEqual(
    s.logs().filter(([t]) => t === 1000),
    [
      [1000, `TCP connection to ${RS} success.`],
      [1000, `Adding service ${RS} to VS ${VS}`],
      [1000, `Gained quorum 1+0=1 <= 1 for VS ${VS}`],
    ],
  );
});

test("alpha: a first failure changes nothing but still sends the real server's DOWN notification", () => {
  const s = sim(conf('TCP_CHECK { warmup 0 }', 'alpha\n notify_down "/bin/rs-down"'), () => ({ ok: false }), 2000);
  assert.deepEqual(s.ipvsOps(), [[0, '+VS']]);
  assert.deepEqual(s.logsWith('TCP'), [[1000, `TCP_CHECK on service ${RS} failed.`]]);
  assert.deepEqual(
    s.actions('fifoLine').map(([t, a]) => [t, a.line]),
    [[1000, `RS ${RS} ${VS} DOWN\n`]],
  );
  assert.deepEqual(
    s.actions('notifyScript').map(([t, a]) => [t, a.which, a.script.command]),
    [[1000, 'notify_down', '/bin/rs-down']],
  );
});

test('warmup: the first probe comes 1 s plus a random 0…warmup after start, bounds included', () => {
  const first = (seed: number): number => sim(conf('TCP_CHECK { warmup 3 }'), () => ({ ok: true }), 5000, seed).probeTimes()[0]!;
  const times = Array.from({ length: 300 }, (_, i) => first(i + 1));
  for (const t of times) assert.ok(t >= 1000 && t <= 4000, `first probe at ${t}`);
  assert.ok(Math.min(...times) < 1100 && Math.max(...times) > 3900, 'warmup spread covers the range');
  const fixed = (v: number): number =>
    new CheckSim(virtualServers(conf('TCP_CHECK { warmup 3 }'))[0]!, { script: () => ({ ok: true }), rng: { next: () => v } })
      .start()
      .runUntil(5000)
      .probeTimes()[0]!;
  assert.equal(fixed(0), 1000);
  assert.equal(fixed(0.9999999), 4000);
  // no warmup keyword: warmup defaults to delay_loop (5 s)
  const dflt = Array.from({ length: 100 }, (_, i) => sim(conf('TCP_CHECK { }'), () => ({ ok: true }), 7000, i + 1).probeTimes()[0]!);
  assert.ok(dflt.every((t) => t >= 1000 && t <= 6000) && Math.max(...dflt) > 4000);
});

test('DNS_CHECK: no line on success; the probe\'s text on failure, "after N retries" once it has run', () => {
  const s = sim(
    conf('DNS_CHECK { retry 2 delay_before_retry 1 warmup 0 }').replace('protocol TCP', 'protocol UDP'),
    byTime({ 0: (t) => (t < 10_000 || t > 20_000 ? true : { ok: false, detail: 'read timeout from socket' }) }),
    26_000,
  );
  const D = '[192.0.2.1]:udp:80';
  assert.deepEqual(s.probeTimes(), [1000, 6000, 11_000, 12_000, 13_000, 18_000, 23_000]);
  assert.deepEqual(s.logsWith('DNS'), [[13_000, `DNS_CHECK (${D}) read timeout from socket after 2 retries`]]);
  assert.deepEqual(s.ipvsOps().slice(2), [
    [13_000, '-rs0'],
    [23_000, '+rs0=1'],
  ]);
});

test('SMTP_CHECK: every round starts with fresh retries, so even the first failure is retried', () => {
  const s = sim(
    conf('SMTP_CHECK { retry 1 delay_before_retry 2 warmup 0 }'),
    () => ({ ok: false, detail: 'Bad greeting banner from server [192.0.2.1]:80' }),
    15_000,
  );
  assert.deepEqual(s.probeTimes(), [1000, 3000, 8000, 10_000, 15_000]);
  assert.deepEqual(s.logsWith('SMTP'), [[3000, 'SMTP_CHECK Bad greeting banner from server [192.0.2.1]:80']]);
  assert.deepEqual(s.ipvsOps().slice(2), [[3000, '-rs0']]);
});

test('SMTP_CHECK: success texts; defaults for connect failures name the connect address', () => {
  const s = sim(conf('SMTP_CHECK { retry 0 warmup 0 }'), byTime({ 0: (t) => t < 5000 || { ok: false, timeout: true } }), 7000);
  assert.deepEqual(s.logsWith('SMTP'), [
    [1000, `Remote SMTP server ${RS} succeed on service.`],
    [6000, 'SMTP_CHECK Connection timeout to server [192.0.2.1]:80'],
  ]);
});
