import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology, capture } from '../harness/topology.js';
import { VrrpSocket, type VrrpDatagram } from '../../../src/net/vrrp-socket.js';
import { FrameSender, macBytes } from '../../../src/net/arp.js';
import { encode, decode } from '../../../src/vrrp/packet.js';
import { sysio } from '../../../src/net/sysio.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
after(() => topo.destroy());

/** Waits until `pred` holds or `ms` pass. */
async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(20);
}

test('VRRPv2 to 224.0.0.18 with TTL 255: B sees source, TTL and ingress interface', async () => {
  const a = topo.host('a'),
    b = topo.host('b');
  const got: VrrpDatagram[] = [];
  const rx = topo.inside('b', () => VrrpSocket.open({ family: 4, ifname: 'eth0', group: '224.0.0.18', onPacket: (p) => got.push(p) }));
  const tx = topo.inside('a', () => VrrpSocket.open({ family: 4, ifname: 'eth0', onPacket: () => {} }));
  try {
    const msg = encode({ version: 2, vrid: 51, priority: 150, family: 4, addresses: ['192.0.2.100'], advertIntervalCs: 100, authType: 0 });
    assert.equal(tx.send(msg, '224.0.0.18'), undefined);
    await until(() => got.length > 0);
    assert.equal(got.length, 1);
    const p = got[0]!;
    assert.equal(p.source, a.ipv4);
    assert.equal(p.ttl, 255);
    assert.equal(p.destination, '224.0.0.18');
    assert.equal(
      p.ifindex,
      topo.inside('b', () => sysio.ifNameToIndex('eth0')),
    );
    const d = decode(p.data, { family: 4 });
    assert.ok(d.ok, 'decodes');
    if (d.ok) assert.equal(d.advert.priority, 150);
    void b;
  } finally {
    rx.close();
    tx.close();
  }
});

test('VRRPv3 over IPv6 to ff02::12 with hop limit 255: B sees the link-local source and hop limit', async () => {
  const got: VrrpDatagram[] = [];
  const rx = topo.inside('b', () => VrrpSocket.open({ family: 6, ifname: 'eth0', group: 'ff02::12', onPacket: (p) => got.push(p) }));
  const tx = topo.inside('a', () => VrrpSocket.open({ family: 6, ifname: 'eth0', onPacket: () => {} }));
  try {
    // the kernel fills in the checksum (IPV6_CHECKSUM), so encode without one
    const msg = encode(
      { version: 3, vrid: 52, priority: 200, family: 6, addresses: ['2001:db8::100'], advertIntervalCs: 100, authType: 0 },
      { ipv6Checksum: false },
    );
    assert.equal(tx.send(msg, 'ff02::12'), undefined);
    await until(() => got.length > 0);
    assert.equal(got.length, 1);
    const p = got[0]!;
    assert.match(p.source, /^fe80::/);
    assert.equal(p.ttl, 255);
    assert.equal(p.destination, 'ff02::12');
    const d = decode(p.data, { family: 6, source: p.source, destination: p.destination });
    assert.ok(d.ok, `decodes with a valid kernel checksum: ${JSON.stringify(d)}`);
  } finally {
    rx.close();
    tx.close();
  }
});

test('gratuitous ARP and unsolicited NA from A are seen by tcpdump in B', async () => {
  const a = topo.host('a');
  const cap = capture(topo, 'b', 'arp or icmp6');
  await cap.ready;
  const tx = topo.inside('a', () => FrameSender.open());
  try {
    const ifindex = topo.inside('a', () => sysio.ifNameToIndex('eth0'));
    assert.equal(tx.sendGratuitousArp(ifindex, macBytes(a.mac), '192.0.2.100'), undefined);
    assert.equal(tx.sendUnsolicitedNa(ifindex, macBytes(a.mac), '2001:db8::100'), undefined);
    await sleep(300);
  } finally {
    tx.close();
  }
  const lines = await cap.stop();
  assert.ok(
    lines.some((l) => l.includes(a.mac) && l.includes('Request who-has 192.0.2.100') && l.includes('tell 192.0.2.100')),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => l.includes('neighbor advertisement') && l.includes('2001:db8::100')),
    lines.join('\n'),
  );
});

test('a VRRP socket keeps receiving after its link goes down and up', async () => {
  const got: VrrpDatagram[] = [];
  const errors: string[] = [];
  const rx = topo.inside('b', () =>
    VrrpSocket.open({ family: 4, ifname: 'eth0', group: '224.0.0.18', onPacket: (p) => got.push(p), onError: (e) => errors.push(e.code) }),
  );
  const tx = topo.inside('a', () => VrrpSocket.open({ family: 4, ifname: 'eth0', onPacket: () => {} }));
  const msg = encode({ version: 2, vrid: 9, priority: 100, family: 4, addresses: ['192.0.2.100'], advertIntervalCs: 100, authType: 0 });
  try {
    topo.linkDown('b');
    await sleep(200);
    topo.linkUp('b');
    await sleep(300);
    tx.send(msg, '224.0.0.18');
    await until(() => got.length > 0);
    assert.equal(got.length, 1, `received after the flap (socket errors seen: ${errors.join(',') || 'none'})`);
  } finally {
    rx.close();
    tx.close();
  }
});

test('bad input surfaces as typed errors naming the call and errno', () => {
  assert.throws(
    () => sysio.ifNameToIndex('nosuchif0'),
    (e: Error & { code?: string; syscall?: string }) => e.code === 'ENODEV' && e.syscall === 'if_nametoindex',
  );
  assert.throws(
    () => sysio.socket(12345, 3, 0),
    (e: Error & { code?: string; syscall?: string }) => e.code === 'EAFNOSUPPORT' && e.syscall === 'socket',
  );
  assert.throws(
    () => topo.inside('a', () => VrrpSocket.open({ family: 4, ifname: 'missing0', onPacket: () => {} })),
    (e: Error & { code?: string }) => e.code === 'ENODEV',
  );
});
