/**
 * Property: for random virtual servers (1-4 real servers, 1-3 checkers of every launched type plus FILE_CHECK,
 * inhibit_on_failure, alpha, quorum/hysteresis, sorry server) under random probe outcomes, after every event
 * - IPVS never sees a duplicate add, nor a removal or weight change of something absent;
 * - a real server is alive exactly when none of its checkers is down, and the IPVS table says the same
 *   (in with its weight / weight 0 if inhibited / out while the sorry server stands in);
 * - the quorum state agrees with the live weight and the hysteresis band;
 * - the last `RS …` FIFO line of each server is its state;
 * and a shut-down leaves an empty table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt, seededRng, type Rng } from '../../../src/core/rng.js';
import { realWeight } from '../../../src/check/format.js';
import { CheckSim, virtualServers, type Reply } from './harness.js';

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randomInt(rng, 0, xs.length - 1)]!;

/** A random checker block. */
function checker(rng: Rng): string {
  const timing =
    `retry ${randomInt(rng, 0, 2)}\n delay_before_retry ${randomInt(rng, 1, 3)}\n warmup ${randomInt(rng, 0, 3)}\n` +
    `delay_loop ${randomInt(rng, 2, 6)}${rng.next() < 0.2 ? '\n alpha' : ''}${rng.next() < 0.2 ? '\n log_all_failures' : ''}`;
  switch (pick(rng, ['TCP', 'HTTP', 'UDP', 'PING', 'DNS', 'SMTP', 'MISC', 'FILE'])) {
    case 'HTTP':
      return `HTTP_GET {\n url {\n path /a\n }\n url {\n path /b\n }\n ${rng.next() < 0.3 ? 'fast_recovery\n' : ''}${timing}\n}`;
    case 'UDP':
      return `UDP_CHECK {\n ${timing}\n}`;
    case 'PING':
      return `PING_CHECK {\n ${timing}\n}`;
    case 'DNS':
      return `DNS_CHECK {\n ${timing}\n}`;
    case 'SMTP':
      return `SMTP_CHECK {\n ${timing}\n}`;
    case 'MISC':
      return `MISC_CHECK {\n misc_path /bin/chk\n misc_dynamic\n ${timing}\n}`;
    case 'FILE':
      return `FILE_CHECK {\n track_file f${randomInt(rng, 1, 2)}\n weight ${randomInt(rng, -2, 2)}\n}`;
    default:
      return `TCP_CHECK {\n ${timing}\n}`;
  }
}

/** A random virtual server; returns its text and the total weight. */
function config(rng: Rng): string {
  const n = randomInt(rng, 1, 4);
  const weights = Array.from({ length: n }, () => randomInt(rng, 1, 3));
  const total = weights.reduce((a, b) => a + b, 0);
  const quorum = randomInt(rng, 1, total);
  const rs = weights
    .map(
      (w, i) =>
        `real_server 192.0.2.${i + 1} 80 {\n weight ${w}\n` +
        `${rng.next() < 0.3 ? 'inhibit_on_failure\n' : ''}${rng.next() < 0.2 ? 'alpha\n' : ''}` +
        `${Array.from({ length: randomInt(rng, 1, 3) }, () => checker(rng)).join('\n')}\n}`,
    )
    .join('\n');
  const sorry = rng.next() < 0.5 ? `sorry_server 192.0.2.99 80\n${rng.next() < 0.3 ? 'sorry_server_inhibit\n' : ''}` : '';
  return (
    `track_file f1 {\n file /nonexistent/f1\n}\ntrack_file f2 {\n file /nonexistent/f2\n weight 3\n}\n` +
    `virtual_server 192.0.2.10 80 {\n delay_loop 5\n lb_algo rr\n protocol TCP\n quorum ${quorum}\n` +
    `hysteresis ${randomInt(rng, 0, quorum - 1)}\n ${rng.next() < 0.5 ? 'omega\n' : ''}${sorry}${rs}\n}`
  );
}

