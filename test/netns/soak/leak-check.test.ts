/**
 * Issue 16: the soak's leak check (test/soak/rss-trend.ts: RSS floors after warm-up) on real VRRP children, with
 * time compressed 10× (warm-up 60 s instead of 5 min, 30 s windows instead of 5 min, judged after 150 s instead of
 * 55 min). Two daemons run side by side, each with a test-only memory hook in its VRRP child
 * (src/daemon/test-hooks.ts): one leaks LEAK_KIB_S KiB/s of heap, the other makes GARBAGE_KIB_S KiB/s of heap
 * garbage that lives 2 s (it survives the young generation and makes the heap swing, as the soak's garbage does).
 * The leak must be caught and the garbage must not be.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor } from '../harness/daemons.js';
import { RssTrend, type RssTrendOptions } from '../../soak/rss-trend.js';
import { rssKiB } from '../../soak/netns-cluster.js';
import { TEST_GARBAGE_ENV, TEST_LEAK_ENV } from '../../../src/daemon/test-hooks.js';

const LEAK_KIB_S = 300;
const GARBAGE_KIB_S = 2000;
const SAMPLE_MS = 2000;
const OPTS: RssTrendOptions = { warmupMs: 60_000, windowMs: 30_000, ratio: 1.1, judgeAfterMs: 150_000 };

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-leak-check-');
after(() => {
  topo.destroy();
  d.removeDir();
});

test('the soak leak check catches a slow leak in a VRRP child and not steady garbage', { timeout: 300_000 }, async () => {
  const leaky = d.ours('a', d.conf('a.conf', 200, 'MASTER', 3, '192.0.2.201/32'), [], { env: { [TEST_LEAK_ENV]: String(LEAK_KIB_S) } });
  const busy = d.ours('b', d.conf('b.conf', 200, 'MASTER', 3, '192.0.2.202/32').replace(/virtual_router_id 51/, 'virtual_router_id 52'), [], {
    env: { [TEST_GARBAGE_ENV]: String(GARBAGE_KIB_S) },
  });
  try {
    let pids: (number | undefined)[] = [];
    assert.ok(
      (await waitFor(
        () => (pids = [pidIn(leaky.vrrpPidFile), pidIn(busy.vrrpPidFile)]).every((p) => p !== undefined && rssKiB(p) !== undefined),
        60_000,
      )) >= 0,
      `${leaky.log()}\n${busy.log()}`,
    );
    const trends = [new RssTrend(OPTS), new RssTrend(OPTS)];
    const series: number[][] = [[], []];
    const t0 = Date.now();
    while (Date.now() - t0 <= OPTS.judgeAfterMs + SAMPLE_MS) {
      pids.forEach((pid, i) => {
        const kib = rssKiB(pid!);
        assert.ok(kib !== undefined, `VRRP child ${pid} is gone`);
        trends[i]!.add(Date.now(), kib);
        series[i]!.push(kib);
      });
      await sleep(SAMPLE_MS);
    }
    const [leak, garbage] = trends.map((t) => t.verdict()!);
    const fig = (name: string, v: typeof leak, s: number[]) =>
      `${name}: floors ${v!.baseline} → ${v!.end} KiB (×${(v!.end / v!.baseline!).toFixed(3)}), samples ${Math.min(...s)}..${Math.max(...s)} KiB`;
    const text = `${fig('leak', leak, series[0]!)}\n${fig('garbage', garbage, series[1]!)}`;
    console.log(text);
    assert.equal(leak!.leak, true, text);
    assert.equal(garbage!.leak, false, text);
    // the leak is the injected one: about LEAK_KIB_S KiB/s between the windows' floors (60 s apart at least), not more than twice that
    const grown = leak!.end - leak!.baseline!;
    assert.ok(grown >= 0.5 * LEAK_KIB_S * 60 && grown <= (2 * LEAK_KIB_S * (OPTS.judgeAfterMs - OPTS.warmupMs)) / 1000, text);
  } finally {
    await Promise.all([stop(leaky.child), stop(busy.child)]);
  }
});
