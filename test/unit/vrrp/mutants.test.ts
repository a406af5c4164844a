/**
 * Tests written for mutation-testing survivors (npm run mutate -- vrrp-rx): receive checks that no scenario
 * reached, where a changed condition is how a split brain ships.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateAdvert, type RxExpectations } from '../../../src/vrrp/validate.js';
import type { RxMeta, VrrpAdvert } from '../../../src/vrrp/types.js';

const advert: VrrpAdvert = {
  version: 3,
  type: 1,
  vrid: 51,
  priority: 150,
  family: 4,
  addresses: ['192.0.2.100'],
  advertIntervalCs: 100,
  authType: 0,
  checksum: 0,
};
const base: RxExpectations = {
  instanceName: 'VI_1',
  vrid: 51,
  version: 3,
  family: 4,
  authType: 0,
  advertIntervalCs: 100,
  vips: ['192.0.2.100'],
  unicast: false,
};
const meta = (source: string, destination: string, ttl: number): RxMeta => ({ source, destination, ttl, ifindex: 2 });

test('check_unicast_src on a multicast instance does not apply: any on-link source is accepted (keepalived checks only unicast instances)', () => {
  const v = validateAdvert(advert, meta('192.0.2.77', '224.0.0.18', 255), { ...base, checkUnicastSrc: true });
  assert.equal(v.ok, true, JSON.stringify(v));
});

test('check_unicast_src: a source that is not a peer is dropped, uncounted but for advert_rcvd, and logged with the address', () => {
  const exp: RxExpectations = { ...base, unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: '192.0.2.12' }] };
  const v = validateAdvert(advert, meta('192.0.2.77', '192.0.2.10', 255), exp);
  assert.equal(v.ok, false);
  assert.ok(!v.ok && v.reason === 'unicast-source' && v.counter === null && v.counters.join() === 'advert_rcvd', JSON.stringify(v));
  assert.ok(!v.ok && v.logText.includes('192.0.2.77'));
  assert.equal(validateAdvert(advert, meta('192.0.2.12', '192.0.2.10', 255), exp).ok, true, 'the peer itself is accepted');
  assert.equal(
    validateAdvert(advert, meta('192.0.2.77', '192.0.2.10', 255), { ...exp, checkUnicastSrc: false }).ok,
    true,
    'without check_unicast_src',
  );
});

test('unicast peer min_ttl/max_ttl: both ends are inclusive, one past either end is dropped as ip_ttl_err', () => {
  const exp: RxExpectations = { ...base, unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: '192.0.2.12', minTtl: 10, maxTtl: 64 }] };
  const at = (ttl: number) => validateAdvert(advert, meta('192.0.2.12', '192.0.2.10', ttl), exp);
  assert.deepEqual(
    [9, 10, 64, 65].map((t) => at(t).ok),
    [false, true, true, false],
  );
  const v = at(65);
  assert.ok(!v.ok && v.reason === 'unicast-ttl-range' && v.counter === 'ip_ttl_err' && v.logText.includes('not in range 10 - 64'), JSON.stringify(v));
  assert.equal(at(-1).ok, true, 'no TTL from the kernel (IPv6 without hop limit): not checked');
});

test('a multicast instance drops TTL 254 and accepts 255 only; a unicast instance does not check against 255', () => {
  assert.deepEqual(
    [254, 255].map((t) => validateAdvert(advert, meta('192.0.2.12', '224.0.0.18', t), base).ok),
    [false, true],
  );
  const uni: RxExpectations = { ...base, unicast: true, unicastPeers: [{ address: '192.0.2.12' }] };
  assert.equal(validateAdvert(advert, meta('192.0.2.12', '192.0.2.10', 64), uni).ok, true);
});

test('a unicast packet on a multicast instance (and the reverse) is dropped as addr_list_err', () => {
  const v = validateAdvert(advert, meta('192.0.2.12', '192.0.2.10', 255), base);
  assert.ok(!v.ok && v.reason === 'destination-mode' && v.counter === 'addr_list_err', JSON.stringify(v));
  const uni: RxExpectations = { ...base, unicast: true, unicastPeers: [{ address: '192.0.2.12' }] };
  const w = validateAdvert(advert, meta('192.0.2.12', '224.0.0.18', 255), uni);
  assert.ok(!w.ok && w.reason === 'destination-mode', JSON.stringify(w));
});

test('TTL 0 on a multicast instance is dropped (only a missing TTL, -1, skips the check)', () => {
  assert.equal(validateAdvert(advert, meta('192.0.2.12', '224.0.0.18', 0), base).ok, false);
  const exp: RxExpectations = { ...base, unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: '192.0.2.12', minTtl: 1 }] };
  assert.equal(validateAdvert(advert, meta('192.0.2.12', '192.0.2.10', 0), exp).ok, false, 'min_ttl 1 refuses TTL 0');
});

test('VRRPv2 auth: NONE to NONE and the right PASS are accepted; a wrong password, a missing one and type 3 are not', () => {
  const pw = Buffer.from('secret12');
  const v2: VrrpAdvert = { ...advert, version: 2, authType: 0 };
  const none: RxExpectations = { ...base, version: 2 };
  assert.equal(validateAdvert(v2, meta('192.0.2.12', '224.0.0.18', 255), none).ok, true);
  const pass: RxExpectations = { ...none, authType: 1, authData: pw };
  const withPw = (p: string, type = 1): VrrpAdvert => ({ ...v2, authType: type, authData: Buffer.from(p.padEnd(8, '\0')) });
  const at = (a: VrrpAdvert) => validateAdvert(a, meta('192.0.2.12', '224.0.0.18', 255), pass);
  assert.equal(at(withPw('secret12')).ok, true);
  const wrong = at(withPw('secret13'));
  assert.ok(!wrong.ok && wrong.counter === 'auth_failure', JSON.stringify(wrong));
  const missing = at(v2);
  assert.ok(!missing.ok && missing.counter === 'authtype_mismatch', JSON.stringify(missing));
  const bogus = at(withPw('secret12', 3));
  assert.ok(!bogus.ok && bogus.counter === 'invalid_authtype', JSON.stringify(bogus));
});
