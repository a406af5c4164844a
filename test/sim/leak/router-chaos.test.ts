/**
 * Issue 16's leak question for the pure VRRP core: node n0's router through 2000 chaos disturbances (reloads with
 * changed and unchanged instances, link flaps, partitions, tracker flips, peers crashed/restarted and frozen; ~2.8
 * virtual hours, the netns soak's mix at 6× its length) keeps its heap flat and its collections bounded. Run in a
 * child node with `--no-opt` (measured: optimised code and feedback add ~0.4 MB over such a run with no leak).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Sample } from './router-chaos.js';

test('router under 2000 chaos disturbances: heap flat after warm-up, every collection bounded', () => {
  const script = fileURLToPath(new URL('./router-chaos.js', import.meta.url));
  const r = spawnSync(process.execPath, ['--expose-gc', '--no-opt', '--max-semi-space-size=1', script, '2000', '250'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const samples = JSON.parse(r.stdout) as Sample[];
  assert.equal(samples.length, 8);
  const warm = samples[1]!; // after 500 disturbances
  const last = samples.at(-1)!;
  // 1500 more disturbances: a leak of 100 bytes per disturbance would be 150 KB
  const grown = last.heapUsed - warm.heapUsed;
  assert.ok(grown < 128 * 1024, `heap grew ${(grown / 1024).toFixed(0)} KiB from disturbance ${warm.cycle} to ${last.cycle}`);
  for (const s of samples) {
    const z = s.sizes;
    assert.deepEqual([z.instances, z.byWire, z.groups, z.agendaKeys], [4, 4, 1, 4], JSON.stringify(s));
    assert.ok(z.linkUp! <= 1 && z.dropLogged! <= 4 * 8, JSON.stringify(s));
    assert.ok(z.agendaHeap! <= 64 && z.rivals! <= 8 && z.trackerResults! <= 4, JSON.stringify(s));
  }
});
