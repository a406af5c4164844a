/**
 * The checker core's SNMP weight event (keepalived 2.2.7 check_snmp_realserver_weight → update_svr_wgt(weight, vs,
 * rs, true)) and what follows it: the IPVS edit only while the server is in the pool, the quorum re-weighed (a
 * sorry server going out or in), the weight kept through checker transitions and moved by misc_dynamic's delta,
 * and a reload of an unchanged virtual server putting the configured weight back (set_effective_weights,
 * init_service_rs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckAction } from '../../../src/check/actions.js';
import { VirtualServerCheck } from '../../../src/check/virtual-server.js';
import { seededRng } from '../../../src/core/rng.js';
import { virtualServers } from '../../sim/check/harness.js';

const VS = '[192.0.2.10]:tcp:80';

/** What the actions do to IPVS and the log, in order. */
function effects(as: readonly CheckAction[]): string[] {
  return as.flatMap((a) => {
    if (a.kind === 'setWeight') return [`edit ${a.name} ${a.weight}`];
    if (a.kind === 'addRealServer') return [`add ${a.name} ${a.weight}`];
    if (a.kind === 'removeRealServer') return [`del ${a.name}`];
    if (a.kind === 'log') return [a.record.text];
    return [];
  });
}

function start(conf: string): VirtualServerCheck {
  const vs = new VirtualServerCheck(virtualServers(conf)[0]!, { rng: seededRng(1) });
  vs.start(0);
  return vs;
}

/** Runs the due checkers at `t` and answers every probe with `ok(rs)`. */
function probeAll(vs: VirtualServerCheck, t: number, ok: (rs: number) => boolean): CheckAction[] {
  const out: CheckAction[] = [];
  for (const a of vs.handle({ type: 'timer' }, t)) {
    out.push(a);
    if (a.kind === 'runProbe') {
      out.push(...vs.handle({ type: 'checker', rs: a.rs, checker: a.checker, event: { type: 'probeResult', probe: a.probe, ok: ok(a.rs) } }, t + 1));
    }
  }
  return out;
}

const TCP = 'TCP_CHECK {\n warmup 0\n retry 0\n }';

test('setWeight on a live server: logged as update_svr_wgt, edited in IPVS, kept as the effective weight', () => {
  const vs = start(`virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n real_server 192.0.2.1 80 {\n weight 2\n ${TCP}\n }\n}`);
  const out = vs.handle({ type: 'setWeight', rs: 0, weight: 9 }, 100);
  assert.deepEqual(effects(out), [`Changing weight from 2 to 9 for active service [192.0.2.1]:tcp:80 of VS ${VS}`, 'edit [192.0.2.1]:tcp:80 9']);
  assert.equal(vs.realServers[0]!.effectiveWeight, 9);
  assert.deepEqual(effects(vs.handle({ type: 'setWeight', rs: 0, weight: 9 }, 200)), [], 'the same weight again: nothing');
  assert.deepEqual(effects(vs.handle({ type: 'setWeight', rs: 7, weight: 3 }, 300)), [], 'no such real server: nothing');
  assert.deepEqual(effects(vs.handle({ type: 'setWeight', rs: 0, weight: 0 }, 400)), [
    `Changing weight from 9 to 0 for active service [192.0.2.1]:tcp:80 of VS ${VS}`,
    'edit [192.0.2.1]:tcp:80 0',
    // the default quorum 1 and no live weight left (keepalived: `!weight_sum`)
    `Lost quorum 1-0=1 > 0 for VS ${VS}`,
  ]);
});

test('setWeight on a failed server: no IPVS edit; it comes back up with the new weight, and keeps it through a failure', () => {
  const vs = start(`virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n real_server 192.0.2.1 80 {\n weight 2\n ${TCP}\n }\n}`);
  probeAll(vs, 1000, () => false);
  assert.equal(vs.realServers[0]!.alive, false);
  assert.deepEqual(effects(vs.handle({ type: 'setWeight', rs: 0, weight: 6 }, 2000)), [
    `Changing weight from 2 to 6 for inactive service [192.0.2.1]:tcp:80 of VS ${VS}`,
  ]);
  const up = effects(probeAll(vs, 6001, () => true));
  assert.ok(up.includes('add [192.0.2.1]:tcp:80 6'), up.join('\n'));
  const down = effects(probeAll(vs, 11002, () => false));
  assert.ok(down.includes('del [192.0.2.1]:tcp:80'), down.join('\n'));
  const again = effects(probeAll(vs, 16003, () => true));
  assert.ok(again.includes('add [192.0.2.1]:tcp:80 6'), `still 6 after down and up: ${again.join('\n')}`);
});

