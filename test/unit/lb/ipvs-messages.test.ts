import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessages, encodeMessage, encodeAttrs, attr, NLM_F } from '../../../src/net/netlink/codec.js';
import { decodeFamily, decodeGenlPayload, encodeGenlPayload, encodeGetFamilyRequest, GENL_ID_CTRL } from '../../../src/net/netlink/genl.js';
import {
  decodeDaemon,
  decodeDest,
  decodeService,
  delDestRequest,
  destRequest,
  flushRequest,
  getDestsRequest,
  IPVS_CMD,
  IPVS_CMD_ATTR,
  IPVS_DEST_ATTR,
  IPVS_SVC_ATTR,
  netmaskBits,
  netmaskValue,
  newDaemonRequest,
  serviceRequest,
  setConfigRequest,
} from '../../../src/lb/ipvs/messages.js';
import type { LbServiceKey } from '../../../src/lb/backend.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const tcp80: LbServiceKey = { kind: 'address', family: 4, protocol: 'TCP', address: '192.0.2.1', port: 80 };

test('CTRL_CMD_GETFAMILY "IPVS" is the request genl_ctrl_resolve sends', () => {
  const m = encodeMessage(GENL_ID_CTRL, NLM_F.REQUEST | NLM_F.ACK, 1, 0, encodeGetFamilyRequest('IPVS'));
  assert.deepEqual(m, hex('20000000 1000 0500 01000000 00000000  03010000  0900 0200 49505653 00 000000'));
});

test('a CTRL_CMD_NEWFAMILY reply decodes id, version and multicast groups', () => {
  const reply = encodeGenlPayload(1, 2, [
    { type: 1, value: attr.u16(0x1d) },
    { type: 2, value: attr.str('IPVS') },
    { type: 3, value: attr.u32(1) },
    { type: 4, value: attr.u32(0) },
    { type: 5, value: attr.u32(6) },
    {
      type: 7,
      value: [
        {
          type: 1,
          value: [
            { type: 2, value: attr.u32(9) },
            { type: 1, value: attr.str('events') },
          ],
        },
      ],
    },
  ]);
  const f = decodeFamily(decodeGenlPayload(reply)!);
  assert.deepEqual(f, { name: 'IPVS', id: 0x1d, version: 1, hdrsize: 0, maxattr: 6, groups: new Map([['events', 9]]) });
});

test('IPVS_CMD_NEW_SERVICE carries the full service nest as libipvs writes it (flags {flags, ~0}, be16 port, be32 mask)', () => {
  const r = serviceRequest(IPVS_CMD.NEW_SERVICE, { key: tcp80, scheduler: 'wrr', flags: 0, timeoutSec: 50, netmaskBits: 24 });
  assert.deepEqual(
    encodeGenlPayload(r.cmd, 1, r.attrs),
    hex(`01010000 5400 0180
    0600 0100 0200 0000   0600 0200 0600 0000   1400 0300 c0000201 00000000 00000000 00000000
    0600 0400 0050 0000   0800 0600 77727200    0c00 0700 01000000 ffffffff
    0800 0800 32000000    0800 0900 ffffff00`),
  );
  assert.equal(r.dump, false);
});

test('IPv6 and fwmark service keys; IPv6 netmask is a prefix length', () => {
  const r = serviceRequest(IPVS_CMD.SET_SERVICE, {
    key: { kind: 'fwmark', family: 6, fwmark: 5 },
    scheduler: 'sh',
    flags: 0x18,
    timeoutSec: 0,
    netmaskBits: 128,
    persistenceEngine: 'sip',
  });
  assert.deepEqual(
    encodeGenlPayload(r.cmd, 1, r.attrs),
    hex(`02010000 4000 0180
    0600 0100 0a00 0000   0800 0500 05000000   0700 0600 736800 00   0800 0b00 73697000
    0c00 0700 18000000 ffffffff   0800 0800 00000000   0800 0900 80000000`),
  );
  assert.deepEqual(netmaskValue(4, 0), hex('00000000'));
  assert.equal(netmaskBits(4, hex('ffff0000')), 16);
});

test('NEW_DEST: service key, then the dest nest with family, method, weight, tunnel (gue port/flags) and thresholds', () => {
  const r = destRequest(IPVS_CMD.NEW_DEST, tcp80, {
    family: 4,
    address: '192.0.2.10',
    port: 80,
    method: 'TUN',
    weight: 2,
    uthreshold: 10,
    lthreshold: 5,
    tunnelType: 'gue',
    tunnelPort: 6080,
    tunnelChecksum: 'remcsum',
  });
  const body = encodeAttrs(r.attrs);
  const dest = body.subarray(body.indexOf(hex('0280')) - 2);
  assert.deepEqual(
    dest,
    hex(`6000 0280
    0600 0b00 0200 0000   1400 0100 c000020a 00000000 00000000 00000000   0600 0200 0050 0000
    0800 0300 02000000    0800 0400 02000000   0500 0d00 01 000000   0600 0e00 17c0 0000   0600 0f00 0200 0000
    0800 0500 0a000000    0800 0600 05000000`),
  );
  const del = delDestRequest(tcp80, { family: 6, address: '2001:db8::10', port: 53 });
  assert.equal(del.cmd, IPVS_CMD.DEL_DEST);
  assert.equal(del.attrs.length, 2);
  assert.deepEqual(getDestsRequest(tcp80).dump, true);
});

