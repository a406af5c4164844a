/**
 * keepalived's IPsec-AH authentication (auth_type AH): the golden adverts captured from keepalived 2.2.7
 * (scripts/capture-vectors.sh) are rebuilt byte for byte and accepted; every AH drop has keepalived's counter
 * and text; the sequence counter moves as in keepalived (send +1 per advert, receive takes the peer's, a MASTER
 * syncs from a lower-priority rival); the configuration rules keepalived applies to AH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AH_HEADER_LENGTH, checkAh, decodeAhHeader, encodeAhPacket } from '../../../src/vrrp/ah.js';
import { encode, type AdvertInit } from '../../../src/vrrp/packet.js';
import { checkReceived, type RxExpectations, type Verdict } from '../../../src/vrrp/validate.js';
import { instanceParams } from '../../../src/vrrp/instance-params.js';
import { encodeAdvert, VrrpRouter } from '../../../src/vrrp/router.js';
import type { AhCounter, RouterAction, RouterInstanceSpec } from '../../../src/vrrp/router-types.js';
import { AuthType, VrrpState, type RxMeta } from '../../../src/vrrp/types.js';
import { hmacMd5 } from '../../../src/core/inet/md5.js';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import { ahVectors, type AhVector } from './packet-vectors.js';

const vectors = ahVectors();
const keyOf = (password: string) => {
  const k = Buffer.alloc(8);
  Buffer.from(password).copy(k);
  return k;
};
const advertOf = (v: AhVector): AdvertInit => ({ ...v.json.advert, authData: Buffer.alloc(8) });
const expOf = (v: AhVector, over: Partial<RxExpectations> = {}): RxExpectations => ({
  instanceName: 'VI_1',
  vrid: v.json.advert.vrid,
  version: 2,
  family: 4,
  authType: AuthType.AH,
  authData: keyOf(v.json.password),
  advertIntervalCs: 100,
  vips: v.json.advert.addresses,
  unicast: v.json.unicast,
  ...(v.json.unicast ? { unicastPeers: [{ address: v.json.ip.source }] } : {}),
  ahSequence: 0,
  ...over,
});
const metaOf = (v: AhVector): RxMeta => ({ source: v.json.ip.source, destination: v.json.ip.destination, ttl: v.json.ip.ttl, ifindex: 2 });

function assertDrop(v: Verdict, reason: string, counter: string | null, logText: string): void {
  assert.equal(v.ok, false, `expected drop ${reason}`);
  if (v.ok) return;
  assert.equal(v.reason, reason);
  assert.equal(v.counter, counter);
  assert.equal(v.logText, logText);
}

/** The ICV as RFC 2402 / keepalived compute it, written out here independently of ah.ts. */
function reIcv(p: Buffer, password: string, unicast: boolean): void {
  const copy = Buffer.from(p);
  copy[1] = 0;
  copy.writeUInt16BE(0, 6);
  copy.writeUInt16BE(0, 10);
  if (unicast) copy[8] = 0;
  copy.fill(0, 32, 44);
  Buffer.from(hmacMd5(keyOf(password), copy)).copy(p, 32, 0, 12);
}

test('the AH capture produced the multicast and unicast cases and their priority-0 adverts', () => {
  assert.deepEqual(vectors.map((v) => v.name).sort(), ['ah-v2', 'ah-v2-prio0', 'ah-v2-unicast', 'ah-v2-unicast-prio0'].sort());
});

