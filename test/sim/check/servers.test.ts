/**
 * Real servers against keepalived 2.2.7's ipwrapper.c: several checkers per server, inhibit_on_failure,
 * notify_up/notify_down, `RS …` FIFO lines, checker mails (and no_checker_emails), shut-down with and without
 * omega, ha_suspend, FILE_CHECK weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byTime, CheckSim, virtualServers, type ProbeScript } from './harness.js';
import type { SimOptions } from './harness.js';
import { rsFifoLine, vsFifoLine } from '../../../src/notify/fifo.js';
import { rsFifoText, vsFifoText } from '../../../src/check/format.js';

const VS = '[192.0.2.10]:tcp:80';
const rsName = (i: number): string => `[192.0.2.${i + 1}]:tcp:80`;

function sim(body: string, script: ProbeScript, until: number, opts: Partial<SimOptions> = {}): CheckSim {
  const text = `track_file f1 {\n file /nonexistent/f1\n }\nvirtual_server 192.0.2.10 80 {\n delay_loop 5\n lb_algo rr\n protocol TCP\n ${body}\n}`;
  return new CheckSim(virtualServers(text)[0]!, { script, seed: 1, ...opts }).start().runUntil(until);
}

const TCP = 'TCP_CHECK {\n retry 0\n warmup 0\n }';
const TWO_CHECKERS = `real_server 192.0.2.1 80 {
    notify_up /bin/up
    notify_down "/bin/down rs1"
    ${TCP}
    HTTP_GET {\n url {\n path /\n }\n retry 0\n warmup 0\n }
  }`;
/** TCP down in [10 s, 30 s), HTTP down in [20 s, 40 s). */
const overlap = byTime({ '0/0': (t) => t < 10_000 || t >= 30_000, '0/1': (t) => t < 20_000 || t >= 40_000 });

test('several checkers: the server leaves with the first failing checker and returns when the last recovers', () => {
  const s = sim(TWO_CHECKERS, overlap, 47_000);
  assert.deepEqual(s.ipvsOps().slice(2), [
    [11_000, '-rs0'],
    [46_000, '+rs0=1'],
  ]);
  assert.deepEqual(
    s.actions('checkerDown').map(([t, a]) => [t, a.checkerType]),
    [
      [11_000, 'TCP_CHECK'],
      [21_000, 'HTTP_GET'],
    ],
  );
  assert.deepEqual(
    s
      .actions('checkerUp')
      .filter(([t]) => t > 1000)
      .map(([t, a]) => [t, a.checkerType]),
    [
      [31_000, 'TCP_CHECK'],
      [46_000, 'HTTP_GET'],
    ],
  );
  assert.deepEqual(
    s.actions('notifyScript').map(([t, a]) => [t, a.which, a.script.command, a.owner]),
    [
      [11_000, 'notify_down', '/bin/down rs1', `rs:${rsName(0)}:${VS}`],
      [46_000, 'notify_up', '/bin/up', `rs:${rsName(0)}:${VS}`],
    ],
  );
  assert.deepEqual(
    s
      .actions('fifoLine')
      .filter(([, a]) => a.line.startsWith('RS'))
      .map(([t, a]) => [t, a.line]),
    [
      [11_000, `RS ${rsName(0)} ${VS} DOWN\n`],
      [46_000, `RS ${rsName(0)} ${VS} UP\n`],
    ],
  );
  assert.deepEqual(s.logsWith('HTTP_CHECK'), [[21_000, `HTTP_CHECK on service ${rsName(0)} failed.`]]);
});

test("checker mails: each checker mails its own change (subject state = the server's); no_checker_emails keeps the server's only", () => {
  const mails = (s: CheckSim): [number, boolean, string][] => s.actions('smtpAlert').map(([t, a]) => [t, a.up, a.body]);
  assert.deepEqual(mails(sim(TWO_CHECKERS, overlap, 47_000)), [
    [11_000, false, '=> TCP CHECK failed on service <='],
    [21_000, false, '=> CHECK failed on service : HTTP request failed <='],
    [31_000, false, '=> TCP CHECK succeed on service <='],
    [46_000, true, '=> CHECK succeed on service <='],
  ]);
  assert.deepEqual(mails(sim(TWO_CHECKERS, overlap, 47_000, { globals: { noCheckerEmails: true } })), [
    [11_000, false, '=> TCP CHECK failed on service <='],
    [46_000, true, '=> CHECK succeed on service <='],
  ]);
  const quiet = sim(TWO_CHECKERS.replace('notify_up', 'smtp_alert off\n notify_up'), overlap, 47_000);
  assert.deepEqual(mails(quiet), []);
});

