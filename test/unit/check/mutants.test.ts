/**
 * Tests written for mutation-testing survivors of the check group (npm run mutate -- check): a result for a probe
 * that is no longer awaited (probe 0, a superseded probe), a MISC_CHECK's misc_dynamic weight through the checker
 * (keepalived check_misc.c: weight = status - 2, relative to the configured weight), and the quorum notifies'
 * guards (ipwrapper.c do_vs_notifies: the SNMP notification always, the script for the new state, mail texts, nothing
 * else when stopping without omega).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckerFsm } from '../../../src/check/checker-fsm.js';
import type { CheckAction, LaunchedCheck } from '../../../src/check/actions.js';
import { doVsNotifies } from '../../../src/check/quorum.js';
import { VirtualServerCheck } from '../../../src/check/virtual-server.js';
import { seededRng } from '../../../src/core/rng.js';
import { byTime, CheckSim, virtualServers } from '../../sim/check/harness.js';

const VS = '[192.0.2.10]:tcp:80';
const RS = '[192.0.2.1]:tcp:80';

function checker(body: string, weight = 1): CheckerFsm {
  const vs = virtualServers(
    `virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n real_server 192.0.2.1 80 {\n weight ${weight}\n ${body}\n }\n}`,
  )[0]!;
  const c = new CheckerFsm(vs.realServers[0]!.checkers[0] as LaunchedCheck, { rs: 0, checker: 0 }, { rsName: RS, vsName: VS, iweight: weight });
  c.start(0, seededRng(1));
  return c;
}

const kinds = (as: readonly CheckAction[]): string[] => as.map((a) => a.kind);

test('a result for probe 0 or for a superseded probe is ignored; the awaited one still counts', () => {
  const c = checker('TCP_CHECK {\n warmup 0\n retry 0\n }');
  assert.deepEqual(c.handle({ type: 'probeResult', probe: 0, ok: false }, 500), [], 'nothing is awaited before the first run');
  assert.deepEqual(c.handle({ type: 'timeout', probe: 0 }, 500), []);
  assert.equal(c.state.hasRun, false);
  assert.equal(c.pollTimeout(), 1000, 'the first run is not moved');
  c.handle({ type: 'timer' }, 1000); // probe 1
  assert.deepEqual(kinds(c.handle({ type: 'timeout', probe: 1 }, 1100)), ['log', 'checkerDown']);
  assert.equal(c.pollTimeout(), 6100);
  c.handle({ type: 'timer' }, 6100); // probe 2
  assert.equal(c.pendingProbe, 2);
  assert.deepEqual(c.handle({ type: 'probeResult', probe: 1, ok: true }, 6150), [], "probe 1's late result");
  assert.equal(c.state.isUp, false);
  assert.equal(c.pendingProbe, 2, 'still awaiting probe 2');
  assert.deepEqual(kinds(c.handle({ type: 'probeResult', probe: 2, ok: true }, 6200)), ['log', 'checkerUp']);
  c.stop();
  assert.deepEqual(c.handle({ type: 'probeResult', probe: 0, ok: false }, 7000), [], 'after stop() nothing is awaited');
  assert.equal(c.state.isUp, true);
});

test('misc_dynamic: exit status 2…255 sets the weight to status - 2 (one checkerWeight action per change); 0 restores it; a failure resets it unannounced', () => {
  const c = checker('MISC_CHECK {\n misc_path /bin/chk\n misc_dynamic\n warmup 0\n retry 0\n }', 3);
  const weightOf = (as: readonly CheckAction[]) => as.flatMap((a) => (a.kind === 'checkerWeight' ? [[a.delta, a.announce]] : []));
  const exit = (status: number): CheckAction[] => {
    const due = c.pollTimeout()!;
    c.handle({ type: 'timer' }, due);
    return c.handle({ type: 'probeResult', probe: c.pendingProbe, ok: status === 0, exitStatus: status }, due + 10);
  };
  assert.deepEqual(weightOf(exit(9)), [[4, true]], 'weight 3 → 7: delta 9 - 2 - 3');
  assert.equal(c.state.curWeight, 4);
  assert.equal(c.state.isUp, true);
  assert.deepEqual(weightOf(exit(9)), [], 'the same status again changes nothing');
  assert.deepEqual(weightOf(exit(5)), [[-4, true]], '5 - 2 = 3: back to the configured weight');
  assert.equal(c.state.curWeight, 0);
  assert.equal(c.state.lastExitCode, 5);
  assert.deepEqual(weightOf(exit(2)), [[-3, true]], 'status 2: weight 0');
  assert.deepEqual(weightOf(exit(0)), [[3, true]], 'exit 0: the configured weight again');
  assert.deepEqual(weightOf(exit(12)), [[7, true]]);
  const down = exit(1);
  assert.deepEqual(weightOf(down), [[-7, false]], 'a failure takes the dynamic part back without announcing it');
  assert.ok(kinds(down).includes('checkerDown'));
  assert.equal(c.state.curWeight, 0);
});

test('misc_dynamic through the virtual server: the real server weight follows the status (SET_DEST)', () => {
  const [cfg] = virtualServers(
    `virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n real_server 192.0.2.1 80 {\n weight 3\n MISC_CHECK {\n misc_path /bin/chk\n misc_dynamic\n warmup 0\n }\n }\n}`,
  );
  const vs = new VirtualServerCheck(cfg!, { rng: seededRng(1) });
  vs.start(0);
  vs.handle({ type: 'timer' }, 1000);
  const out = vs.handle({ type: 'checker', rs: 0, checker: 0, event: { type: 'probeResult', probe: 1, ok: true, exitStatus: 10 } }, 1001);
  assert.deepEqual(
    out.flatMap((a) => (a.kind === 'setWeight' ? [a.weight] : [])),
    [8],
  );
  assert.equal(vs.realServers[0]!.effectiveWeight, 8);
});

test('quorum notifies: SNMP notification, the script of the new state, mail texts for start, gain and loss; only the notification when stopping without omega', () => {
  const text = (omega: boolean, mail: boolean) =>
    `virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n quorum 2\n hysteresis 1\n ${omega ? 'omega' : ''}\n ${mail ? 'smtp_alert' : ''}
    quorum_up /bin/up\n quorum_down /bin/down\n real_server 192.0.2.1 80 {\n weight 3\n TCP_CHECK {\n warmup 0\n }\n }\n}`;
  /** doVsNotifies(up, init, threshold, weightSum, stopping) on `vs`, and what it emitted. */
  const notifies = (vs: VirtualServerCheck, up: boolean, ...args: [boolean, number, number, boolean]): string[] => {
    vs.out = [];
    vs.quorumStateUp = up;
    doVsNotifies(vs, ...args);
    return vs.out.map((a) =>
      a.kind === 'notifyScript'
        ? `${a.which} ${a.script.command} ${a.stopping}`
        : a.kind === 'smtpAlert'
          ? `mail ${a.up} ${a.body}`
          : a.kind === 'fifoLine'
            ? a.line
            : a.kind === 'snmpTrap'
              ? `trap ${a.quorumUp} ${a.stopping} ${a.realUp}/${a.realTotal}`
              : a.kind,
    );
  };
  const vs = new VirtualServerCheck(virtualServers(text(false, true))[0]!, { rng: seededRng(1) });
  const up = ['trap true false 0/1', 'quorum_up /bin/up false', `VS ${VS} UP\n`];
  const down = ['trap false false 0/1', 'quorum_down /bin/down false', `VS ${VS} DOWN\n`];
  assert.deepEqual(notifies(vs, true, true, 1, 3, false), [...up, 'mail true => Starting with quorum up 2+1=1 <= 3 <=']);
  assert.deepEqual(notifies(vs, true, false, 3, 3, false), [...up, 'mail true => Gained quorum 2+1=3 <= 3 <=']);
  assert.deepEqual(notifies(vs, false, false, 1, 0, false), [...down, 'mail false => Lost quorum 2+1=1 <= 0 <=']);
  assert.deepEqual(notifies(vs, false, true, 3, 0, false), [...down, 'mail false => Starting with quorum down 2+1=3 <= 0 <=']);
  assert.deepEqual(notifies(vs, false, false, 1, 0, true), ['trap false true 0/1'], 'stopping without omega: the SNMP notification only');
  const omega = new VirtualServerCheck(virtualServers(text(true, true))[0]!, { rng: seededRng(1) });
  assert.deepEqual(
    notifies(omega, false, false, 1, 0, true),
    ['trap false true 0/1', 'quorum_down /bin/down true', `VS ${VS} DOWN\n`, 'mail false => Shutting down <='],
    'omega: all three, stopping',
  );
});

