import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusView } from '../../../src/observe/view.js';
import { humanDuration, renderStatus } from '../../../src/observe/render.js';
import { bfdSession, PROCESS, snapshot } from './fake.js';

const NOW = 1_000_000 + 65_000;

test('status view: state, priorities, master, since, why, group, VIPs, tracking, virtual servers', () => {
  const v = statusView(PROCESS, snapshot(), NOW);
  const [a, b] = v.instances;
  assert.deepEqual(
    [a!.state, a!.basePriority, a!.effectivePriority, a!.masterAddress, a!.reason, a!.syncGroup, a!.vips, a!.tracked],
    [
      'MASTER',
      150,
      130,
      '192.0.2.10',
      'master down timer',
      'G1',
      ['192.0.2.100', '192.0.2.101'],
      ['interface eth1', 'script chk_nginx weight -20 BAD'],
    ],
  );
  assert.deepEqual([b!.state, b!.priorityOffset, b!.masterAddress, b!.masterPriority, b!.syncGroup], ['BACKUP', -10, 'fe80::1', 200, undefined]);
  const vs = v.virtualServers[0]!;
  assert.deepEqual([vs.name, vs.address, vs.protocol, vs.quorumUp], ['[192.0.2.100]:tcp:80', '192.0.2.100:80', 'TCP', true]);
  assert.deepEqual(
    vs.realServers.map((r) => [r.address, r.up, r.weight, r.lastResult, r.latencyMs]),
    [
      ['198.51.100.1:8080', true, 1, 'TCP_CHECK success in 1.3 ms', 1.25],
      ['198.51.100.2:8080', false, 0, 'HTTP_GET failure in 4.5 ms', 4.5],
    ],
  );
  // JSON round trip: what `status --json` prints is the view itself
  assert.deepEqual(JSON.parse(JSON.stringify(v)), v);
});

test('status view without virtualServers in the snapshot, and with junk there, has none', () => {
  const s = snapshot() as unknown as Record<string, unknown>;
  delete s['virtualServers'];
  assert.deepEqual(statusView(PROCESS, s as never, NOW).virtualServers, []);
  assert.deepEqual(statusView(PROCESS, { ...s, virtualServers: 'x' } as never, NOW).virtualServers, []);
});

