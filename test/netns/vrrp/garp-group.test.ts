/**
 * garp_group: the interfaces of a group share one GARP pace. A MASTER with one VIP on eth0 and one on ex0 sends
 * one GARP for each at the transition; with `garp_group { garp_interval 0.5  interfaces { eth0 ex0 } }` the second
 * leaves 0.5 s after the first (whichever interface it is on), without the group both leave at once. Run under
 * keepalived 2.2.7 and under ours in the same namespace, with tcpdump on eth0 and on ex0's far end (ex1).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology, capture } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a'] });
const d = Daemons.inTempDir(topo, 'kts-ggrp-');
after(() => {
  topo.destroy();
  d.removeDir();
});
topo.extraLink('a');

const conf = (group: string): string =>
  `${group}vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 74\n  priority 255\n  advert_int 1\n` +
  `  garp_master_repeat 1\n  garp_master_delay 0\n  virtual_ipaddress {\n    192.0.2.196/32\n    198.51.100.96/24 dev ex0\n  }\n}\n`;

/** Seconds between the transition's GARP on eth0 (192.0.2.196) and the one on ex0 (198.51.100.96), signed. */
async function spread(start: () => RunningDaemon): Promise<{ gap: number; log: string }> {
  const onEth0 = capture(topo, 'a', 'arp');
  const onEx = capture(topo, 'a', 'arp', 'ex1');
  await Promise.all([onEth0.ready, onEx.ready]);
  const r = start();
  let eth: string[] = [];
  let ex: string[] = [];
  try {
    assert.ok((await waitFor(() => /Entering MASTER STATE/.test(r.log()), 12000)) >= 0, r.log());
    await sleep(1500); // the ex0 GARP is 0.5 s later when grouped
  } finally {
    await stop(r.child);
    eth = await onEth0.stop();
    ex = await onEx.stop();
  }
  const first = (lines: readonly string[], ip: string): number => {
    const l = lines.find((x) => x.includes(`who-has ${ip} `));
    assert.ok(l, `a GARP for ${ip}\n${lines.join('\n')}\n${r.log()}`);
    return Number(l.split(' ')[0]);
  };
  return { gap: first(ex, '198.51.100.96') - first(eth, '192.0.2.196'), log: r.log() };
}

test('garp_group { garp_interval 0.5; interfaces { eth0 ex0 } }: the GARPs on the two interfaces are 0.5 s apart, as keepalived', async () => {
  const grouped = d.write('grouped.conf', conf('garp_group {\n  garp_interval 0.5\n  interfaces {\n    eth0 ex0\n  }\n}\n'));
  const theirs = await spread(() => d.keepalived('a', grouped));
  const ours = await spread(() => d.ours('a', grouped));
  for (const [who, s] of [
    ['keepalived', theirs],
    ['ours', ours],
  ] as const)
    assert.ok(s.gap >= 0.48 && s.gap < 0.75, `${who}: ex0's GARP ${s.gap.toFixed(3)} s after eth0's\n${s.log}`);
});

test('the same without garp_group: both GARPs leave together (each interface has its own pace)', async () => {
  const plain = d.write('plain.conf', conf(''));
  const theirs = await spread(() => d.keepalived('a', plain));
  const ours = await spread(() => d.ours('a', plain));
  for (const [who, s] of [
    ['keepalived', theirs],
    ['ours', ours],
  ] as const)
    assert.ok(Math.abs(s.gap) < 0.2, `${who}: ${s.gap.toFixed(3)} s apart\n${s.log}`);
});
