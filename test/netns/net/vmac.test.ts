import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Rtnl, RtnlError } from '../../../src/net/netlink/rtnl.js';
import { K, sysio } from '../../../src/net/sysio.js';
import { Socket } from '../../../src/net/socket.js';
import { sockaddrIn } from '../../../src/net/sockaddr.js';
import { configureParentSysctls, configureVmacSysctls, restoreParentSysctls, vmacAddress, vmacLinkLocal, vmacName } from '../../../src/net/vmac.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const rtnl = topo.inside('a', () => new Rtnl());
const eth0 = topo.inside('a', () => sysio.ifNameToIndex('eth0'));
after(() => {
  rtnl.close();
  topo.destroy();
});

const inA = (argv: string[]) => topo.exec('a', argv);
const sysctl = (path: string) => inA(['cat', `/proc/sys/net/${path}`]).trim();

test('IPv4 VMAC: private macvlan with the virtual MAC, sysctls, up, a VIP answered from the VMAC, deleted', async () => {
  const name = vmacName(51);
  const link = await rtnl.createMacvlan({ name, parentIndex: eth0, mac: vmacAddress(4, 51) });
  assert.equal(link.name, 'vrrp.51');
  assert.equal(link.kind, 'macvlan');
  assert.equal(link.macvlanMode, 'private');
  assert.equal(link.parentIndex, eth0);
  assert.equal(link.mac, '00:00:5e:00:01:33');

  // keepalived order: sysctls on the VMAC and its parent while it is down, then up
  assert.deepEqual(
    topo.inside('a', () => configureVmacSysctls(name, 4)),
    [],
  );
  const parent = topo.inside('a', () => configureParentSysctls('eth0'));
  assert.deepEqual(parent.problems, []);
  assert.deepEqual(parent.saved, { arp_ignore: 0, arp_filter: 0 });
  assert.deepEqual(
    ['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries'].map((k) => sysctl(`ipv4/conf/${name}/${k}`)),
    ['1', '1', '0', '1'],
  );
  assert.deepEqual([sysctl('ipv4/conf/eth0/arp_ignore'), sysctl('ipv4/conf/eth0/arp_filter')], ['1', '1']);
  assert.equal(sysctl(`ipv6/conf/${name}/disable_ipv6`), '1');
  await rtnl.setLinkUp(link.index, true);

  const shown = inA(['ip', '-d', 'link', 'show', name]);
  assert.match(shown, /vrrp\.51@eth0: <[^>]*\bUP\b[^>]*>/, shown);
  assert.match(shown, /link\/ether 00:00:5e:00:01:33 /);
  assert.match(shown, /macvlan mode private /);
  assert.equal(inA(['ip', '-6', 'addr', 'show', 'dev', name]), '', 'no IPv6 (hence no shared EUI-64 link-local) on an IPv4 VMAC');

  await rtnl.addAddress({ family: 4, ifindex: link.index, address: '192.0.2.100', prefixLength: 24 });
  assert.match(inA(['ip', '-4', 'addr', 'show', 'dev', name]), /inet 192\.0\.2\.100\/24 /);
  // B resolves the VIP to the virtual MAC: the VMAC answers ARP, the parent (arp_ignore=1) stays quiet
  // a listener on the VIP, so that A sends nothing back (an ICMP port unreachable would leave through eth0 and make
  // A ARP from 192.0.2.100 with eth0's MAC, as it would under keepalived too)
  let received = 0;
  const listener = topo.inside('a', () =>
    Socket.open(
      K.AF_INET as number,
      K.SOCK_DGRAM as number,
      0,
      {
        onMessage: () => {
          received++;
        },
      },
      (fd) => sysio.bind(fd, sockaddrIn('192.0.2.100', 9)),
    ),
  );
  let neigh = '';
  try {
    topo.exec('b', ['bash', '-c', 'echo vip > /dev/udp/192.0.2.100/9']); // one datagram: B has to ARP for the VIP
    for (let i = 0; i < 100 && (received === 0 || !/lladdr/.test(neigh)); i++, await sleep(20))
      neigh = topo.exec('b', ['ip', 'neigh', 'show', '192.0.2.100']);
  } finally {
    listener.close();
  }
  assert.equal(received, 1, 'the datagram reached the VIP');
  assert.match(neigh, /lladdr 00:00:5e:00:01:33 /, 'the VMAC answered the ARP request, the parent did not');

  await rtnl.deleteLink(link.index);
  assert.deepEqual(
    topo.inside('a', () => restoreParentSysctls('eth0', parent.saved)),
    [],
  );
  assert.throws(() => inA(['ip', 'link', 'show', name]), /does not exist/);
  assert.equal((await rejection(rtnl.getLink(name))).code, 'ENODEV');
  assert.deepEqual([sysctl('ipv4/conf/eth0/arp_ignore'), sysctl('ipv4/conf/eth0/arp_filter')], ['0', '0']);
});

