/**
 * Golden vectors from Debian's keepalived 2.2.7 (scripts/capture-vectors.sh): decode(golden) gives the JSON,
 * encode(decoded) and encode(JSON) give the golden bytes, for the VRRP message and, for IPv4, the whole
 * packet with the IP header built keepalived's way (IP ID taken from the capture: the kernel picks it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { decode, encode, encodeIpv4Packet, encodingLength, type AdvertInit } from '../../../src/vrrp/packet.js';
import { internetChecksum } from '../../../src/core/inet/checksum.js';
import { advertVectors, readHex, VECTOR_DIR, type AdvertVector } from './packet-vectors.js';

const vectors = advertVectors();

function fromJson(v: AdvertVector): AdvertInit {
  const a = v.json.advert;
  return {
    version: a.version,
    vrid: a.vrid,
    priority: a.priority,
    family: a.family,
    addresses: a.addresses,
    advertIntervalCs: a.advertIntervalCs,
    authType: a.authType,
    ...(a.authData !== undefined ? { authData: Buffer.from(a.authData, 'hex') } : {}),
  };
}

function decodeVector(v: AdvertVector) {
  return v.json.advert.family === 4
    ? decode(v.packet, { family: 4 })
    : decode(v.packet.subarray(v.json.vrrpOffset), {
        family: 6,
        source: v.json.ip.source,
        destination: v.json.ip.destination,
        verifyIpv6Checksum: true,
      });
}

test('the capture produced every expected case', () => {
  const names = vectors.map((v) => v.name);
  for (const c of ['v2-pass', 'v2-noauth', 'v3-ipv4', 'v3-ipv6', 'v3-multi-vip', 'v2-multi-vip-pass', 'v3-unicast', 'v3-unicast-old-checksum']) {
    assert.ok(names.includes(c), c);
    assert.ok(names.includes(`${c}-prio0`), `${c}-prio0`);
  }
});

for (const v of vectors) {
  test(`golden ${v.name}: decode gives the expected fields`, () => {
    const r = decodeVector(v);
    assert.ok(r.ok, `decode failed: ${JSON.stringify(r)}`);
    const { authData, ...rest } = r.advert;
    const { authData: wantAuth, ...wantRest } = v.json.advert;
    assert.deepEqual(rest, wantRest);
    assert.equal(authData === undefined ? undefined : Buffer.from(authData).toString('hex'), wantAuth);
    if (v.json.advert.family === 4) {
      assert.ok(r.ip);
      assert.equal(r.ip.source, v.json.ip.source);
      assert.equal(r.ip.destination, v.json.ip.destination);
      assert.equal(r.ip.ttl, v.json.ip.ttl);
      assert.equal(r.ip.tos, 0xc0);
      assert.equal(r.ip.protocol, 112);
      assert.equal(r.ip.flagsFragment, 0);
      assert.equal(r.ip.id, v.json.ip.ipId);
      if (v.json.advert.version === 3) assert.equal(r.checksumMode, v.json.checksum4 ?? 'rfc');
    }
  });

  test(`golden ${v.name}: encode(decoded) and encode(json) equal the captured VRRP message`, () => {
    const r = decodeVector(v);
    assert.ok(r.ok);
    const message = v.packet.subarray(v.json.vrrpOffset);
    const ctx = { source: v.json.ip.source, destination: v.json.ip.destination, ipv6Checksum: true, checksum4: v.json.checksum4 ?? 'rfc' };
    assert.equal(encode(r.advert, ctx).toString('hex'), message.toString('hex'));
    assert.equal(encode(fromJson(v), ctx).toString('hex'), message.toString('hex'));
    assert.equal(encodingLength(r.advert), message.length);
  });

  if (v.json.advert.family === 4) {
    test(`golden ${v.name}: IPv4 header built keepalived's way equals the capture (IP ID from the capture)`, () => {
      const built = encodeIpv4Packet(
        fromJson(v),
        {
          source: v.json.ip.source,
          destination: v.json.ip.destination,
          id: v.json.ip.ipId ?? 0,
          ttl: v.json.ip.ttl,
        },
        { checksum4: v.json.checksum4 ?? 'rfc' },
      );
      assert.equal(built.toString('hex'), v.packet.toString('hex'));
      assert.equal(internetChecksum(v.packet.subarray(0, 20)), 0, 'captured IP header checksum is valid');
    });
  }
}

test('legacy unicast checksum vector: only the multicast-group pseudo-header matches', () => {
  const v = vectors.find((x) => x.name === 'v3-unicast-old-checksum')!;
  assert.equal(decode(v.packet, { family: 4, checksum4: 'rfc' }).ok, false);
  assert.equal(decode(v.packet, { family: 4, checksum4: 'mcast-group' }).ok, true);
  const plain = vectors.find((x) => x.name === 'v3-unicast')!;
  assert.equal(decode(plain.packet, { family: 4, checksum4: 'mcast-group' }).ok, false);
});

test('golden v2 checksums are verified independently of the decoder', () => {
  for (const v of vectors.filter((x) => x.json.advert.version === 2)) {
    assert.equal(internetChecksum(v.packet.subarray(v.json.vrrpOffset)), 0, v.name);
  }
});

test('GARP and NA vectors are consistent with their descriptions', () => {
  const garp = readHex(join(VECTOR_DIR, 'garp-v2-pass.hex'));
  const gj = JSON.parse(readFileSync(join(VECTOR_DIR, 'garp-v2-pass.json'), 'utf8'));
  assert.equal(garp.length, gj.length);
  assert.equal(garp.readUInt16BE(12), 0x0806);
  assert.equal(garp.subarray(0, 6).toString('hex'), 'ffffffffffff');
  assert.equal(garp.readUInt16BE(20), 1, 'ARP request');
  assert.equal(garp.subarray(32, 38).toString('hex'), 'ffffffffffff', 'target MAC broadcast');
  assert.equal([...garp.subarray(28, 32)].join('.'), gj.senderIp);
  assert.equal(gj.senderIp, gj.targetIp);
  const una = readHex(join(VECTOR_DIR, 'una-v3-ipv6.hex'));
  const uj = JSON.parse(readFileSync(join(VECTOR_DIR, 'una-v3-ipv6.json'), 'utf8'));
  assert.equal(una.length, uj.length);
  assert.equal(una.readUInt16BE(12), 0x86dd);
  assert.equal(una[14 + 6], 58);
  assert.equal(una[14 + 7], 255);
  assert.equal(una[14 + 40], 136);
  assert.equal(uj.ipDst, 'ff02::1');
});
