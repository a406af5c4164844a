/**
 * The rogue advertiser (keepalived-ts-rogue, src/cli/rogue.ts) against a running pair of our daemons
 * (a MASTER 200, c BACKUP 100, VRRPv2 PASS, VRID 51), from host b:
 *  1. each invalid kind at 2000/s: no crash, no transition, and each counter moves by exactly the packets sent
 *     (less the packets the kernel dropped from the socket's queue, read from /proc/PID/net/raw);
 *  2. a flood of 30 000 invalid packets of all kinds paced at 10 000/s: the same, with the daemons' CPU time bounded and the log
 *     rate-limited;
 *  3. a valid advert with priority 254 from a spoofed source and the sniffed password: VRRP cannot refuse it, the
 *     master yields (release_master, Entering BACKUP); with a wrong password it is refused and counted;
 *  4. a unicast pair with check_unicast_src: the same spoof from a non-peer source is refused (logged), from the
 *     peer's own address it is not (what check_unicast_src does and does not protect).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor, type RunningOurs } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';
import type { RogueReport } from '../../../src/cli/rogue-run.js';

const ROGUE = new URL('../../../src/cli/rogue.js', import.meta.url).pathname;
const topo = Topology.create({ hosts: ['a', 'b', 'c'] });
const d = Daemons.inTempDir(topo, 'kts-rogue-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const VIP = '192.0.2.191';
const COUNTED = [
  'packet_len_err',
  'ip_ttl_err',
  'invalid_type_rcvd',
  'addr_list_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'advert_interval_err',
];
/** The counter each invalid kind moves (null: keepalived drops it uncounted). */
const COUNTER: Record<string, string | null> = {
  truncated: 'packet_len_err',
  oversized: 'packet_len_err',
  ttl: 'ip_ttl_err',
  auth: 'auth_failure',
  authtype: 'authtype_mismatch',
  addresses: 'addr_list_err',
  version: null,
  checksum: null,
  interval: null,
};

async function stats(o: RunningOurs): Promise<Record<string, number>> {
  const r = await controlRequest(o.controlSocket, 'json');
  assert.ok(r.ok && r.text, JSON.stringify(r));
  return (JSON.parse(r.ok ? (r.text ?? '[]') : '[]') as { stats: Record<string, number> }[])[0]!.stats;
}

/** CPU seconds (user + system) of the daemon's parent and VRRP child. */
function cpu(o: RunningOurs): number {
  let ticks = 0;
  for (const pid of [o.child.pid, pidIn(o.vrrpPidFile)]) {
    if (!pid) continue;
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100;
}

/** Packets the kernel dropped from the VRRP child's raw VRRP sockets (receive queue full). */
function drops(o: RunningOurs): number {
  const pid = pidIn(o.vrrpPidFile);
  let n = 0;
  for (const line of readFileSync(`/proc/${pid}/net/raw`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 12 && f[1]!.endsWith(':0070')) n += Number(f[f.length - 1]);
  }
  return n;
}

/** Runs the rogue tool in host b and returns its per-kind reports. */
async function rogue(args: readonly string[]): Promise<RogueReport[]> {
  const c = topo.spawn('b', process.execPath, [ROGUE, '--interface', 'eth0', '--vrid', '51', '--vip', VIP, '--json', '--pause-ms', '300', ...args]);
  let out = '';
  c.stdout?.on('data', (x: Buffer) => (out += x.toString()));
  c.stderr?.on('data', (x: Buffer) => (out += x.toString()));
  const code = await new Promise<number | null>((r) => c.on('exit', r));
  assert.equal(code, 0, out);
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RogueReport);
}

/** Complete lines logged so far (the text after the last newline is not yet a line). */
const lines = (o: RunningOurs): number => o.log().split('\n').length - 1;
const since = (o: RunningOurs, n: number): string => o.log().split('\n').slice(n).join('\n');

