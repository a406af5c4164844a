import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeName, encodeQuery, judgeDnsReply } from '../../../src/probe/dns-packet.js';

test('names are encoded as keepalived writes them', () => {
  assert.deepEqual(encodeName(''), Buffer.from([0]));
  assert.deepEqual(encodeName('.'), Buffer.from([0]));
  assert.deepEqual(encodeName('example.org'), Buffer.from('\x07example\x03org\x00', 'latin1'));
  assert.deepEqual(encodeName('example.org.'), Buffer.from('\x07example\x03org\x00', 'latin1'));
});

test('a query: id, RD, one question of type/class IN', () => {
  const q = encodeQuery(0xbeef, 'example.org', 'AAAA');
  assert.equal(q.toString('hex'), `beef01000001000000000000${Buffer.from('\x07example\x03org\x00', 'latin1').toString('hex')}001c0001`);
  assert.equal(encodeQuery(1, '', 'SOA').toString('hex'), '000101000001000000000000' + '00' + '00060001');
});

test('replies: short, foreign id and non-responses are ignored; RCODE fails; NOERROR succeeds', () => {
  const reply = (id: number, flags: number): Buffer => {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(flags, 2);
    return b;
  };
  assert.deepEqual(judgeDnsReply(7, Buffer.alloc(11)), { kind: 'ignore' });
  assert.deepEqual(judgeDnsReply(7, reply(8, 0x8180)), { kind: 'ignore' });
  assert.deepEqual(judgeDnsReply(7, reply(7, 0x0100)), { kind: 'ignore' });
  assert.deepEqual(judgeDnsReply(7, reply(7, 0x8183)), { kind: 'error', text: 'read error occurred. (rcode = 3)' });
  assert.deepEqual(judgeDnsReply(7, reply(7, 0x8180)), { kind: 'ok' });
});
