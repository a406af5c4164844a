import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, enteredBackupInit, stop, waitFor } from '../harness/daemons.js';
import { arpingMac } from '../harness/client.js';

const topo = Topology.create({ hosts: ['a', 'b', 'c'] });
const d = Daemons.inTempDir(topo, 'kts-vmac-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const conf = (prio: number) =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  use_vmac\n  virtual_router_id 51\n  priority ${prio}\n` +
  `  advert_int 1\n  version 3\n  virtual_ipaddress {\n    192.0.2.201/24\n  }\n}\n`;

test('use_vmac: a macvlan vrrp.51 with 00:00:5e:00:01:33 carries the VIP; the client resolves the VIP to the virtual MAC; it is removed on stop', async () => {
  const a = d.ours('a', d.write('vmac-a.conf', conf(200)));
  // ours first (Node start-up plus VMAC creation take a moment; the start-up race is not what this test is about)
  assert.ok((await enteredBackupInit(a)) >= 0, a.log());
  const k = d.keepalived('b', d.write('vmac-b.conf', conf(100)));
  try {
    const link = () => topo.exec('a', ['ip', '-d', 'link', 'show']);
    assert.ok((await waitFor(() => /vrrp\.51@eth0/.test(link()), 8000)) >= 0, `${link()}\n${a.log()}`);
    assert.match(link(), /link\/ether 00:00:5e:00:01:33[\s\S]*macvlan mode private/);
    const addr = () => topo.exec('a', ['ip', 'addr', 'show', 'dev', 'vrrp.51']);
    assert.ok((await waitFor(() => addr().includes(' 192.0.2.201/24'), 8000)) >= 0, `${addr()}\n${a.log()}\n${k.log()}`);
    assert.doesNotMatch(k.log(), /Entering MASTER STATE/);
    // the client sees the VIP answer with the virtual MAC
    assert.equal(arpingMac(topo, 'c', '192.0.2.201'), '00:00:5e:00:01:33');
    await stop(a.child);
    assert.doesNotMatch(link(), /vrrp\.51/, 'the VMAC is deleted on stop');
    // keepalived (also with use_vmac) takes over: same virtual MAC, so the client's entry stays valid
    assert.ok((await waitFor(() => topo.exec('b', ['ip', 'addr', 'show']).includes(' 192.0.2.201/24'), 5000)) >= 0, k.log());
    assert.equal(arpingMac(topo, 'c', '192.0.2.201'), '00:00:5e:00:01:33');
  } finally {
    await stop(a.child);
    await stop(k.child);
  }
});

test('vmac_xmit_base: the VIP stays on the VMAC, but adverts leave from the parent eth0 with its own MAC; keepalived accepts them', async () => {
  const xb = (prio: number) => conf(prio).replace('  use_vmac\n', '  use_vmac\n  vmac_xmit_base\n');
  const a = d.ours('a', d.write('xb-a.conf', xb(200)));
  assert.ok((await enteredBackupInit(a, ['VI_1'], 12000)) >= 0, a.log());
  const k = d.keepalived('b', d.write('xb-b.conf', xb(100)));
  try {
    const addr = () => topo.exec('a', ['ip', 'addr', 'show', 'dev', 'vrrp.51']);
    assert.ok((await waitFor(() => addr().includes(' 192.0.2.201/24'), 12000)) >= 0, `${addr()}\n${a.log()}\n${k.log()}`);
    assert.doesNotMatch(a.log(), /vmac_xmit_base/, 'no warning: the keyword is supported');
    // three adverts of ours as the client sees them on the wire, with link-layer headers
    const seen = topo.exec('c', ['sh', '-c', "timeout 8 tcpdump -i eth0 -e -n -c 3 'ip proto 112 and src host 192.0.2.10' 2>/dev/null || true"]);
    const adverts = seen.split('\n').filter((l) => / 192\.0\.2\.10 > 224\.0\.0\.18: VRRPv3/.test(l));
    assert.equal(adverts.length, 3, seen);
    for (const l of adverts) assert.match(l, /^\S+ 02:00:00:00:00:0a > 01:00:5e:00:00:12,/, `sent from eth0's MAC, not the VMAC: ${l}`);
    assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
    // GARPs and ARP replies still come from the VMAC: the client resolves the VIP to the virtual MAC
    assert.equal(arpingMac(topo, 'c', '192.0.2.201'), '00:00:5e:00:01:33');
    await stop(a.child);
    assert.ok((await waitFor(() => topo.exec('b', ['ip', 'addr', 'show']).includes(' 192.0.2.201/24'), 5000)) >= 0, k.log());
  } finally {
    await stop(a.child);
    await stop(k.child);
  }
});
