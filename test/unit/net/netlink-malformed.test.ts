/**
 * Regression tests for the netlink decoder findings of the coverage-guided fuzzer (npm run fuzz -- netlink):
 * decoders ran in socket callbacks and threw RangeError on truncated headers and attributes of the wrong size,
 * and an address of one family's length was reported as the other family.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, decodeError, encodeAttrs, encodeMessage, decodeMessages } from '../../../src/net/netlink/codec.js';
import { decodeFamily, decodeGenlPayload, encodeGenlPayload } from '../../../src/net/netlink/genl.js';
import { decodeNeighbour } from '../../../src/net/netlink/neigh-messages.js';
import { decodeAddress, decodeLink, RTM } from '../../../src/net/netlink/route-messages.js';
import { toEvent } from '../../../src/net/netlink/rtnl.js';
import { decodeDaemon, decodeDest, decodeService, netmaskBits } from '../../../src/lb/ipvs/messages.js';

test('a truncated RTM_NEWLINK is no event, and decodeLink reads its header as zeros', () => {
  const [m] = decodeMessages(encodeMessage(RTM.NEWLINK, 0, 1, 0, Buffer.from([0, 0, 1, 0, 2, 0])));
  assert.equal(toEvent(m!), undefined);
  assert.deepEqual(decodeLink(Buffer.from([0, 0, 1, 0, 2])), { index: 2, name: '', flags: 0, up: false });
});

test('an MTU attribute shorter than 4 bytes is ignored, not read past its end', () => {
  const p = Buffer.concat([Buffer.alloc(16), encodeAttrs([{ type: 4, value: Buffer.from([1, 2]) }])]);
  assert.equal(decodeLink(p).mtu, undefined);
});

test('an address attribute of the other family is not reported as this family', () => {
  const v6WithV4Attr = Buffer.concat([Buffer.from([10, 64, 0, 0, 2, 0, 0, 0]), encodeAttrs([{ type: 1, value: Buffer.from([192, 0, 2, 1]) }])]);
  assert.equal(decodeAddress(v6WithV4Attr).address, '::');
  const v4WithBadBrd = Buffer.concat([
    Buffer.from([2, 24, 0, 0, 2, 0, 0, 0]),
    encodeAttrs([
      { type: 2, value: Buffer.from([192, 0, 2, 1]) },
      { type: 4, value: Buffer.alloc(16, 1) },
    ]),
  ]);
  const a = decodeAddress(v4WithBadBrd);
  assert.equal(a.address, '192.0.2.1');
  assert.equal(a.broadcast, undefined);
  const [m] = decodeMessages(encodeMessage(RTM.NEWADDR, 0, 1, 0, Buffer.concat([Buffer.from([17]), v4WithBadBrd.subarray(1)])));
  assert.equal(toEvent(m!), undefined, 'AF_PACKET is not an address event');
});

test('a truncated NLMSG_ERROR reads as EPROTO', () => {
  assert.equal(decodeError(Buffer.from([1, 2]), 0).error, -71);
});

test('a neighbour with a short header or a destination of the wrong length is skipped', () => {
  assert.equal(decodeNeighbour(Buffer.from([2, 0, 0])), undefined);
  const p = Buffer.concat([Buffer.from([2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 1]), encodeAttrs([{ type: 1, value: Buffer.alloc(16) }])]);
  assert.equal(decodeNeighbour(p), undefined);
});

test('a genl family with a one-byte id or group id is refused or skipped', () => {
  const bad = encodeGenlPayload(1, 2, [
    { type: 1, value: Buffer.from([5]) },
    { type: 2, value: attr.str('IPVS') },
  ]);
  assert.equal(decodeFamily(decodeGenlPayload(bad)!), undefined);
  const short = encodeGenlPayload(1, 2, [
    { type: 1, value: attr.u16(0x20) },
    { type: 2, value: attr.str('IPVS') },
    {
      type: 7,
      value: [
        {
          type: 1,
          value: [
            { type: 1, value: attr.str('g') },
            { type: 2, value: Buffer.from([1]) },
          ],
        },
      ],
    },
  ]);
  assert.deepEqual([...decodeFamily(decodeGenlPayload(short)!)!.groups], []);
});

test('IPVS service, destination and daemon attributes of the wrong size decode to defaults', () => {
  const svc = encodeAttrs([
    {
      type: 1,
      value: [
        { type: 1, value: Buffer.from([2]) },
        { type: 4, value: Buffer.from([80]) },
        { type: 8, value: Buffer.from([1, 0]) },
        { type: 9, value: Buffer.from([1]) },
        { type: 10, value: [{ type: 1, value: Buffer.from([1]) }] },
      ],
    },
  ]);
  const s = decodeService(svc)!;
  assert.equal(s.key.kind === 'address' && s.key.port, 0);
  assert.equal(s.counters.connections, 0);
  const dest = encodeAttrs([
    {
      type: 2,
      value: [
        { type: 5, value: Buffer.from([1]) },
        { type: 3, value: Buffer.from([2, 0]) },
      ],
    },
  ]);
  assert.equal(decodeDest(dest, 4)!.weight, 0);
  const daemon = encodeAttrs([
    {
      type: 3,
      value: [
        { type: 4, value: Buffer.from([1]) },
        { type: 7, value: Buffer.from([1]) },
      ],
    },
  ]);
  const d = decodeDaemon(daemon)!;
  assert.equal(d.maxlen, undefined);
  assert.equal(d.port, undefined);
  assert.equal(netmaskBits(4, Buffer.from([255])), 32);
});