test('setWeight re-weighs the quorum: the sorry server comes in when the weights fall below it, and goes out when they reach it', () => {
  const vs = start(`virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n quorum 4\n sorry_server 192.0.2.9 80
 real_server 192.0.2.1 80 {\n weight 2\n ${TCP}\n }\n real_server 192.0.2.2 80 {\n weight 2\n ${TCP}\n }\n}`);
  assert.equal(vs.quorumStateUp, true, 'live weight 4 meets quorum 4 at start');
  assert.deepEqual(effects(vs.handle({ type: 'setWeight', rs: 1, weight: 1 }, 100)), [
    `Changing weight from 2 to 1 for active service [192.0.2.2]:tcp:80 of VS ${VS}`,
    'edit [192.0.2.2]:tcp:80 1',
    `Lost quorum 4-0=4 > 3 for VS ${VS}`,
    `Adding sorry server [192.0.2.9]:tcp:80 to VS ${VS}`,
    `Removing alive servers from the pool for VS ${VS}`,
    'del [192.0.2.1]:tcp:80',
    'del [192.0.2.2]:tcp:80',
    'add [192.0.2.9]:tcp:80 1',
  ]);
  assert.equal(vs.quorumStateUp, false);
  // quorum down: the servers are out of the pool, so the change is only remembered
  assert.deepEqual(effects(vs.handle({ type: 'setWeight', rs: 1, weight: 0 }, 150)), [
    `Changing weight from 1 to 0 for active service [192.0.2.2]:tcp:80 of VS ${VS}`,
  ]);
  assert.deepEqual(effects(vs.handle({ type: 'setWeight', rs: 0, weight: 4 }, 200)), [
    `Changing weight from 2 to 4 for active service [192.0.2.1]:tcp:80 of VS ${VS}`,
    `Gained quorum 4+0=4 <= 4 for VS ${VS}`,
    `Removing sorry server [192.0.2.9]:tcp:80 from VS ${VS}`,
    'del [192.0.2.9]:tcp:80',
    `Adding alive servers to the pool for VS ${VS}`,
    'add [192.0.2.1]:tcp:80 4',
    'add [192.0.2.2]:tcp:80 0',
  ]);
  assert.equal(vs.quorumStateUp, true);
  assert.equal(vs.sorry?.alive, false);
});

test('misc_dynamic after a SET moves the SET weight by its delta (keepalived: relative to the effective weight)', () => {
  const vs = start(
    `virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n real_server 192.0.2.1 80 {\n weight 3\n MISC_CHECK {\n misc_path /bin/chk\n misc_dynamic\n warmup 0\n }\n }\n}`,
  );
  vs.handle({ type: 'setWeight', rs: 0, weight: 10 }, 100);
  vs.handle({ type: 'timer' }, 1000);
  const out = vs.handle({ type: 'checker', rs: 0, checker: 0, event: { type: 'probeResult', probe: 1, ok: true, exitStatus: 7 } }, 1001);
  // exit 7: the checker's part is 7 - 2 - 3 = 2, so 10 + 2
  assert.deepEqual(
    out.flatMap((a) => (a.kind === 'setWeight' ? [a.weight] : [])),
    [12],
  );
});

test('reloaded: the configured weight (plus the checkers parts) comes back, announced and edited, the quorum re-weighed', () => {
  const vs = start(`virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n quorum 2\n sorry_server 192.0.2.9 80
 real_server 192.0.2.1 80 {\n weight 2\n ${TCP}\n }\n real_server 192.0.2.2 80 {\n weight 1\n ${TCP}\n }\n}`);
  assert.equal(vs.quorumStateUp, true);
  assert.deepEqual(effects(vs.handle({ type: 'reloaded' }, 50)), [], 'nothing set: a reload changes nothing');
  vs.handle({ type: 'setWeight', rs: 0, weight: 0 }, 100);
  vs.handle({ type: 'setWeight', rs: 1, weight: 0 }, 100);
  assert.equal(vs.quorumStateUp, false, 'weights 0: quorum lost, sorry server in');
  assert.equal(vs.sorry?.alive, true);
  const out = effects(vs.handle({ type: 'reloaded' }, 200));
  assert.deepEqual(out.slice(0, 2), [
    `Changing weight from 0 to 2 for active service [192.0.2.1]:tcp:80 of VS ${VS}`,
    `Changing weight from 0 to 1 for active service [192.0.2.2]:tcp:80 of VS ${VS}`,
  ]);
  assert.ok(out.includes(`Gained quorum 2+0=2 <= 3 for VS ${VS}`), out.join('\n'));
  assert.ok(out.includes('del [192.0.2.9]:tcp:80'), out.join('\n'));
  assert.ok(out.includes('add [192.0.2.1]:tcp:80 2') && out.includes('add [192.0.2.2]:tcp:80 1'), out.join('\n'));
  assert.deepEqual(
    vs.realServers.map((r) => r.effectiveWeight),
    [2, 1],
  );
  assert.equal(vs.quorumStateUp, true);
});
