/**
 * Real-world example configurations (test/fixtures/seed-configs, copied from the project's seed examples), each
 * pair run in namespaces a and b with c as a client on the same LAN, doing what the files' comments say:
 * the node configured MASTER holds the VIP(s) and the BACKUP does not; stopping the master (SIGTERM) moves
 * them; starting it again takes them back (the files do not set nopreempt); in dual-master, VI_1 lives on node1
 * and VI_2 on node2 at the same time and each moves when its node stops. Every pair runs with both daemons
 * ours, and once with Debian's keepalived 2.2.7 in one of the roles.
 *
 * The files are changed only for the topology (seed-rewrite.ts): interface → eth0, VIPs into 192.0.2.0/24
 * (last octet kept). `smtp_server 127.0.0.1` is kept: each namespace has its own loopback and no route out,
 * so no mail can leave.
 *
 * Bounds (RFC 3768 §6.1 via vrrp-timing.ts), each with a stated margin for CI load:
 * - graceful stop: SIGTERM → VIP on the other node ≤ Skew_Time(backup) + 100 ms + GRACEFUL_MARGIN_MS, and not
 *   before Skew_Time − 20 ms (the backup waits Skew_Time after the priority-0 advert);
 * - preemption: the restarted node's `Entering BACKUP STATE (init)` line → its VIP back
 *   ≤ Master_Down_Interval(its priority) + 100 ms + DOWN_MARGIN_MS, and not before Master_Down_Interval − 300 ms
 *   (a non-owner `state MASTER` starts in BACKUP and waits it out; 300 ms for the log line reaching us late);
 * - the client's neighbour entry shows the new master's MAC ≤ GARP_WAIT_MS after the VIP moved, with the
 *   client sending nothing (the gratuitous ARP did it), and an ARP request from the client is answered by the
 *   new master.
 */
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, enteredBackupInit, stop, waitFor, type RunningDaemon, type RunningKeepalived } from '../harness/daemons.js';
import { arpingMac, neighbourMac, touch } from '../harness/client.js';
import { masterDownIntervalMs, skewTimeMs } from '../harness/vrrp-timing.js';
import { rewriteSeedConfig } from '../harness/seed-rewrite.js';

/** Signal delivery, daemon shutdown, netlink and 20 ms polling, on a loaded CI machine. */
const GRACEFUL_MARGIN_MS = 400;
/** Log pipe latency, netlink and polling, on a loaded CI machine. */
const DOWN_MARGIN_MS = 400;
/** From the VIP appearing on the new master to the client's neighbour entry changing (GARP is sent at once). */
const GARP_WAIT_MS = 1000;

const SEEDS = new URL('../../../../test/fixtures/seed-configs/', import.meta.url);
const NODES = ['a', 'b'] as const;
const topo = Topology.create({ hosts: ['a', 'b', 'c'] });
const daemons = Daemons.inTempDir(topo, 'kts-seed-');
after(() => {
  topo.destroy();
  daemons.removeDir();
});

type Impl = 'ours' | 'keepalived';

/** One vrrp_instance of a pair, as its two files configure it. */
interface Instance {
  readonly name: string;
  /** The VIP after the rewrite. */
  readonly vip: string;
  /** Which node's file says `state MASTER` (index into NODES). */
  readonly master: 0 | 1;
  /** Priority in node1's file, node2's file. */
  readonly prio: readonly [number, number];
  /** `label` on the VIP, if the files set one. */
  readonly label?: string;
}

/** A pair of example files. */
interface Pair {
  readonly title: string;
  readonly files: readonly [string, string];
  readonly advertMs: number;
  readonly instances: readonly Instance[];
  /** The mixed run: which role keepalived takes. */
  readonly mixed: readonly [Impl, Impl];
}

