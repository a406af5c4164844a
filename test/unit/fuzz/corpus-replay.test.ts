/**
 * Replays the fuzz corpora (test/fuzz/corpus/TARGET, kept by `npm run fuzz -- TARGET --save`) through their targets:
 * every input must pass the target's properties. Time-bounded for the unit tier: the pinned inputs — the hand-made
 * seeds (`seed-*`) and every past finding (`finding-*`, which must never be dropped) — always run; the other inputs
 * run in name order until the target's budget is spent (all of them, ~3 s in total, on an idle machine). The test
 * reports how many ran. The control and HTTP targets close their servers at the end (`teardown`): left open, they
 * kept the test file's process alive, which is why the replay once "did not finish within 10 minutes".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CORPUS = fileURLToPath(new URL('../../../../test/fuzz/corpus/', import.meta.url));
const TARGETS = ['vrrp', 'netlink', 'config', 'control', 'http'];
/** Per target, for the inputs that are not pinned (5 targets: under 60 s in all, with the pinned ones). */
const BUDGET_MS = 8000;

/** Whether an input always runs. */
const pinned = (f: string): boolean => f.startsWith('seed-') || f.startsWith('finding-');

for (const t of TARGETS) {
  test(`fuzz corpus ${t}: every input passes the target's properties (within ${BUDGET_MS / 1000} s for the unpinned)`, async (ctx) => {
    const mod = (await import(`../../fuzz/targets/${t}.js`)) as { fuzz(d: Uint8Array): void | Promise<void>; teardown?: () => Promise<void> };
    const files = readdirSync(`${CORPUS}${t}`).sort();
    assert.ok(files.length >= 3, `${t}: a corpus of ${files.length} inputs`);
    const order = [...files.filter(pinned), ...files.filter((f) => !pinned(f))];
    const t0 = Date.now();
    let ran = 0;
    try {
      for (const f of order) {
        if (!pinned(f) && Date.now() - t0 > BUDGET_MS) break;
        try {
          await mod.fuzz(readFileSync(`${CORPUS}${t}/${f}`));
        } catch (e) {
          assert.fail(`${t}/${f}: ${(e as Error).stack}`);
        }
        ran++;
      }
    } finally {
      await mod.teardown?.();
    }
    ctx.diagnostic(`${t}: ${ran} of ${files.length} inputs (${files.filter(pinned).length} pinned) in ${Date.now() - t0} ms`);
    assert.ok(ran >= files.filter(pinned).length && ran > 0);
  });
}
