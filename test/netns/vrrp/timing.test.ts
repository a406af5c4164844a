/**
 * Issue 14: a pair of our daemons with default configuration (no scheduling keyword) at `advert_int 0.05` keeps its
 * roles for 30 s while busy workers (4 per CPU) saturate every core. Proven on the wire: tcpdump on the BACKUP's
 * link sees the MASTER's adverts at their rate and not one advert from the BACKUP; neither log shows a transition.
 * The side-by-side figures with keepalived 2.2.7 are in bench/vrrp-timing.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { killChildren, Topology } from '../harness/topology.js';
import { Daemons, confText, stop, waitFor } from '../harness/daemons.js';

const VIP = '192.0.2.201';
const LOAD_S = 30;
const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-timing-');
const workers: ChildProcess[] = [];
after(() => {
  killChildren(workers);
  topo.destroy();
  d.removeDir();
});

test(`default pair at advert_int 0.05: no spurious transition in ${LOAD_S} s under 4 busy workers per CPU`, { timeout: 60_000 }, async () => {
  const conf = (name: string, prio: number, state: string) =>
    d.write(`${name}.conf`, confText(name, prio, state, 3, VIP).replace('  advert_int 1\n', '  advert_int 0.05\n'));
  const cap = topo.spawn('b', 'tcpdump', ['-i', 'eth0', '-n', '-tt', '-l', '-p', 'ip proto 112']);
  let wire = '';
  cap.stdout?.on('data', (b: Buffer) => {
    wire += b.toString();
  });
  const A = d.ours('a', conf('a', 200, 'MASTER'));
  const B = d.ours('b', conf('b', 100, 'BACKUP'));
  try {
    assert.ok(
      (await waitFor(() => /Entering MASTER STATE/.test(A.log()) && /Entering BACKUP STATE/.test(B.log()), 10_000)) >= 0,
      `${A.log()}\n${B.log()}`,
    );
    await sleep(1000);
    const offA = A.log().length,
      offB = B.log().length,
      offW = wire.length;
    const n = 4 * availableParallelism();
    for (let i = 0; i < n; i++) workers.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    const t0 = performance.now();
    await sleep(LOAD_S * 1000);
    const secs = (performance.now() - t0) / 1000;
    for (const w of workers) if (w.pid) process.kill(w.pid, 'SIGKILL');
    await sleep(200);
    const aIp = topo.host('a').ipv4;
    const lines = wire
      .slice(offW)
      .split('\n')
      .filter((l) => /VRRPv3, Advertisement/.test(l));
    const fromA = lines.filter((l) => l.includes(` IP ${aIp} > `) && / prio 200,/.test(l)).length;
    const fromB = lines.filter((l) => !l.includes(` IP ${aIp} > `));
    assert.deepEqual(
      [A.log().slice(offA), B.log().slice(offB)].map((t) => t.match(/^.*Entering .*$/gm) ?? []),
      [[], []],
      'no transition logged',
    );
    assert.deepEqual(fromB, [], 'no advert from the BACKUP on the wire');
    // 20 adverts/s expected; lower bound: few adverts lost or late; upper bound: no burst (no re-election, no doubling)
    assert.ok(fromA >= 0.9 * 20 * secs && fromA <= 1.05 * 20 * secs + 2, `${fromA} adverts from A in ${secs.toFixed(1)} s`);
  } finally {
    await Promise.all([stop(A.child), stop(B.child)]);
    cap.kill('SIGTERM');
  }
});
