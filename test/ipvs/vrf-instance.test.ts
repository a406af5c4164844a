/**
 * `vrf NAME` in a vrrp_instance: a unicast instance without `interface` whose sockets are bound to a VRF (l3mdev)
 * device, in the UML guest (the development kernel has no vrf driver). Host a has eth0 enslaved to VRF vrfx (table
 * 20), so 192.0.2.10 is an address of the VRF: a raw socket can bind to it only once bound to the VRF device (bound to
 * no device, bind() fails with EADDRNOTAVAIL and the instance cannot start), and its adverts to 192.0.2.11 are routed
 * by table 20. keepalived 2.2.7 itself refuses the configuration ("Unknown interface!": it checks for an interface
 * or unicast peers before it has noted the peers), so it is the peer only: in host b, plain unicast on eth0. Ours
 * MASTER at 200 and keepalived stays BACKUP (our adverts leave through the VRF, from 192.0.2.10), then keepalived
 * MASTER at 254 and ours stays BACKUP (its adverts reach our VRF-bound socket), and takes over when keepalived stops.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../netns/harness/topology.js';
import { Daemons, enteredBackupInit, stop, waitFor } from '../netns/harness/daemons.js';
import { inGuest } from './harness.js';

let topo: Topology;
let d: Daemons;
before(() => {
  assert.ok(inGuest, 'runs inside the UML guest: node scripts/test.mjs ipvs');
  execFileSync('modprobe', ['vrf']);
  topo = Topology.create({ hosts: ['a', 'b'] });
  d = Daemons.inTempDir(topo, 'kts-vrf-');
  topo.exec('a', ['ip', 'link', 'add', 'vrfx', 'type', 'vrf', 'table', '20']);
  topo.exec('a', ['ip', 'link', 'set', 'vrfx', 'up']);
  topo.exec('a', ['ip', 'link', 'set', 'eth0', 'master', 'vrfx']);
});
after(() => {
  topo?.destroy();
  d?.removeDir();
});

const VIP = '192.0.2.193';

/** Host a's instance: `vrf vrfx`, no interface, unicast from 192.0.2.10 to b, the VIP on eth0 (in the VRF). */
const inVrf = (prio: number) =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  vrf vrfx\n  virtual_router_id 73\n  priority ${prio}\n  advert_int 1\n` +
  `  unicast_src_ip 192.0.2.10\n  unicast_peer {\n    192.0.2.11\n  }\n  virtual_ipaddress {\n    ${VIP}/32 dev eth0\n  }\n}\n`;

/** Host b's instance: plain unicast on eth0. */
const plain = (prio: number) =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 73\n  priority ${prio}\n  advert_int 1\n` +
  `  unicast_src_ip 192.0.2.11\n  unicast_peer {\n    192.0.2.10\n  }\n  virtual_ipaddress {\n    ${VIP}/32\n  }\n}\n`;

/** Where the VIP is in host a and table 20's local route for it. */
function vipState(): string {
  const on = JSON.parse(topo.exec('a', ['ip', '-j', 'addr', 'show', 'to', `${VIP}/32`])) as { ifname: string }[];
  const local = topo
    .exec('a', ['ip', 'route', 'show', 'table', '20', 'type', 'local'])
    .split('\n')
    .filter((l) => l.includes(VIP));
  return JSON.stringify({ on: on.map((x) => x.ifname), local });
}

