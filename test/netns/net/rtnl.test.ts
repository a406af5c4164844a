import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Rtnl, RtnlError, type RtnlEvent } from '../../../src/net/netlink/rtnl.js';
import { SCOPE } from '../../../src/net/netlink/route-messages.js';
import { sysio } from '../../../src/net/sysio.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const rtnl = topo.inside('a', () => new Rtnl());
const ifindex = topo.inside('a', () => sysio.ifNameToIndex('eth0'));
after(() => {
  rtnl.close();
  topo.destroy();
});

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(20);
}

test('an IPv4 address added over netlink (prefix, broadcast, label) appears in `ip addr`', async () => {
  await rtnl.addAddress({
    family: 4,
    ifindex,
    address: '192.0.2.100',
    prefixLength: 24,
    broadcast: '192.0.2.255',
    label: 'eth0:1',
    scope: SCOPE.global,
  });
  const shown = topo.exec('a', ['ip', '-4', 'addr', 'show', 'dev', 'eth0']);
  assert.match(shown, /inet 192\.0\.2\.100\/24 brd 192\.0\.2\.255 scope global secondary eth0:1/);
  const listed = await rtnl.listAddresses(4);
  assert.ok(listed.some((a) => a.address === '192.0.2.100' && a.prefixLength === 24 && a.label === 'eth0:1'));
  await rtnl.deleteAddress({ family: 4, ifindex, address: '192.0.2.100', prefixLength: 24 });
  assert.doesNotMatch(topo.exec('a', ['ip', '-4', 'addr', 'show', 'dev', 'eth0']), /192\.0\.2\.100/);
});

test('an IPv6 address is added without DAD (not tentative)', async () => {
  await rtnl.addAddress({ family: 6, ifindex, address: '2001:db8::100', prefixLength: 128, nodad: true });
  const shown = topo.exec('a', ['ip', '-6', 'addr', 'show', 'dev', 'eth0']);
  assert.match(shown, /inet6 2001:db8::100\/128 scope global nodad/);
  assert.doesNotMatch(shown, /tentative/);
  await rtnl.deleteAddress({ family: 6, ifindex, address: '2001:db8::100', prefixLength: 128 });
});

test('deleting a missing address is a clear error: errno name and kernel text, not a crash', async () => {
  await assert.rejects(rtnl.deleteAddress({ family: 4, ifindex, address: '192.0.2.222', prefixLength: 32 }), (e: unknown) => {
    assert.ok(e instanceof RtnlError);
    assert.equal(e.code, 'EADDRNOTAVAIL');
    assert.equal(e.kernelMessage, 'ipv4: Address not found');
    assert.match(e.message, /EADDRNOTAVAIL: ipv4: Address not found/);
    return true;
  });
  await assert.rejects(
    rtnl.addAddress({ family: 4, ifindex: 9999, address: '192.0.2.223', prefixLength: 32 }),
    (e: unknown) => e instanceof RtnlError && e.code === 'ENODEV',
  );
  // and the client still works
  assert.ok((await rtnl.listLinks()).some((l) => l.name === 'eth0'));
});

test('a link going down and up is delivered as events, and the event socket keeps working', async () => {
  const events: RtnlEvent[] = [];
  topo.inside('a', () => rtnl.subscribe((e) => events.push(e))); // the event socket must live in the namespace too
  topo.linkDown('a');
  try {
    await until(() => events.some((e) => e.kind === 'link' && e.link.name === 'eth0' && !e.link.up));
    assert.ok(
      events.some((e) => e.kind === 'link' && e.link.name === 'eth0' && !e.link.up),
      'down event',
    );
  } finally {
    topo.linkUp('a');
  }
  await until(() => events.some((e) => e.kind === 'link' && e.link.name === 'eth0' && e.link.up));
  assert.ok(
    events.some((e) => e.kind === 'link' && e.link.name === 'eth0' && e.link.up),
    'up event',
  );
  await rtnl.addAddress({ family: 4, ifindex, address: '192.0.2.101', prefixLength: 32 });
  await until(() => events.some((e) => e.kind === 'address' && e.address.address === '192.0.2.101' && !e.deleted));
  assert.ok(
    events.some((e) => e.kind === 'address' && e.address.address === '192.0.2.101' && !e.deleted),
    'address event after the flap',
  );
  await rtnl.deleteAddress({ family: 4, ifindex, address: '192.0.2.101', prefixLength: 32 });
});

test('routes with keepalived protocol 18 are added and removed', async () => {
  await rtnl.addRoute({ family: 4, destination: '198.51.100.0', prefixLength: 24, gateway: '192.0.2.11', ifindex });
  assert.match(topo.exec('a', ['ip', 'route', 'show', '198.51.100.0/24']), /198\.51\.100\.0\/24 via 192\.0\.2\.11 dev eth0 proto (18|keepalived)/);
  await rtnl.deleteRoute({ family: 4, destination: '198.51.100.0', prefixLength: 24, gateway: '192.0.2.11', ifindex });
  assert.equal(topo.exec('a', ['ip', 'route', 'show', '198.51.100.0/24']).trim(), '');
});

test('rules are added and removed', async () => {
  await rtnl.addRule({ family: 4, from: { address: '192.0.2.100', prefixLength: 32 }, table: 100, priority: 1000 });
  assert.match(topo.exec('a', ['ip', 'rule', 'show']), /1000:\s+from 192\.0\.2\.100 lookup 100/);
  await rtnl.deleteRule({ family: 4, from: { address: '192.0.2.100', prefixLength: 32 }, table: 100, priority: 1000 });
  assert.doesNotMatch(topo.exec('a', ['ip', 'rule', 'show']), /lookup 100/);
});

test('a link is set administratively down and up over netlink', async () => {
  await rtnl.setLinkUp(ifindex, false);
  try {
    assert.match(topo.exec('a', ['ip', 'link', 'show', 'eth0']), /state DOWN/);
    assert.equal((await rtnl.listLinks()).find((l) => l.index === ifindex)?.up, false);
  } finally {
    await rtnl.setLinkUp(ifindex, true);
  }
  assert.doesNotMatch(topo.exec('a', ['ip', 'link', 'show', 'eth0']), /<[^>]*BROADCAST,MULTICAST>/);
  assert.match(topo.exec('a', ['ip', 'link', 'show', 'eth0']), /<[^>]*\bUP\b/);
});
