/**
 * `use_ipvlan` and VRF (l3mdev) enslaved interfaces, in the UML guest (the development kernel has neither ipvlan nor
 * vrf): each configuration runs under keepalived 2.2.7 and then under ours in the same namespace, and the kernel
 * state each leaves (device kind, mode, parent, VRF master, addresses, the VRF table's local route for the VIP) must
 * be the same; then ours runs against keepalived 2.2.7 as its peer in the other namespace (the peer stays BACKUP while
 * ours is MASTER and takes over when ours stops). keepalived 2.2.7 puts an ipvlan instance's VIPs on the parent
 * interface (only the adverts use the ipvlan), and so do we; the ipvlan case also runs failover both ways.
 *
 * The use_ipvlan case once failed here with "ours stayed BACKUP": the daemon had not started yet. In the guest, under
 * host load, a keepalived-ts process takes 10-20 s from spawn to its first instance line (keepalived: under 1 s), so
 * timings are measured from "Entering BACKUP STATE (init)".
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../netns/harness/topology.js';
import { Daemons, enteredBackupInit, stop, waitFor, type RunningDaemon } from '../netns/harness/daemons.js';
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
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
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
        data: x.linkinfo?.info_data,
        parent: x.link,
        master: x.master,
        mac: x.address,
        addrs: x.addr_info.filter((a) => !a.local.startsWith('fe80:')).map((a) => `${a.local}/${a.prefixlen}`),
      })),
  );
}

/** Runs `r` until `vip` is set in a, returns what it made, where the VIP is (and the VRF table's local routes), stops it. */
async function stateOf(r: RunningDaemon, vip: string, table?: number): Promise<{ devs: string; local: string; vipDev: string }> {
  try {
    assert.ok((await waitFor(() => topo.exec('a', ['ip', 'addr']).includes(` ${vip}/`), 90000)) >= 0, `VIP set\n${r.log()}`);
    const local = table === undefined ? '' : topo.exec('a', ['ip', 'route', 'show', 'table', String(table), 'type', 'local']);
    const on = JSON.parse(topo.exec('a', ['ip', '-j', 'addr', 'show', 'to', `${vip}/32`])) as { ifname: string }[];
    return {
      vipDev: on.map((x) => x.ifname).join(),
      devs: made(),
      local: local
        .split('\n')
        .filter((l) => l.includes(vip))
        .join('\n'),
    };
  } finally {
    await stop(r.child);
    assert.ok((await waitFor(() => made() === '[]', 5000)) >= 0, `removed at stop: ${made()}`);
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

/**
 * Seconds between the console stamps of the first lines matching `a` and then `b` in a daemon's log (-1: missing
 * after 10 s: the guest delivers a child's output late).
 */
async function stampGap(r: RunningDaemon, a: RegExp, b: RegExp): Promise<number> {
  await waitFor(() => gapIn(r.log(), a, b) !== -1, 10000);
  return gapIn(r.log(), a, b);
}

function gapIn(log: string, a: RegExp, b: RegExp): number {
  const lines = log.split('\n');
  const i = lines.findIndex((l) => a.test(l));
  const j = lines.findIndex((l, n) => n > i && b.test(l));
  if (i < 0 || j < 0) return -1;
  const at = (l: string) => Date.parse(l.slice(0, l.indexOf(': ')));
  return (at(lines[j]!) - at(lines[i]!)) / 1000;
}

/** The TX packet counter of `dev` in host a. */
const txPackets = (dev: string): number =>
  (JSON.parse(topo.exec('a', ['ip', '-j', '-s', 'link', 'show', 'dev', dev])) as { stats64: { tx: { packets: number } } }[])[0]!.stats64.tx.packets;

/** Two VRRP adverts host b hears (tcpdump -e, within 20 s: slow to start in the guest): their link and IP lines. */
function advertsHeardInB(): string {
  return topo.exec('b', ['timeout', '20', 'tcpdump', '-l', '-n', '-e', '-c', '2', '-i', 'eth0', 'ip proto 112']);
}

test('use_ipvlan: an l2 ipvlan with the address, as keepalived 2.2.7; adverts on it; failover both ways with keepalived', async () => {
  const vip = '192.0.2.190';
  const file = d.write('ipvlan.conf', inst('  virtual_router_id 71\n  use_ipvlan 192.0.2.60/24 private\n', vip));
  const theirs = await stateOf(d.keepalived('a', file), vip);
  const r = d.ours('a', file);
  const ours = await stateOf(r, vip);
  assert.equal(ours.devs, theirs.devs, r.log());
  const dev = (JSON.parse(ours.devs) as { name: string; kind: string; data: unknown; parent: string; addrs: string[] }[])[0];
  assert.deepEqual([dev?.kind, dev?.data, dev?.parent], ['ipvlan', { mode: 'l2', private: true }, 'eth0']);
  assert.deepEqual(dev?.addrs, ['192.0.2.60/24'], 'the VIPs stay on eth0, as keepalived 2.2.7 puts them');
  assert.equal(ours.vipDev, theirs.vipDev);
  assert.equal(ours.vipDev, 'eth0');

  // ours MASTER (200) against keepalived (100) in b: adverts leave by the ipvlan, from its address, and keepalived
  // hears them; ours stops: keepalived takes over; ours starts again: it preempts.
  const peer = inst('  virtual_router_id 71\n', vip).replace('priority 200', 'priority 100');
  const k = d.keepalived('b', d.write('b-low.conf', peer));
  let o = d.ours('a', file);
  try {
    // the guest is slow: a daemon takes 10-20 s to start under load, so timings count from its BACKUP (init) line
    assert.ok((await enteredBackupInit(o, ['VI_1'], 90000)) >= 0, `ours started\n${o.log()}`);
    const master = await waitFor(() => d.hasVip('a', vip), 10000);
    // keepalived is MASTER already: ours (200) preempts after its Master_Down_Interval, 3 x 1 s + Skew_Time 0.22 s
    assert.ok(master >= 2000 && master <= 6000, `ours MASTER after ${master} ms\n${o.log()}`);
    const tx0 = txPackets(dev!.name);
    const t0 = Date.now();
    await sleep(4000);
    const sent = txPackets(dev!.name) - tx0;
    const s = (Date.now() - t0) / 1000;
    assert.ok(sent >= Math.floor(s) - 1 && sent <= Math.ceil(s) + 1, `${sent} adverts counted on ${dev!.name} in ${s} s`);
    const heard = advertsHeardInB();
    const src = `${topo.host('a').mac} > 01:00:5e:00:00:12.* 192\\.0\\.2\\.60 > 224\\.0\\.0\\.18: VRRPv2, Advertisement, vrid 71, prio 200`;
    assert.match(heard, new RegExp(src), heard);
    assert.ok(!d.hasVip('b', vip), `keepalived gave up the VIP: it hears ours\n${k.log()}`);
    assert.match(k.log(), /\(VI_1\) Master received advert from 192\.0\.2\.60 with higher priority 200, ours 100/);
    await stop(o.child);
    assert.equal(made(), '[]', 'the ipvlan is removed at stop');
    assert.ok((await waitFor(() => d.hasVip('b', vip), 8000)) >= 0, `keepalived takes over\n${k.log()}`);
    // priority 0 from ours: keepalived takes over after its Skew_Time (0.61 s), not Master_Down_Interval (3.61 s)
    const gap = await stampGap(k, /\(VI_1\) Backup received priority 0 advertisement/, /\(VI_1\) Entering MASTER STATE/);
    assert.ok(gap >= 0 && gap <= 1, `keepalived MASTER ${gap} s after our priority 0 advert\n${k.log()}`);
    o = d.ours('a', file);
    assert.ok((await enteredBackupInit(o, ['VI_1'], 90000)) >= 0, `ours restarted\n${o.log()}`);
    assert.ok((await waitFor(() => d.hasVip('a', vip) && !d.hasVip('b', vip), 15000)) >= 0, `ours preempts again\n${o.log()}`);
    // after its Master_Down_Interval (3 x 1 s + Skew_Time 0.22 s) from BACKUP (init); stamps have 1 s resolution
    const back = await stampGap(o, /\(VI_1\) Entering BACKUP STATE \(init\)/, /\(VI_1\) Entering MASTER STATE/);
    assert.ok(back >= 2 && back <= 5, `ours preempts again ${back} s after BACKUP (init)\n${o.log()}`);
  } finally {
    await stop(o.child);
    await stop(k.child);
  }

  // ours BACKUP (200) against keepalived (254): it hears keepalived's adverts through the ipvlan and stays BACKUP;
  // keepalived stops: ours takes over; keepalived starts again and preempts ours
  const high = d.write('b-high.conf', peer.replace('priority 100', 'priority 254'));
  let k2 = d.keepalived('b', high);
  const o2 = d.ours('a', file);
  try {
    assert.ok((await waitFor(() => d.hasVip('b', vip), 30000)) >= 0, `keepalived MASTER\n${k2.log()}`);
    assert.ok((await enteredBackupInit(o2, ['VI_1'], 90000)) >= 0, `ours started\n${o2.log()}`);
    assert.notEqual(made(), '[]', 'ours made its ipvlan');
    await sleep(6000); // > ours' Master_Down_Interval (3.22 s): it hears keepalived through the ipvlan
    assert.ok(!d.hasVip('a', vip), `ours stays BACKUP\n${o2.log()}`);
    assert.doesNotMatch(o2.log(), /Entering MASTER STATE/);
    await stop(k2.child);
    assert.ok((await waitFor(() => d.hasVip('a', vip), 8000)) >= 0, `ours takes over\n${o2.log()}`);
    // on keepalived's priority 0 advert ours waits its Skew_Time (0.22 s), not Master_Down_Interval (3.22 s): the two
    // lines are stamped the same second or the next (keepalived's stop itself takes seconds in the guest)
    const gap = await stampGap(o2, /\(VI_1\) Backup received priority 0 advertisement/, /\(VI_1\) Entering MASTER STATE/);
    assert.ok(gap >= 0 && gap <= 1, `MASTER ${gap} s after the priority 0 advert\n${o2.log()}`);
    k2 = d.keepalived('b', high);
    const lost = await waitFor(() => d.hasVip('b', vip) && !d.hasVip('a', vip), 30000);
    assert.ok(lost >= 0, `keepalived preempts ours\n${o2.log()}\n${k2.log()}`);
    const heardK = /\(VI_1\) Master received advert from 192\.0\.2\.11 with higher priority 254, ours 200/;
    assert.ok((await waitFor(() => heardK.test(o2.log()), 10000)) >= 0, `ours heard keepalived's advert\n${o2.log()}`);
    assert.notEqual(made(), '[]', 'the ipvlan stays while ours is BACKUP');
  } finally {
    await stop(o2.child);
    await stop(k2.child);
  }
  assert.equal(made(), '[]', 'the ipvlan is removed at stop');
});

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