for (const v of vectors) {
  test(`golden ${v.name}: rebuilt byte for byte from the configuration, the IP ID and the sequence number`, () => {
    const j = v.json;
    const ah = decodeAhHeader(v.packet, j.ahOffset);
    assert.deepEqual({ ...ah, icv: Buffer.from(ah.icv).toString('hex') }, { ...j.ah, spi: Buffer.from(v.packet.subarray(12, 16)).readUInt32BE(0) });
    assert.equal(j.ah.spi, j.ip.source); // keepalived: SPI = source address
    const built = encodeAhPacket(encode(advertOf(v)), {
      source: j.ip.source,
      destination: j.ip.destination,
      id: j.ip.ipId,
      ttl: j.ip.ttl,
      sequence: j.ah.sequence,
      key: keyOf(j.password),
      unicast: j.unicast,
      ipChecksum: true,
    });
    assert.equal(built.toString('hex'), v.packet.toString('hex'));
    // without the checksum flag the header checksum is left to the kernel, as keepalived leaves it
    const kernel = encodeAhPacket(encode(advertOf(v)), {
      source: j.ip.source,
      destination: j.ip.destination,
      ttl: j.ip.ttl,
      sequence: j.ah.sequence,
      key: keyOf(j.password),
      unicast: j.unicast,
      id: j.ip.ipId,
    });
    assert.equal(kernel.readUInt16BE(10), 0);
    assert.deepEqual(kernel.subarray(12), v.packet.subarray(12));
  });

  test(`golden ${v.name}: accepted by an instance configured like keepalived's, the sequence counter follows`, () => {
    const r = checkReceived(v.packet, metaOf(v), expOf(v));
    assert.ok(r.ok, r.ok ? '' : r.logText);
    assert.equal(r.ahSequence, v.json.ah.sequence);
    assert.equal(r.advert.priority, v.json.advert.priority);
    assert.deepEqual(r.counters, v.json.advert.priority ? ['advert_rcvd'] : ['advert_rcvd', 'pri_zero_rcvd']);
  });
}

const mcast = vectors.find((v) => v.name === 'ah-v2')!;
const uni = vectors.find((v) => v.name === 'ah-v2-unicast')!;

test('AH: a wrong password, a replayed sequence number, a changed VIP and a wrong SPI are auth failures', () => {
  const bad = '(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !';
  assertDrop(checkReceived(mcast.packet, metaOf(mcast), expOf(mcast, { authData: keyOf('secret13') })), 'auth-failure', 'auth_failure', bad);
  assertDrop(
    checkReceived(mcast.packet, metaOf(mcast), expOf(mcast, { ahSequence: 1 })),
    'auth-failure',
    'auth_failure',
    '(VI_1) IPSEC-AH : sequence number 1 already processed. Packet dropped. Local(1)',
  );
  assert.ok(checkReceived(mcast.packet, metaOf(mcast), expOf(mcast, { ahSequence: 0 })).ok);
  const vip = Buffer.from(mcast.packet);
  vip[20 + 24 + 8] = 193; // first VIP: the ICV check comes before the VRRP checksum
  assertDrop(checkReceived(vip, metaOf(mcast), expOf(mcast)), 'auth-failure', 'auth_failure', bad);
  const spi = Buffer.from(mcast.packet);
  spi[24 + 3] = 9; // SPI 192.0.2.9, ICV recomputed so that only the SPI is wrong
  reIcv(spi, 'secret12', false);
  assert.equal(checkAh(spi, 20, keyOf('secret12'), false, 0), 'spi');
  // keepalived prints both words as a little-endian host reads them
  assertDrop(
    checkReceived(spi, metaOf(mcast), expOf(mcast)),
    'auth-failure',
    'auth_failure',
    `IPSEC AH : invalid IPSEC SPI value. ${spi.readUInt32LE(12)} and expect ${spi.readUInt32LE(24)}`,
  );
});

test('AH: the mutable IP fields are outside the ICV (TOS, fragment word; TTL only for unicast)', () => {
  const m = Buffer.from(mcast.packet);
  m[1] = 0x10;
  m.writeUInt16BE(0x4000, 6);
  assert.ok(checkReceived(m, metaOf(mcast), expOf(mcast)).ok);
  const u = Buffer.from(uni.packet);
  u[8] = 60; // a routed unicast advert arrives with a lower TTL
  assert.ok(checkReceived(u, { ...metaOf(uni), ttl: 60 }, expOf(uni)).ok);
  const t = Buffer.from(mcast.packet);
  t[8] = 254; // multicast: the TTL check refuses it first anyway
  assertDrop(
    checkReceived(t, { ...metaOf(mcast), ttl: 254 }, expOf(mcast)),
    'ttl',
    'ip_ttl_err',
    '(VI_1) invalid TTL/HL. Received 254 and expect 255',
  );
  const id = Buffer.from(mcast.packet);
  id[5] = 7; // the IP ID is covered
  assert.equal(checkAh(id, 20, keyOf('secret12'), false, 0), 'icv');
});