test('human status: one line per instance with why and since; virtual servers after; no colour unless asked', () => {
  const text = renderStatus(statusView(PROCESS, snapshot(), NOW), { colour: false, nowMs: NOW });
  assert.doesNotMatch(text, /\x1b\[/);
  const lines = text.split('\n');
  const vi1 = lines.find((l) => l.startsWith('VI_1'))!;
  const vi2 = lines.find((l) => l.startsWith('VI_2'))!;
  assert.match(
    vi1,
    /^VI_1\s+MASTER\s+130\/150\s+self\s+1m00s\s+master down timer\s+1s\s+G1\s+192\.0\.2\.100,192\.0\.2\.101\s+interface eth1, script chk_nginx weight -20 BAD$/,
  );
  assert.match(
    vi2,
    /^VI_2\s+BACKUP\s+90\/100 \(offset -10\)\s+fe80::1 prio 200\s+1m04s\s+preempted by fe80::1 prio 200\s+1s\s+-\s+2001:db8::100\s+-$/,
  );
  assert.match(text, /virtual server \[192\.0\.2\.100\]:tcp:80 TCP, quorum up, 1\/2 real servers up/);
  assert.match(text, /198\.51\.100\.1:8080\s+up\s+1\s+TCP_CHECK success in 1\.3 ms\s+1\.3 ms/);
  assert.match(text, /198\.51\.100\.2:8080\s+down\s+0\s+HTTP_GET failure in 4\.5 ms\s+4\.5 ms/);
  assert.match(lines[0]!, /pid 4242, up 1m05s, .* reloads 1, router_id node-a$/);
  // columns line up: STATE starts at the same offset in every row
  const col = (l: string) => l.search(/MASTER|BACKUP|STATE/);
  assert.equal(col(vi1), col(vi2));
  assert.equal(col(lines.find((l) => l.startsWith('INSTANCE'))!), col(vi1));
});

test('human status with colour: states coloured, columns still aligned', () => {
  const text = renderStatus(statusView(PROCESS, snapshot(), NOW), { colour: true, nowMs: NOW });
  assert.match(text, /\x1b\[32mMASTER\x1b\[0m/);
  assert.match(text, /\x1b\[36mBACKUP\x1b\[0m/);
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(plain, renderStatus(statusView(PROCESS, snapshot(), NOW), { colour: false, nowMs: NOW }));
});

test('durations', () => {
  assert.deepEqual([0, 59_999, 60_000, 3_599_000, 3_600_000, 90_000_000].map(humanDuration), ['0s', '59s', '1m00s', '59m59s', '1h00m', '1d01h']);
});

test('human status: the BGP section (engine, planned routes with condition and state, sessions)', () => {
  const bgp = {
    engine: 'gobgp',
    connected: true,
    routes: [{ prefix: '203.0.113.10/32', state: 'draining' as const }],
    planned: [
      { prefix: '203.0.113.10/32', instance: 'VI_1', when: 'master' },
      { prefix: '2001:db8::10/128', instance: 'VI_2', when: 'quorum' },
    ],
    sessions: [{ peer: '192.0.2.12', peerAs: 65000, state: 'established', advertised: 1 }],
  };
  const v = statusView(PROCESS, { ...snapshot(), bgp }, NOW);
  assert.deepEqual(v.bgp, bgp);
  const text = renderStatus(v, { colour: false, nowMs: NOW });
  assert.match(text, /^BGP engine gobgp: answers$/m);
  assert.match(text, /^ {2}203\.0\.113\.10\/32\s+VI_1\s+master\s+draining$/m);
  assert.match(text, /^ {2}2001:db8::10\/128\s+VI_2\s+quorum\s+withdrawn$/m);
  assert.match(text, /^ {2}192\.0\.2\.12\s+65000\s+established\s+1$/m);
  assert.doesNotMatch(renderStatus(statusView(PROCESS, snapshot(), NOW), { colour: false, nowMs: NOW }), /BGP/);
});

test('human status and the view: the BFD section (neighbor, local/remote state, intervals, detection time, transitions, since)', () => {
  const v6 = bfdSession({
    name: 'bfd_v6',
    neighbor: '2001:db8::2',
    state: 'Down',
    remoteState: 'Down',
    localDiag: 'Control Detection Time Expired',
    txIntervalUs: 1_000_000,
    rxIntervalUs: 10_000,
    detectTimeUs: 0,
    sinceWallMs: NOW - 5_000,
  });
  const v = statusView(PROCESS, { ...snapshot(), bfd: [bfdSession(), v6] }, NOW);
  assert.deepEqual(v.bfd?.[0], {
    name: 'bfd_peer',
    neighbor: '192.0.2.2',
    state: 'Up',
    remoteState: 'Up',
    localDiag: 'No Diagnostic',
    txIntervalMs: 50,
    rxIntervalMs: 50,
    detectTimeMs: 150,
    upTransitions: 2,
    downTransitions: 1,
    sinceMs: 1_000_000,
  });
  const text = renderStatus(v, { colour: false, nowMs: NOW });
  assert.match(text, /^BFD SESSION\s+NEIGHBOR\s+STATE\s+REMOTE\s+DIAG\s+TX\s+RX\s+DETECT\s+UP\/DOWN\s+SINCE$/m);
  assert.match(text, /^bfd_peer\s+192\.0\.2\.2\s+Up\s+Up\s+No Diagnostic\s+50 ms\s+50 ms\s+150 ms\s+2\/1\s+1m05s$/m);
  assert.match(text, /^bfd_v6\s+2001:db8::2\s+Down\s+Down\s+Control Detection Time Expired\s+1000 ms\s+10 ms\s+-\s+2\/1\s+5s$/m);
  assert.ok(text.indexOf('BFD SESSION') > text.indexOf('virtual server'), 'after the virtual servers');
  const plain = renderStatus(statusView(PROCESS, snapshot(), NOW), { colour: false, nowMs: NOW });
  assert.doesNotMatch(plain, /BFD/);
  assert.equal(statusView(PROCESS, snapshot(), NOW).bfd, undefined);
});
