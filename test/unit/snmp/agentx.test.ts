import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodePdu,
  encodeOid,
  encodeOctets,
  encodePdu,
  framedLength,
  PduType,
  responsePdu,
  VarType,
  type Oid,
  type VarBind,
} from '../../../src/snmp/agentx.js';
import { answer, compareOid, MibBuilder } from '../../../src/snmp/mib.js';

const h = { sessionId: 7, transactionId: 8, packetId: 9 };

/** A Get/GetNext PDU as a master agent sends it: search ranges (start with its include flag, end). */
function request(type: number, ranges: readonly [Oid, boolean, Oid][], bulk?: [number, number]): Buffer {
  const parts: Buffer[] = [];
  if (bulk) {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(bulk[0], 0);
    b.writeUInt16BE(bulk[1], 2);
    parts.push(b);
  }
  for (const [start, include, end] of ranges) parts.push(encodeOid(start, include), encodeOid(end));
  return encodePdu(type, h, Buffer.concat(parts));
}

test('encodeOid folds 1.3.6.1.X into the prefix byte (RFC 2741 §5.1) and decodes back', () => {
  const b = encodeOid([1, 3, 6, 1, 4, 1, 9586, 100], true);
  assert.deepEqual([...b.subarray(0, 4)], [3, 4, 1, 0]);
  assert.equal(b.length, 4 + 12);
  assert.deepEqual([...encodeOid([1, 3, 6, 1]).subarray(0, 4)], [4, 0, 0, 0]); // no X: not folded
  const pdu = decodePdu(request(PduType.Get, [[[1, 3, 6, 1, 4, 1, 9586, 100], true, []]]));
  assert.deepEqual(pdu.ranges, [{ start: [1, 3, 6, 1, 4, 1, 9586, 100], include: true, end: [] }]);
});

test('octet strings are padded to four bytes', () => {
  assert.deepEqual([...encodeOctets('abcde')], [0, 0, 0, 5, 97, 98, 99, 100, 101, 0, 0, 0]);
  assert.equal(encodeOctets('').length, 4);
});

test('framedLength waits for a whole PDU; decodePdu reads both byte orders', () => {
  const whole = request(PduType.GetNext, [[[1, 3, 6, 1, 2, 1, 68], false, [1, 3, 6, 1, 2, 1, 69]]]);
  assert.equal(framedLength(whole.subarray(0, 19)), 0);
  assert.equal(framedLength(whole.subarray(0, whole.length - 1)), 0);
  assert.equal(framedLength(Buffer.concat([whole, whole.subarray(0, 5)])), whole.length);
  // the same PDU in little-endian (NETWORK_BYTE_ORDER clear)
  const le = Buffer.from(whole);
  le[2] = 0;
  for (const off of [4, 8, 12, 16]) le.writeUInt32LE(whole.readUInt32BE(off), off);
  for (let off = 20; off < le.length; off += 4) {
    // OID headers (n_subid, prefix, include, reserved) are bytes; sub-identifiers are 32-bit words
    const isHeader = off === 20 || off === 20 + 4 + 4 * whole[20]!;
    if (!isHeader) le.writeUInt32LE(whole.readUInt32BE(off), off);
  }
  assert.equal(framedLength(le), le.length);
  const p = decodePdu(le);
  assert.deepEqual([p.type, p.sessionId, p.transactionId, p.packetId], [PduType.GetNext, 7, 8, 9]);
  assert.deepEqual(p.ranges, [{ start: [1, 3, 6, 1, 2, 1, 68], include: false, end: [1, 3, 6, 1, 2, 1, 69] }]);
  assert.throws(() => decodePdu(Buffer.alloc(20)), /version 1/);
});

test('a Response round-trips every value type', () => {
  const vbs: VarBind[] = [
    { oid: [1, 3, 6, 1, 2, 1, 68, 1, 1, 0], type: VarType.Integer, value: -5 },
    { oid: [1, 3, 6, 1, 2, 1, 68, 2, 1, 0], type: VarType.Counter32, value: 4_000_000_000 },
    { oid: [1, 3, 6, 1, 2, 1, 207, 1, 2, 1, 0], type: VarType.Counter64, value: 2n ** 40n },
    { oid: [1, 3, 6, 1, 4, 1, 9586, 100, 5, 1, 1, 0], type: VarType.OctetString, value: Buffer.from('Keepalived') },
    { oid: [1, 3, 6, 1, 2, 1, 68, 1, 3, 1, 7, 2, 51], type: VarType.IpAddress, value: Buffer.from([192, 0, 2, 10]) },
    { oid: [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0], type: VarType.ObjectIdentifier, value: [1, 3, 6, 1, 2, 1, 68, 0, 1] },
    { oid: [1, 3, 6, 1, 2, 1, 1, 3, 0], type: VarType.TimeTicks, value: 12345 },
    { oid: [1, 3, 6, 1, 9], type: VarType.EndOfMibView },
  ];
  const p = decodePdu(responsePdu(h, 100, 0, 0, vbs));
  assert.equal(p.type, PduType.Response);
  assert.equal(p.error, 0);
  assert.deepEqual(p.varbinds, vbs);
});

