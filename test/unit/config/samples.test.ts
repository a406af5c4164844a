/**
 * Corpus test: every keepalived.conf* sample shipped by Debian's keepalived package (/usr/share/doc/keepalived/samples, copied
 * into test/fixtures/keepalived/samples; .gz ones decompressed in memory) loads through loadConfig with no error. Warnings are fine. Two samples need care:
 * keepalived.conf.conditional_conf is written for `-i high` or `-i low` (its first line says so) and runs under both;
 * keepalived.conf.vrrp.rules has a typo (`192.168.100./24`) that keepalived 2.2.7 `-t` itself rejects on lines 11
 * and 26, so exactly those errors are expected there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, loadConfig, loadConfigTree, nodeFs } from '../../../src/config/index.js';
import type { ConfigFs } from '../../../src/config/preprocess.js';

/** Debian's samples, copied into the repository (nothing is read outside it). */
const DIR = fileURLToPath(new URL('../../../../test/fixtures/keepalived/samples', import.meta.url));

/** Config ids to load a sample with (keepalived's -i); one run per id. */
const CONFIG_IDS: Record<string, string[]> = { 'keepalived.conf.conditional_conf': ['high', 'low'] };

/** Errors keepalived 2.2.7 reports for the same lines (`keepalived -t -f SAMPLE`), as `line: message`. */
const KNOWN_ERRORS: Record<string, string[]> = {
  'keepalived.conf.vrrp.rules': ['11: Invalid rule to address 192.168.100./24', '26: Invalid rule to address 192.168.200./24'],
};

/** The real file system, except that a .gz sample reads as its decompressed text. */
function sampleFs(path: string): ConfigFs {
  if (!path.endsWith('.gz')) return nodeFs;
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  return { readFile: (p) => (p === path ? text : nodeFs.readFile(p)), listDir: (d) => nodeFs.listDir(d) };
}

if (!existsSync(DIR)) {
  test('Debian keepalived samples load without errors', (t) => {
    t.skip('keepalived package not installed');
  });
} else {
  const samples = readdirSync(DIR)
    .filter((f) => f.startsWith('keepalived.conf'))
    .sort();
  test('the samples directory holds keepalived.conf samples', () => {
    assert.ok(samples.length >= 20, `only ${samples.length} samples in ${DIR}`);
  });
  for (const name of samples) {
    for (const configId of CONFIG_IDS[name] ?? ['samples']) {
      test(`${name} (-i ${configId}) loads without errors`, () => {
        const path = `${DIR}/${name}`;
        const fs = sampleFs(path);
        const { tree } = loadConfigTree(path, { configId, fs });
        assert.ok(tree.length > 0, `${name}: no statement read`);
        const { diagnostics } = loadConfig(path, { configId, fs });
        const errors = diagnostics.filter((d) => d.severity === 'error');
        assert.deepEqual(
          errors.map((d) => `${d.pos.line}: ${d.message}`),
          KNOWN_ERRORS[name] ?? [],
          errors.map(formatDiagnostic).join('\n'),
        );
      });
    }
  }
}
