import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMessage, NLM_F } from '../../../src/net/netlink/codec.js';
import { RTM } from '../../../src/net/netlink/route-messages.js';
import { decodeLinkDetails, encodeGetLinkRequest, encodeLinkIndexRequest, encodeMacvlanRequest } from '../../../src/net/netlink/link-messages.js';
import {
  clearAllRpFilter,
  configureParentSysctls,
  configureVmacSysctls,
  restoreAllRpFilter,
  restoreParentSysctls,
  vmacAddress,
  vmacLinkLocal,
  vmacName,
} from '../../../src/net/vmac.js';

/**
 * `ip -d link add link eth0 name vrrp.51 address 00:00:5e:00:01:33 type macvlan mode private` (iproute2 6.1,
 * eth0 = ifindex 3), captured with `strace -f -e trace=sendmsg -e write=3` in a scratch namespace; the sequence
 * number (bytes 8..11) zeroed.
 */
const IP_LINK_ADD_MACVLAN = Buffer.from(
  '5c000000100005060000000000000000' + // nlmsghdr: len 92, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
    '00000000000000000000000000000000' + // ifinfomsg: AF_UNSPEC, index 0
    '0a000100' +
    '00005e000133' +
    '0000' + // IFLA_ADDRESS
    '08000500' +
    '03000000' + // IFLA_LINK 3
    '0c000300' +
    '767272702e353100' + // IFLA_IFNAME "vrrp.51\0"
    '1c001200' + // IFLA_LINKINFO (iproute2 leaves NLA_F_NESTED clear)
    '0b000100' +
    '6d6163766c616e00' + // IFLA_INFO_KIND "macvlan" (len 11, no NUL; the 00 is padding)
    '0c000200' +
    '08000100' +
    '01000000', // IFLA_INFO_DATA { IFLA_MACVLAN_MODE private }
  'hex',
);

/** `ip link del vrrp.51` (ifindex 4): a bare ifinfomsg, seq zeroed. */
const IP_LINK_DEL = Buffer.from('20000000110005000000000000000000' + '00000000040000000000000000000000', 'hex');

test("the macvlan RTM_NEWLINK is byte-identical to iproute2's, except NLA_F_NESTED on the two nests", () => {
  const body = encodeMacvlanRequest({ name: 'vrrp.51', parentIndex: 3, mac: '00:00:5e:00:01:33', mode: 'private' });
  const ours = encodeMessage(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL, 0, 0, body);
  const expected = Buffer.from(IP_LINK_ADD_MACVLAN);
  expected.writeUInt16LE(0x8000 | 18, 0x42); // IFLA_LINKINFO | NLA_F_NESTED
  expected.writeUInt16LE(0x8000 | 2, 0x52); // IFLA_INFO_DATA | NLA_F_NESTED
  assert.equal(ours.toString('hex'), expected.toString('hex'));
  assert.equal(
    encodeMacvlanRequest({ name: 'vrrp.51', parentIndex: 3, mac: '00:00:5e:00:01:33' }).toString('hex'),
    body.toString('hex'),
    'private is the default',
  );
});

test('other modes change only the IFLA_MACVLAN_MODE value', () => {
  const bridge = encodeMacvlanRequest({ name: 'vrrp.51', parentIndex: 3, mac: '00:00:5e:00:01:33', mode: 'bridge' });
  assert.equal(bridge.readUInt32LE(bridge.length - 4), 4);
});

test('RTM_DELLINK is a bare ifinfomsg, as `ip link del` sends it', () => {
  const ours = encodeMessage(RTM.DELLINK, NLM_F.REQUEST | NLM_F.ACK, 0, 0, encodeLinkIndexRequest(4));
  assert.equal(ours.toString('hex'), IP_LINK_DEL.toString('hex'));
});

test('RTM_GETLINK by name carries IFLA_EXT_MASK (skip stats) and IFLA_IFNAME, by index only the mask', () => {
  assert.equal(encodeGetLinkRequest('vrrp.51').subarray(16).toString('hex'), '08001d0008000000' + '0c000300767272702e353100');
  const byIndex = encodeGetLinkRequest(7);
  assert.equal(byIndex.readInt32LE(4), 7);
  assert.equal(byIndex.length, 24);
});

