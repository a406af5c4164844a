/**
 * `ctl drain` / `ctl undrain` against the checker runtime on a virtual clock with the in-memory IPVS table: the
 * drained real server is held at weight 0 (IPVS sends it no new connections; established ones finish), checks keep
 * running, a down/up cycle keeps it at 0, undrain restores its weight; the status view shows it draining.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { seededRng } from '../../../src/core/rng.js';
import { MemoryBackend } from '../../../src/lb/memory.js';
import type { ProbeReport } from '../../../src/probe/index.js';
import { createCheckRuntime, type TimerPort } from '../../../src/runtime/check/runtime.js';
import { runAdmin } from '../../../src/observe/admin.js';
import { statusView } from '../../../src/observe/view.js';
import { renderStatus } from '../../../src/observe/render.js';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
};

test('drain holds a real server at weight 0 through a down/up cycle; undrain restores it; each action logged', async () => {
  const clock = new ManualClock(0);
  const log = new MemoryLogger();
  const backend = new MemoryBackend();
  let pending: { fn: () => void; at: number } | undefined;
  const timers: TimerPort = {
    set: (fn, ms) => (pending = { fn, at: clock.now() + ms }),
    clear: (h) => {
      if (pending === h) pending = undefined;
    },
  };
  let down = false;
  const rt = createCheckRuntime(
    { log, logDetail: 0, releaseVips: false, dontReleaseVrrp: false, addressMonitoring: false },
    {
      clock,
      rng: seededRng(3),
      timers,
      backendFactory: () => backend,
      probe: (spec) =>
        Promise.resolve<ProbeReport>({
          kind: 'result',
          outcome: { ok: !(down && 'connection' in spec.check && spec.check.connection.connectIp === '192.0.2.12') },
        }),
    },
  );
  const runUntil = async (t: number) => {
    for (;;) {
      await settle();
      const p = pending;
      if (!p || p.at > t) break;
      pending = undefined;
      clock.set(Math.max(p.at, clock.now()));
      p.fn();
    }
    clock.set(Math.max(t, clock.now()));
    await rt.idle();
  };
  const { tree } = parseConfigTree(
    `virtual_server 192.0.2.1 80 {\n delay_loop 2\n lb_algo wrr\n lb_kind NAT\n protocol TCP\n` +
      [11, 12]
        .map((n) => ` real_server 192.0.2.${n} 80 {\n  weight ${n - 9}\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n   warmup 0\n  }\n }\n`)
        .join('') +
      '}\n',
    't.conf',
  );
  const d = new DiagnosticSink();
  await rt.start(buildModel(tree, d));
  await runUntil(1);
  const VS = '[192.0.2.1]:tcp:80';
  assert.deepEqual(backend.table(), { [VS]: { '[192.0.2.11]:80': 2, '[192.0.2.12]:80': 3 } });
  const root = { pid: 1, uid: 0, gid: 0 };
  const target = { drainRealServer: (vs: string, rs: string, on: boolean) => rt.drainRealServer(vs, rs, on), reload: async () => true };

  assert.deepEqual(await runAdmin(`drain ${VS} 192.0.2.12:80`, root, target, log, 0), {
    ok: true,
    text: `192.0.2.12:80 in ${VS} draining (weight 0)`,
  });
  await rt.idle();
  assert.deepEqual(backend.table(), { [VS]: { '[192.0.2.11]:80': 2, '[192.0.2.12]:80': 0 } });
  const view = statusView({ pid: 1, version: 'v', configFile: 'f', startedMs: 0, reloads: 0, loopLagMaxMs: 0, loopLagLastMs: 0 }, rt.snapshot(), 0);
  assert.deepEqual(
    view.virtualServers[0]!.realServers.map((r) => [r.address, r.weight, r.drained]),
    [
      ['192.0.2.11:80', 2, false],
      ['192.0.2.12:80', 0, true],
    ],
  );
  assert.match(renderStatus(view, { colour: false, nowMs: 0 }), /192\.0\.2\.12:80\s+draining\s+0\s/);
  assert.deepEqual(await runAdmin(`drain ${VS} [192.0.2.12]:tcp:80`, root, target, log, 0), {
    ok: false,
    error: '[192.0.2.12]:tcp:80 is already draining',
  });
  assert.deepEqual(await runAdmin('drain [192.0.2.9]:tcp:80 192.0.2.12:80', root, target, log, 0), {
    ok: false,
    error: 'no virtual server [192.0.2.9]:tcp:80',
  });

  // down and up again while drained: out of the table, back at weight 0
  down = true;
  await runUntil(6_000);
  assert.deepEqual(backend.table(), { [VS]: { '[192.0.2.11]:80': 2 } });
  down = false;
  await runUntil(12_000);
  assert.deepEqual(backend.table(), { [VS]: { '[192.0.2.11]:80': 2, '[192.0.2.12]:80': 0 } });

  assert.deepEqual(await runAdmin(`undrain ${VS} 192.0.2.12:80`, root, target, log, 0), { ok: true, text: `192.0.2.12:80 in ${VS} restored` });
  await rt.idle();
  assert.deepEqual(backend.table(), { [VS]: { '[192.0.2.11]:80': 2, '[192.0.2.12]:80': 3 } });
  const texts = log.texts();
  assert.ok(texts.includes(`Draining service [192.0.2.12]:tcp:80 of VS ${VS} (weight 0)`));
  assert.ok(texts.includes(`Undraining service [192.0.2.12]:tcp:80 of VS ${VS} (weight 3)`));
  assert.ok(texts.includes(`Control: 'drain ${VS} 192.0.2.12:80' by uid 0 pid 1: 192.0.2.12:80 in ${VS} draining (weight 0)`));
  await rt.stop();
});
