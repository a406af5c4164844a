/**
 * The netns chaos soak's draws and configurations, without root: a seed replays the same cluster and
 * disturbances, n0 is never SIGKILLed, every node's configuration loads without a diagnostic in keepalived-ts, and
 * keepalived peers get what the README says a peer needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, draw, NETNS_DISTURBANCES } from '../../soak/netns-schedule.js';
import { clusterSettleMs, configText, KEEPALIVED_SKIPS, SOAK_VRIDS } from '../../soak/netns-cluster.js';
import { loadConfig } from '../../../src/config/index.js';

test('netns soak: a seed draws the same cluster and disturbances; every kind comes up; n0 is never killed', () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 30; seed++) {
    const a = draw(seed);
    const b = draw(seed);
    assert.deepEqual(a.plans, b.plans);
    assert.ok(a.plans.length >= 3 && a.plans.length <= 5);
    assert.deepEqual(
      a.plans.map((p) => p.impl),
      a.plans.map((_, i) => (i % 2 === 0 ? 'ours' : 'keepalived')),
    );
    for (let i = 0; i < 40; i++) {
      const s = a.next();
      assert.deepEqual(s, b.next());
      seen.add(s.kind);
      if (s.kind === 'crash') assert.notEqual(s.who, 'n0', `seed ${seed}: ${describe(s)}`);
      assert.ok(s.durationMs >= 100 && s.durationMs <= 6000 && s.gapMs >= 500 && s.gapMs <= 3000);
    }
  }
  assert.deepEqual([...seen].sort(), [...NETNS_DISTURBANCES].sort());
});

test('netns soak: each node configuration loads cleanly; keepalived peers send higher_prio adverts and skip 0.05 s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-soak-unit-'));
  try {
    const { plans, cluster } = draw(11, 4);
    for (const p of plans) {
      const text = configText(p, cluster, '/nonexistent/ok');
      const file = join(dir, `${p.name}.conf`);
      writeFileSync(file, text);
      const r = loadConfig(file, { configId: 'soak' });
      assert.deepEqual(
        r.diagnostics.filter((d) => d.severity === 'error'),
        [],
      );
      const names = r.config.vrrpInstances.map((i) => i.name).sort();
      const want = SOAK_VRIDS.filter((v) => p.impl === 'ours' || !KEEPALIVED_SKIPS.includes(v.name)).map((v) => v.name);
      assert.deepEqual(names, want.sort());
      assert.equal(text.includes('vrrp_higher_prio_send_advert'), p.impl === 'keepalived');
    }
    // Master_Down_Interval of VRRPv2 at 1 s for priority 1 (3 + 255/256 s) + one advert interval.
    assert.equal(clusterSettleMs({ ...cluster, preemptDelay: false }), 3000 + Math.floor((255 * 1_000_000) / 256) / 1000 + 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
