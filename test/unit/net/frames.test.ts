import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildGratuitousArp, buildUnsolicitedNa, macBytes, macText } from '../../../src/net/arp.js';

const vectors = new URL('../../../../test/vectors/', import.meta.url);
const hex = (name: string) => Buffer.from(readFileSync(new URL(name, vectors), 'utf8').replace(/\s+/g, ''), 'hex');
const json = (name: string) => JSON.parse(readFileSync(new URL(name, vectors), 'utf8')) as Record<string, string>;

test('gratuitous ARP frame equals the one keepalived 2.2.7 sent, byte for byte', () => {
  const v = json('garp-v2-pass.json');
  const frame = buildGratuitousArp(macBytes(v.senderMac as string), v.senderIp as string);
  assert.equal(frame.toString('hex'), hex('garp-v2-pass.hex').toString('hex'));
});

test('unsolicited NA frame equals the one keepalived 2.2.7 sent, byte for byte (incl. ICMPv6 checksum)', () => {
  const v = json('una-v3-ipv6.json');
  const frame = buildUnsolicitedNa(macBytes(v.ethSrc as string), v.target as string);
  assert.equal(frame.toString('hex'), hex('una-v3-ipv6.hex').toString('hex'));
});

test('NA router flag sets R and keeps O', () => {
  const f = buildUnsolicitedNa(macBytes('02:00:00:00:00:01'), '2001:db8::1', true);
  assert.equal(f[54 + 4], 0xa0);
});

test('mac helpers round-trip and reject bad input', () => {
  assert.equal(macText(macBytes('02:00:5E:00:01:33')), '02:00:5e:00:01:33');
  assert.throws(() => macBytes('02:00'), TypeError);
});
