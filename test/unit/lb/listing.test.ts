import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { largenum, renderListing, type ListingFormat } from '../../../src/lb/listing.js';
import type { LbServiceState } from '../../../src/lb/backend.js';

// Captured in the UML guest by scripts/ipvs-capture-fixtures: our list() of a kernel state, and ipvsadm's listing of it.
const DIR = join(process.env['KTS_ROOT'] ?? new URL('../../../../', import.meta.url).pathname, 'test', 'fixtures', 'ipvs');
const FORMS: Record<string, ListingFormat> = { 'ipvsadm-Ln.txt': 'default', 'ipvsadm-Ln-stats.txt': 'stats', 'ipvsadm-Ln-rate.txt': 'rate' };

const cases = readdirSync(DIR)
  .filter((n) => existsSync(join(DIR, n, 'state.json')))
  .sort();
test('every fixture directory was captured', () => {
  assert.deepEqual(cases, ['mh-sip', 'mixed', 'nat-traffic', 'tcp-persistent', 'tunnels']);
});

for (const name of cases) {
  for (const [file, format] of Object.entries(FORMS)) {
    if (!existsSync(join(DIR, name, file))) continue;
    test(`${name}: renderListing(${format}) equals ipvsadm's ${file} byte for byte`, () => {
      const { info, services } = JSON.parse(readFileSync(join(DIR, name, 'state.json'), 'utf8')) as {
        info: { version: number; connTabSize: number };
        services: LbServiceState[];
      };
      assert.equal(renderListing(services, info, format), readFileSync(join(DIR, name, file), 'utf8'));
    });
  }
}

test('ipvsadm sort order does not depend on the order list() returns', () => {
  const { info, services } = JSON.parse(readFileSync(join(DIR, 'mixed', 'state.json'), 'utf8')) as {
    info: { version: number; connTabSize: number };
    services: LbServiceState[];
  };
  const reversed = [...services].reverse().map((s) => ({ ...s, dests: [...s.dests].reverse() }));
  assert.equal(renderListing(reversed, info), readFileSync(join(DIR, 'mixed', 'ipvsadm-Ln.txt'), 'utf8'));
});

test('largenum: 9 columns below 10^8, then K/M/G/T in 8 digits + unit (print_largenum)', () => {
  assert.deepEqual([0, 99999999, 100000000, 999999999, 1e9, 99999999999, 1e11, 1e14].map(largenum), [
    '        0',
    ' 99999999',
    '  100000K',
    '  999999K',
    '    1000M',
    '   99999M',
    '     100G',
    '     100T',
  ]);
});