test('link details decode kind, parent and macvlan mode (from the request body, which has the same layout)', () => {
  const d = decodeLinkDetails(IP_LINK_ADD_MACVLAN.subarray(16));
  assert.equal(d.name, 'vrrp.51');
  assert.equal(d.mac, '00:00:5e:00:01:33');
  assert.equal(d.kind, 'macvlan');
  assert.equal(d.macvlanMode, 'private');
  assert.equal(d.parentIndex, 3);
  const plain = decodeLinkDetails(Buffer.alloc(16));
  assert.equal(plain.kind, undefined);
  assert.equal(plain.macvlanMode, undefined);
});

test('vmacAddress: RFC 5798 7.3 virtual router MAC per family', () => {
  assert.equal(vmacAddress(4, 51), '00:00:5e:00:01:33');
  assert.equal(vmacAddress(6, 51), '00:00:5e:00:02:33');
  assert.equal(vmacAddress(4, 1), '00:00:5e:00:01:01');
  assert.equal(vmacAddress(6, 255), '00:00:5e:00:02:ff');
  assert.throws(() => vmacAddress(4, 0), RangeError);
  assert.throws(() => vmacAddress(4, 256), RangeError);
});

test("vmacName: configured name, vrrp.<vrid>, keepalived's fallbacks and prefix truncation", () => {
  assert.equal(vmacName(51), 'vrrp.51');
  assert.equal(vmacName(51, 'vmac51'), 'vmac51');
  assert.equal(vmacName(7, undefined, { prefix: 'kav' }), 'kav.7');
  const taken = (names: string[]) => (n: string) => names.includes(n);
  assert.equal(vmacName(51, undefined, { inUse: taken(['vrrp.51', 'vrrp1.51']) }), 'vrrp2.51');
  assert.equal(vmacName(51, undefined, { family: 6, inUse: taken(['vrrp.51']) }), 'vrrp6.51');
  assert.equal(
    vmacName(51, undefined, { family: 6, inUse: taken(['vrrp.51', 'vrrp6.51', 'vrrp1.51', 'vrrp2.51', 'vrrp3.51', 'vrrp4.51', 'vrrp5.51']) }),
    'vrrp7.51',
  );
  // snprintf("%.*s.%d"): the prefix loses what does not fit in 15 bytes
  assert.equal(vmacName(251, undefined, { prefix: 'averyverylongprefix' }), 'averyverylo.251');
  assert.equal(vmacName(251, undefined, { prefix: 'averyverylongprefix', inUse: taken(['averyverylo.251']) }), 'averyveryl1.251');
});

test('vmacLinkLocal: modified EUI-64 of the parent MAC (make_link_local_address)', () => {
  assert.equal(vmacLinkLocal('02:00:00:00:00:0a'), 'fe80::ff:fe00:a');
  assert.equal(vmacLinkLocal('52:54:00:12:34:56'), 'fe80::5054:ff:fe12:3456');
});

/** A scratch /proc/sys with net/ipv{4,6}/conf/<if>/ files. */
function scratchProcSys(ifs: Record<string, Record<string, number>>, v6ifs: string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), 'kts-sysctl-'));
  for (const [ifname, keys] of Object.entries(ifs)) {
    mkdirSync(join(root, 'net/ipv4/conf', ifname), { recursive: true });
    for (const [k, v] of Object.entries(keys)) writeFileSync(join(root, 'net/ipv4/conf', ifname, k), `${v}\n`);
  }
  for (const ifname of v6ifs) mkdirSync(join(root, 'net/ipv6/conf', ifname), { recursive: true });
  return root;
}
const read = (root: string, rel: string) => readFileSync(join(root, rel), 'utf8').trim();

