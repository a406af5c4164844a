/**
 * HTTP_GET/SSL_GET url iteration and MISC_CHECK scripts, against keepalived 2.2.7's check_http.c and
 * check_misc.c: one url per run, retries of the failing url, fast_recovery; MISC delays counted from the
 * script's start, its retry texts, timeouts, signals and misc_dynamic weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byTime, CheckSim, virtualServers, type ProbeScript } from './harness.js';

const RS = '[192.0.2.1]:tcp:80';
const VS = '[192.0.2.10]:tcp:80';

function sim(checker: string, script: ProbeScript, until: number): CheckSim {
  const text = `virtual_server 192.0.2.10 80 {
    delay_loop 5
    lb_algo rr
    protocol TCP
    real_server 192.0.2.1 80 {
      ${checker}
    }
  }`;
  return new CheckSim(virtualServers(text)[0]!, { script, seed: 1 }).start().runUntil(until);
}

const urls = (s: CheckSim): [number, string][] => s.probes.map((p) => [p.t, p.url ?? '']);

test('HTTP_GET: one url per delay_loop; a failing url is retried, then re-tried every max(delay_before_retry, delay_loop)', () => {
  const s = sim(
    'HTTP_GET { url { path /a } url { path /b } retry 1 delay_before_retry 2 warmup 0 }',
    (p) => ({ ok: !(p.url === '/b' && p.t >= 12_000 && p.t < 30_000) }),
    45_000,
  );
  assert.deepEqual(urls(s), [
    [1000, '/a'],
    [6000, '/b'],
    [11_000, '/a'],
    [16_000, '/b'],
    [18_000, '/b'],
    [23_000, '/b'],
    [28_000, '/b'],
    [33_000, '/b'],
    [38_000, '/a'],
    [43_000, '/b'],
  ]);
  assert.deepEqual(
    s.logs().filter(([t]) => t > 0 && t !== 18_000),
    [
      [6000, `Remote Web server ${RS} succeed on service.`],
      [33_000, `HTTP status code success to ${RS} url(/b)`],
      [38_000, `HTTP status code success to ${RS} url(/a)`],
      [43_000, `HTTP status code success to ${RS} url(/b)`],
      [43_000, `Remote Web server ${RS} succeed on service.`],
      [43_000, `Adding service ${RS} to VS ${VS}`],
      [43_000, `Gained quorum 1+0=1 <= 1 for VS ${VS}`],
    ],
  );
  assert.deepEqual(
    s
      .logs()
      .filter(([t]) => t === 18_000)
      .map(([, x]) => x),
    [`HTTP_CHECK on service ${RS} failed after 1 retries.`, `Removing service ${RS} from VS ${VS}`, `Lost quorum 1-0=1 > 0 for VS ${VS}`],
  );
});

test('SSL_GET fast_recovery: no delay before the first verdict and while down with no failed url; failure texts', () => {
  const s = sim(
    'SSL_GET { url { path /a } url { path /b digest 0123456789abcdef0123456789abcdef } retry 1 ' +
      'delay_before_retry 2 warmup 0 fast_recovery log_all_failures }',
    (p) => (p.url === '/b' && p.t >= 12_000 && p.t < 30_000 ? { ok: false, detail: 'HTTP status code error to' } : { ok: true }),
    40_000,
  );
  assert.deepEqual(urls(s), [
    [1000, '/a'],
    [1000, '/b'],
    [6000, '/a'],
    [11_000, '/b'],
    [16_000, '/a'],
    [21_000, '/b'],
    [23_000, '/b'],
    [28_000, '/b'],
    [33_000, '/b'],
    [33_000, '/a'],
    [33_000, '/b'],
    [38_000, '/a'],
  ]);
  assert.deepEqual(
    s.logsWith('server').filter(([t]) => t > 1000),
    [
      [21_000, `HTTP status code error to server ${RS}.`],
      [23_000, `HTTP status code error to server ${RS}.`],
      [33_000, `Remote Web server ${RS} succeed on service.`],
    ],
  );
  assert.deepEqual(
    s.logsWith('success to').map(([, x]) => x),
    [`MD5 digest success to ${RS} url(/b)`, `HTTP status code success to ${RS} url(/a)`, `MD5 digest success to ${RS} url(/b)`],
  );
});

test("MISC_CHECK: delays count from the script's start; retry texts with log_all_failures", () => {
  const s = sim(
    'MISC_CHECK {\n misc_path "/usr/local/bin/chk --x"\n retry 2 delay_before_retry 1 warmup 0 log_all_failures }',
    (p) => ({ ok: true, latencyMs: 2000, exitStatus: p.t >= 10_000 && p.t < 30_000 ? 3 : 0 }),
    36_000,
  );
  assert.deepEqual(s.probeTimes(), [1000, 6000, 11_000, 13_000, 15_000, 20_000, 25_000, 30_000, 35_000]);
  const who = `Misc check for [${RS} VS ${VS}] by [/usr/local/bin/chk]`;
  assert.deepEqual(s.logsWith('Misc check'), [
    [3000, `${who} succeeded.`],
    [13_000, `${who} failed, will do 2 retries (exited with status 3).`],
    [15_000, `${who} failed on retry 1/2 (exited with status 3).`],
    [17_000, `${who} failed after 2 retries (exited with status 3).`],
    [32_000, `${who} succeeded.`],
  ]);
  assert.deepEqual(s.ipvsOps().slice(2), [
    [17_000, '-rs0'],
    [32_000, '+rs0=1'],
  ]);
});

test('MISC_CHECK: retry 0, timeouts and signals', () => {
  const s = sim(
    'MISC_CHECK {\n misc_path /bin/chk\n warmup 0 }',
    byTime({
      0: (t) =>
        t < 5000
          ? true
          : t < 10_000
            ? { ok: false, exitStatus: 1 }
            : t < 15_000
              ? { ok: false, timeout: true }
              : t < 20_000
                ? true
                : { ok: false, signal: 9 },
    }),
    22_000,
  );
  const who = `Misc check for [${RS} VS ${VS}] by [/bin/chk]`;
  assert.deepEqual(s.logsWith('Misc check'), [
    [1000, `${who} succeeded.`],
    [6000, `${who} failed with retry disabled (exited with status 1).`],
    [16_000, `${who} succeeded.`],
    [21_000, `${who} failed with retry disabled (due to signal 9).`],
  ]);
  const t = sim('MISC_CHECK {\n misc_path /bin/chk\n warmup 0 }', byTime({ 0: (x) => x < 5000 || { ok: false, timeout: true } }), 7000);
  assert.deepEqual(t.logsWith('Misc check').at(-1), [6000, `${who} timed out with retry disabled.`]);
});

test('MISC_CHECK misc_dynamic: exit status N sets the weight to N - 2, and IPVS and the quorum follow', () => {
  const s = sim(
    'MISC_CHECK {\n misc_path /bin/chk\n misc_dynamic warmup 0 }',
    byTime({ 0: (t) => ({ ok: true, exitStatus: t < 5000 ? 0 : t < 10_000 ? 7 : t < 15_000 ? 2 : 1 }) }),
    17_000,
  );
  assert.deepEqual(s.logsWith('weight'), [
    [6000, `Changing weight from 1 to 5 for active service ${RS} of VS ${VS}`],
    [11_000, `Changing weight from 5 to 0 for active service ${RS} of VS ${VS}`],
  ]);
  assert.deepEqual(s.ipvsOps().slice(2), [
    [6000, '~rs0=5'],
    [11_000, '~rs0=0'],
    [16_000, '-rs0'],
  ]);
  assert.deepEqual(s.logsWith('quorum'), [
    [0, `Gained quorum 1+0=1 <= 1 for VS ${VS}`],
    [11_000, `Lost quorum 1-0=1 > 0 for VS ${VS}`],
  ]);
});
