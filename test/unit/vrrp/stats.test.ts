/**
 * keepalived's per-instance counters and the keepalived.stats text block, checked against a file written by
 * keepalived 2.2.7 itself (test/unit/daemon/fixtures/keepalived.stats).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bump, clearStats, createStats, renderStatsBlock, STAT_NAMES, type StatName } from '../../../src/vrrp/stats.js';

const FIXTURE = process.env['KTS_ROOT']
  ? join(process.env['KTS_ROOT'], 'test/unit/daemon/fixtures/keepalived.stats')
  : fileURLToPath(new URL('../../../../test/unit/daemon/fixtures/keepalived.stats', import.meta.url));

/** Line order of the numbers in keepalived.stats (vrrp_print.c). */
const PRINT_ORDER: StatName[] = [
  'advert_rcvd',
  'advert_sent',
  'become_master',
  'release_master',
  'packet_len_err',
  'ip_ttl_err',
  'invalid_type_rcvd',
  'advert_interval_err',
  'addr_list_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'pri_zero_rcvd',
  'pri_zero_sent',
];

test('counter names are keepalived JSON stats names, in its order', () => {
  assert.deepEqual(
    [...STAT_NAMES],
    [
      'advert_rcvd',
      'advert_sent',
      'become_master',
      'release_master',
      'packet_len_err',
      'advert_interval_err',
      'ip_ttl_err',
      'invalid_type_rcvd',
      'addr_list_err',
      'invalid_authtype',
      'authtype_mismatch',
      'auth_failure',
      'pri_zero_rcvd',
      'pri_zero_sent',
    ],
  );
  const s = createStats();
  assert.deepEqual(Object.keys(s), [...STAT_NAMES]);
  assert.ok(Object.values(s).every((v) => v === 0));
});

test('renderStatsBlock reproduces keepalived 2.2.7 keepalived.stats byte for byte', () => {
  const text = readFileSync(FIXTURE, 'utf8');
  const blocks = text.split(/(?=^VRRP Instance: )/m).filter((b) => b.length > 0);
  assert.ok(blocks.length >= 1);
  let rendered = '';
  for (const block of blocks) {
    const name = /^VRRP Instance: (.*)$/m.exec(block)![1]!;
    const numbers = [...block.matchAll(/: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(numbers.length, PRINT_ORDER.length);
    const s = createStats();
    PRINT_ORDER.forEach((k, i) => {
      s[k] = numbers[i]!;
    });
    assert.equal(renderStatsBlock(name, s), block);
    rendered += renderStatsBlock(name, s);
  }
  assert.equal(rendered, text);
});

test('every counter lands on its own line', () => {
  STAT_NAMES.forEach((name, i) => {
    const s = createStats();
    s[name] = 1000 + i;
    const out = renderStatsBlock('VI_X', s);
    assert.equal(out.split(`${1000 + i}`).length, 2, name);
    const line = out.split('\n').findIndex((l) => l.endsWith(`: ${1000 + i}`));
    assert.equal(line, [2, 3, 4, 5, 7, 10, 8, 9, 11, 13, 14, 15, 17, 18][i], name);
  });
});

test('bump and clearStats', () => {
  const s = createStats();
  bump(s, 'auth_failure');
  bump(s, 'auth_failure');
  bump(s, null);
  assert.equal(s.auth_failure, 2);
  assert.equal(
    Object.values(s).reduce((a, b) => a + b, 0),
    2,
  );
  clearStats(s);
  assert.equal(s.auth_failure, 0);
});
