/**
 * BFD against keepalived 2.2.7's own BFD process, both ways (each side's session comes Up, with keepalived's log
 * lines on its side), IPv4 at 50 ms × 3 (keepalived's BFD process runs SCHED_OTHER: 10 ms misses deadlines on a
 * loaded shared host), and a link cut takes both Down within the Detection Time (150 ms; tolerance +250 ms, from
 * the log pipes of two daemons on a loaded host).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop } from '../harness/daemons.js';
import { bfdInstance, whenLogged } from './peers.js';

test('BFD with keepalived 2.2.7: Up both ways, both Down within the Detection Time after a link cut', { timeout: 90_000 }, async (t) => {
  const topo = Topology.create({ hosts: ['a', 'b'] });
  const d = Daemons.inTempDir(topo, 'kts-bfd-ka-');
  t.after(() => {
    topo.destroy();
    d.removeDir();
  });
  const a = topo.hosts.get('a')!;
  const b = topo.hosts.get('b')!;
  const timing = { minRx: 50, minTx: 50, mult: 3 };
  const k = d.ours('a', d.write('ours.conf', bfdInstance('to_ka', { neighbor: b.ipv4, source: a.ipv4, ...timing })));
  const ka = d.keepalivedAll('b', d.write('ka.conf', bfdInstance('to_ts', { neighbor: a.ipv4, source: b.ipv4, ...timing })));
  assert.ok((await whenLogged(k, /\(to_ka\) Entering Up state/, 20_000)) > 0, `ours Up\n${k.log()}`);
  assert.ok((await whenLogged(ka, /\(to_ts\) Entering Up state/, 10_000)) > 0, `keepalived Up\n${ka.log()}`);
  assert.ok((await whenLogged(k, / Detection time is 150000 us/, 5000)) > 0);
  await new Promise((r) => setTimeout(r, 2000));
  const mk = k.log().length;
  const mka = ka.log().length;
  const t0 = performance.now();
  topo.linkDown('b');
  const t1 = performance.now();
  const [dk, dka] = await Promise.all([
    whenLogged(k, /\(to_ka\) Entering Down state \(Local diagnostic - Control Detection Time Expired/, 5000, mk),
    whenLogged(ka, /\(to_ts\) Entering Down state \(Local diagnostic - Control Detection Time Expired/, 5000, mka),
  ]);
  t.diagnostic(
    `link cut: ours Down ${(dk - t1).toFixed(0)} ms, keepalived Down ${(dka - t1).toFixed(0)} ms after the cut command returned (${(t1 - t0).toFixed(0)} ms long)`,
  );
  for (const [who, at] of [
    ['ours', dk],
    ['keepalived', dka],
  ] as const) {
    assert.ok(at > 0 && at - t0 >= 150 - 50 - 5 && at - t1 <= 150 + 250, `${who} Down at ${at - t1} ms`);
  }
  topo.linkUp('b');
  assert.ok((await whenLogged(k, /\(to_ka\) Entering Up state/, 20_000, mk)) > 0, 'Up again');
  await stop(k.child);
  await stop(ka.child);
});
