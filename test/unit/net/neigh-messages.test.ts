/** rtnetlink neighbour messages (src/net/netlink/neigh-messages.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNeighbour, encodeNdmsg, NDA, NUD } from '../../../src/net/netlink/neigh-messages.js';
import { encodeAttrs } from '../../../src/net/netlink/codec.js';
import { K } from '../../../src/net/sysio.js';

test('ndmsg encodes family, ifindex, state and flags at their offsets', () => {
  assert.deepEqual([...encodeNdmsg(6, 3, NUD.REACHABLE, 1)], [K.AF_INET6 as number, 0, 0, 0, 3, 0, 0, 0, 2, 0, 1, 0]);
});

test('RTM_NEWNEIGH decodes address, MAC and state; entries without a destination are skipped', () => {
  const body = Buffer.concat([
    encodeNdmsg(4, 2, NUD.STALE),
    encodeAttrs([
      { type: NDA.DST, value: Buffer.from([192, 0, 2, 11]) },
      { type: NDA.LLADDR, value: Buffer.from([2, 0, 0, 0, 1, 0x11]) },
    ]),
  ]);
  assert.deepEqual(decodeNeighbour(body), { family: 4, ifindex: 2, address: '192.0.2.11', state: NUD.STALE, mac: '02:00:00:00:01:11' });
  const incomplete = Buffer.concat([
    encodeNdmsg(6, 2, NUD.INCOMPLETE),
    encodeAttrs([{ type: NDA.DST, value: Buffer.from('20010db8000100000000000000000011', 'hex') }]),
  ]);
  assert.deepEqual(decodeNeighbour(incomplete), { family: 6, ifindex: 2, address: '2001:db8:1::11', state: NUD.INCOMPLETE });
  assert.equal(decodeNeighbour(encodeNdmsg(4, 2)), undefined);
});
