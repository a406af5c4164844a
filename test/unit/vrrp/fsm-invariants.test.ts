/**
 * Random event sequences (seeded) against one FSM: it never throws, VIPs are held exactly while MASTER,
 * a MASTER or BACKUP always has a timer armed, FAULT and STOP have none, and every state change is
 * reported by exactly one stateChanged action whose `from` is the previous state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng, randomInt, type Rng } from '../../../src/core/rng.js';
import type { VrrpEvent } from '../../../src/vrrp/fsm.js';
import { VrrpState } from '../../../src/vrrp/types.js';
import { advert, fsm } from './fsm-helpers.js';

function randomEvent(rng: Rng): VrrpEvent {
  const r = rng.next();
  if (r < 0.45) {
    const prio = [0, 1, 50, 100, 150, 200, 254, 255][randomInt(rng, 0, 7)]!;
    return {
      type: 'advert',
      advert: advert(prio, { version: 3, advertIntervalCs: randomInt(rng, 1, 300) }),
      source: `192.0.2.${randomInt(rng, 0, 3)}`,
    };
  }
  if (r < 0.75) return { type: 'timeout' };
  if (r < 0.85) return { type: 'tracker', result: { kind: 'script', name: rng.next() < 0.5 ? 'w' : 'f', ok: rng.next() < 0.5 } };
  if (r < 0.95) return { type: 'interface', up: rng.next() < 0.6 };
  return { type: 'shutdown' };
}

test('FSM invariants hold over 500 random event sequences', () => {
  for (let seed = 1; seed <= 500; seed++) {
    const rng = seededRng(seed);
    const f = fsm({
      version: 3,
      priority: [100, 150, 255][seed % 3]!,
      advertIntervalMs: 1000,
      preemptDelayMs: seed % 4 === 0 ? 1500 : 0,
      nopreempt: seed % 5 === 0,
      trackers: [
        { kind: 'script', name: 'w', weight: -60, reverse: false },
        { kind: 'script', name: 'f', weight: 0, reverse: false },
      ],
    });
    let holding = false;
    let state: number = f.state;
    let now = 0;
    const events: VrrpEvent[] = [{ type: 'startup' }];
    for (let i = 0; i < 200; i++) events.push(randomEvent(rng));
    for (const ev of events) {
      const deadline = f.pollTimeout();
      now = ev.type === 'timeout' && deadline !== undefined ? Math.max(now, deadline) : now + rng.next() * 800;
      const out = f.handle(ev, now);
      for (const a of out) {
        if (a.kind === 'addVips') {
          assert.equal(holding, false, `seed ${seed}: VIPs added twice`);
          holding = true;
        }
        if (a.kind === 'removeVips' && state !== VrrpState.INIT) {
          assert.equal(holding, true, `seed ${seed}: VIPs removed twice`);
          holding = false;
        }
        if (a.kind === 'stateChanged') {
          assert.equal(a.transition.from, state, `seed ${seed}: transition from a stale state`);
          state = a.transition.to;
        }
      }
      assert.equal(f.state, state, `seed ${seed}: state changed without a stateChanged action`);
      assert.equal(holding, f.state === VrrpState.MASTER, `seed ${seed}: holding=${holding} in state ${f.state} after ${ev.type}`);
      const armed = f.pollTimeout() !== undefined;
      if (f.state === VrrpState.MASTER || f.state === VrrpState.BACKUP) assert.ok(armed, `seed ${seed}: no timer in state ${f.state}`);
      if (f.state === VrrpState.FAULT || f.state === VrrpState.STOP) assert.ok(!armed, `seed ${seed}: timer armed in state ${f.state}`);
      assert.ok(f.priority >= 1 && f.priority <= 255);
      if (f.state === VrrpState.STOP) break;
    }
  }
});
