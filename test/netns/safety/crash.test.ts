/**
 * Crash safety on the real kernel (root): the daemon (parent, VRRP child and checker child) is SIGKILLed while
 * MASTER of four instances (IPv4 with virtual routes and rules, IPv6, a VMAC) under vrrp_strict, with a NAT
 * virtual_server on the nftables backend, so nothing of it gets to clean up. Then:
 * - a restart with the same configuration reconciles: the kernel holds exactly what it held before the crash —
 *   each VIP once, the same routes and rules, the `ip`/`ip6 keepalived` tables and the LB table with the same
 *   rules (not twice), one macvlan — and a SIGTERM afterwards leaves nothing;
 * - a restart with a configuration that no longer has them leaves them, as keepalived 2.2.7 does (at start-up it
 *   removes only what its configuration names); a later start with the full configuration takes them over, once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor, type RunningOurs } from '../harness/daemons.js';
import { allAddresses, kernelState, nftTable, type KernelState } from './kernel.js';
import { B, LISTENER, ROUTED, VMAC, confOf, vs, type Inst } from './scenario.js';

const topo = Topology.create({ hosts: ['a', 'r'] });
const d = Daemons.inTempDir(topo, 'kts-safety-crash-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const V6: Inst = { name: 'VI_6', vrid: 66, vips: ['2001:db8::166/128'] };
const FULL = () => confOf(d.dir, [ROUTED, B, VMAC, V6], vs(80, 8080));

/** SIGKILL to the VRRP child, the checker child and the parent, at once: nothing gets to clean up. */
async function crash(o: RunningOurs): Promise<void> {
  const pids = [pidIn(o.vrrpPidFile), pidIn(o.vrrpPidFile.replace(/-vrrp\.pid$/, '-chk.pid')), o.child.pid].filter(
    (p): p is number => p !== undefined,
  );
  assert.equal(pids.length, 3, 'parent and both children known');
  // stop all three first: a parent still running when its VRRP child dies releases that child's VIPs (and may be
  // woken and scheduled between two kill calls on a loaded host), which is not the crash this test is about
  for (const p of pids) process.kill(p, 'SIGSTOP');
  for (const p of pids) process.kill(p, 'SIGKILL');
  await stop(o.child, 'SIGKILL');
  assert.ok((await waitFor(() => pids.every((p) => !isAlive(p)), 3000)) >= 0, 'all three are gone');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `pred` holds for host a's kernel state, and returns that state. */
async function until(pred: (k: KernelState) => boolean, what: string, o: RunningOurs, ms = 40_000): Promise<KernelState> {
  let k = kernelState(topo, 'a');
  const t = await waitFor(() => pred((k = kernelState(topo, 'a'))), ms);
  assert.ok(t >= 0, `${what}\n${JSON.stringify({ ...k, addresses: allAddresses(k) }, null, 1)}\n--- log:\n${o.log().slice(-3000)}`);
  return k;
}

const VIPS = ['eth0 192.0.2.161/32', 'eth0 192.0.2.162/32', 'eth0 2001:db8::166/128', 'vrrp.63 192.0.2.163/32'];
const settled = (k: KernelState) =>
  VIPS.every((v) => allAddresses(k).includes(v)) &&
  k.routes.some((r) => r.includes('203.0.113.0/24')) &&
  /192\.0\.2\.11 . 8080|192\.0\.2\.11:8080/.test(nftTable(topo, 'a', 'inet', 'keepalived_ts_lb') ?? '');
/** A table's rules without handles and counters (they differ between two runs, the rules must not). */
const rulesOf = (family: string, name: string) =>
  (nftTable(topo, 'a', family, name) ?? '').replace(/ # handle \d+/g, '').replace(/counter packets \d+ bytes \d+/g, 'counter');

/** Nothing of ours is left in host a. */
function assertClean(): void {
  const clean = kernelState(topo, 'a');
  assert.deepEqual(allAddresses(clean), ['eth0 192.0.2.10/24', 'eth0 2001:db8::a/64']);
  assert.deepEqual([clean.routes.filter((r) => r.includes('203.0.113')), clean.rules, clean.nft, clean.macvlans], [[], [], [], []]);
}

test(
  'SIGKILL of the whole daemon, restart with the same configuration: VIPs, routes, rules, nft tables, macvlans reconciled, nothing twice',
  { timeout: 120_000 },
  async () => {
    writeFileSync(join(d.dir, 'track'), '0\n');
    const rs = topo.spawn('r', process.execPath, ['-e', LISTENER([8080])]);
    const file = d.write('crash.conf', FULL());
    let o = d.ours('a', file);
    try {
      const before = await until(settled, 'first run is MASTER everywhere, LB table filled', o);
      const tables = { lb: rulesOf('inet', 'keepalived_ts_lb'), v4: rulesOf('ip', 'keepalived'), v6: rulesOf('ip6', 'keepalived') };
      assert.deepEqual(before.macvlans, ['vrrp.63@eth0 private']);
      assert.deepEqual(before.nft, ['inet keepalived_ts_lb', 'ip keepalived', 'ip6 keepalived']);

      await crash(o);
      // nothing cleaned up: the crash left everything in the kernel
      const left = kernelState(topo, 'a');
      assert.deepEqual(allAddresses(left), allAddresses(before), `the crash left the VIPs\n--- log:\n${o.log().slice(-3000)}`);
      assert.deepEqual(left.nft, before.nft);
      assert.deepEqual(left.macvlans, before.macvlans);

      o = d.ours('a', file);
      // reconciled: the same state as before the crash (during start-up the VIPs go — BACKUP (init) — and come back)
      assert.ok((await waitFor(() => /Entering BACKUP STATE \(init\)/.test(o.log()), 15_000)) >= 0, o.log());
      const again = await until(
        (k) => settled(k) && /\(VI_A\) Entering MASTER STATE/.test(o.log()) && /\(VI_6\) Entering MASTER STATE/.test(o.log()),
        'second run MASTER again',
        o,
      );
      assert.deepEqual(allAddresses(again), allAddresses(before), 'each VIP once, on its interface');
      assert.deepEqual(again.routes, before.routes);
      assert.deepEqual(again.rules, before.rules);
      assert.deepEqual(again.nft, before.nft);
      assert.deepEqual(again.macvlans, before.macvlans, 'one macvlan, the old one reused or replaced');
      assert.equal(rulesOf('inet', 'keepalived_ts_lb'), tables.lb, 'LB rules as before, not twice');
      assert.equal(rulesOf('ip', 'keepalived'), tables.v4);
      assert.equal(rulesOf('ip6', 'keepalived'), tables.v6);

      // crash again, then start with a configuration without any of it (one unrelated instance)
      await crash(o);
      const bare = d.write(
        'bare.conf',
        `global_defs {\n  router_id bare\n  vrrp_rt_priority 0\n}\n` +
          `vrrp_instance VI_X {\n  state BACKUP\n  interface eth0\n  virtual_router_id 90\n  priority 50\n  advert_int 1\n  version 3\n  virtual_ipaddress {\n    192.0.2.190/32\n  }\n}\n`,
      );
      o = d.ours('a', bare);
      assert.ok((await waitFor(() => /\(VI_X\) Entering BACKUP STATE/.test(o.log()), 15_000)) >= 0, o.log());
      await sleep(1000);
      const after2 = kernelState(topo, 'a');
      // as keepalived 2.2.7, which only cleans what its configuration names (its VIPs at start-up, its nftables tables
      // when it uses nftables, the VMACs it configures): the crashed run's VIPs, route, rule, macvlan and nftables
      // tables (VRRP and LB) stay — a daemon cannot tell them from what an administrator made (README: "Crash and restart")
      for (const v of VIPS) assert.ok(allAddresses(after2).includes(v), `${v} left, as keepalived leaves it`);
      assert.deepEqual([after2.routes, after2.rules, after2.nft, after2.macvlans], [before.routes, before.rules, before.nft, before.macvlans]);
      // … and a start with the configuration that has them takes them over (nothing twice), and a stop removes them all, so nothing of the earlier runs was orphaned
      await stop(o.child);
      o = d.ours('a', file);
      const back = await until((k) => settled(k) && /\(VI_6\) Entering MASTER STATE/.test(o.log()), 'the full configuration again', o);
      assert.deepEqual(allAddresses(back), allAddresses(before));
      assert.deepEqual([back.routes, back.rules, back.nft, back.macvlans], [before.routes, before.rules, before.nft, before.macvlans]);
      assert.equal(rulesOf('inet', 'keepalived_ts_lb'), tables.lb);
      await stop(o.child);
      assertClean();
    } finally {
      await stop(o.child, 'SIGKILL');
      await stop(rs, 'SIGKILL');
    }
  },
);