test('AH: AH and auth type disagree either way (keepalived checks this first), AH for another protocol, short AH', () => {
  const plain = Buffer.concat([Buffer.from(mcast.packet.subarray(0, 20)), mcast.packet.subarray(44)]);
  plain[9] = 112;
  plain.writeUInt16BE(plain.length, 2);
  assertDrop(checkReceived(plain, metaOf(mcast), expOf(mcast)), 'ah-expected', 'authtype_mismatch', '(VI_1) No AH header but auth type is AH');
  assertDrop(
    checkReceived(mcast.packet, metaOf(mcast), expOf(mcast, { authType: AuthType.PASS })),
    'ah-header',
    'authtype_mismatch',
    '(VI_1) Received AH header but auth type not AH',
  );
  const other = Buffer.from(mcast.packet);
  other[20] = 6;
  const r = checkReceived(other, metaOf(mcast), expOf(mcast));
  assert.ok(!r.ok && r.reason === 'ah-next-header' && r.counter === null && r.detailOnly === true);
  assertDrop(
    checkReceived(mcast.packet.subarray(0, 20 + AH_HEADER_LENGTH + 4), metaOf(mcast), expOf(mcast)),
    'truncated',
    null,
    'IPv4 VRRP packet with AH too short - 48 bytes',
  );
});

// ---- the router: counters on send and receive ---------------------------------------------------------------------

const GROUP = '224.0.0.18';
function spec(name: string, source: string, priority: number, over: { unicastPeers?: string[] } = {}): RouterInstanceSpec {
  const params = instanceParams({ name, vrid: 61, primaryAddress: source, priority, vips: ['192.0.2.160', '192.0.2.161'], ...over });
  return { params, socketKey: 'ah', ifindex: 2, source, group: GROUP, auth: { type: AuthType.AH, data: keyOf('secret12') } };
}
const sent = (as: readonly RouterAction[]) => as.flatMap((a) => (a.kind === 'transmit' ? [a] : []));
const logs = (as: readonly RouterAction[]) => as.flatMap((a) => (a.kind === 'log' ? [a.record.text] : []));

test('AH send: IP ID and sequence number move on once per advert, not per unicast peer; the bytes are whole IPv4 packets', () => {
  const c: AhCounter = { sequence: 0, cycle: false, ipId: 0 };
  const s = spec('M', '192.0.2.1', 150, { unicastPeers: ['192.0.2.2', '192.0.2.3'] });
  const first = encodeAdvert(s, 150, 1000, c);
  const second = encodeAdvert(s, 150, 1000, c);
  assert.deepEqual(
    [...first, ...second].map((t) => [t.destination, Buffer.from(t.bytes).readUInt16BE(4), decodeAhHeader(t.bytes, 20).sequence]),
    [
      ['192.0.2.2', 1, 1],
      ['192.0.2.3', 1, 1],
      ['192.0.2.2', 2, 2],
      ['192.0.2.3', 2, 2],
    ],
  );
  assert.deepEqual(c, { sequence: 2, cycle: false, ipId: 2 });
  for (const t of first) assert.equal(checkAh(t.bytes, 20, keyOf('secret12'), true, 0), undefined);
  // keepalived's limit: past 0xfffffffd the counter stops and is marked cycled
  const top: AhCounter = { sequence: 0xfffffffe, cycle: false, ipId: 0xffff };
  const t = encodeAdvert(spec('M', '192.0.2.1', 150), 150, 1000, top)[0]!;
  assert.deepEqual(top, { sequence: 0xfffffffe, cycle: true, ipId: 1 });
  assert.equal(decodeAhHeader(t.bytes, 20).sequence, 0xfffffffe);
});