test('rogue traffic at a pair: invalid kinds counted exactly, a 10 k/s flood changes nothing at bounded CPU, a spoofed valid advert takes over', async (t) => {
  const a = d.ours('a', d.conf('rogue-a.conf', 200, 'MASTER', 2, VIP));
  const c = d.ours('c', d.conf('rogue-c.conf', 100, 'BACKUP', 2, VIP));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', VIP), 20000)) >= 0, a.log());
    await sleep(1500);
    const pair = [a, c] as const;
    const mark = pair.map(lines);

    // 1. each invalid kind, 1000 packets at 2000/s
    const kinds = Object.keys(COUNTER);
    for (const kind of kinds) {
      const before = await Promise.all(pair.map(stats));
      const dropsBefore = pair.map(drops);
      const [rep] = await rogue(['--source', '192.0.2.66', '--auth-pass', 'secret12', '--kind', kind, '--rate', '2000', '--count', '1000']);
      assert.equal(rep!.sent, 1000);
      await sleep(300);
      const after = await Promise.all(pair.map(stats));
      for (const [i, o] of pair.entries()) {
        const lost = drops(o) - dropsBefore[i]!;
        for (const name of COUNTED) {
          const delta = after[i]![name]! - before[i]![name]!;
          const want = COUNTER[kind] === name ? 1000 - lost : 0;
          assert.equal(delta, want, `${o.host} ${kind}: ${name} moved by ${delta}, ${lost} dropped by the kernel\n${JSON.stringify(after[i])}`);
        }
      }
      t.diagnostic(`${kind}: 1000 sent, counted as ${COUNTER[kind] ?? '(nothing)'} on both`);
    }

    // 2. the flood
    const cpu0 = pair.map(cpu);
    const before = await Promise.all(pair.map(stats));
    const dropsBefore = pair.map(drops);
    const t0 = Date.now();
    // 30 000 packets paced at 10 000/s (3 s; longer on a loaded machine, where the sender gets less CPU)
    const [flood] = await rogue(['--source', '192.0.2.66', '--auth-pass', 'secret12', '--kind', 'flood', '--rate', '10000', '--count', '30000']);
    const wall = (Date.now() - t0) / 1000;
    await sleep(4000); // longer than the backup's Master_Down_Interval
    const rate = flood!.sent / flood!.seconds;
    t.diagnostic(
      `flood: ${flood!.sent} packets in ${flood!.seconds.toFixed(2)} s (${Math.round(rate)}/s), ${flood!.refused} refused by b's send queue`,
    );
    assert.equal(flood!.sent, 30_000);
    const after = await Promise.all(pair.map(stats));
    for (const [i, o] of pair.entries()) {
      const used = cpu(o) - cpu0[i]!;
      const lost = drops(o) - dropsBefore[i]!;
      t.diagnostic(
        `${o.host}: ${used.toFixed(2)} s CPU for ${flood!.sent} packets over ${wall.toFixed(1)} s (${((used / flood!.sent) * 1e6).toFixed(1)} µs/packet), ${lost} dropped by the kernel`,
      );
      assert.ok(used > 0, 'the daemon did receive the flood');
      assert.ok(used < wall * 0.9, `${o.host} used ${used.toFixed(2)} s CPU in ${wall.toFixed(1)} s`);
      for (const name of COUNTED) {
        const want = Object.entries(flood!.byKind ?? {})
          .filter(([k]) => COUNTER[k] === name)
          .reduce((s, [, n]) => s + n, 0);
        // malformed packets (random bytes) land on several counters: they widen the upper bound only
        const malformed = flood!.byKind?.['malformed'] ?? 0;
        const delta = after[i]![name]! - before[i]![name]!;
        assert.ok(
          delta >= want - lost && delta <= want + malformed,
          `${o.host} flood: ${name} moved by ${delta}, sent ${want} (+${malformed} malformed), ${lost} dropped`,
        );
      }
    }
    assert.equal(a.child.exitCode, null, 'a is alive');
    assert.equal(c.child.exitCode, null, 'c is alive');
    assert.ok(d.hasVip('a', VIP) && !d.hasVip('c', VIP), 'the VIP stayed on a only');
    for (const [i, o] of pair.entries()) {
      const log = since(o, mark[i]!);
      assert.doesNotMatch(log, /Entering (MASTER|BACKUP|FAULT)/, `${o.host}:\n${log}`);
      const n = log.split('\n').length;
      t.diagnostic(`${o.host}: ${n} log lines for ${flood!.sent + kinds.length * 1000} invalid packets`);
      assert.ok(n < 200, `${o.host} logged ${n} lines`);
    }
    for (const [i, o] of pair.entries())
      for (const k of ['become_master', 'release_master']) assert.equal(after[i]![k], before[i]![k], `${o.host}: ${k} moved during the flood`);

    // 3. spoofed source, wrong password: refused and counted; with the sniffed password: VRRP cannot refuse it
    const s0 = await stats(a);
    await rogue(['--source', '192.0.2.77', '--auth-pass', 'secret12', '--spoof-pass', 'guess', '--kind', 'spoof', '--rate', '1', '--seconds', '2.5']);
    const s1 = await stats(a);
    assert.ok(d.hasVip('a', VIP), 'a wrong password does not take over');
    assert.ok(s1['auth_failure']! - s0['auth_failure']! >= 2, JSON.stringify(s1));
    const mark3 = lines(a);
    await rogue(['--source', '192.0.2.77', '--auth-pass', 'secret12', '--kind', 'spoof', '--rate', '1', '--seconds', '2.5']);
    assert.ok((await waitFor(() => !d.hasVip('a', VIP), 3000)) >= 0, `a yields to a valid advert with priority 254\n${a.log()}`);
    const log3 = since(a, mark3);
    t.diagnostic(`a logged:\n${log3}`);
    // the intruder's address, in keepalived's words (vrrp.c vrrp_state_master_rx), then the transition
    assert.match(
      log3,
      /^.*: \(VI_1\) Master received advert from 192\.0\.2\.77 with higher priority 254, ours 200\n.*: \(VI_1\) Entering BACKUP STATE\n/,
    );
    const s2 = await stats(a);
    assert.equal(s2['release_master']! - s1['release_master']!, 1);
  } finally {
    await stop(c.child);
    await stop(a.child);
  }
});