/** Random outcomes: each real server drifts between healthy and sick phases; replies vary in kind and latency. */
function script(rng: Rng): (p: { rs: number }) => Reply {
  const sick = new Map<number, boolean>();
  return (p) => {
    if (rng.next() < 0.15) sick.set(p.rs, !sick.get(p.rs));
    const ok = rng.next() < (sick.get(p.rs) ? 0.15 : 0.9);
    const latencyMs = randomInt(rng, 0, 40);
    if (ok) return { ok, latencyMs, exitStatus: pick(rng, [0, 0, 0, 2, 3, 6]) };
    return pick(rng, [
      { ok, latencyMs },
      { ok, latencyMs, timeout: true },
      { ok, latencyMs, signal: 9 },
      { ok, latencyMs, mismatch: true },
    ]);
  };
}

/** Checks every invariant of the module comment; throws with the seed on the first violation. `last`: RS FIFO states so far. */
function check(s: CheckSim, seed: number, last: Map<string, string>, fifoSeen: { n: number }): void {
  const vs = s.vs;
  const where = `seed ${seed} t=${s.t}`;
  assert.deepEqual(s.ipvs.errors, [], where);
  const sorryIn = vs.sorry?.alive ?? false;
  let live = 0;
  for (const rs of vs.realServers) {
    const up = rs.server.checkers.every((_, i) => rs.checkerUp(i));
    assert.equal(rs.alive, up, `${where} rs${rs.ref} alive=${rs.alive} checkers up=${up}`);
    if (rs.alive) live += realWeight(rs.effectiveWeight);
    const w = s.ipvs.dests.get(rs.ref);
    const expected = sorryIn ? (rs.inhibit ? 0 : undefined) : rs.alive ? realWeight(rs.effectiveWeight) : rs.inhibit ? 0 : undefined;
    assert.equal(w, expected, `${where} rs${rs.ref} in IPVS with ${w}, expected ${expected} (sorry in: ${sorryIn})`);
  }
  if (vs.sorry) {
    const expected = sorryIn ? 1 : vs.sorry.inhibit && vs.sorry.set ? 0 : undefined;
    assert.equal(s.ipvs.dests.get('sorry'), expected, `${where} sorry server`);
  }
  const { quorum, hysteresis } = vs.config;
  if (vs.quorumStateUp) assert.ok(live > 0 && live >= quorum - hysteresis, `${where} quorum up with ${live}`);
  else assert.ok(live < quorum + hysteresis, `${where} quorum down with ${live}`);
  for (; fifoSeen.n < s.timeline.length; fifoSeen.n++) {
    const a = s.timeline[fifoSeen.n]!.a;
    if (a.kind === 'fifoLine' && a.line.startsWith('RS ')) last.set(a.line.split(' ')[1]!, a.line.trimEnd().split(' ').at(-1)!);
  }
  for (const rs of vs.realServers) {
    const l = last.get(rs.name);
    if (l !== undefined) assert.equal(l, rs.alive ? 'UP' : 'DOWN', `${where} last FIFO line of ${rs.name}`);
  }
}

test('random probe outcomes: IPVS and notifications always follow the checkers, without duplicates', () => {
  let steps = 0;
  let changes = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const rng = seededRng(seed);
    const cfg = virtualServers(config(rng))[0]!;
    const s = new CheckSim(cfg, {
      seed,
      script: script(rng),
      trackFiles: new Map([
        ['f1', { weight: 1, reverse: false, status: randomInt(rng, 0, 1) }],
        ['f2', { weight: 3, reverse: false, status: 0 }],
      ]),
    });
    const last = new Map<string, string>();
    const fifoSeen = { n: 0 };
    s.onStep = () => {
      steps++;
      check(s, seed, last, fifoSeen);
    };
    for (let t = 2000; t < 590_000; t += randomInt(rng, 5000, 60_000)) {
      const file = pick(rng, ['f1', 'f2']);
      const status = pick(rng, [0, 0, 1, 4, -1, -1_073_741_824, 1_073_741_824]);
      s.at(t, () => s.send({ type: 'trackFile', file, status }));
    }
    s.start().runUntil(600_000);
    changes += s.ipvsOps().length;
    s.onStep = undefined;
    s.send({ type: 'shutdown' });
    assert.deepEqual(s.ipvs.errors, [], `seed ${seed} at shut-down`);
    assert.equal(s.ipvs.dests.size, 0, `seed ${seed}: destinations left after shut-down`);
    assert.equal(s.ipvs.service, false);
  }
  assert.ok(steps > 50_000 && changes > 2000, `the runs exercised the core (${steps} steps, ${changes} IPVS changes)`);
});
