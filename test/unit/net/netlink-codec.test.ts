import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAttrs, decodeError, decodeMessages, encodeAttrs, encodeMessage, attr, NLM_F } from '../../../src/net/netlink/codec.js';
import { decodeAddress, encodeAddressRequest, IFA_F } from '../../../src/net/netlink/route-messages.js';
import { seededRng } from '../../../src/core/rng.js';

test('messages round-trip with 4-byte alignment', () => {
  const a = encodeMessage(20, NLM_F.REQUEST | NLM_F.ACK, 7, 0, Buffer.from([1, 2, 3]));
  assert.equal(a.length, 20);
  assert.equal(a.readUInt32LE(0), 19);
  const b = encodeMessage(3, 0, 8, 0, Buffer.alloc(4));
  const msgs = decodeMessages(Buffer.concat([a, b]));
  assert.deepEqual(
    msgs.map((m) => [m.type, m.seq, m.payload.length]),
    [
      [20, 7, 3],
      [3, 8, 4],
    ],
  );
});

test('nested attributes carry NLA_F_NESTED and decode by type', () => {
  const buf = encodeAttrs([
    { type: 1, value: attr.u32(5) },
    { type: 2, value: [{ type: 3, value: attr.str('eth0') }] },
  ]);
  const top = decodeAttrs(buf);
  assert.equal(top.get(1)?.readUInt32LE(0), 5);
  assert.equal(
    decodeAttrs(top.get(2) as Buffer)
      .get(3)
      ?.toString(),
    'eth0\0',
  );
  assert.equal(buf.readUInt16LE(8 + 2) & 0x8000, 0x8000);
});

test('extended ack text is decoded from a capped NLMSG_ERROR', () => {
  const orig = Buffer.alloc(16);
  orig.writeUInt32LE(40, 0);
  orig.writeUInt32LE(9, 8);
  const err = Buffer.alloc(4);
  err.writeInt32LE(-99);
  const payload = Buffer.concat([err, orig, encodeAttrs([{ type: 1, value: attr.str('ipv4: Address not found') }])]);
  assert.deepEqual(decodeError(payload, NLM_F.CAPPED | NLM_F.ACK_TLVS), { error: -99, seq: 9, message: 'ipv4: Address not found' });
});

test('address request encodes label, broadcast and nodad; the decoder reads them back', () => {
  const req = encodeAddressRequest({
    family: 4,
    ifindex: 3,
    address: '192.0.2.100',
    prefixLength: 24,
    broadcast: '192.0.2.255',
    label: 'eth0:1',
    nodad: true,
  });
  const back = decodeAddress(req);
  assert.equal(back.address, '192.0.2.100');
  assert.equal(back.prefixLength, 24);
  assert.equal(back.label, 'eth0:1');
  assert.equal(back.broadcast, '192.0.2.255');
  assert.equal(back.flags & IFA_F.NODAD, IFA_F.NODAD);
});

test('decoders never throw on random or truncated input', () => {
  const rng = seededRng(7);
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(rng.next() * 80);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(rng.next() * 256);
    if (len >= 4 && rng.next() < 0.5) b.writeUInt32LE(Math.floor(rng.next() * (len + 8)), 0);
    decodeMessages(b);
    decodeAttrs(b);
  }
});
