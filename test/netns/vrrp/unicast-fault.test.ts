/**
 * `unicast_fault_no_peer` (keepalived vrrp.c vrrp_complete_instance): an instance with a unicast keyword and no
 * unicast peer goes to FAULT instead of falling back to multicast. keepalived 2.2.7 with the same configuration is
 * the oracle, and a multicast keepalived on the wire proves ours sends nothing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-ufnp-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const conf = (prio: number, vip: string, extra: string) =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 53\n  priority ${prio}\n  advert_int 1\n` +
  `  version 3\n  virtual_ipaddress {\n    ${vip}\n  }\n${extra}}\n`;
const faultNoPeer = '  unicast_src_ip 192.0.2.11\n  unicast_fault_no_peer\n';

/** keepalived (multicast, priority 100) in a, `startB` (priority 200, unicast_fault_no_peer, no peer) in b. */
async function faultScenario(tag: string, startB: (file: string) => RunningDaemon, vip: string): Promise<string> {
  const k = d.keepalived('a', d.write(`ka-${tag}.conf`, conf(100, vip, '')));
  const b = startB(d.write(`b-${tag}.conf`, conf(200, vip, faultNoPeer)));
  try {
    assert.ok((await waitFor(() => /\(VI_1\) Cannot use unicast without any peers - going to fault state/.test(b.log()), 8000)) >= 0, b.log());
    assert.ok((await waitFor(() => d.hasVip('a', vip), 8000)) >= 0, `the multicast peer hears nothing from b\n${k.log()}`);
    await sleep(3000); // a few advert intervals more: b stays silent and holds no VIP
    assert.ok(d.hasVip('a', vip) && !d.hasVip('b', vip));
    assert.doesNotMatch(b.log(), /Entering (MASTER|BACKUP) STATE/, b.log());
    assert.equal(k.log().match(/Entering MASTER STATE/g)?.length, 1, `the multicast peer never yields\n${k.log()}`);
    return b.log();
  } finally {
    await stop(b.child);
    await stop(k.child);
  }
}

test('unicast_fault_no_peer without peers: keepalived 2.2.7 (the oracle) and ours stay in FAULT, silent; the multicast peer is MASTER', async () => {
  await faultScenario('oracle', (f) => d.keepalived('b', f), '192.0.2.160');
  const ours = await faultScenario('ours', (f) => d.ours('b', f), '192.0.2.162');
  assert.match(ours, /\(VI_1\) Entering FAULT STATE/);
});

test('a unicast keyword without peers and without unicast_fault_no_peer falls back to multicast (keepalived < 2.2.5 behaviour kept)', async () => {
  const vip = '192.0.2.161';
  const k = d.keepalived('a', d.write('ka2.conf', conf(100, vip, '')));
  const o = d.ours('b', d.write('ours2.conf', conf(200, vip, '  unicast_src_ip 192.0.2.11\n')));
  try {
    assert.ok((await waitFor(() => d.hasVip('b', vip), 15000)) >= 0, o.log());
    await sleep(3000);
    assert.ok(!d.hasVip('a', vip), `keepalived hears our multicast adverts and stays BACKUP\n${k.log()}`);
  } finally {
    await stop(o.child);
    await stop(k.child);
  }
});
