/**
 * BFD_CHECK against keepalived 2.2.7's check_bfd.c: the checker's verdict follows its bfd_instance's session
 * events (Up, or fallen from Up), with keepalived's log and mail texts; alpha mode starts the server out of the
 * pool; the server leaves and returns with the quorum like with any checker. Then the checker runtime: the BFD
 * child's whole-picture states relayed by the supervisor become one event per changed session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckSim, virtualServers } from './harness.js';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { seededRng } from '../../../src/core/rng.js';
import { MemoryBackend } from '../../../src/lb/memory.js';
import { createCheckRuntime } from '../../../src/runtime/check/runtime.js';

const VS = '[192.0.2.10]:tcp:80';
const rsName = (i: number): string => `[192.0.2.${i + 1}]:tcp:80`;
const BFDS = 'bfd_instance B1 {\n neighbor_ip 192.0.2.1\n}\nbfd_instance B2 {\n neighbor_ip 192.0.2.2\n}\n';

function conf(body: string): string {
  return `${BFDS}virtual_server 192.0.2.10 80 {\n delay_loop 5\n lb_algo rr\n protocol TCP\n ${body}\n}`;
}

function sim(body: string): CheckSim {
  return new CheckSim(virtualServers(conf(body))[0]!, { script: () => ({ ok: true }), seed: 1 }).start();
}

const bfdRs = (i: number, name: string, extra = ''): string =>
  `real_server 192.0.2.${i + 1} 80 {\n notify_down /bin/down\n ${extra}\n BFD_CHECK {\n name ${name}\n }\n }`;

test('BFD_CHECK: the real server follows its session, with keepalived texts; repeated states change nothing', () => {
  const s = sim(bfdRs(0, 'B1'));
  s.at(1000, () => s.send({ type: 'bfd', name: 'B1', up: true }))
    .at(2000, () => s.send({ type: 'bfd', name: 'B1', up: true }))
    .at(3000, () => s.send({ type: 'bfd', name: 'B2', up: false }))
    .at(4000, () => s.send({ type: 'bfd', name: 'B1', up: false }))
    .at(5000, () => s.send({ type: 'bfd', name: 'B1', up: false }))
    .at(6000, () => s.send({ type: 'bfd', name: 'B1', up: true }))
    .runUntil(10_000);
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [0, '+rs0=1'],
    [4000, '-rs0'],
    [6000, '+rs0=1'],
  ]);
  assert.deepEqual(s.logsWith('BFD check'), [
    [1000, `BFD check of [B1] RS(${rsName(0)}) is UP`],
    [4000, `BFD check of [B1] RS(${rsName(0)}) is DOWN`],
    [6000, `BFD check of [B1] RS(${rsName(0)}) is UP`],
  ]);
  assert.deepEqual(s.logsWith('service'), [
    [4000, `Removing service ${rsName(0)} from VS ${VS}`],
    [6000, `Adding service ${rsName(0)} to VS ${VS}`],
  ]);
  assert.deepEqual(
    s.actions('smtpAlert').map(([t, a]) => [t, a.up, a.body]),
    [
      [4000, false, '=> BFD CHECK B1 failed on service <='],
      [6000, true, '=> BFD CHECK B1 succeeded on service <='],
    ],
    'a mail for each change of the checker, none for the first Up (it was already up)',
  );
  assert.deepEqual(
    s.actions('notifyScript').map(([t, a]) => [t, a.which]),
    [[4000, 'notify_down']],
  );
});

test('BFD_CHECK alpha: out of the pool until the session is Up; a first Down is taken as is', () => {
  const s = sim(bfdRs(0, 'B1', 'alpha'));
  s.at(1000, () => s.send({ type: 'bfd', name: 'B1', up: true })).runUntil(2000);
  assert.deepEqual(s.ipvsOps(), [
    [0, '+VS'],
    [1000, '+rs0=1'],
  ]);
  assert.deepEqual(s.logsWith('BFD check'), [[1000, `BFD check of [B1] RS(${rsName(0)}) is UP`]]);
  const d = sim(bfdRs(0, 'B1'));
  d.at(1000, () => d.send({ type: 'bfd', name: 'B1', up: false })).runUntil(2000);
  assert.deepEqual(d.ipvsOps().slice(2), [[1000, '-rs0']], 'a non-alpha checker that has not run is taken down by a Down event');
  const a = sim(bfdRs(0, 'B1', 'alpha'));
  a.at(1000, () => a.send({ type: 'bfd', name: 'B1', up: false })).runUntil(2000);
  assert.deepEqual(a.ipvsOps(), [[0, '+VS']]);
  assert.deepEqual(
    a.actions('notifyScript').map(([t, x]) => [t, x.which]),
    [[1000, 'notify_down']],
    'alpha: the first verdict, down as it started, notifies (update_svr_checker_state)',
  );
});

test('BFD_CHECK with another checker: the server needs both; quorum follows the servers', () => {
  const tcp = 'TCP_CHECK {\n retry 0\n warmup 0\n }';
  const body = `quorum 2\n quorum_down /bin/qdown\n quorum_up /bin/qup\n ${bfdRs(0, 'B1', tcp)}\n ${bfdRs(1, 'B2')}`;
  const text = conf(body);
  let tcpUp = true;
  const s = new CheckSim(virtualServers(text)[0]!, { script: () => ({ ok: tcpUp }), seed: 1 }).start();
  s.at(1000, () => s.send({ type: 'bfd', name: 'B1', up: true }))
    .at(2000, () => s.send({ type: 'bfd', name: 'B2', up: true }))
    .at(3000, () => s.send({ type: 'bfd', name: 'B2', up: false }))
    .at(4000, () => s.send({ type: 'bfd', name: 'B2', up: true }))
    .at(4500, () => (tcpUp = false))
    .at(12_000, () => s.send({ type: 'bfd', name: 'B1', up: false }))
    .at(13_000, () => (tcpUp = true))
    .at(24_000, () => s.send({ type: 'bfd', name: 'B1', up: true }))
    .runUntil(30_000);
  const ops = s.ipvsOps().filter(([t]) => t > 0);
  const tcpDown = ops.find(([, o]) => o === '-rs0')?.[0];
  assert.ok(tcpDown !== undefined && tcpDown > 4500 && tcpDown <= 12_000, `TCP failure takes rs0 out (at ${tcpDown})`);
  assert.deepEqual(ops, [
    [3000, '-rs1'],
    [4000, '+rs1=1'],
    [tcpDown, '-rs0'],
    [24_000, '+rs0=1'],
  ]);
  assert.deepEqual(
    s
      .actions('notifyScript')
      .map(([t, a]) => [t, a.which])
      .filter(([, w]) => w !== 'notify_down'),
    [
      [0, 'quorum_up'],
      [3000, 'quorum_down'],
      [4000, 'quorum_up'],
      [tcpDown, 'quorum_down'],
      [24_000, 'quorum_up'],
    ],
    'rs0 returns only when both its checkers are up again: TCP recovered at 13 s, BFD at 24 s',
  );
});

test('checker runtime: the relayed BFD states become one event per changed session; new virtual servers catch up', async () => {
  const { tree } = parseConfigTree(conf(`${bfdRs(0, 'B1')}\n ${bfdRs(1, 'B2', 'alpha')}`), 'b.conf');
  const d = new DiagnosticSink();
  const cfg = buildModel(tree, d);
  assert.deepEqual(
    d.items.filter((x) => x.severity === 'error'),
    [],
  );
  const log = new MemoryLogger();
  const backend = new MemoryBackend();
  const rt = createCheckRuntime(
    { log, logDetail: 0, releaseVips: false, dontReleaseVrrp: false, addressMonitoring: false },
    { clock: new ManualClock(0), rng: seededRng(1), timers: { set: () => undefined, clear: () => undefined }, backendFactory: () => backend },
  );
  rt.setBfdStates(new Map([['B2', true]])); // before start: kept, delivered at start
  await rt.start(cfg);
  await rt.idle();
  const table = (): Record<string, number> => backend.table()[VS] ?? {};
  assert.deepEqual(table(), { '[192.0.2.1]:80': 1, '[192.0.2.2]:80': 1 });
  rt.setBfdStates(
    new Map([
      ['B1', false],
      ['B2', true],
    ]),
  );
  await rt.idle();
  assert.deepEqual(table(), { '[192.0.2.1]:80': 1, '[192.0.2.2]:80': 1 }, 'a session never Up sends no event (keepalived: no Down event)');
  rt.setBfdStates(
    new Map([
      ['B1', true],
      ['B2', true],
    ]),
  );
  rt.setBfdStates(new Map([['B2', true]])); // B1 gone while Up: Down
  await rt.idle();
  assert.deepEqual(table(), { '[192.0.2.2]:80': 1 });
  rt.setBfdStates(new Map([['B2', false]]));
  await rt.idle();
  assert.deepEqual(table(), {});
  assert.deepEqual(
    log.texts().filter((t) => t.startsWith('BFD check')),
    [
      `BFD check of [B2] RS(${rsName(1)}) is UP`,
      `BFD check of [B1] RS(${rsName(0)}) is UP`,
      `BFD check of [B1] RS(${rsName(0)}) is DOWN`,
      `BFD check of [B2] RS(${rsName(1)}) is DOWN`,
    ],
  );
  await rt.stop();
});