/** One virtual server (delay_loop 5) with `n` TCP_CHECK real servers (retry 0, no warmup) run on a virtual clock. */
function quorumSim(n: number, vsExtra: string, up: (rs: number, t: number) => boolean, until: number, rsExtra = ''): CheckSim {
  const servers = Array.from(
    { length: n },
    (_, i) => `real_server 192.0.2.${i + 1} 80 {\n ${rsExtra}\n TCP_CHECK {\n retry 0\n warmup 0\n }\n }`,
  ).join('\n');
  const text = `virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n ${vsExtra}\n ${servers}\n}`;
  const rules = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), (t: number) => up(i, t)]));
  return new CheckSim(virtualServers(text)[0]!, { script: byTime(rules), seed: 1 }).start().runUntil(until);
}

test('the sorry server stands in again at the second quorum loss (ipwrapper.c clears its alive flag when it is taken out)', () => {
  const s = quorumSim(1, 'sorry_server 192.0.2.99 80', (_, t) => t < 10_000 || (t >= 20_000 && t < 30_000), 32_000);
  assert.deepEqual(
    s.ipvsOps().filter(([, op]) => op.includes('sorry')),
    [
      [11_000, '+sorry=1'],
      [21_000, '-sorry'],
      [31_000, '+sorry=1'],
    ],
  );
  assert.equal(s.vs.sorry?.alive, true);
});