const view = (() => {
  const m = new MibBuilder();
  m.int([1, 3, 6, 1, 9, 2, 1], 21);
  m.int([1, 3, 6, 1, 9, 1, 1], 11);
  m.str([1, 3, 6, 1, 9, 1, 2], 'x');
  m.str([1, 3, 6, 1, 9, 3], undefined); // absent: keepalived returns no object
  m.gauge([1, 3, 6, 1, 9, 2, 2], 22);
  return m.done();
})();

test('the view is sorted in OID order and leaves out undefined cells', () => {
  assert.deepEqual(
    view.map((v) => v.oid.join('.')),
    ['1.3.6.1.9.1.1', '1.3.6.1.9.1.2', '1.3.6.1.9.2.1', '1.3.6.1.9.2.2'],
  );
  assert.ok(compareOid([1, 3], [1, 3, 0]) < 0 && compareOid([1, 4], [1, 3, 9]) > 0 && compareOid([2], [2]) === 0);
});

test('Get answers exact names, noSuchObject otherwise', () => {
  const r = answer(
    view,
    decodePdu(
      request(PduType.Get, [
        [[1, 3, 6, 1, 9, 1, 2], false, []],
        [[1, 3, 6, 1, 9, 1], false, []],
      ]),
    ),
  )!;
  assert.deepEqual(r[0], { oid: [1, 3, 6, 1, 9, 1, 2], type: VarType.OctetString, value: Buffer.from('x') });
  assert.deepEqual(r[1], { oid: [1, 3, 6, 1, 9, 1], type: VarType.NoSuchObject });
});

test('GetNext: strictly after the start unless include, before the end, else endOfMibView', () => {
  const next = (start: Oid, include: boolean, end: Oid = []) => answer(view, decodePdu(request(PduType.GetNext, [[start, include, end]])))![0]!;
  assert.deepEqual(next([1, 3, 6, 1, 9], false).oid, [1, 3, 6, 1, 9, 1, 1]);
  assert.deepEqual(next([1, 3, 6, 1, 9, 1, 1], false).oid, [1, 3, 6, 1, 9, 1, 2]);
  assert.deepEqual(next([1, 3, 6, 1, 9, 1, 1], true).oid, [1, 3, 6, 1, 9, 1, 1]);
  assert.deepEqual(next([1, 3, 6, 1, 9, 1, 2], false, [1, 3, 6, 1, 9, 2]), { oid: [1, 3, 6, 1, 9, 1, 2], type: VarType.EndOfMibView });
  assert.deepEqual(next([1, 3, 6, 1, 9, 2, 2], false), { oid: [1, 3, 6, 1, 9, 2, 2], type: VarType.EndOfMibView });
});

test('GetBulk: non-repeaters once, then the repeaters row by row up to max-repetitions', () => {
  const p = decodePdu(
    request(
      PduType.GetBulk,
      [
        [[1, 3, 6, 1, 9, 2], false, []],
        [[1, 3, 6, 1, 9, 1], false, []],
      ],
      [1, 3],
    ),
  );
  assert.deepEqual(
    answer(view, p)!.map((v) => `${v.oid.join('.')}:${v.type}`),
    ['1.3.6.1.9.2.1:2', '1.3.6.1.9.1.1:2', '1.3.6.1.9.1.2:4', '1.3.6.1.9.2.1:2'],
  );
  // a run that reaches the end stops with one endOfMibView row
  const q = decodePdu(request(PduType.GetBulk, [[[1, 3, 6, 1, 9, 2, 1], false, []]], [0, 10]));
  assert.deepEqual(
    answer(view, q)!.map((v) => v.type),
    [VarType.Gauge32, VarType.EndOfMibView],
  );
  assert.equal(answer(view, { type: PduType.Ping, sessionId: 0, transactionId: 0, packetId: 0 }), undefined);
});
