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
import { virtualServers } from '../../sim/check/harness.js';

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