const PAIRS: readonly Pair[] = [
  {
    title: 'vip-node1/2 (VRID 50, PASS auth, mcast 224.1.100.88)',
    files: ['vip-node1.conf', 'vip-node2.conf'],
    advertMs: 1000,
    instances: [{ name: 'VI_1', vip: '192.0.2.118', master: 0, prio: [100, 98] }],
    mixed: ['keepalived', 'ours'],
  },
  {
    title: 'dual-master-node1/2 (VI_1 on node1, VI_2 on node2)',
    files: ['dual-master-node1.conf', 'dual-master-node2.conf'],
    advertMs: 1000,
    instances: [
      { name: 'VI_1', vip: '192.0.2.118', master: 0, prio: [100, 98] },
      { name: 'VI_2', vip: '192.0.2.119', master: 1, prio: [98, 100] },
    ],
    mixed: ['ours', 'keepalived'],
  },
  {
    title: 'basics-node102/103 (vrrp_strict, advert_int 3, label eth0:0)',
    files: ['basics-node102-master.conf', 'basics-node103-backup.conf'],
    advertMs: 3000,
    instances: [{ name: 'VIP01', vip: '192.0.2.200', master: 0, prio: [150, 100], label: 'eth0:0' }],
    mixed: ['ours', 'keepalived'],
  },
];

/** Rewrites one example file for the topology, checks the VIPs are the ones the table expects, writes it. */
function load(pair: Pair, i: 0 | 1): string {
  const r = rewriteSeedConfig(readFileSync(new URL(pair.files[i], SEEDS), 'utf8'), {
    ifname: 'eth0',
    avoid: [...topo.hosts.values()].map((h) => h.ipv4),
  });
  assert.deepEqual([...new Set(r.addresses.values())].sort(), pair.instances.map((x) => x.vip).sort());
  return daemons.write(pair.files[i], r.text);
}

for (const pair of PAIRS) {
  for (const impls of [['ours', 'ours'], pair.mixed] as const) {
    test(`${pair.title}: ${impls[0]} (node1) + ${impls[1]} (node2)`, { timeout: 90_000 }, (t) => runPair(t, pair, impls));
  }
}

