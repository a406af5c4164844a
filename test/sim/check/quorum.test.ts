/**
 * Virtual server quorum, hysteresis and the sorry server, against keepalived 2.2.7's ipwrapper.c: log texts,
 * IPVS operations, quorum_up/quorum_down scripts, `VS …` FIFO lines and quorum mails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byTime, CheckSim, virtualServers, type ProbeScript } from './harness.js';

const VS = '[192.0.2.10]:tcp:80';
const rsName = (i: number): string => `[192.0.2.${i + 1}]:tcp:80`;

/** A virtual server with `n` real servers (TCP_CHECK, retry 0, no warmup); `vsExtra`/`rsExtra` are added lines. */
function conf(n: number, vsExtra: string, rsExtra: (i: number) => string = () => ''): string {
  const servers = Array.from(
    { length: n },
    (_, i) => `real_server 192.0.2.${i + 1} 80 {
      ${rsExtra(i)}
      TCP_CHECK {
        retry 0
        warmup 0
      }
    }`,
  ).join('\n');
  return `virtual_server 192.0.2.10 80 {\n delay_loop 5\n lb_algo rr\n protocol TCP\n ${vsExtra}\n ${servers}\n}`;
}

function sim(text: string, script: ProbeScript, until: number): CheckSim {
  return new CheckSim(virtualServers(text)[0]!, { script, seed: 1 }).start().runUntil(until);
}

const fifo = (s: CheckSim): [number, string][] => s.actions('fifoLine').map(([t, a]) => [t, a.line.trimEnd()]);

test('quorum with hysteresis: gained at quorum + hysteresis, kept down to quorum - hysteresis, lost at 0', () => {
  const s = sim(
    conf(3, 'quorum 2\n hysteresis 1\n smtp_alert\n quorum_up "/bin/qup arg"\n quorum_down /bin/qdown'),
    byTime({ 0: (t) => t < 10_000 || t >= 40_000, 1: (t) => t < 20_000 || t >= 50_000, 2: (t) => t < 30_000 || t >= 60_000 }),
    62_000,
  );
  assert.deepEqual(s.logsWith('quorum'), [
    [0, `Gained quorum 2+1=3 <= 3 for VS ${VS}`],
    [31_000, `Lost quorum 2-1=1 > 0 for VS ${VS}`],
    [61_000, `Gained quorum 2+1=3 <= 3 for VS ${VS}`],
  ]);
  assert.deepEqual(
    s.actions('notifyScript').map(([t, a]) => [t, a.which, a.script.command, a.owner]),
    [
      [0, 'quorum_up', '/bin/qup arg', `vs:${VS}`],
      [31_000, 'quorum_down', '/bin/qdown', `vs:${VS}`],
      [61_000, 'quorum_up', '/bin/qup arg', `vs:${VS}`],
    ],
  );
  assert.deepEqual(
    s
      .actions('smtpAlert')
      .filter(([, a]) => a.rs === undefined)
      .map(([t, a]) => [t, a.up, a.body]),
    [
      [0, true, '=> Starting with quorum up 2+1=3 <= 3 <='],
      [31_000, false, '=> Lost quorum 2+1=1 <= 0 <='],
      [61_000, true, '=> Gained quorum 2+1=3 <= 3 <='],
    ],
  );
  assert.deepEqual(
    fifo(s).filter(([, l]) => l.startsWith('VS')),
    [
      [0, `VS ${VS} UP`],
      [31_000, `VS ${VS} DOWN`],
      [61_000, `VS ${VS} UP`],
    ],
  );
  assert.deepEqual(s.ipvsOps().slice(4), [
    [11_000, '-rs0'],
    [21_000, '-rs1'],
    [31_000, '-rs2'],
    [41_000, '+rs0=1'],
    [51_000, '+rs1=1'],
    [61_000, '+rs2=1'],
  ]);
});

test('weights count, not servers: losing the heavy server loses the quorum', () => {
  const s = sim(
    conf(2, 'quorum 3', (i) => `weight ${i === 0 ? 3 : 1}`),
    byTime({ 0: (t) => t < 10_000 }),
    12_000,
  );
  assert.deepEqual(s.logsWith('quorum'), [
    [0, `Gained quorum 3+0=3 <= 4 for VS ${VS}`],
    [11_000, `Lost quorum 3-0=3 > 1 for VS ${VS}`],
  ]);
  assert.equal(s.vs.quorumStateUp, false);
});

