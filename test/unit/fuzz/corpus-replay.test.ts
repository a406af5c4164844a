/**
 * Replays the fuzz corpora (test/fuzz/corpus/TARGET, kept by `npm run fuzz -- TARGET --save`, plus the regression
 * inputs of past findings) through their targets: every input must pass the target's properties. Deterministic:
 * the files are read in name order and the targets take no randomness from outside the input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CORPUS = fileURLToPath(new URL('../../../../test/fuzz/corpus/', import.meta.url));
const TARGETS = ['vrrp', 'netlink', 'config', 'control', 'http'];

for (const t of TARGETS) {
  test(`fuzz corpus ${t}: every input passes the target's properties`, async () => {
    const mod = (await import(`../../fuzz/targets/${t}.js`)) as { fuzz(d: Uint8Array): void | Promise<void> };
    const files = readdirSync(`${CORPUS}${t}`).sort();
    assert.ok(files.length >= 3, `${t}: a corpus of ${files.length} inputs`);
    for (const f of files) {
      try {
        await mod.fuzz(readFileSync(`${CORPUS}${t}/${f}`));
      } catch (e) {
        assert.fail(`${t}/${f}: ${(e as Error).stack}`);
      }
    }
  });
}
