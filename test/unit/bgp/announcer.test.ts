import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Announcer } from '../../../src/bgp/announcer.js';
import { conditionHolds, wantedRoutes, type AnnouncedRoute, type PlanEntry } from '../../../src/bgp/plan.js';

const route: AnnouncedRoute = { prefix: '192.0.2.100/32', address: '192.0.2.100', family: 4, communities: [] };
const wanted = (on: boolean) => new Map(on ? [[route.prefix, route]] : []);
const kinds = (a: ReturnType<Announcer['update']>) => a.map((x) => `${x.kind}${x.kind === 'announce' && x.gracefulShutdown ? '+gshut' : ''}`);

test('announcer without graceful shutdown: announce once, withdraw at once', () => {
  const a = new Announcer(0);
  assert.deepEqual(kinds(a.update(wanted(true), 0)), ['announce']);
  assert.deepEqual(kinds(a.update(wanted(true), 10)), [], 'no repeat');
  assert.deepEqual(kinds(a.update(wanted(false), 20)), ['withdraw']);
  assert.equal(a.nextDeadline(), undefined);
  assert.deepEqual(a.routes(), []);
});

test('announcer with graceful shutdown: GRACEFUL_SHUTDOWN re-announce, withdrawal after the delay, cancelled when wanted again', () => {
  const a = new Announcer(3000);
  a.update(wanted(true), 0);
  assert.deepEqual(kinds(a.update(wanted(false), 1000)), ['announce+gshut']);
  assert.equal(a.nextDeadline(), 4000);
  assert.deepEqual(a.routes(), [{ route, state: 'draining' }]);
  assert.deepEqual(kinds(a.tick(3999)), [], 'not before the delay');
  assert.deepEqual(kinds(a.replay()), ['announce+gshut'], 'a restarted engine gets the draining route as it was');
  assert.deepEqual(kinds(a.tick(4000)), ['withdraw']);
  assert.deepEqual(a.routes(), []);
  // wanted again while draining: plain announce, no withdrawal later
  a.update(wanted(true), 5000);
  a.stop(6000);
  assert.deepEqual(kinds(a.update(wanted(true), 7000)), ['announce']);
  assert.equal(a.nextDeadline(), undefined);
  assert.deepEqual(kinds(a.tick(100_000)), []);
});

test('plan conditions: master, quorum (every virtual server on the VIP), master_quorum', () => {
  const e = (when: PlanEntry['when'], vss: string[]): PlanEntry => ({ route, instance: 'VI_1', when, virtualServers: vss });
  const f = (state: string, q: [string, boolean][]) => ({ instances: new Map([['VI_1', state]]), quorum: new Map(q) });
  assert.equal(conditionHolds(e('master', []), f('MASTER', [])), true);
  assert.equal(conditionHolds(e('master', []), f('BACKUP', [])), false);
  assert.equal(
    conditionHolds(
      e('quorum', ['a', 'b']),
      f('BACKUP', [
        ['a', true],
        ['b', true],
      ]),
    ),
    true,
  );
  assert.equal(
    conditionHolds(
      e('quorum', ['a', 'b']),
      f('MASTER', [
        ['a', true],
        ['b', false],
      ]),
    ),
    false,
  );
  assert.equal(conditionHolds(e('quorum', []), f('MASTER', [])), false, 'no virtual server: never');
  assert.equal(conditionHolds(e('master_quorum', ['a']), f('MASTER', [['a', true]])), true);
  assert.equal(conditionHolds(e('master_quorum', ['a']), f('FAULT', [['a', true]])), false);
  assert.deepEqual([...wantedRoutes([e('master', [])], f('MASTER', [])).keys()], ['192.0.2.100/32']);
});
