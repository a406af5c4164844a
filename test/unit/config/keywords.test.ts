/**
 * docs/keywords.md is generated (npm run keywords) from keepalived's keyword list and our parser; this fails when
 * the committed file is not what the generator prints now, so the table cannot drift from the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KEYWORDS_MD, keywordTable } from '../../../scripts/keywords.js';
import { keepalivedKeywords } from './corpus.js';

test('docs/keywords.md is up to date (run `npm run keywords`)', () => {
  assert.equal(readFileSync(KEYWORDS_MD, 'utf8'), keywordTable(), 'docs/keywords.md is stale: run `npm run keywords` and commit it');
});

test('the table lists every keepalived 2.2.7 keyword once per block', () => {
  const ks = keepalivedKeywords();
  assert.ok(ks.length > 350, `only ${ks.length} keywords`);
  const rows = readFileSync(KEYWORDS_MD, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| block') && !l.startsWith('| ---'));
  assert.equal(rows.length, ks.length);
  for (const k of ['vrrp_instance', 'virtual_routes', 'vrrp_no_swap', 'HTTP_GET'])
    assert.ok(
      rows.some((r) => r.includes(`\`${k}\``)),
      k,
    );
});
