/**
 * Codec properties: dns-packet-style round trips for every field, family and version; range errors on encode;
 * checksum variants (RFC 9568 vs keepalived's legacy unicast form); truncation at every length; pg-protocol-style
 * extension/mutation cases; a seeded fuzz run where decode never throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SocketAddress } from 'node:net';
import { seededRng, randomInt, type Rng } from '../../../src/core/rng.js';
import {
  decode,
  encode,
  encodeIpv4Packet,
  encodingLength,
  messageLength,
  computeChecksum,
  type AdvertInit,
  type DecodeContext,
} from '../../../src/vrrp/packet.js';
import { checksumAdjust16, internetChecksum } from '../../../src/core/inet/checksum.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../../src/core/inet/address.js';
import type { Family, VrrpAdvert, VrrpVersion } from '../../../src/vrrp/types.js';
import { checkReceived } from '../../../src/vrrp/validate.js';
import { advertVectors } from './packet-vectors.js';

const SRC4 = '192.0.2.1';
const PEER4 = '192.0.2.2';
const SRC6 = 'fe80::1';

function randomAddress(rng: Rng, family: Family): string {
  const b = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i < b.length; i++) b[i] = rng.next() < 0.4 ? 0 : randomInt(rng, 0, 255);
  return family === 4 ? formatIpv4(b) : formatIpv6(b);
}

function randomAdvert(rng: Rng, version: VrrpVersion, family: Family, count = randomInt(rng, 0, 12)): AdvertInit {
  const addresses = Array.from({ length: count }, () => randomAddress(rng, family));
  const authType = version === 2 ? randomInt(rng, 0, 2) : 0;
  const authData = version === 2 && family === 4 ? Uint8Array.from({ length: 8 }, () => (authType === 1 ? randomInt(rng, 0, 255) : 0)) : undefined;
  return {
    version,
    vrid: randomInt(rng, 0, 255),
    priority: randomInt(rng, 0, 255),
    family,
    addresses,
    advertIntervalCs: version === 2 ? 100 * randomInt(rng, 0, 255) : randomInt(rng, 0, 4095),
    authType,
    ...(authData ? { authData } : {}),
  };
}

/** Encodes as the wire would carry it and decodes it back. */
function roundTrip(a: AdvertInit): VrrpAdvert {
  let r;
  if (a.family === 4) {
    r = decode(encodeIpv4Packet(a, { source: SRC4, destination: '224.0.0.18' }), { family: 4 });
  } else {
    const msg = encode(a, { source: SRC6, destination: 'ff02::12', ipv6Checksum: true });
    r = decode(msg, { family: 6, source: SRC6, destination: 'ff02::12', verifyIpv6Checksum: true });
  }
  assert.ok(r.ok, `round trip failed: ${JSON.stringify(r)}`);
  return r.advert;
}

function assertSameAdvert(got: VrrpAdvert, want: AdvertInit): void {
  const { checksum: _c, authData, ...rest } = got;
  const { authData: wantAuth, checksum: _w, ...wantRest } = want;
  assert.deepEqual(rest, { type: 1, ...wantRest });
  assert.deepEqual(authData === undefined ? undefined : [...authData], wantAuth === undefined ? undefined : [...wantAuth]);
}

for (const version of [2, 3] as const) {
  for (const family of [4, 6] as const) {
    test(`round trip: random v${version} IPv${family} adverts`, () => {
      const rng = seededRng(version * 10 + family);
      for (let i = 0; i < 300; i++) {
        const a = randomAdvert(rng, version, family);
        assertSameAdvert(roundTrip(a), a);
      }
    });

    test(`round trip: every field at its edges, v${version} IPv${family}`, () => {
      const base = randomAdvert(seededRng(7), version, family, 1);
      const cases: Partial<AdvertInit>[] = [
        ...[0, 1, 127, 254, 255].map((vrid) => ({ vrid })),
        ...[0, 1, 100, 254, 255].map((priority) => ({ priority })),
        ...(version === 2 ? [0, 100, 200, 25500] : [0, 1, 5, 100, 4095]).map((advertIntervalCs) => ({ advertIntervalCs })),
        ...[0, 1, 2, 20, 255].map((n) => ({ addresses: Array.from({ length: n }, (_, i) => randomAddress(seededRng(i), family)) })),
        ...(version === 2 ? [0, 1, 2, 255].map((authType) => ({ authType })) : []),
      ];
      for (const c of cases) {
        const a = { ...base, ...c } as AdvertInit;
        assertSameAdvert(roundTrip(a), a);
        assert.equal(encodingLength(a), messageLength(version, family, a.addresses.length));
      }
    });
  }
}

