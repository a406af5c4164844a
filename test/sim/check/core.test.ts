/**
 * The checker core's contract with its driver: no IO reachable from src/check, stale or repeated probe results
 * ignored, skipped probes rescheduled, and keepalived's service names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckerFsm } from '../../../src/check/checker-fsm.js';
import { fmtRs, fmtVs } from '../../../src/check/format.js';
import type { LaunchedCheck } from '../../../src/check/actions.js';
import { seededRng } from '../../../src/core/rng.js';
import { virtualServers } from './harness.js';

/** The repository root (this file runs from dist/test/sim/check). */
function root(): string {
  const up = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  return existsSync(join(up, 'src/check')) ? up : process.cwd();
}

test('sans-IO: nothing reachable from src/check imports node: modules or packages; no clock, timer or Math.random there', () => {
  const base = root();
  const seen = new Set<string>();
  const todo = readdirSync(join(base, 'src/check'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(base, 'src/check', f));
  assert.ok(todo.length >= 8);
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)) {
      const spec = m[2]!;
      if (m[1]) continue; // type-only imports vanish at run time
      assert.ok(spec.startsWith('.'), `${file} imports ${spec}`);
      todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
    if (file.includes('/src/check/')) assert.doesNotMatch(text, /Date\.now|setTimeout|setInterval|performance\.now|Math\.random/, file);
  }
});

const TCP = virtualServers(
  `virtual_server 192.0.2.10 80 {\n delay_loop 5\n protocol TCP\n real_server 192.0.2.1 80 {\n TCP_CHECK {\n warmup 0\n }\n }\n}`,
)[0]!;

test('a checker ignores results for probes it is not waiting for, and reschedules a skipped probe after delay_loop', () => {
  const fsm = new CheckerFsm(
    TCP.realServers[0]!.checkers[0] as LaunchedCheck,
    { rs: 0, checker: 0 },
    { rsName: '[192.0.2.1]:tcp:80', vsName: '[192.0.2.10]:tcp:80', iweight: 1 },
  );
  fsm.start(0, seededRng(1));
  assert.equal(fsm.pollTimeout(), 1000);
  assert.deepEqual(fsm.handle({ type: 'timer' }, 999), [], 'not due yet');
  const [run] = fsm.handle({ type: 'timer' }, 1000);
  assert.ok(run?.kind === 'runProbe' && run.probe === 1);
  assert.equal(fsm.pollTimeout(), undefined, 'no deadline while the probe runs');
  assert.deepEqual(fsm.handle({ type: 'probeResult', probe: 7, ok: false }, 1010), [], 'unknown probe number');
  assert.equal(fsm.handle({ type: 'probeResult', probe: 1, ok: false }, 1010).filter((a) => a.kind === 'checkerDown').length, 1);
  assert.deepEqual(fsm.handle({ type: 'probeResult', probe: 1, ok: true }, 1020), [], 'a second result for the same probe');
  assert.equal(fsm.pollTimeout(), 6010);
  fsm.handle({ type: 'timer' }, 6010);
  const skipped = fsm.handle({ type: 'probeSkipped', probe: 2, detail: 'TCP connect fail to create socket. Rescheduling.' }, 6010);
  assert.deepEqual(
    skipped.map((a) => a.kind === 'log' && a.record.text),
    ['TCP connect fail to create socket. Rescheduling.'],
  );
  assert.equal(fsm.pollTimeout(), 11_010);
  assert.equal(fsm.state.isUp, false, 'a skipped probe is no verdict');
  fsm.stop();
  assert.equal(fsm.pollTimeout(), undefined);
});

test("service names are keepalived's FMT_VS / FMT_RS", () => {
  const [addr, mark, group, v6] = virtualServers(`virtual_server_group g1 {\n 192.0.2.20 80\n}
    virtual_server 192.0.2.10 443 {\n protocol TCP\n real_server 192.0.2.1 8443 {\n }\n}
    virtual_server fwmark 7 {\n real_server 192.0.2.1 80 {\n }\n}
    virtual_server group g1 {\n protocol UDP\n real_server 192.0.2.1 80 {\n }\n}
    virtual_server 2001:db8:0:0::10 80 {\n protocol TCP\n real_server 2001:DB8::0:1 80 {\n }\n}`);
  assert.equal(fmtVs(addr!), '[192.0.2.10]:tcp:443');
  assert.equal(fmtRs(addr!.realServers[0]!, addr!), '[192.0.2.1]:tcp:8443');
  assert.equal(fmtVs(mark!), 'FWM 7');
  assert.equal(fmtVs(group!), '[g1]:0');
  assert.equal(fmtVs(group!, 2), '[g1]:2');
  assert.equal(fmtVs(v6!), '[2001:db8::10]:tcp:80');
  assert.equal(fmtRs(v6!.realServers[0]!, v6!), '[2001:db8::1]:tcp:80');
});

test('mutation survivors (issue 16): a stale or repeated probeSkipped is ignored; ha_suspend holds probes and logs each change once', () => {
  const fsm = new CheckerFsm(
    TCP.realServers[0]!.checkers[0] as LaunchedCheck,
    { rs: 0, checker: 0 },
    { rsName: '[192.0.2.1]:tcp:80', vsName: '[192.0.2.10]:tcp:80', iweight: 1 },
  );
  fsm.start(0, seededRng(1));
  fsm.handle({ type: 'timer' }, 1000); // probe 1 runs
  assert.deepEqual(fsm.handle({ type: 'probeSkipped', probe: 9, detail: 'stale' }, 1001), [], 'not the outstanding probe');
  assert.equal(fsm.pendingProbe, 1, 'still waiting for probe 1');
  assert.equal(fsm.pollTimeout(), undefined);
  assert.equal(fsm.handle({ type: 'probeSkipped', probe: 1, detail: 'skip' }, 1002).length, 1);
  assert.deepEqual(fsm.handle({ type: 'probeSkipped', probe: 1, detail: 'again' }, 1003), [], 'the same probe twice');
  assert.deepEqual(fsm.handle({ type: 'probeSkipped', probe: 0, detail: 'none' }, 1004), [], 'probe 0 is never outstanding');
  assert.equal(fsm.pollTimeout(), 6002, 'rescheduled once, after delay_loop');
  // ha_suspend: suspended, the deadline only reschedules; unchanged states log nothing
  const texts = (as: readonly { kind: string }[]) =>
    as.map((a) => (a.kind === 'log' ? (a as unknown as { record: { text: string } }).record.text : a.kind));
  assert.deepEqual(texts(fsm.handle({ type: 'enable', enabled: true }, 2000)), [], 'already enabled');
  assert.deepEqual(texts(fsm.handle({ type: 'enable', enabled: false }, 2000)), [
    'Suspending healthchecker for service [192.0.2.1]:tcp:80 for VS [192.0.2.10]:tcp:80',
  ]);
  assert.deepEqual(texts(fsm.handle({ type: 'enable', enabled: false }, 2001)), [], 'already suspended');
  assert.deepEqual(texts(fsm.handle({ type: 'timer' }, 6002)), [], 'no probe while suspended');
  assert.equal(fsm.pollTimeout(), 11_002, 'the next run after delay_loop');
  assert.deepEqual(texts(fsm.handle({ type: 'enable', enabled: true }, 7000)), [
    'Activating healthchecker for service [192.0.2.1]:tcp:80 for VS [192.0.2.10]:tcp:80',
  ]);
  assert.deepEqual(texts(fsm.handle({ type: 'timer' }, 11_001)), [], 'not due yet');
  assert.deepEqual(texts(fsm.handle({ type: 'timer' }, 11_002)), ['runProbe']);
});
