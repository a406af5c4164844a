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