test('inhibit_on_failure: a failed server stays with weight 0; alpha servers start with weight 0', () => {
  const s = sim(
    `real_server 192.0.2.1 80 {\n weight 2\n inhibit_on_failure\n ${TCP}\n }
    real_server 192.0.2.2 80 {\n weight 3\n ${TCP}\n }
    real_server 192.0.2.3 80 {\n inhibit_on_failure\n alpha\n ${TCP}\n }`,
    byTime({ 0: (t) => t < 10_000 || t >= 20_000 }),
    22_000,
  );
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [0, '+rs0=2'],
    [0, '+rs1=3'],
    [0, '+rs2=0'],
    [1000, '~rs2=1'],
    [11_000, '~rs0=0'],
    [21_000, '~rs0=2'],
  ]);
  assert.deepEqual(s.logsWith(' of VS'), [
    [1000, `Enabling service ${rsName(2)} of VS ${VS}`],
    [11_000, `Disabling service ${rsName(0)} of VS ${VS}`],
    [21_000, `Enabling service ${rsName(0)} of VS ${VS}`],
  ]);
});

test('shut-down: every destination and the service go; "(inhibited)" for inhibited failed servers; no notifies without omega', () => {
  const s = sim(
    `real_server 192.0.2.1 80 {\n inhibit_on_failure\n notify_down /bin/down\n ${TCP}\n }
    real_server 192.0.2.2 80 {\n notify_down /bin/down\n ${TCP}\n }\n quorum_down /bin/qdown`,
    byTime({ 0: (t) => t < 10_000 }),
    12_000,
  );
  s.send({ type: 'shutdown' });
  assert.deepEqual(
    s.logs().filter(([t]) => t === 12_000),
    [
      [12_000, `Shutting down (inhibited) service ${rsName(0)} from VS ${VS}`],
      [12_000, `Shutting down service ${rsName(1)} from VS ${VS}`],
    ],
  );
  assert.deepEqual(
    s.ipvsOps().filter(([t]) => t === 12_000),
    [
      [12_000, '-rs0'],
      [12_000, '-rs1'],
      [12_000, '-VS'],
    ],
  );
  assert.deepEqual(
    s.actions('notifyScript').filter(([t]) => t === 12_000),
    [],
  );
  assert.deepEqual(
    s.timeline.filter(({ t, a }) => t === 12_000 && (a.kind === 'fifoLine' || a.kind === 'smtpAlert')),
    [],
  );
  assert.equal(s.vs.pollTimeout(), undefined);
  assert.deepEqual(s.vs.handle({ type: 'timer' }, 20_000), []);
});

test('shut-down with omega: down notifies for the live servers and the virtual server, as stopping scripts', () => {
  const s = sim(
    `omega\n smtp_alert\n quorum_down /bin/qdown\n real_server 192.0.2.1 80 {\n notify_down /bin/down\n ${TCP}\n }`,
    () => ({ ok: true }),
    5000,
  );
  s.send({ type: 'shutdown' });
  const at = s.timeline.filter(({ t }) => t === 5000).map(({ a }) => a);
  assert.deepEqual(
    at.filter((a) => a.kind === 'notifyScript').map((a) => a.kind === 'notifyScript' && [a.which, a.stopping]),
    [
      ['notify_down', true],
      ['quorum_down', true],
    ],
  );
  assert.deepEqual(
    at.flatMap((a) => (a.kind === 'fifoLine' ? [a.line] : [])),
    [`RS ${rsName(0)} ${VS} DOWN\n`, `VS ${VS} DOWN\n`],
  );
  assert.deepEqual(
    at.flatMap((a) => (a.kind === 'smtpAlert' ? [[a.rs ?? 'vs', a.up, a.body]] : [])),
    [
      [rsName(0), false, '=> Shutting down <='],
      ['vs', false, '=> Shutting down <='],
    ],
  );
});