test('IPv6 VMAC: 00:00:5e:00:02:<vrid>, no EUI-64 link-local of its own, the parent-derived one added', async () => {
  const name = vmacName(52, 'vmac52');
  const link = await rtnl.createMacvlan({ name, parentIndex: eth0, mac: vmacAddress(6, 52) });
  try {
    assert.deepEqual(
      topo.inside('a', () => configureVmacSysctls(name, 6)),
      [],
    );
    await rtnl.setLinkUp(link.index, true);
    assert.match(inA(['ip', '-d', 'link', 'show', name]), /link\/ether 00:00:5e:00:02:34 [\s\S]*macvlan mode private /);
    const ll = vmacLinkLocal(topo.host('a').mac);
    await rtnl.addAddress({ family: 6, ifindex: link.index, address: ll, prefixLength: 64, nodad: true });
    await sleep(200); // time for the kernel to have made an EUI-64 address, if it were going to
    const v6 = inA(['ip', '-6', 'addr', 'show', 'dev', name]);
    assert.match(v6, new RegExp(`inet6 ${ll}/64 `));
    assert.doesNotMatch(v6, /fe80::200:5eff:fe00:234/, v6);
  } finally {
    await rtnl.deleteLink(link.index);
  }
});

/** The rejection of `p` (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<RtnlError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof RtnlError, `expected an RtnlError, got ${String(e)}`);
  return e;
}

test("errors carry the kernel's answer: missing parent, name too long, name taken, deleting twice", async () => {
  // macvlan_newlink answers a missing lower device with a bare -ENODEV (no extended-ack text)
  const missing = await rejection(rtnl.createMacvlan({ name: 'vrrp.60', parentIndex: 99999, mac: vmacAddress(4, 60) }));
  assert.equal(missing.code, 'ENODEV');
  assert.equal(missing.message, `create macvlan vrrp.60: ENODEV${missing.kernelMessage ? `: ${missing.kernelMessage}` : ''}`);
  // the IFLA_IFNAME policy (at most 15 bytes) is checked by rtnetlink itself, which explains
  const long = await rejection(rtnl.createMacvlan({ name: 'vrrp.verylongname', parentIndex: eth0, mac: vmacAddress(4, 60) }));
  assert.equal(long.code, 'ERANGE');
  assert.equal(long.kernelMessage, 'Attribute failed policy validation');

  assert.equal((await rejection(rtnl.createMacvlan({ name: 'eth0', parentIndex: eth0, mac: vmacAddress(4, 61) }))).code, 'EEXIST');

  const link = await rtnl.createMacvlan({ name: 'vrrp.62', parentIndex: eth0, mac: vmacAddress(4, 62) });
  assert.equal((await rejection(rtnl.createMacvlan({ name: 'vrrp.62', parentIndex: eth0, mac: vmacAddress(4, 62) }))).code, 'EEXIST');
  await rtnl.deleteLink(link.index);
  assert.equal((await rejection(rtnl.deleteLink(link.index))).code, 'ENODEV');
});