test('v2 interval is whole seconds on the wire, v3 is 12-bit centiseconds with reserved bits zero', () => {
  const v2 = encode({ version: 2, vrid: 1, priority: 100, family: 4, addresses: ['192.0.2.9'], advertIntervalCs: 300, authType: 0 });
  assert.equal(v2[4], 0);
  assert.equal(v2[5], 3);
  const v3 = encode(
    { version: 3, vrid: 1, priority: 100, family: 4, addresses: ['192.0.2.9'], advertIntervalCs: 4095, authType: 0 },
    { source: SRC4 },
  );
  assert.equal(v3.readUInt16BE(4), 0x0fff);
  // reserved bits set by a sender are ignored on receive (RFC 5798 5.2.4), checksum still checked
  const odd = Buffer.from(v3);
  odd.writeUInt16BE(0xf064, 4);
  odd.writeUInt16BE(0, 6);
  odd.writeUInt16BE(computeChecksum(odd, 3, 4, { source: SRC4 })!, 6);
  const r = decode(odd, { family: 4, withIpHeader: false, source: SRC4, destination: '224.0.0.18' });
  assert.ok(r.ok);
  assert.equal(r.advert.advertIntervalCs, 100);
});

test('PASS auth: 8 bytes NUL padded after the addresses; no auth data means zeros; v2/IPv6 has no auth field', () => {
  const pw = Buffer.from('pw\0\0\0\0\0\0');
  const m = encode({ version: 2, vrid: 9, priority: 1, family: 4, addresses: ['192.0.2.1'], advertIntervalCs: 100, authType: 1, authData: pw });
  assert.equal(m.subarray(12).toString('hex'), pw.toString('hex'));
  const n = encode({ version: 2, vrid: 9, priority: 1, family: 4, addresses: ['192.0.2.1'], advertIntervalCs: 100, authType: 0 });
  assert.equal(n.subarray(12).toString('hex'), '0000000000000000');
  const short = encode({
    version: 2,
    vrid: 9,
    priority: 1,
    family: 4,
    addresses: [],
    advertIntervalCs: 100,
    authType: 1,
    authData: Buffer.from('ab'),
  });
  assert.equal(short.subarray(8).toString('hex'), '6162000000000000');
  assert.equal(encode({ version: 2, vrid: 9, priority: 1, family: 6, addresses: ['2001:db8::1'], advertIntervalCs: 100, authType: 0 }).length, 24);
});

test('encode rejects out-of-range fields with RangeError', () => {
  const ok: AdvertInit = { version: 2, vrid: 1, priority: 100, family: 4, addresses: ['192.0.2.1'], advertIntervalCs: 100, authType: 0 };
  const bad: Partial<AdvertInit>[] = [
    { vrid: 256 },
    { vrid: -1 },
    { priority: 256 },
    { priority: 1.5 },
    { advertIntervalCs: 150 },
    { advertIntervalCs: 25600 },
    { addresses: ['192.0.2.256'] },
    { addresses: ['2001:db8::1'] },
    { addresses: Array(256).fill('192.0.2.1') },
    { authType: 1, authData: new Uint8Array(9) },
    { authType: 256 },
    { version: 4 as VrrpVersion },
    { type: 16 },
  ];
  for (const b of bad) assert.throws(() => encode({ ...ok, ...b } as AdvertInit), RangeError, JSON.stringify(b));
  assert.throws(() => encode({ ...ok, version: 3, advertIntervalCs: 4096 }, { source: SRC4 }), RangeError);
  assert.throws(() => encode({ ...ok, version: 3 }), RangeError, 'v3/IPv4 needs a source for the pseudo-header');
});

test('v3/IPv4 checksum: RFC 9568 form by default, keepalived legacy unicast form on request, both accepted by auto', () => {
  const a: AdvertInit = { version: 3, vrid: 57, priority: 130, family: 4, addresses: ['192.0.2.130'], advertIntervalCs: 100, authType: 0 };
  const rfc = encodeIpv4Packet(a, { source: SRC4, destination: PEER4 });
  const old = encodeIpv4Packet(a, { source: SRC4, destination: PEER4 }, { checksum4: 'mcast-group' });
  assert.notEqual(rfc.readUInt16BE(26), old.readUInt16BE(26));
  const d = (buf: Buffer, checksum4?: DecodeContext['checksum4']) => decode(buf, { family: 4, ...(checksum4 ? { checksum4 } : {}) });
  assert.equal((d(rfc) as { checksumMode?: string }).checksumMode, 'rfc');
  assert.equal((d(old) as { checksumMode?: string }).checksumMode, 'mcast-group');
  assert.equal(d(old, 'rfc').ok, false);
  assert.equal(d(rfc, 'mcast-group').ok, false);
  assert.equal(d(old, 'mcast-group').ok, true);
  const r = d(old, 'rfc');
  assert.ok(!r.ok && r.reason === 'checksum' && r.counter === null);
  // to the multicast group both forms are the same checksum
  const m1 = encode(a, { source: SRC4 });
  const m2 = encode(a, { source: SRC4, checksum4: 'mcast-group' });
  assert.deepEqual(m1, m2);
  // a non-default group: the legacy form uses the configured group
  const g = encode(a, { source: SRC4, destination: PEER4, checksum4: 'mcast-group', mcastGroup4: '224.0.0.19' });
  const dg = decode(g, { family: 4, withIpHeader: false, source: SRC4, destination: PEER4, mcastGroup4: '224.0.0.19' });
  assert.ok(dg.ok && dg.checksumMode === 'mcast-group');
});