test('vrf: keepalived 2.2.7 refuses an instance without interface; ours runs it, the VIP on its dev in the VRF table', async () => {
  const file = d.write('a-vrf.conf', inVrf(200));
  // keepalived 2.2.7 checks "interface or unicast" before it has noted the unicast peers (chk_min_cfg), so every
  // instance without interface fails and its VRRP child exits; later keepalived versions run it
  const k = d.keepalived('a', file);
  try {
    assert.ok((await waitFor(() => /\(VI_1\) Unknown interface!/.test(k.log()), 30000)) >= 0, k.log());
    assert.ok((await waitFor(() => /exited with permanent error CONFIG/.test(k.log()), 10000)) >= 0, k.log());
    assert.ok(!d.hasVip('a', VIP));
  } finally {
    await stop(k.child);
  }
  const o = d.ours('a', file);
  try {
    assert.ok((await enteredBackupInit(o, ['VI_1'], 90000)) >= 0, `ours started\n${o.log()}`);
    assert.match(o.log(), /\(VI_1\) sockets bound to VRF vrfx \(table 20\)/);
    // alone: MASTER after Master_Down_Interval, 3 x 1 s + Skew_Time 0.22 s
    const t = await waitFor(() => d.hasVip('a', VIP), 15000);
    assert.ok(t >= 2000 && t <= 8000, `VIP set after ${t} ms\n${o.log()}`);
    const state = JSON.parse(vipState()) as { on: string[]; local: string[] };
    assert.deepEqual(state.on, ['eth0']);
    assert.match(state.local.join('\n'), /^local 192\.0\.2\.193 dev eth0 /, 'the VIP is local in the VRF table 20');
  } finally {
    await stop(o.child);
  }
  assert.ok((await waitFor(() => !d.hasVip('a', VIP), 10000)) >= 0, 'VIP removed at stop');
});

test('vrf: adverts flow both ways through the VRF-bound socket, against keepalived 2.2.7', async () => {
  // ours 200 (VRF) MASTER first; keepalived 100 starts and stays BACKUP, hearing our adverts; ours stops (priority
  // 0 advert): keepalived takes over
  const o = d.ours('a', d.write('a-200.conf', inVrf(200)));
  let k = d.keepalived('b', d.write('b-100.conf', plain(100)));
  try {
    assert.ok((await enteredBackupInit(o, ['VI_1'], 90000)) >= 0, `ours started\n${o.log()}`);
    assert.ok((await waitFor(() => d.hasVip('a', VIP), 15000)) >= 0, `ours MASTER\n${o.log()}`);
    const heard = topo.exec('b', ['timeout', '20', 'tcpdump', '-l', '-n', '-c', '2', '-i', 'eth0', 'ip proto 112 and src 192.0.2.10']);
    assert.match(heard, /192\.0\.2\.10 > 192\.0\.2\.11: VRRPv2, Advertisement, vrid 73, prio 200/, heard);
    // keepalived (restarted now that ours is MASTER) hears ours from its start and never leaves BACKUP
    await stop(k.child);
    k = d.keepalived('b', d.write('b-100b.conf', plain(100)));
    assert.ok((await waitFor(() => /Entering BACKUP STATE \(init\)/.test(k.log()), 30000)) >= 0, k.log());
    await sleep(6000); // > keepalived's Master_Down_Interval (3.6 s)
    assert.ok(!d.hasVip('b', VIP), `keepalived stays BACKUP\n${k.log()}`);
    assert.doesNotMatch(k.log(), /Entering MASTER STATE/);
    await stop(o.child);
    assert.ok((await waitFor(() => d.hasVip('b', VIP), 8000)) >= 0, `keepalived takes over\n${k.log()}`);
    assert.match(k.log(), /\(VI_1\) Backup received priority 0 advertisement/);
  } finally {
    await stop(o.child);
    await stop(k.child);
  }

  // keepalived 254 against ours 200 (VRF): ours hears it through the VRF and stays BACKUP; keepalived stops, ours takes over
  const k2 = d.keepalived('b', d.write('b-254.conf', plain(254)));
  const o2 = d.ours('a', d.write('a-200b.conf', inVrf(200)));
  try {
    assert.ok((await waitFor(() => d.hasVip('b', VIP), 30000)) >= 0, `keepalived MASTER\n${k2.log()}`);
    assert.ok((await enteredBackupInit(o2, ['VI_1'], 90000)) >= 0, `ours started\n${o2.log()}`);
    await sleep(6000); // > ours' Master_Down_Interval (3.2 s)
    assert.ok(!d.hasVip('a', VIP), `ours stays BACKUP\n${o2.log()}`);
    assert.doesNotMatch(o2.log(), /Entering MASTER STATE/);
    await stop(k2.child);
    // keepalived's priority 0 advert: ours takes over after Skew_Time
    assert.ok((await waitFor(() => d.hasVip('a', VIP), 10000)) >= 0, `ours takes over\n${o2.log()}`);
    assert.match(o2.log(), /\(VI_1\) Backup received priority 0 advertisement/);
  } finally {
    await stop(o2.child);
    await stop(k2.child);
  }
});