test('sorry server: in when the quorum is lost (instead of the live servers), out when it is back', () => {
  const s = sim(conf(1, 'sorry_server 192.0.2.99 80\n smtp_alert'), byTime({ 0: (t) => t < 10_000 || t >= 20_000 }), 22_000);
  assert.deepEqual(
    s.logs().filter(([t]) => t > 1000),
    [
      [11_000, `TCP_CHECK on service ${rsName(0)} failed.`],
      [11_000, `Removing service ${rsName(0)} from VS ${VS}`],
      [11_000, `Lost quorum 1-0=1 > 0 for VS ${VS}`],
      [11_000, `Adding sorry server [192.0.2.99]:tcp:80 to VS ${VS}`],
      [11_000, `Removing alive servers from the pool for VS ${VS}`],
      [21_000, `TCP connection to ${rsName(0)} success.`],
      [21_000, `Adding service ${rsName(0)} to VS ${VS}`],
      [21_000, `Gained quorum 1+0=1 <= 1 for VS ${VS}`],
      [21_000, `Removing sorry server [192.0.2.99]:tcp:80 from VS ${VS}`],
      [21_000, `Adding alive servers to the pool for VS ${VS}`],
    ],
  );
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [0, '+rs0=1'],
    [11_000, '-rs0'],
    [11_000, '+sorry=1'],
    [21_000, '-sorry'],
    [21_000, '+rs0=1'],
  ]);
  assert.deepEqual(fifo(s), [
    [0, `VS ${VS} UP`],
    [11_000, `RS ${rsName(0)} ${VS} DOWN`],
    [11_000, `VS ${VS} DOWN`],
    [21_000, `RS ${rsName(0)} ${VS} UP`],
    [21_000, `VS ${VS} UP`],
  ]);
});

test('sorry server: servers changing while it stands in stay out of IPVS until the quorum is back', () => {
  const s = sim(
    conf(2, 'quorum 2\n sorry_server 192.0.2.99 80'),
    byTime({ 0: (t) => t < 10_000 || t >= 30_000, 1: (t) => t < 20_000 || t >= 25_000 }),
    32_000,
  );
  assert.deepEqual(s.ipvsOps().slice(3), [
    [11_000, '-rs0'],
    [11_000, '-rs1'],
    [11_000, '+sorry=1'], // quorum lost: rs1, still alive, goes too
    [31_000, '-sorry'],
    [31_000, '+rs0=1'],
    [31_000, '+rs1=1'],
  ]);
  assert.deepEqual(
    s.logsWith('ing service').filter(([t]) => t > 11_000),
    [
      [21_000, `Removing service ${rsName(1)} from VS ${VS}`],
      [26_000, `Adding service ${rsName(1)} to VS ${VS}`],
      [31_000, `Adding service ${rsName(0)} to VS ${VS}`],
    ],
  );
});

test('sorry server with sorry_server_inhibit and alpha servers: starts in, then weight 0 instead of removal', () => {
  const s = sim(
    conf(1, 'sorry_server 192.0.2.99 80\n sorry_server_inhibit', () => 'alpha'),
    () => ({ ok: true }),
    2000,
  );
  assert.deepEqual(
    s.logs().filter(([, x]) => !x.startsWith('Activating')),
    [
      [0, `Starting with quorum down 1-0=1 > 0 for VS ${VS}`],
      [0, `Enabling sorry server [192.0.2.99]:tcp:80 to VS ${VS}`],
      [0, `Removing alive servers from the pool for VS ${VS}`],
      [1000, `TCP connection to ${rsName(0)} success.`],
      [1000, `Adding service ${rsName(0)} to VS ${VS}`],
      [1000, `Gained quorum 1+0=1 <= 1 for VS ${VS}`],
      [1000, `Disabling sorry server [192.0.2.99]:tcp:80 from VS ${VS}`],
      [1000, `Adding alive servers to the pool for VS ${VS}`],
    ],
  );
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [0, '+sorry=1'],
    [1000, '~sorry=0'],
    [1000, '+rs0=1'],
  ]);
});

test('an inhibited sorry server is put in with weight 0 when the quorum is up at start', () => {
  const s = sim(conf(1, 'sorry_server 192.0.2.99 80\n sorry_server_inhibit'), () => ({ ok: true }), 0);
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [0, '+rs0=1'],
    [0, '+sorry=0'],
  ]);
});
