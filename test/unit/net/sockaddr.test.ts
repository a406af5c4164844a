import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipMreqn, ipv6Mreq, parseSockaddr, sockaddrIn, sockaddrIn6, sockaddrLl, sockaddrNl } from '../../../src/net/sockaddr.js';
import { decodeCmsgs } from '../../../src/net/cmsg.js';
import { K } from '../../../src/net/sysio.js';

test('sockaddr_in: family host order, port and address network order, 16 bytes', () => {
  const b = sockaddrIn('192.0.2.1', 0x1234);
  assert.equal(b.length, 16);
  assert.equal(b.toString('hex'), '02001234c0000201' + '00'.repeat(8));
  assert.deepEqual(parseSockaddr(b), { family: 'inet', address: '192.0.2.1', port: 0x1234 });
});

test('sockaddr_in6 carries the scope id and decodes canonically', () => {
  const b = sockaddrIn6('fe80::ff:fe00:1', 0, 7);
  assert.equal(b.length, 28);
  assert.deepEqual(parseSockaddr(b), { family: 'inet6', address: 'fe80::ff:fe00:1', port: 0, scopeId: 7 });
  assert.throws(() => sockaddrIn6('not-an-ip'), TypeError);
});

test('sockaddr_ll and sockaddr_nl layouts', () => {
  const ll = sockaddrLl({ ifindex: 3, protocol: 0x0806, mac: Buffer.from('ffffffffffff', 'hex') });
  assert.equal(ll.length, 20);
  assert.equal(ll.readUInt16BE(2), 0x0806);
  assert.equal(ll.readInt32LE(4), 3);
  assert.equal(ll[11], 6);
  const p = parseSockaddr(ll);
  assert.equal(p.family, 'packet');
  const nl = sockaddrNl(1234, 5);
  assert.deepEqual(parseSockaddr(nl), { family: 'netlink', pid: 1234, groups: 5 });
});

test('multicast membership structs', () => {
  assert.equal(ipMreqn('224.0.0.18', 2).toString('hex'), 'e0000012' + '00000000' + '02000000');
  const m6 = ipv6Mreq('ff02::12', 4);
  assert.equal(m6.length, 20);
  assert.equal(m6.readUInt32LE(16), 4);
});

test('control messages: IP_TTL, IP_PKTINFO, IPV6_HOPLIMIT, IPV6_PKTINFO', () => {
  const ttl = Buffer.alloc(4);
  ttl.writeInt32LE(255);
  const pk = Buffer.alloc(12);
  pk.writeInt32LE(5, 0);
  Buffer.from([224, 0, 0, 18]).copy(pk, 8);
  assert.deepEqual(
    decodeCmsgs([
      { level: K.SOL_IP as number, type: K.IP_TTL as number, data: ttl },
      { level: K.SOL_IP as number, type: K.IP_PKTINFO as number, data: pk },
    ]),
    { ttl: 255, ifindex: 5, destination: '224.0.0.18' },
  );
  const pk6 = Buffer.alloc(20);
  Buffer.from('ff020000000000000000000000000012', 'hex').copy(pk6);
  pk6.writeUInt32LE(9, 16);
  assert.deepEqual(
    decodeCmsgs([
      { level: K.SOL_IPV6 as number, type: K.IPV6_HOPLIMIT as number, data: ttl },
      { level: K.SOL_IPV6 as number, type: K.IPV6_PKTINFO as number, data: pk6 },
    ]),
    { hopLimit: 255, destination: 'ff02::12', ifindex: 9 },
  );
});
