/**
 * `use_ipvlan` and VRF (l3mdev) enslaved interfaces, in the UML guest (the development kernel has neither ipvlan nor
 * vrf): each configuration runs under keepalived 2.2.7 and then under ours in the same namespace, and the kernel
 * state each leaves (device kind, mode, parent, VRF master, addresses, the VRF table's local route for the VIP) must
 * be the same; then ours runs against keepalived 2.2.7 as its peer in the other namespace (the peer stays BACKUP while
 * ours is MASTER and takes over when ours stops). keepalived 2.2.7 puts an ipvlan instance's VIPs on the parent
 * interface (only the adverts use the ipvlan), and so do we.
 *
 * The use_ipvlan case is not here yet: its one passing run matched keepalived's devices, but in the next run ours stayed
 * BACKUP without its master-down timer firing, which is not understood; docs/keywords.md says use_ipvlan is unverified.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../netns/harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../netns/harness/daemons.js';
import { inGuest } from './harness.js';

let topo: Topology;
let d: Daemons;
before(() => {
  assert.ok(inGuest, 'runs inside the UML guest: node scripts/test.mjs ipvs');
  for (const m of ['ipvlan', 'vrf']) execFileSync('modprobe', [m]);
  topo = Topology.create({ hosts: ['a', 'b'] });
  d = Daemons.inTempDir(topo, 'kts-ipvlan-');
});
after(() => {
  topo?.destroy();
  d?.removeDir();
});

interface Dev {
  ifname: string;
  link?: string;
  master?: string;
  address: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string; flags?: string } };
  addr_info: { local: string; prefixlen: number }[];
}

/** Devices in host a made by a daemon (ipvlan / macvlan), with what matters of them. */
function made(): string {
  const devs = JSON.parse(topo.exec('a', ['ip', '-j', '-d', 'addr', 'show'])) as Dev[];
  return JSON.stringify(
    devs
      .filter((x) => ['ipvlan', 'macvlan'].includes(x.linkinfo?.info_kind ?? ''))
      .map((x) => ({
        name: x.ifname,
        kind: x.linkinfo?.info_kind,
        mode: x.linkinfo?.info_data?.mode,
        flags: x.linkinfo?.info_data?.flags,
        parent: x.link,
        master: x.master,
        mac: x.address,
        addrs: x.addr_info.filter((a) => !a.local.startsWith('fe80:')).map((a) => `${a.local}/${a.prefixlen}`),
      })),
  );
}

/** Runs `r` until `vip` is set in a, returns what it made (and the VRF table's local routes), stops it. */
async function stateOf(r: RunningDaemon, vip: string, table?: number): Promise<{ devs: string; local: string }> {
  try {
    assert.ok((await waitFor(() => topo.exec('a', ['ip', 'addr']).includes(` ${vip}/`), 90000)) >= 0, `VIP set\n${r.log()}`);
    const local = table === undefined ? '' : topo.exec('a', ['ip', 'route', 'show', 'table', String(table), 'type', 'local']);
    return {
      devs: made(),
      local: local
        .split('\n')
        .filter((l) => l.includes(vip))
        .join('\n'),
    };
  } finally {
    await stop(r.child);
    await waitFor(() => made() === '[]', 5000);
  }
}

/** Ours MASTER in a against keepalived in b (BACKUP, priority 100): b stays BACKUP, takes over when ours stops. */
async function againstKeepalived(aConf: string, bConf: string, vip: string): Promise<void> {
  const k = d.keepalived('b', d.write(`b-${vip}.conf`, bConf));
  const r = d.ours('a', aConf);
  try {
    assert.ok((await waitFor(() => topo.exec('a', ['ip', 'addr']).includes(` ${vip}/`), 90000)) >= 0, `ours MASTER\n${r.log()}`);
    await sleep(4000); // > keepalived's Master_Down_Interval: it hears our adverts
    assert.ok(!d.hasVip('b', vip), `keepalived stays BACKUP\n${k.log()}`);
    await stop(r.child);
    assert.ok((await waitFor(() => d.hasVip('b', vip), 5000)) >= 0, `keepalived takes over\n${k.log()}`);
  } finally {
    await stop(r.child);
    await stop(k.child);
  }
}

const inst = (body: string, vip: string) =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  priority 200\n  advert_int 1\n${body}  virtual_ipaddress {\n    ${vip}/32\n  }\n}\n`;

test('VRF: an instance on an interface enslaved to a VRF: VMAC enslaved too, VIP in the VRF table, unicast with keepalived', async () => {
  topo.exec('a', ['ip', 'link', 'add', 'vrfx', 'type', 'vrf', 'table', '10']);
  topo.exec('a', ['ip', 'link', 'set', 'vrfx', 'up']);
  topo.exec('a', ['ip', 'link', 'set', 'eth0', 'master', 'vrfx']);
  const vip = '192.0.2.191';
  const uni = (src: string, peer: string) => `  unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }\n`;
  const file = d.write('vrf.conf', inst(`  virtual_router_id 72\n  use_vmac\n${uni('192.0.2.10', '192.0.2.11')}`, vip));
  const theirs = await stateOf(d.keepalived('a', file), vip, 10);
  const r = d.ours('a', file);
  const ours = await stateOf(r, vip, 10);
  assert.deepEqual(ours, theirs, r.log());
  const dev = (JSON.parse(ours.devs) as { kind: string; master: string }[])[0];
  assert.deepEqual([dev?.kind, dev?.master], ['macvlan', 'vrfx']);
  assert.match(ours.local, /local 192\.0\.2\.191 dev vrrp\.72/);
  // the peer: multicast, ours on the VRF slave without a VMAC
  const plain = d.write('vrf-plain.conf', inst('  virtual_router_id 72\n', vip));
  await againstKeepalived(plain, inst('  virtual_router_id 72\n', vip).replace('priority 200', 'priority 100'), vip);
});
