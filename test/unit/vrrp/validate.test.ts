/**
 * Receive validation: every drop reason with keepalived 2.2.7's counter and log text (vrrp.c vrrp_check_packet),
 * keepalived's check order when a packet has several faults, and the accept notes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, encodeIpv4Packet, type AdvertInit } from '../../../src/vrrp/packet.js';
import { encodeIpv4Header } from '../../../src/vrrp/ipv4-header.js';
import { checkReceived, countVerdict, validateAdvert, type RxExpectations, type Verdict } from '../../../src/vrrp/validate.js';
import { createStats } from '../../../src/vrrp/stats.js';
import type { RxMeta } from '../../../src/vrrp/types.js';
import { advertVectors } from './packet-vectors.js';

const SRC = '192.0.2.1';
const GROUP = '224.0.0.18';
const meta4: RxMeta = { source: SRC, destination: GROUP, ttl: 255, ifindex: 2 };
const secret = Buffer.from('secret12');

const v2exp: RxExpectations = {
  instanceName: 'VI_1',
  vrid: 51,
  version: 2,
  family: 4,
  authType: 1,
  authData: secret,
  advertIntervalCs: 100,
  vips: ['192.0.2.100', '192.0.2.101'],
  unicast: false,
};
const v2advert: AdvertInit = {
  version: 2,
  vrid: 51,
  priority: 150,
  family: 4,
  addresses: ['192.0.2.100', '192.0.2.101'],
  advertIntervalCs: 100,
  authType: 1,
  authData: secret,
};
const v3exp: RxExpectations = { ...v2exp, version: 3, authType: 0, authData: undefined, advertIntervalCs: 50 };
const v3advert: AdvertInit = { ...v2advert, version: 3, authType: 0, authData: undefined, advertIntervalCs: 50 };

function pkt(a: Partial<AdvertInit>, ip: { ttl?: number; destination?: string; source?: string } = {}, ctx = {}): Buffer {
  return encodeIpv4Packet(
    { ...v2advert, ...a } as AdvertInit,
    { source: ip.source ?? SRC, destination: ip.destination ?? GROUP, ...(ip.ttl !== undefined ? { ttl: ip.ttl } : {}) },
    ctx,
  );
}

function assertDrop(v: Verdict, reason: string, counter: string | null, logText: string, counters?: string[]): void {
  assert.equal(v.ok, false, `expected drop ${reason}, got accept`);
  if (v.ok) return;
  assert.equal(v.reason, reason);
  assert.equal(v.counter, counter);
  assert.equal(v.logText, logText);
  if (counters) assert.deepEqual(v.counters, counters);
}

test('golden keepalived adverts are accepted by an instance configured like the sender', () => {
  for (const v of advertVectors()) {
    const a = v.json.advert;
    const exp: RxExpectations = {
      instanceName: 'VI_G',
      vrid: a.vrid,
      version: a.version,
      family: a.family,
      authType: a.authType,
      ...(a.authData ? { authData: Buffer.from(a.authData, 'hex') } : {}),
      advertIntervalCs: a.advertIntervalCs,
      vips: a.addresses,
      unicast: !/^(224|ff02)/.test(v.json.ip.destination),
      unicastPeers: [{ address: v.json.ip.source }],
      checkUnicastSrc: true,
    };
    const meta: RxMeta = { source: v.json.ip.source, destination: v.json.ip.destination, ttl: v.json.ip.ttl, ifindex: 2 };
    const verdict = checkReceived(a.family === 4 ? v.packet : v.packet.subarray(40), meta, exp, { verifyIpv6Checksum: true });
    assert.ok(verdict.ok, `${v.name}: ${JSON.stringify(verdict)}`);
    assert.deepEqual(verdict.counters, a.priority === 0 ? ['advert_rcvd', 'pri_zero_rcvd'] : ['advert_rcvd']);
    assert.deepEqual(verdict.notes, v.json.checksum4 === 'mcast-group' ? [{ kind: 'old-unicast-checksum' }] : []);
  }
});

test('length: too short / too long against Count (packet_len_err)', () => {
  const p = pkt({});
  assertDrop(checkReceived(p.subarray(0, 40), meta4, v2exp), 'length', 'packet_len_err', '(VI_1) vrrp packet too short, length 40 and expect 44');
  assertDrop(
    checkReceived(Buffer.concat([p, Buffer.alloc(4)]), meta4, v2exp),
    'length',
    'packet_len_err',
    '(VI_1) vrrp packet too long, length 48 and expect 44',
  );
  assertDrop(checkReceived(p.subarray(0, 25), meta4, v2exp), 'truncated', null, 'IPv4 VRRP packet too short - 25 bytes', []);
});

test('TTL must be 255 for multicast (ip_ttl_err); not checked for unicast instances', () => {
  assertDrop(checkReceived(pkt({}, { ttl: 1 }), meta4, v2exp), 'ttl', 'ip_ttl_err', '(VI_1) invalid TTL/HL. Received 1 and expect 255', [
    'ip_ttl_err',
  ]);
  const uni: RxExpectations = { ...v3exp, unicast: true, unicastPeers: [{ address: SRC }] };
  const p = encodeIpv4Packet(v3advert, { source: SRC, destination: '192.0.2.2', ttl: 64 });
  assert.equal(checkReceived(p, { ...meta4, destination: '192.0.2.2' }, uni).ok, true);
});

test('IPv6: hop limit from RxMeta', () => {
  const exp: RxExpectations = { ...v3exp, family: 6, vips: ['2001:db8::100'] };
  const m = encode({ ...v3advert, family: 6, addresses: ['2001:db8::100'] });
  const meta: RxMeta = { source: 'fe80::1', destination: 'ff02::12', ttl: 64, ifindex: 2 };
  assertDrop(checkReceived(m, meta, exp), 'ttl', 'ip_ttl_err', '(VI_1) invalid TTL/HL. Received 64 and expect 255');
  assert.ok(checkReceived(m, { ...meta, ttl: 255 }, { ...exp, vips: ['2001:DB8:0:0::100'] }).ok, 'VIPs compare as addresses, not text');
});

test('IPv6 multicast/unicast mismatch is discarded before any check, uncounted, logged only with -D', () => {
  const exp: RxExpectations = { ...v3exp, family: 6, vips: ['2001:db8::100'] };
  const m = encode({ ...v3advert, family: 6, addresses: ['2001:db8::100'] });
  const v = checkReceived(m.subarray(0, 3), { source: 'fe80::1', destination: '2001:db8::2', ttl: 1, ifindex: 2 }, exp);
  assertDrop(v, 'destination-mode', null, '(VI_1) discarding unicast packet on multicast instance', []);
  assert.equal(!v.ok && v.detailOnly, true);
  const uni: RxExpectations = { ...exp, unicast: true, unicastPeers: [{ address: 'fe80::1' }] };
  assertDrop(
    checkReceived(m, { source: 'fe80::1', destination: 'ff02::12', ttl: 255, ifindex: 2 }, uni),
    'destination-mode',
    null,
    '(VI_1) discarding multicast packet on unicast instance',
  );
  assert.ok(checkReceived(m, { source: 'fe80::1', destination: '2001:db8::2', ttl: 255, ifindex: 2 }, uni).ok);
});

test('version must equal the instance version (uncounted, as keepalived)', () => {
  assertDrop(checkReceived(pkt({ ...v3advert }), meta4, v2exp), 'version-mismatch', null, '(VI_1) wrong version. Received 3 and expect 2', []);
  // version 4: keepalived's expected length has no auth field for a non-v2 header, so the length check comes first
  const p = pkt({});
  p[20] = 0x41;
  assertDrop(checkReceived(p, meta4, v2exp), 'length', 'packet_len_err', '(VI_1) vrrp packet too long, length 44 and expect 36');
  const q = pkt(v3advert);
  q[20] = 0x41;
  assertDrop(checkReceived(q, meta4, v2exp), 'version', null, '(VI_1) wrong version. Received 4 and expect 2');
});

test('v2 authentication: invalid type, type mismatch, bad password', () => {
  assertDrop(checkReceived(pkt({ authType: 3 }), meta4, v2exp), 'invalid-authtype', 'invalid_authtype', '(VI_1) Invalid auth type: 3');
  assertDrop(
    checkReceived(pkt({ authType: 0, authData: undefined }), meta4, v2exp),
    'authtype-mismatch',
    'authtype_mismatch',
    '(VI_1) received a 0 auth, expecting 1!',
  );
  assertDrop(
    checkReceived(pkt({}), meta4, { ...v2exp, authType: 0, authData: undefined }),
    'authtype-mismatch',
    'authtype_mismatch',
    '(VI_1) received a 1 auth, expecting 0!',
  );
  assertDrop(
    checkReceived(pkt({ authData: Buffer.from('secret13') }), meta4, v2exp),
    'auth-failure',
    'auth_failure',
    '(VI_1) received an invalid passwd!',
  );
  // the configured password is NUL padded to 8 bytes, the comparison covers all 8
  const short = { ...v2exp, authData: Buffer.from('pw') };
  assert.ok(checkReceived(pkt({ authData: Buffer.from('pw\0\0\0\0\0\0') }), meta4, short).ok);
  assertDrop(
    checkReceived(pkt({ authData: Buffer.from('pw\0\0\0\0\0x') }), meta4, short),
    'auth-failure',
    'auth_failure',
    '(VI_1) received an invalid passwd!',
  );
});

test('AH: both directions of the AH mismatch are reported as keepalived does (more in ah.test.ts)', () => {
  assertDrop(checkReceived(pkt({}), meta4, { ...v2exp, authType: 2 }), 'ah-expected', 'authtype_mismatch', '(VI_1) No AH header but auth type is AH');
  const ah = Buffer.concat([encodeIpv4Header({ source: SRC, destination: GROUP, payloadLength: 24 + 24, protocol: 51 }), Buffer.alloc(48)]);
  assertDrop(checkReceived(ah, meta4, v2exp), 'ah-header', 'authtype_mismatch', '(VI_1) Received AH header but auth type not AH');
});

test('v2 advert interval mismatch drops (uncounted in keepalived 2.2.7); v3 accepts with a note', () => {
  assertDrop(
    checkReceived(pkt({ advertIntervalCs: 200 }), meta4, v2exp),
    'advert-interval',
    null,
    "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec",
    [],
  );
  const v = checkReceived(pkt({ ...v3advert, advertIntervalCs: 100 }), meta4, v3exp);
  assert.ok(v.ok);
  assert.deepEqual(v.notes, [{ kind: 'v3-interval', advertIntervalCs: 100 }]);
});

test('packet type must be 1 (invalid_type_rcvd)', () => {
  assertDrop(checkReceived(pkt({ type: 2 }), meta4, v2exp), 'type', 'invalid_type_rcvd', '(VI_1) Invalid packet type. 2 and expect 1');
});

test('address count must match (addr_list_err), unless skip_check_adv_addr and the same master', () => {
  const one = pkt({ addresses: ['192.0.2.100'] });
  assertDrop(checkReceived(one, meta4, v2exp), 'address-count', 'addr_list_err', '(VI_1) received an unexpected ip number count 1, expected 2!');
  assert.ok(checkReceived(one, meta4, { ...v2exp, skipCheckAdvAddr: true, previousMaster: SRC }).ok);
  assert.equal(checkReceived(one, meta4, { ...v2exp, skipCheckAdvAddr: true, previousMaster: '192.0.2.7' }).ok, false);
  assert.equal(checkReceived(one, meta4, { ...v2exp, skipCheckAdvAddr: true }).ok, false, 'no previous master: check');
});

test('IPv4 total length must match the received length (packet_len_err)', () => {
  const p = pkt({});
  p.writeUInt16BE(48, 2);
  assertDrop(
    checkReceived(p, meta4, v2exp),
    'ip-total-length',
    'packet_len_err',
    '(VI_1) ip_tot_len mismatch against received length. 48 and received 44',
  );
});

test('checksum (uncounted, as keepalived): v2 and v3', () => {
  const p = pkt({});
  p[27]! ^= 1;
  assertDrop(checkReceived(p, meta4, v2exp), 'checksum', null, '(VI_1) Invalid VRRPv2 checksum', []);
  const q = pkt(v3advert);
  q[27]! ^= 1;
  assertDrop(checkReceived(q, meta4, v3exp), 'checksum', null, '(VI_1) Invalid VRRPv3 checksum');
});

test('multicast vs unicast destination must match the mode (addr_list_err)', () => {
  const uni = pkt({}, { destination: '192.0.2.2' });
  assertDrop(checkReceived(uni, meta4, v2exp), 'destination-mode', 'addr_list_err', '(VI_1) Expected multicast packet but received unicast packet');
  const exp: RxExpectations = { ...v2exp, unicast: true, unicastPeers: [{ address: SRC }] };
  assertDrop(checkReceived(pkt({}), meta4, exp), 'destination-mode', 'addr_list_err', '(VI_1) Expected unicast packet but received multicast packet');
});

test('each configured VIP must be present (addr_list_err, after advert_rcvd was counted)', () => {
  const p = pkt({ addresses: ['192.0.2.100', '192.0.2.109'] });
  assertDrop(
    checkReceived(p, meta4, v2exp),
    'vip-missing',
    'addr_list_err',
    '(VI_1) ip address associated with VRID 51 not present in MASTER advert: 192.0.2.101',
    ['advert_rcvd', 'addr_list_err'],
  );
  assert.ok(checkReceived(p, meta4, { ...v2exp, skipCheckAdvAddr: true, previousMaster: SRC }).ok);
  assert.ok(checkReceived(pkt({ addresses: ['192.0.2.101', '192.0.2.100'] }), meta4, v2exp).ok, 'order does not matter');
});

test('unicast source must be a peer with check_unicast_src; per-peer TTL range', () => {
  const exp: RxExpectations = { ...v3exp, unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: '192.0.2.3', minTtl: 100, maxTtl: 255 }] };
  const p = encodeIpv4Packet(v3advert, { source: '192.0.2.9', destination: '192.0.2.2' });
  const meta: RxMeta = { source: '192.0.2.9', destination: '192.0.2.2', ttl: 255, ifindex: 2 };
  assertDrop(checkReceived(p, meta, exp), 'unicast-source', null, '(VI_1) unicast source address 192.0.2.9 not a unicast peer', ['advert_rcvd']);
  assert.ok(checkReceived(p, meta, { ...exp, checkUnicastSrc: false }).ok);
  const q = encodeIpv4Packet(v3advert, { source: '192.0.2.3', destination: '192.0.2.2', ttl: 64 });
  assertDrop(checkReceived(q, { ...meta, source: '192.0.2.3' }, exp), 'unicast-ttl-range', 'ip_ttl_err', '(VI_1) TTL/HL 64 not in range 100 - 255', [
    'advert_rcvd',
    'ip_ttl_err',
  ]);
});

test('priority 0 is counted (pri_zero_rcvd) on accept', () => {
  const v = checkReceived(pkt({ priority: 0 }), meta4, v2exp);
  assert.ok(v.ok);
  assert.deepEqual(v.counters, ['advert_rcvd', 'pri_zero_rcvd']);
  const stats = createStats();
  countVerdict(stats, v);
  countVerdict(stats, checkReceived(pkt({}, { ttl: 3 }), meta4, v2exp));
  assert.equal(stats.advert_rcvd, 1);
  assert.equal(stats.pri_zero_rcvd, 1);
  assert.equal(stats.ip_ttl_err, 1);
});

test("keepalived's legacy unicast checksum is accepted under auto with a note and keepalived's log line", () => {
  const exp: RxExpectations = { ...v3exp, unicast: true, unicastPeers: [{ address: SRC }] };
  const p = encodeIpv4Packet(v3advert, { source: SRC, destination: '192.0.2.2' }, { checksum4: 'mcast-group' });
  const meta: RxMeta = { ...meta4, destination: '192.0.2.2' };
  const v = checkReceived(p, meta, exp);
  assert.ok(v.ok);
  assert.deepEqual(v.notes, [{ kind: 'old-unicast-checksum' }]);
  assert.deepEqual(v.logTexts, ['(VI_1) Setting unicast VRRPv3 checksum to old version']);
  assertDrop(checkReceived(p, meta, exp, { checksum4: 'rfc' }), 'checksum', null, '(VI_1) Invalid VRRPv3 checksum');
});

test("several faults: the first check in keepalived's order wins", () => {
  const badSum = (p: Buffer) => {
    p[27]! ^= 1;
    return p;
  };
  // TTL precedes version, auth, type, checksum
  assertDrop(
    checkReceived(badSum(pkt({ type: 3 }, { ttl: 2 })), meta4, v2exp),
    'ttl',
    'ip_ttl_err',
    '(VI_1) invalid TTL/HL. Received 2 and expect 255',
  );
  const v4 = pkt(v3advert, { ttl: 2 });
  v4[20] = 0x51;
  assertDrop(checkReceived(v4, meta4, v2exp), 'ttl', 'ip_ttl_err', '(VI_1) invalid TTL/HL. Received 2 and expect 255');
  // auth precedes type and checksum
  assertDrop(
    checkReceived(badSum(pkt({ type: 3, authData: Buffer.from('nope') })), meta4, v2exp),
    'auth-failure',
    'auth_failure',
    '(VI_1) received an invalid passwd!',
  );
  // interval precedes type
  assertDrop(
    checkReceived(pkt({ type: 3, advertIntervalCs: 300 }), meta4, v2exp),
    'advert-interval',
    null,
    "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=3 sec",
  );
  // type precedes count and checksum
  assertDrop(
    checkReceived(badSum(pkt({ type: 3, addresses: ['192.0.2.100'] })), meta4, v2exp),
    'type',
    'invalid_type_rcvd',
    '(VI_1) Invalid packet type. 3 and expect 1',
  );
  // count precedes checksum and destination
  assertDrop(
    checkReceived(badSum(pkt({ addresses: ['192.0.2.100'] }, { destination: '192.0.2.2' })), meta4, v2exp),
    'address-count',
    'addr_list_err',
    '(VI_1) received an unexpected ip number count 1, expected 2!',
  );
  // length precedes everything
  assertDrop(
    checkReceived(pkt({ type: 3 }, { ttl: 1 }).subarray(0, 43), meta4, v2exp),
    'length',
    'packet_len_err',
    '(VI_1) vrrp packet too short, length 43 and expect 44',
  );
});

test('validateAdvert works on an already decoded advert', () => {
  const a = { ...v2advert, type: 1, checksum: 0 } as const;
  assert.ok(validateAdvert(a, meta4, v2exp).ok);
  assertDrop(validateAdvert(a, { ...meta4, ttl: 9 }, v2exp), 'ttl', 'ip_ttl_err', '(VI_1) invalid TTL/HL. Received 9 and expect 255');
  assert.ok(validateAdvert(a, { ...meta4, ttl: -1 }, v2exp).ok, 'unknown TTL is not checked');
});
