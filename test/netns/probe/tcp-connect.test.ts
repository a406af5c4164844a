/**
 * The bare TCP connect (src/net/tcp-connect.ts) where packets can be lost: host a connects to host b. A port b
 * drops (nft) and an address routed to b that b does not forward (203.0.113.9, a blackhole) both time out within
 * connect_timeout — not before, and not much after; a refused port fails at once; an abort in flight closes the fd.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tcpConnectAsync, tcpTarget, type TcpConnectResult } from '../../../src/net/tcp-connect.js';
import { Topology } from '../harness/topology.js';

const root = process.getuid?.() === 0;
const B = '192.0.2.11';
const BLACKHOLE = '203.0.113.9';
const TIMEOUT_MS = 600;
let topo: Topology;

before(() => {
  if (!root) return;
  topo = Topology.create({ hosts: ['a', 'b'] });
  topo.exec('a', ['ip', 'route', 'add', '203.0.113.0/24', 'via', B]);
  topo.exec('b', ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
  topo.exec('b', ['nft', 'add table inet t; add chain inet t in { type filter hook input priority 0 ; } ; add rule inet t in tcp dport 8099 drop']);
});

after(() => topo?.destroy());

/** Connects from inside host a (the socket is created there synchronously); resolves with the result and ms taken. */
async function fromA(ip: string, port: number, signal?: AbortSignal): Promise<{ r: TcpConnectResult; ms: number }> {
  const t0 = performance.now();
  const p = topo.inside('a', () => tcpConnectAsync(tcpTarget({ connectIp: ip, connectPort: port }), TIMEOUT_MS, signal));
  const r = await p;
  return { r, ms: performance.now() - t0 };
}

test('a dropped port and a blackholed address time out within connect_timeout', { skip: !root && 'needs root' }, async () => {
  for (const [ip, port] of [
    [B, 8099],
    [BLACKHOLE, 80],
  ] as const) {
    const { r, ms } = await fromA(ip, port);
    assert.deepEqual(r, { kind: 'timeout', message: `connect timed out ${ip}:${port}` });
    assert.ok(ms >= TIMEOUT_MS - 5, `${ip}: timed out after ${ms.toFixed(0)} ms, before connect_timeout ${TIMEOUT_MS}`);
    assert.ok(ms < TIMEOUT_MS + 300, `${ip}: timed out after ${ms.toFixed(0)} ms, connect_timeout ${TIMEOUT_MS}`);
  }
});

test('a refused port fails at once', { skip: !root && 'needs root' }, async () => {
  const { r, ms } = await fromA(B, 9);
  assert.deepEqual(r, { kind: 'failed', error: 'ECONNREFUSED', message: `connect ECONNREFUSED ${B}:9` });
  assert.ok(ms < 200, `refused after ${ms.toFixed(0)} ms`);
});

test('an abort while connecting ends the probe and closes its fd', { skip: !root && 'needs root' }, async () => {
  const fds = readdirSync('/proc/self/fd').length;
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const { r, ms } = await fromA(BLACKHOLE, 80, ac.signal);
  assert.equal(r.kind, 'aborted');
  assert.ok(ms >= 95 && ms < 300, `aborted after ${ms.toFixed(0)} ms`);
  assert.equal(readdirSync('/proc/self/fd').length, fds);
});