/** Starts both nodes, checks the steady state, then stops and restarts each node that masters something. */
async function runPair(t: TestContext, pair: Pair, impls: readonly [Impl, Impl]): Promise<void> {
  const files = [load(pair, 0), load(pair, 1)] as const;
  const running: (RunningDaemon | undefined)[] = [undefined, undefined];
  const mac = (i: number) => topo.host(NODES[i]!).mac;
  const logs = () => running.map((r, i) => `--- node${i + 1} ${NODES[i]} (${impls[i]}):\n${r?.log() ?? '(not running)'}`).join('\n');
  const holders = (vip: string) => NODES.filter((h) => daemons.hasVip(h, vip));
  const steady = () => pair.instances.every((x) => holders(x.vip).join() === NODES[x.master]);
  const skew = (p: number) => skewTimeMs(2, p, pair.advertMs);
  const mdi = (p: number) => masterDownIntervalMs(2, p, pair.advertMs);

  /** Starts node i; resolves when every instance logged BACKUP (init), with the time it logged it. */
  const start = async (i: 0 | 1): Promise<number> => {
    const d = impls[i] === 'ours' ? daemons.ours(NODES[i], files[i]) : daemons.keepalived(NODES[i], files[i]);
    running[i] = d;
    assert.ok(
      (await enteredBackupInit(
        d,
        pair.instances.map((x) => x.name),
      )) >= 0,
      `node${i + 1} started\n${logs()}`,
    );
    return Date.now();
  };
  const halt = async (i: number, sig: NodeJS.Signals): Promise<void> => {
    const d = running[i];
    if (!d) return;
    if (sig === 'SIGKILL' && impls[i] === 'keepalived') await daemons.crashKeepalived(d as RunningKeepalived);
    else await stop(d.child, sig);
  };
  /** The client's view of `vip` becomes `i`'s MAC (without sending anything), and an ARP request gets `i`'s MAC. */
  const clientSees = async (vip: string, i: number, what: string): Promise<void> => {
    const ms = await waitFor(() => neighbourMac(topo, 'c', vip) === mac(i), GARP_WAIT_MS);
    assert.ok(ms >= 0, `${what}: client's neighbour entry for ${vip} is ${neighbourMac(topo, 'c', vip)}, want node${i + 1} ${mac(i)}`);
    assert.equal(arpingMac(topo, 'c', vip), mac(i), `${what}: ARP for ${vip} answered by node${i + 1}`);
  };

  try {
    await start(0);
    const backupUp = await start(1);
    const lastMdi = Math.max(...pair.instances.map((x) => mdi(x.prio[1 - x.master]!)));
    assert.ok((await waitFor(steady, lastMdi + 5000)) >= 0, `each VIP on its MASTER node only\n${logs()}`);
    // a BACKUP that does not hear its master takes over after its own Master_Down_Interval: wait that long, and look again
    await sleep(Math.max(0, backupUp + lastMdi + 500 - Date.now()));
    assert.ok(steady(), `BACKUPs stay BACKUP past their Master_Down_Interval\n${logs()}`);
    for (const x of pair.instances) {
      if (x.label)
        assert.match(
          topo.exec(NODES[x.master], ['ip', 'addr', 'show', 'dev', 'eth0']),
          new RegExp(` ${x.vip}/32 scope global ${x.label}\\n`),
          `label ${x.label}\n${logs()}`,
        );
      touch(topo, 'c', x.vip);
      await clientSees(x.vip, x.master, 'before any failover');
    }
    for (const node of [0, 1] as const) {
      const mine = pair.instances.filter((x) => x.master === node);
      if (!mine.length) continue;
      const other = 1 - node;
      const stopAt = Date.now();
      const exited = halt(node, 'SIGTERM');
      for (const x of mine) {
        const bound = skew(x.prio[other]!) + 100 + GRACEFUL_MARGIN_MS;
        assert.ok((await waitFor(() => daemons.hasVip(NODES[other]!, x.vip), 5000)) >= 0, `${x.vip} moved to node${other + 1}\n${logs()}`);
        const took = Date.now() - stopAt;
        t.diagnostic(
          `${x.name} graceful takeover by node${other + 1}: ${took} ms (bound ${bound.toFixed(0)} = skew ${skew(x.prio[other]!).toFixed(0)} + 100 + margin ${GRACEFUL_MARGIN_MS})`,
        );
        assert.ok(took <= bound, `graceful takeover of ${x.vip} in ${took} ms > ${bound.toFixed(0)} ms`);
        assert.ok(took >= skew(x.prio[other]!) - 20, `takeover of ${x.vip} in ${took} ms: before Skew_Time after the priority-0 advert`);
      }
      await exited;
      for (const x of mine) {
        assert.ok(!daemons.hasVip(NODES[node], x.vip), `node${node + 1} released ${x.vip}`);
        await clientSees(x.vip, other, `after node${node + 1} stopped`);
      }
      const initAt = await start(node);
      for (const x of mine) {
        const bound = mdi(x.prio[node]!) + 100 + DOWN_MARGIN_MS;
        assert.ok((await waitFor(() => daemons.hasVip(NODES[node], x.vip), bound + 3000)) >= 0, `${x.vip} back on node${node + 1}\n${logs()}`);
        const took = Date.now() - initAt;
        t.diagnostic(
          `${x.name} preemption by restarted node${node + 1}: ${took} ms after BACKUP(init) (bound ${bound.toFixed(0)} = Master_Down_Interval ${mdi(x.prio[node]!).toFixed(0)} + 100 + margin ${DOWN_MARGIN_MS})`,
        );
        assert.ok(took <= bound, `preemption of ${x.vip} in ${took} ms > ${bound.toFixed(0)} ms`);
        assert.ok(took >= mdi(x.prio[node]!) - 300, `preemption of ${x.vip} ${took} ms after BACKUP(init): a non-owner waits Master_Down_Interval`);
        assert.ok((await waitFor(() => !daemons.hasVip(NODES[other]!, x.vip), 2000)) >= 0, `node${other + 1} released ${x.vip}\n${logs()}`);
        await clientSees(x.vip, node, `after node${node + 1} came back`);
      }
      assert.ok(steady(), `each VIP on its MASTER node again\n${logs()}`);
    }
  } finally {
    await Promise.all([0, 1].map((i) => Promise.race([halt(i, 'SIGTERM'), sleep(3000).then(() => halt(i, 'SIGKILL'))])));
    for (const h of NODES)
      for (const x of pair.instances) if (daemons.hasVip(h, x.vip)) topo.exec(h, ['ip', 'addr', 'del', `${x.vip}/32`, 'dev', 'eth0']);
    topo.exec('c', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
  }
}