test('v3/IPv6 checksum: 0 by default (kernel fills it), RFC 8200 pseudo-header on request, verified on request', () => {
  const a: AdvertInit = { version: 3, vrid: 54, priority: 110, family: 6, addresses: ['2001:db8::100'], advertIntervalCs: 100, authType: 0 };
  assert.equal(encode(a).readUInt16BE(6), 0);
  const m = encode(a, { source: SRC6, ipv6Checksum: true });
  assert.notEqual(m.readUInt16BE(6), 0);
  assert.ok(decode(m, { family: 6, source: SRC6, destination: 'ff02::12', verifyIpv6Checksum: true }).ok);
  assert.equal(decode(m, { family: 6, source: 'fe80::2', destination: 'ff02::12', verifyIpv6Checksum: true }).ok, false);
  assert.ok(decode(encode(a), { family: 6 }).ok, 'without verification the kernel is trusted');
});

test('incremental checksum adjustment matches a full recompute for priority changes', () => {
  const rng = seededRng(99);
  for (let i = 0; i < 200; i++) {
    const a = randomAdvert(rng, 2, 4);
    const m = encode(a);
    const p = randomInt(rng, 0, 255);
    const adjusted = checksumAdjust16(m.readUInt16BE(6), m.readUInt16BE(2), (p << 8) | m[3]!);
    assert.equal(adjusted, encode({ ...a, priority: p }).readUInt16BE(6));
  }
});

test('decode accepts an IPv4 VRRP message without the IP header when addresses come from the context', () => {
  const a: AdvertInit = { version: 3, vrid: 5, priority: 5, family: 4, addresses: ['192.0.2.5'], advertIntervalCs: 100, authType: 0 };
  const r = decode(encode(a, { source: SRC4 }), { family: 4, withIpHeader: false, source: SRC4, destination: '224.0.0.18' });
  assert.ok(r.ok);
  assert.equal(r.ip, undefined);
});

test('IPv6 text: formatIpv6 is RFC 5952 canonical (same as the platform), parse/format round trip', () => {
  const rng = seededRng(5);
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from({ length: 16 }, () => (rng.next() < 0.5 ? 0 : randomInt(rng, 0, 255)));
    const text = formatIpv6(b);
    assert.equal(text, new SocketAddress({ address: text, family: 'ipv6' }).address);
    assert.deepEqual(parseIpv6(text), b);
  }
  assert.deepEqual(parseIpv6('::ffff:192.0.2.1'), Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]));
  assert.equal(parseIpv6('fe80::1%eth0')?.[15], 1);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', '1:2:3:4:5:6:7', '::1.2.3']) assert.equal(parseIpv6(bad), undefined, bad);
  for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '']) assert.equal(parseIpv4(bad), undefined, bad);
});

const vectors = advertVectors();
const ctxFor = (family: Family): DecodeContext => ({ family });
const bodyOf = (v: (typeof vectors)[number]) => (v.json.advert.family === 4 ? v.packet : v.packet.subarray(40));

test('truncation at every length of every golden vector: a named failure, never a throw', () => {
  for (const v of vectors) {
    const full = bodyOf(v);
    for (let n = 0; n < full.length; n++) {
      const r = decode(full.subarray(0, n), ctxFor(v.json.advert.family));
      assert.equal(r.ok, false, `${v.name} at ${n}`);
      if (!r.ok) {
        assert.ok(['truncated', 'length'].includes(r.reason), `${v.name} at ${n}: ${r.reason}`);
        assert.equal(r.counter, r.reason === 'length' ? 'packet_len_err' : null);
      }
    }
  }
});

test('extension: trailing bytes make a "too long" length failure; a wrong IPv4 tot_len is its own failure', () => {
  for (const v of vectors) {
    const full = bodyOf(v);
    for (let extra = 1; extra <= 20; extra++) {
      const r = decode(Buffer.concat([full, Buffer.alloc(extra, 0xab)]), ctxFor(v.json.advert.family));
      assert.ok(!r.ok && r.reason === 'length' && r.received! > r.expected!, v.name);
    }
    if (v.json.advert.family === 4) {
      const bad = Buffer.from(full);
      bad.writeUInt16BE(bad.readUInt16BE(2) + 4, 2);
      const r = decode(bad, ctxFor(4));
      assert.ok(!r.ok && r.reason === 'ip-total-length' && r.counter === 'packet_len_err');
    }
  }
});

