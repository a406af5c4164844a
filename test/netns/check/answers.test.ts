/**
 * The checker runtime against servers that answer wrongly, then slowly (test/fixtures/check/mutable-servers.ts on
 * host b; the runtime on host a): HTTP_GET with a digest, UDP_CHECK with an expected reply, SMTP_CHECK. A wrong
 * answer is a failure at once; a slow one a timeout after connect_timeout. The in-memory IPVS table must follow
 * within keepalived's bounds, with keepalived's texts (checker_log_all_failures shows each reason).
 */
import { spawnRunner, type RunnerEvent } from '../../fixtures/check/runner-events.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { bodyDigest } from '../../../src/probe/http-response.js';
import { tempDir } from '../../fixtures/notify/helpers.js';
import { Topology } from '../harness/topology.js';

const SERVERS = fileURLToPath(new URL('../../fixtures/check/mutable-servers.js', import.meta.url));
const root = process.getuid?.() === 0;
const B = '192.0.2.11';
const VS = '[192.0.2.100]:tcp:80';
const LOOP = 2,
  CT = 1,
  RETRY = 1,
  DBR = 1,
  SLACK = 0.75;
const PORTS = [8090, 7010, 2530];

type Ev = RunnerEvent;

let topo: Topology;
let runner: ChildProcess;
let dir: string;
let cleanup: () => void;
const events: Ev[] = [];
const timing = `connect_timeout ${CT}\n retry ${RETRY}\n delay_before_retry ${DBR}\n warmup 0`;
const name = (port: number): string => `[${B}]:tcp:${port}`;
const logs = (): string[] => events.filter((e) => e.log !== undefined).map((e) => e.log!);
const change = (port: number, up: boolean, since: number): number | undefined =>
  events.find((e) => e.rs === name(port) && e.up === up && e.t >= since)?.t;

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; log:\n${logs().join('\n')}`);
    await sleep(50);
  }
}

before(async () => {
  if (!root) return;
  ({ dir, cleanup } = tempDir('kts-checkans-'));
  writeFileSync(join(dir, 'mode'), 'ok\n');
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(
    conf,
    `global_defs {\n checker_log_all_failures\n}
virtual_server 192.0.2.100 80 {
 delay_loop ${LOOP}
 protocol TCP
 real_server ${B} 8090 {\n HTTP_GET {\n url {\n path /page\n digest ${bodyDigest(Buffer.from('page body'))}\n }\n ${timing}\n }\n }
 real_server ${B} 7010 {\n UDP_CHECK {\n payload 70696e67\n require_reply 706f6e67\n ${timing}\n }\n }
 real_server ${B} 2530 {\n SMTP_CHECK {\n ${timing}\n }\n }
}`,
  );
  topo = Topology.create({ hosts: ['a', 'b'] });
  const servers = topo.spawn('b', process.execPath, [SERVERS, B, join(dir, 'mode')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(servers.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'ready');
  runner = spawnRunner(topo, 'a', conf, events);
});

after(() => {
  topo?.destroy();
  cleanup?.();
});

/** Switches the servers to `mode`; asserts every server leaves the table within [lo, hi] s, then comes back. */
async function phase(mode: 'wrong' | 'slow', lo: number, hi: number, lines: readonly string[]): Promise<void> {
  const t0 = Date.now();
  writeFileSync(join(dir, 'mode'), `${mode}\n`);
  await waitFor(`${mode} removals`, () => PORTS.every((p) => change(p, false, t0) !== undefined), (hi + 2) * 1000);
  for (const p of PORTS) {
    const dt = (change(p, false, t0)! - t0) / 1000;
    assert.ok(dt >= lo && dt <= hi, `${mode}: ${name(p)} removed ${dt.toFixed(2)} s after the change (bounds ${lo}…${hi})`);
    assert.ok(logs().includes(`Removing service ${name(p)} from VS ${VS}`));
  }
  for (const line of lines) assert.ok(logs().includes(line), `missing log line: ${line}`);
  const t1 = Date.now();
  writeFileSync(join(dir, 'mode'), 'ok\n');
  // a slow probe still in flight may hold the checker until its timeout: one connect_timeout more
  const back = LOOP + DBR + 2 * CT + SLACK;
  await waitFor(`${mode} re-adds`, () => PORTS.every((p) => change(p, true, t1) !== undefined), (back + 2) * 1000);
  for (const p of PORTS) {
    const dt = (change(p, true, t1)! - t1) / 1000;
    assert.ok(dt >= 0 && dt <= back, `${mode}: ${name(p)} re-added ${dt.toFixed(2)} s later (bound ${back})`);
  }
  await sleep(LOOP * 1000);
}

test('wrong answers and slow answers take servers out and back', { skip: !root && 'needs root' }, async () => {
  await waitFor('start', () => events.some((e) => e.started), 10_000);
  await waitFor(
    'first round',
    () =>
      logs().includes(`Remote SMTP server ${name(2530)} succeed on service.`) &&
      logs().includes(`UDP connection to ${name(7010)} success.`) &&
      logs().includes(`Remote Web server ${name(8090)} succeed on service.`),
    8000,
  );
  await sleep(LOOP * 1000);
  assert.deepEqual(
    events.filter((e) => e.rs !== undefined && !e.up),
    [],
    'nothing went down while all were well',
  );
  await phase('wrong', RETRY * DBR - 0.25, LOOP + RETRY * DBR + SLACK, [
    `MD5 digest error to server ${name(8090)}.`,
    `UDP check to ${name(7010)} reply data mismatch.`,
    `HTTP_CHECK on service ${name(8090)} failed after ${RETRY} retries.`,
    `UDP_CHECK on service ${name(7010)} failed after ${RETRY} retries.`,
  ]);
  assert.ok(
    logs().some((l) => l.startsWith('SMTP_CHECK Bad greeting banner from server')),
    'SMTP wrong banner text',
  );
  await phase('slow', (RETRY + 1) * CT + RETRY * DBR - 0.25, LOOP + (RETRY + 1) * CT + RETRY * DBR + SLACK, [
    `Timeout HTTP read server ${name(8090)}.`,
    `UDP connection to ${name(7010)} failed.`,
  ]);
  runner.kill('SIGTERM');
  await once(runner, 'exit');
  assert.deepEqual(events.find((e) => e.table && !e.started)?.table, {});
});