test('AH router: a backup takes the master sequence, refuses a replay, and continues from it when it takes over', () => {
  const master = new VrrpRouter();
  master.addInstance(spec('VI_1', '192.0.2.1', 150));
  master.event('VI_1', { type: 'startup' }, 0);
  const backup = new VrrpRouter();
  backup.addInstance(spec('VI_1', '192.0.2.2', 100));
  backup.event('VI_1', { type: 'startup' }, 0);
  // the master (BACKUP first, as keepalived starts AH instances) takes over at Master_Down_Interval, then advertises
  const out = [...master.timeout(4000), ...master.timeout(5000), ...master.timeout(6000)];
  const tx = sent(out);
  assert.ok(tx.length >= 2 && tx.every((t) => t.ipHeader === true));
  const meta = { source: '192.0.2.1', destination: GROUP, ttl: 255, ifindex: 2 };
  for (const t of tx) assert.equal(backup.receive('ah', t.bytes, meta, 4100).filter((a) => a.kind === 'advertReceived').length, 1);
  const b = backup.instance('VI_1')!;
  assert.equal(b.ah.sequence, tx.length);
  assert.equal(b.stats.advert_rcvd, tx.length);
  const replay = backup.receive('ah', tx[0]!.bytes, meta, 4200);
  assert.deepEqual(
    replay.filter((a) => a.kind === 'dropped').map((a) => a.kind === 'dropped' && a.reason),
    ['auth-failure'],
  );
  assert.equal(b.stats.auth_failure, 1);
  // the master goes silent: the backup takes over and its adverts carry the next sequence numbers
  const takeover = sent(backup.timeout(9000).concat(backup.timeout(10_000)));
  assert.equal(backup.instance('VI_1')!.fsm.state, VrrpState.MASTER);
  assert.equal(decodeAhHeader(takeover[0]!.bytes, 20).sequence, tx.length + 1);
});

test('AH router: a MASTER hearing a lower-priority master syncs to its sequence number + 1 (keepalived "Syncing seq_num")', () => {
  const r = new VrrpRouter();
  r.addInstance(spec('VI_1', '192.0.2.1', 150));
  r.event('VI_1', { type: 'startup' }, 0);
  r.timeout(4000);
  assert.equal(r.instance('VI_1')!.fsm.state, VrrpState.MASTER);
  const rival: AhCounter = { sequence: 1000, cycle: false, ipId: 0 };
  const low = encodeAdvert(spec('R', '192.0.2.9', 100), 100, 1000, rival)[0]!.bytes;
  const out = r.receive('ah', low, { source: '192.0.2.9', destination: GROUP, ttl: 255, ifindex: 2 }, 4100);
  assert.ok(logs(out).includes('(VI_1) IPSEC-AH : Syncing seq_num - Increment seq'));
  // the rival sent 1001; keepalived sets 1001 + 1, and its answer (forcing a new election) counts one more
  assert.deepEqual(
    sent(out).map((t) => decodeAhHeader(t.bytes, 20).sequence),
    [1003],
  );
});

test('AH configuration: initial state MASTER without being the owner is cleared, as is AH without a password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-ah-'));
  try {
    const f = join(dir, 'k.conf');
    writeFileSync(
      f,
      `vrrp_instance A {\n interface eth0\n state MASTER\n priority 150\n virtual_router_id 61\n authentication {\n  auth_type AH\n  auth_pass secret12\n }\n virtual_ipaddress {\n  192.0.2.160\n }\n}\n` +
        `vrrp_instance B {\n interface eth0\n state MASTER\n priority 255\n virtual_router_id 62\n authentication {\n  auth_type AH\n  auth_pass x\n }\n virtual_ipaddress {\n  192.0.2.161\n }\n}\n` +
        `vrrp_instance C {\n interface eth0\n virtual_router_id 63\n authentication {\n  auth_type AH\n }\n virtual_ipaddress {\n  192.0.2.162\n }\n}\n`,
    );
    const r = loadConfig(f);
    const [a, b, c] = r.config.vrrpInstances;
    assert.equal(a!.state, 'BACKUP');
    assert.equal(a!.authentication?.type, 'AH');
    assert.equal(b!.state, 'MASTER'); // the address owner keeps it
    assert.equal(c!.authentication, undefined);
    const texts = r.diagnostics.map(formatDiagnostic).join('\n');
    assert.match(texts, /\(A\) Initial state master is incompatible with AH authentication - clearing/);
    assert.doesNotMatch(texts, /\(B\) Initial state/);
    assert.match(texts, /\(C\) Authentication specified but no password given. Ignoring/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
