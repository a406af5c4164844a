import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stop, waitFor } from '../harness/daemons.js';
import { hopOf, paths } from './gobgp-collector.js';
import { frrNextHops, startFrrSuite } from './frr-suite.js';
import { announcedWhileHeld, holds, withdrawnOnceReleased } from './held.js';
import { kernelTableConf, kernelTableLab } from './kernel-lab.js';

/**
 * Kernel-table mode with FRR: on node n our daemon installs the VIP's route in table 100 (proto 99) while MASTER;
 * FRR's zebra imports that table (`ip import-table 100`) and bgpd redistributes it (`redistribute table 100`) to a
 * GoBGP collector c (AS 65000). Node p is a VRRP peer of higher priority: while it runs, n is BACKUP and the route
 * is gone from the collector. The VIP is a /24 on eth0: a VIP held as a /32 on an interface is a connected /32 in
 * zebra (distance 0), which beats the imported table's route (distance 15), so the table route is not selected and
 * not redistributed (for such VIPs FRR's `redistribute connected` with a prefix list does the job on its own).
 */
const lab = kernelTableLab('frr');
const { topo, d, N, C } = lab;
const PREFIX = '203.0.113.40/32';
const conf = (priority: number) => kernelTableConf({ instance: 'VI_F', vrid: 91, priority, vip: '203.0.113.40/24 dev eth0' });

/** zebra imports table 100, bgpd redistributes it to c. */
const frrConfs = {
  zebra: 'ip import-table 100\n',
  bgpd:
    `router bgp 65001\n bgp router-id ${N.ipv4}\n no bgp ebgp-requires-policy\n neighbor ${C.ipv4} remote-as 65000\n` +
    ` neighbor ${C.ipv4} timers 1 3\n neighbor ${C.ipv4} timers connect 1\n address-family ipv4 unicast\n  redistribute table 100\n exit-address-family\n`,
};

const atCollector = () => paths(topo, 'c', PREFIX).length > 0;

test('kernel table + FRR: the collector has the VIP route (next hop n) exactly while n is MASTER', async (t) => {
  lab.collector();
  const frr = startFrrSuite(topo, d, 'n', frrConfs);
  lab.atEnd(async () => {
    for (const c of frr.children) await stop(c);
  });
  const n = lab.ours('n', conf(100));
  const held = () => holds(topo, 'n', '203.0.113.40', 'eth0');
  const up = await announcedWhileHeld(atCollector, held, 45_000);
  assert.ok(
    up.ms >= 0,
    `${topo.exec('n', ['ip', 'route', 'show', 'table', '100'])}\n${frr.log()}\n${frr.vtysh('show ip route')}\n${frr.vtysh('show ip bgp summary')}`,
  );
  assert.equal(up.early, false, 'at the collector before n held the VIP');
  assert.equal(hopOf(paths(topo, 'c', PREFIX)[0]!), N.ipv4);

  // p (priority 200) preempts: n is BACKUP, its route leaves table 100, FRR withdraws it
  const p = lab.ours('p', conf(200));
  // (the BACKUP line without "(init)": only leaving MASTER logs it; the MASTER line itself can reach the pipe after
  // the route reached the collector, so "BACKUP after the last MASTER line" would match the init line)
  assert.ok((await waitFor(() => /\(VI_F\) Entering BACKUP STATE$/m.test(n.log()), 30_000)) >= 0, n.log());
  // ours: the route leaves table 100 once the VIP is released; FRR's: bgpd drops it from its table, then the
  // collector has it withdrawn
  const inTable = () => topo.exec('n', ['ip', 'route', 'show', 'table', '100']).includes('203.0.113.40');
  const tableGone = await withdrawnOnceReleased(inTable, held, 10_000);
  assert.equal(tableGone.early, false, 'out of table 100 while n still held the VIP');
  const bgpdMs = await waitFor(() => frrNextHops(frr, PREFIX).length === 0, 10_000);
  const gone = await waitFor(() => !atCollector(), 5000);
  const why = () =>
    [
      JSON.stringify(paths(topo, 'c', PREFIX)),
      topo.exec('n', ['ip', '-N', 'route', 'show', 'table', '100']),
      frr.vtysh(`show ip bgp ${PREFIX}`, 'bgpd'),
      n.log().split('\n').slice(-15).join('\n'),
    ].join('\n');
  t.diagnostic(
    `FRR: out of table 100 ${tableGone.ms} ms after n logged BACKUP, out of n's bgpd ${bgpdMs} ms later, withdrawn at the collector ${gone} ms after that`,
  );
  const ourLines = () =>
    n
      .log()
      .split('\n')
      .filter((l) => /BGP|STATE/.test(l))
      .join('\n');
  assert.ok(tableGone.ms >= 0 && tableGone.ms <= 2000, `out of table 100 ${tableGone.ms} ms after n left MASTER\n${ourLines()}`);
  assert.ok(bgpdMs >= 0 && bgpdMs <= 5000, `out of n's bgpd ${bgpdMs} ms after table 100\n${why()}`);
  assert.ok(gone >= 0, `not withdrawn at the collector 5 s after n's bgpd dropped it\n${why()}`);

  // p stops: n is MASTER again, the route comes back through FRR
  await stop(p.child);
  const back = await announcedWhileHeld(atCollector, held, 20_000);
  assert.ok(back.ms >= 0, n.log());
  assert.equal(back.early, false, 'at the collector again before n held the VIP');
  t.diagnostic(`FRR: announced again ${back.ms} ms after p stopped`);
  await stop(n.child);
  assert.ok((await waitFor(() => !atCollector(), 10_000)) >= 0, 'n stopped: withdrawn');
});