test('check_unicast_src refuses a spoofed advert from a non-peer source, not one spoofing the peer', async (t) => {
  const uni = (peer: string) =>
    `  unicast_src_ip ${peer === '192.0.2.12' ? '192.0.2.10' : '192.0.2.12'}\n  unicast_peer {\n    ${peer}\n  }\n  check_unicast_src\n`;
  const a = d.ours('a', d.conf('rogue-ua.conf', 200, 'MASTER', 2, VIP, uni('192.0.2.12')));
  const c = d.ours('c', d.conf('rogue-uc.conf', 100, 'BACKUP', 2, VIP, uni('192.0.2.10')));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', VIP), 20000)) >= 0, a.log());
    await sleep(1500);
    const mark = lines(a);
    const spoof = ['--auth-pass', 'secret12', '--kind', 'spoof', '--rate', '2', '--seconds', '2.5', '--destination', '192.0.2.10'];
    const s0 = await stats(a);
    const [rep] = await rogue(['--source', '192.0.2.77', ...spoof]);
    await sleep(500);
    assert.ok(d.hasVip('a', VIP), `a non-peer source is refused\n${since(a, mark)}`);
    const s1 = await stats(a);
    // keepalived counts these as received (advert_rcvd) and nothing else; the master receives nothing else here
    assert.equal(s1['advert_rcvd']! - s0['advert_rcvd']!, rep!.sent, JSON.stringify(s1));
    t.diagnostic(`a counted ${rep!.sent} refused spoofs as advert_rcvd; logged:\n${since(a, mark)}`);
    const mark2 = lines(a);
    await rogue(['--source', '192.0.2.12', ...spoof]);
    assert.ok((await waitFor(() => !d.hasVip('a', VIP), 3000)) >= 0, `spoofing the peer's address takes over\n${since(a, mark2)}`);
  } finally {
    await stop(c.child);
    await stop(a.child);
  }
});