test('configureVmacSysctls (IPv4): arp_ignore, accept_local, rp_filter, promote_secondaries; no EUI-64; IPv6 off', () => {
  const root = scratchProcSys({ 'vrrp.51': {} }, ['vrrp.51']);
  try {
    assert.deepEqual(configureVmacSysctls('vrrp.51', 4, { procSys: root }), []);
    assert.deepEqual(
      ['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries'].map((k) => read(root, `net/ipv4/conf/vrrp.51/${k}`)),
      ['1', '1', '0', '1'],
    );
    assert.equal(read(root, 'net/ipv6/conf/vrrp.51/addr_gen_mode'), '1');
    assert.equal(read(root, 'net/ipv6/conf/vrrp.51/disable_ipv6'), '1');
    assert.deepEqual(configureVmacSysctls('vrrp.51', 4, { procSys: root, otherFamilyVips: true }), []);
    assert.equal(read(root, 'net/ipv6/conf/vrrp.51/disable_ipv6'), '0', 'IPv6 eVIPs keep IPv6 on');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('configureVmacSysctls (IPv6): only addr_gen_mode none and IPv6 on; a missing interface is reported, not thrown', () => {
  const root = scratchProcSys({}, ['vrrp.52']);
  try {
    assert.deepEqual(configureVmacSysctls('vrrp.52', 6, { procSys: root }), []);
    assert.equal(read(root, 'net/ipv6/conf/vrrp.52/addr_gen_mode'), '1');
    assert.equal(read(root, 'net/ipv6/conf/vrrp.52/disable_ipv6'), '0');
    const problems = configureVmacSysctls('nosuch', 4, { procSys: root });
    assert.equal(problems.length, 6);
    assert.ok(
      problems.every((p) => p.code === 'ENOENT' && p.path.includes('/nosuch/')),
      JSON.stringify(problems),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('parent sysctls: set arp_ignore/arp_filter to 1, then restore the saved values', () => {
  const root = scratchProcSys({ eth0: { arp_ignore: 0, arp_filter: 1 } });
  try {
    const { saved, problems } = configureParentSysctls('eth0', { procSys: root });
    assert.deepEqual(problems, []);
    assert.deepEqual(saved, { arp_ignore: 0, arp_filter: 1 });
    assert.equal(read(root, 'net/ipv4/conf/eth0/arp_ignore'), '1');
    assert.equal(read(root, 'net/ipv4/conf/eth0/arp_filter'), '1');
    assert.deepEqual(restoreParentSysctls('eth0', saved, { procSys: root }), []);
    assert.equal(read(root, 'net/ipv4/conf/eth0/arp_ignore'), '0');
    assert.equal(configureParentSysctls('gone', { procSys: root }).problems.length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('clearAllRpFilter raises default and lower interfaces to all, zeroes all; restore undoes only unchanged values', () => {
  const root = scratchProcSys({
    all: { rp_filter: 2 },
    default: { rp_filter: 0 },
    eth0: { rp_filter: 0 },
    eth1: { rp_filter: 2 },
    eth2: { rp_filter: 1 },
  });
  try {
    const { saved, problems } = clearAllRpFilter({ procSys: root });
    assert.deepEqual(problems, []);
    assert.ok(saved);
    assert.equal(saved.all, 2);
    assert.equal(saved.default, 0);
    assert.deepEqual([...saved.interfaces].sort(), [
      ['eth0', 0],
      ['eth2', 1],
    ]);
    assert.deepEqual(
      ['all', 'default', 'eth0', 'eth1', 'eth2'].map((i) => read(root, `net/ipv4/conf/${i}/rp_filter`)),
      ['0', '2', '2', '2', '2'],
    );
    writeFileSync(join(root, 'net/ipv4/conf/eth2/rp_filter'), '1'); // changed by someone else since: left alone
    assert.deepEqual(restoreAllRpFilter(saved, { procSys: root }), []);
    assert.deepEqual(
      ['all', 'default', 'eth0', 'eth1', 'eth2'].map((i) => read(root, `net/ipv4/conf/${i}/rp_filter`)),
      ['2', '0', '0', '2', '1'],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('clearAllRpFilter does nothing when all.rp_filter is already 0', () => {
  const root = scratchProcSys({ all: { rp_filter: 0 }, eth0: { rp_filter: 1 } });
  try {
    assert.deepEqual(clearAllRpFilter({ procSys: root }), { problems: [] });
    assert.equal(read(root, 'net/ipv4/conf/eth0/rp_filter'), '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