test('every single-bit flip inside a VRRP message is rejected; flips anywhere never throw', () => {
  for (const v of vectors) {
    const fam = v.json.advert.family;
    const full = v.packet;
    for (let bit = 0; bit < full.length * 8; bit++) {
      const m = Buffer.from(full);
      m[bit >> 3]! ^= 0x80 >> (bit & 7);
      const r =
        fam === 4
          ? decode(m, ctxFor(4))
          : bit < 320
            ? { ok: false as const }
            : decode(m.subarray(40), { family: 6, source: v.json.ip.source, destination: v.json.ip.destination, verifyIpv6Checksum: true });
      if (bit >= v.json.vrrpOffset * 8) assert.equal(r.ok, false, `${v.name} bit ${bit}`);
    }
  }
});

test('fuzz: random and mutated buffers never make decode or checkReceived throw', () => {
  const rng = seededRng(20260101);
  const meta = { source: SRC4, destination: '224.0.0.18', ttl: 255, ifindex: 2 };
  const exp = {
    instanceName: 'VI_F',
    vrid: 51,
    version: 2 as const,
    family: 4 as const,
    authType: 1,
    authData: Buffer.from('secret12'),
    advertIntervalCs: 100,
    vips: ['192.0.2.100'],
    unicast: false,
  };
  let accepted = 0;
  const check = (buf: Buffer) => {
    for (const family of [4, 6] as const) {
      const r = decode(buf, { family, source: SRC4, destination: PEER4, verifyIpv6Checksum: rng.next() < 0.5 });
      if (r.ok) {
        accepted++;
        assert.equal(encodingLength(r.advert) + (r.ip ? r.ip.headerLength : 0), buf.length);
      }
      checkReceived(buf, family === 4 ? meta : { ...meta, source: 'fe80::1', destination: 'ff02::12' }, { ...exp, family });
    }
  };
  for (let i = 0; i < 3000; i++) {
    check(Buffer.from(Array.from({ length: randomInt(rng, 0, 120) }, () => randomInt(rng, 0, 255))));
  }
  for (let i = 0; i < 3000; i++) {
    const v = vectors[randomInt(rng, 0, vectors.length - 1)]!;
    let b = Buffer.from(v.packet);
    const edits = randomInt(rng, 1, 4);
    for (let e = 0; e < edits; e++) {
      const k = rng.next();
      if (k < 0.5 && b.length) b[randomInt(rng, 0, b.length - 1)] = randomInt(rng, 0, 255);
      else if (k < 0.7) b = b.subarray(0, randomInt(rng, 0, b.length));
      else if (k < 0.85) b = Buffer.concat([b, Buffer.from([randomInt(rng, 0, 255)])]);
      else if (b.length > 4) b[3] = randomInt(rng, 0, 255); // count / tot_len low byte
    }
    check(b);
  }
  assert.ok(accepted > 0, 'some mutated vectors still decode (mutations outside checked fields)');
});

test('internet checksum: odd length pads with zero; known value', () => {
  assert.equal(
    internetChecksum(
      Uint8Array.from([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]),
    ),
    0xb861,
  );
  assert.equal(internetChecksum(Uint8Array.from([0x01])), 0xfeff);
});

test('IPv4 header with options (IHL 6): the VRRP message starts after them', () => {
  const a: AdvertInit = { version: 3, vrid: 8, priority: 8, family: 4, addresses: ['192.0.2.8'], advertIntervalCs: 100, authType: 0 };
  const p = encodeIpv4Packet(a, { source: SRC4, destination: '224.0.0.18' });
  const withOpt = Buffer.concat([p.subarray(0, 20), Buffer.from([1, 1, 1, 0]), p.subarray(20)]);
  withOpt[0] = 0x46;
  withOpt.writeUInt16BE(withOpt.length, 2);
  const r = decode(withOpt, { family: 4 });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.ip?.headerLength, 24);
  assert.deepEqual(r.advert.addresses, ['192.0.2.8']);
  const bad = Buffer.from(p);
  bad[0] = 0x44; // IHL 4 < 5
  assert.ok(!decode(bad, { family: 4 }).ok);
  const v6 = Buffer.from(p);
  v6[0] = 0x65;
  const r6 = decode(v6, { family: 4 });
  assert.ok(!r6.ok && r6.reason === 'not-vrrp');
  const udp = Buffer.from(p);
  udp[9] = 17;
  const ru = decode(udp, { family: 4 });
  assert.ok(!ru.ok && ru.reason === 'not-vrrp');
});