test("ha_suspend: checkers wait (no probes) until the virtual server's address is there", () => {
  const s = sim(`ha_suspend\n real_server 192.0.2.1 80 {\n ${TCP}\n }`, () => ({ ok: true }), 0);
  s.at(8000, () => s.send({ type: 'address', present: true })).at(13_000, () => s.send({ type: 'address', present: false }));
  s.runUntil(25_000);
  assert.deepEqual(s.probeTimes(), [11_000]);
  assert.deepEqual(s.logsWith('healthchecker'), [
    [0, `Deactivating healthchecker for service ${rsName(0)} for VS ${VS}`],
    [8000, `Activating healthchecker for service ${rsName(0)} for VS ${VS}`],
    [13_000, `Suspending healthchecker for service ${rsName(0)} for VS ${VS}`],
  ]);
});

test("FILE_CHECK: the file value times the weight adds to the server's weight; INT_MIN or below is a failure", () => {
  const body = `real_server 192.0.2.1 80 {\n FILE_CHECK {\n track_file f1\n weight 2\n }\n }`;
  const s = sim(body, () => ({ ok: true }), 0, { trackFiles: new Map([['f1', { weight: 1, reverse: false, status: 0 }]]) });
  s.at(5000, () => s.send({ type: 'trackFile', file: 'f1', status: 3 }))
    .at(10_000, () => s.send({ type: 'trackFile', file: 'f1', status: -1_073_741_824 }))
    .at(15_000, () => s.send({ type: 'trackFile', file: 'f1', status: 0 }))
    .runUntil(20_000);
  assert.deepEqual(s.ipvsOps().slice(2), [
    [5000, '~rs0=7'],
    [10_000, '-rs0'],
    [15_000, '+rs0=1'],
  ]);
  assert.deepEqual(
    s.timeline.filter(({ a }) => a.kind === 'log' && a.record.detail).map(({ t, a }) => a.kind === 'log' && [t, a.record.text]),
    [
      [10_000, `(${rsName(0)}): tracked file f1 now FAULT state`],
      [15_000, `(${rsName(0)}): tracked file f1 leaving FAULT state`],
    ],
  );
  const zero = sim(`real_server 192.0.2.1 80 {\n FILE_CHECK {\n track_file f1\n weight 0 reverse\n }\n }`, () => ({ ok: true }), 0, {
    trackFiles: new Map([['f1', { weight: 1, reverse: false, status: 0 }]]),
  });
  zero.at(1000, () => zero.send({ type: 'trackFile', file: 'f1', status: 1 })).runUntil(2000);
  assert.deepEqual(
    zero.ipvsOps(),
    [
      [0, '+VS'],
      [0, '+rs0=1'],
    ],
    'reverse weight 0: a start value of 0 is not taken as a fault (keepalived), leaving it is a no-op',
  );
  const down = sim(`real_server 192.0.2.1 80 {\n FILE_CHECK {\n track_file f1\n }\n }`, () => ({ ok: true }), 0, {
    trackFiles: new Map([['f1', { weight: 0, reverse: false, status: 5 }]]),
  });
  assert.deepEqual(down.ipvsOps(), [[0, '+VS']], 'weight 0 and a non-zero value at start: down from the start');
});

test("FIFO lines are notify/fifo.ts's", () => {
  assert.equal(rsFifoText('[192.0.2.1]:tcp:80', VS, true), rsFifoLine('[192.0.2.1]:tcp:80', VS, true));
  assert.equal(rsFifoText('[192.0.2.1]:tcp:80', VS, false), rsFifoLine('[192.0.2.1]:tcp:80', VS, false));
  assert.equal(vsFifoText(VS, true), vsFifoLine(VS, true));
  assert.equal(vsFifoText(VS, false), vsFifoLine(VS, false));
});
