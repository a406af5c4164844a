/**
 * Benchmark: 1,000 VRRP instances (two nodes × 500 VRIDs) for one hour of virtual time on the
 * deterministic simulated segment, with mastership moved every five minutes by a tracker flap.
 * Prints wall time and events per second as a table. Run: npx tsc -p . && node dist/bench/vrrp-sim.js
 */
import { SimNetwork } from '../test/sim/network.js';
import type { VrrpInstanceParamsInput } from '../src/vrrp/instance-params.js';

interface Row {
  readonly scenario: string;
  readonly instances: number;
  readonly virtualS: number;
  readonly events: number;
  readonly transitions: number;
  readonly wallMs: number;
}

function instances(addr: string, prio: number, count: number, version: 2 | 3): VrrpInstanceParamsInput[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `VI_${i + 1}`,
    vrid: i + 1,
    primaryAddress: addr,
    priority: prio,
    version,
    advertIntervalMs: 1000,
    vips: [`198.51.100.${(i % 250) + 1}`],
    trackers: [{ kind: 'script' as const, name: 'chk', weight: -60, reverse: false }],
  }));
}

function run(scenario: string, version: 2 | 3, perNode: number, hourMs: number): Row {
  const net = new SimNetwork({ latencyMs: 0.2, jitterMs: 0.3, loss: 0.001, duplicate: 0.001 }, 42);
  net.recordAll = false;
  net.addNode('A', instances('192.0.2.1', 150, perNode, version));
  net.addNode('B', instances('192.0.2.2', 120, perNode, version));
  for (let t = 300_000, ok = false; t < hourMs; t += 300_000, ok = !ok) {
    const healthy = ok;
    net.at(t, () => {
      for (let i = 1; i <= perNode; i++) net.inject('A', `VI_${i}`, { type: 'tracker', result: { kind: 'script', name: 'chk', ok: healthy } });
    });
  }
  const t0 = performance.now();
  net.start();
  net.runUntil(hourMs);
  const wallMs = performance.now() - t0;
  return { scenario, instances: perNode * 2, virtualS: hourMs / 1000, events: net.events, transitions: net.transitions().length, wallMs };
}

const rows = [run('v2, 1 s adverts', 2, 500, 3_600_000), run('v3, 1 s adverts', 3, 500, 3_600_000)];
console.log('| scenario | instances | virtual s | events | transitions | wall s | events/s | virtual/wall |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const evps = Math.round(r.events / (r.wallMs / 1000));
  console.log(
    `| ${r.scenario} | ${r.instances} | ${r.virtualS} | ${r.events} | ${r.transitions} | ${(r.wallMs / 1000).toFixed(2)} | ${evps} | ${Math.round(r.virtualS / (r.wallMs / 1000))}× |`,
  );
}