test('no quorum_up/quorum_down script, no smtp_alert: quorum changes emit only the FIFO line (no script action, no mail)', () => {
  const s = quorumSim(1, '', (_, t) => t < 10_000 || t >= 20_000, 22_000);
  assert.deepEqual(
    s.logsWith('quorum').map(([t]) => t),
    [0, 11_000, 21_000],
  );
  assert.deepEqual(s.actions('notifyScript'), []);
  assert.deepEqual(
    s.actions('smtpAlert').filter(([, a]) => a.rs === undefined),
    [],
    "no quorum mail (the real servers' mails are decided elsewhere)",
  );
  assert.deepEqual(
    s
      .actions('fifoLine')
      .map(([t, a]) => [t, a.line.trimEnd()])
      .filter(([, l]) => String(l).startsWith('VS')),
    [
      [0, `VS ${VS} UP`],
      [11_000, `VS ${VS} DOWN`],
      [21_000, `VS ${VS} UP`],
    ],
  );
});

test('a timer event while a probe is outstanding starts nothing (no deadline is armed until the probe ends)', () => {
  const c = checker('TCP_CHECK {\n warmup 0\n retry 0\n }');
  assert.deepEqual(kinds(c.handle({ type: 'timer' }, 1000)), ['runProbe']);
  assert.equal(c.pollTimeout(), undefined);
  assert.deepEqual(c.handle({ type: 'timer' }, 1001), [], 'a second timer while probe 1 runs');
  assert.deepEqual(c.handle({ type: 'timer' }, 9000), []);
  assert.equal(c.pendingProbe, 1);
  assert.deepEqual(kinds(c.handle({ type: 'probeResult', probe: 1, ok: true }, 9100)), ['log', 'checkerUp']);
});

test("a timeout's detail reaches the checker's log line (SMTP_CHECK), the default text only without one", () => {
  const c = checker('SMTP_CHECK {\n warmup 0\n retry 0\n }');
  c.handle({ type: 'timer' }, 1000);
  const texts = (as: readonly CheckAction[]) => as.flatMap((a) => (a.kind === 'log' ? [a.record.text] : []));
  assert.deepEqual(texts(c.handle({ type: 'timeout', probe: 1, detail: 'Timeout reading data to server [192.0.2.1]:80' }, 1100)), [
    'SMTP_CHECK Timeout reading data to server [192.0.2.1]:80',
  ]);
});

test('quorum: a change that keeps it (sorry server configured) logs nothing and leaves the sorry server out', () => {
  const s = quorumSim(2, 'sorry_server 192.0.2.99 80', (rs, t) => rs === 0 || t < 10_000, 22_000);
  assert.deepEqual(s.logsWith('quorum'), [[0, `Gained quorum 1+0=1 <= 2 for VS ${VS}`]]);
  assert.deepEqual(s.logsWith('sorry'), []);
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [0, '+rs0=1'],
    [0, '+rs1=1'],
    [11_000, '-rs1'],
  ]);
  assert.equal(s.vs.quorumStateUp, true);
});

test('quorum not met at start without a sorry server: no `Starting with quorum down`, no notify (ipwrapper.c: only with a sorry server)', () => {
  const s = quorumSim(1, 'quorum_down /bin/down\n smtp_alert', () => false, 7000, 'alpha');
  assert.deepEqual(s.logsWith('quorum'), []);
  assert.deepEqual(s.actions('notifyScript'), []);
  assert.deepEqual(
    s.actions('fifoLine').filter(([, a]) => a.line.startsWith('VS')),
    [],
  );
  assert.equal(s.vs.quorumStateUp, false);
  const withSorry = quorumSim(1, 'quorum_down /bin/down\n sorry_server 192.0.2.99 80', () => false, 7000, 'alpha');
  assert.deepEqual(withSorry.logsWith('quorum'), [[0, `Starting with quorum down 1-0=1 > 0 for VS ${VS}`]]);
  assert.deepEqual(
    withSorry.actions('notifyScript').map(([t, a]) => [t, a.which]),
    [[0, 'quorum_down']],
  );
});