test('daemon, config and flush requests', () => {
  const d = newDaemonRequest({ state: 'backup', ifname: 'eth0', syncId: 3, group: '224.0.0.81', port: 8848, ttl: 2, maxlen: 1400 });
  assert.deepEqual(
    encodeAttrs(d.attrs),
    hex(`4000 0380
    0800 0100 02000000   0900 0200 65746830 00 000000   0800 0300 03000000   0600 0400 7805 0000
    0800 0500 e0000051   0600 0700 9022 0000   0500 0800 02 000000`),
  );
  assert.deepEqual(encodeAttrs(setConfigRequest({ udpSec: 60 }).attrs), hex('0800 0600 3c000000'));
  assert.deepEqual(flushRequest(), { cmd: IPVS_CMD.FLUSH, attrs: [], dump: false });
  const back = decodeDaemon(encodeAttrs(d.attrs));
  assert.deepEqual(back, { state: 'backup', ifname: 'eth0', syncId: 3, maxlen: 1400, group: '224.0.0.81', port: 8848, ttl: 2 });
});

test('a GET_SERVICE reply with stats64 and a GET_DEST reply decode to the port types (HASHED and PERSISTENT bits stripped)', () => {
  const stats64 = [1, 2, 3, 4, 5].map((t, i) => ({
    type: t,
    value: (() => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt((i + 1) * 1000));
      return b;
    })(),
  }));
  const top = encodeAttrs([
    {
      type: IPVS_CMD_ATTR.SERVICE,
      value: [
        { type: IPVS_SVC_ATTR.AF, value: attr.u16(10) },
        { type: IPVS_SVC_ATTR.PROTOCOL, value: attr.u16(17) },
        { type: IPVS_SVC_ATTR.ADDR, value: hex('20010db8000000000000000000000001') },
        { type: IPVS_SVC_ATTR.PORT, value: hex('0035') },
        { type: IPVS_SVC_ATTR.SCHED_NAME, value: attr.str('lc') },
        { type: IPVS_SVC_ATTR.FLAGS, value: hex('07000000ffffffff') },
        { type: IPVS_SVC_ATTR.TIMEOUT, value: attr.u32(300) },
        { type: IPVS_SVC_ATTR.NETMASK, value: attr.u32(64) },
        { type: IPVS_SVC_ATTR.STATS64, value: stats64 },
      ],
    },
  ]);
  const s = decodeService(top)!;
  assert.deepEqual(
    [s.key, s.scheduler, s.flags, s.timeoutSec, s.netmaskBits, s.counters.connections, s.counters.bytesOut],
    [{ kind: 'address', family: 6, protocol: 'UDP', address: '2001:db8::1', port: 53 }, 'lc', 4, 300, 64, 1000, 5000],
  );
  const dtop = encodeAttrs([
    {
      type: IPVS_CMD_ATTR.DEST,
      value: [
        { type: IPVS_DEST_ATTR.ADDR, value: hex('c000020a000000000000000000000000') },
        { type: IPVS_DEST_ATTR.PORT, value: hex('0050') },
        { type: IPVS_DEST_ATTR.FWD_METHOD, value: attr.u32(3) },
        { type: IPVS_DEST_ATTR.WEIGHT, value: attr.u32(4) },
        { type: IPVS_DEST_ATTR.ACTIVE_CONNS, value: attr.u32(7) },
        { type: IPVS_DEST_ATTR.INACT_CONNS, value: attr.u32(8) },
        { type: IPVS_DEST_ATTR.ADDR_FAMILY, value: attr.u16(2) },
      ],
    },
  ]);
  const d = decodeDest(dtop, 6)!;
  assert.deepEqual(
    [d.family, d.address, d.port, d.method, d.weight, d.activeConnections, d.inactiveConnections],
    [4, '192.0.2.10', 80, 'DR', 4, 7, 8],
  );
});

test('decodeMessages + decodeGenlPayload split a multi-part dump', () => {
  const a = encodeMessage(0x1d, NLM_F.MULTI, 5, 0, encodeGenlPayload(IPVS_CMD.NEW_SERVICE, 1, []));
  const done = encodeMessage(3, NLM_F.MULTI, 5, 0, hex('00000000'));
  const msgs = decodeMessages(Buffer.concat([a, done]));
  assert.deepEqual(
    msgs.map((m) => m.type),
    [0x1d, 3],
  );
  assert.equal(decodeGenlPayload(msgs[0]!.payload)?.cmd, IPVS_CMD.NEW_SERVICE);
});
