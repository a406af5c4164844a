import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, ip } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';
import { gobgpConf, neighbor } from './gobgp-collector.js';
import { frrNextHops, startFrrSuite } from './frr-suite.js';
import { announcedWhileHeld, holds } from './held.js';

/**
 * Node loss with and without BFD. Two anycast nodes (a, b: our daemon, each starting its own gobgpd, AS 65001)
 * announce 203.0.113.50/32 (on lo, held by an instance of their own) to a collector c running FRR (zebra, bgpd,
 * bfdd; AS 65000), eBGP with hold time 6 s, keepalive 1 s. c has `neighbor A bfd profile fast` (100 ms × 3) and
 * a's daemon runs a `bfd_instance` toward c (GoBGP has no BFD of its own); b has no BFD. Freezing both nodes at
 * once (SIGSTOP of every process in their namespaces: our daemon's processes and gobgpd, so no TCP close and no
 * Cease) then a link cut of both: c drops a's path within BFD's Detection Time and b's when its hold timer expires.
 */
const topo = Topology.create({ hosts: ['a', 'b', 'c'] });
const d = Daemons.inTempDir(topo, 'kts-bgp-bfd-');
const after_: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of after_) await f();
  topo.destroy();
  d.removeDir();
});

const [A, B, C] = [topo.host('a'), topo.host('b'), topo.host('c')];
const VIP = '203.0.113.50';
const PREFIX = `${VIP}/32`;
const HOLD_MS = 6000;
const BFD_MS = 100;
const DETECT_MS = 3 * BFD_MS;
/**
 * Bounds after the freeze or cut. BFD: c's Detection Time (3 × 100 ms) runs from a's last packet, sent at most one
 * interval before (75–100 % jitter), so no earlier than DETECT − 1 interval; up to 1.2 s more for bgpd to drop the
 * session and for our vtysh poll on a loaded host (still 4.5 s inside the hold time). Hold time: b's last keepalive
 * was at most 1 s before, so expiry comes 5–6 s after; 0.3 s below that and 2 s above for the loaded host.
 */
const BFD_LOW = DETECT_MS - BFD_MS - 5;
const BFD_HIGH = DETECT_MS + 1200;
const HOLD_LOW = HOLD_MS - 1000 - 300;
const HOLD_HIGH = HOLD_MS + 2000;

const node = (name: string, vrid: number, bfd: boolean) =>
  (bfd
    ? `bfd_instance to_c {\n  neighbor_ip ${C.ipv4}\n  source_ip ${topo.host(name).ipv4}\n  min_rx ${BFD_MS}\n  min_tx ${BFD_MS}\n  multiplier 3\n}\n`
    : '') +
  `bgp_announce {\n  engine gobgp\n  gobgpd_config ${d.write(`${name}-gobgpd.toml`, gobgpConf(65001, topo.host(name).ipv4, neighbor(C.ipv4, 65000, HOLD_MS / 1000)))}\n` +
  `  gobgpd_pid_file ${d.dir}/${name}-gobgpd.pid\n}\n` +
  `vrrp_instance VI_${name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n  version 3\n` +
  `  virtual_ipaddress {\n    ${PREFIX} dev lo\n  }\n  bgp_announce master\n}\n`;

const peerConf = (addr: string, bfd: boolean) =>
  ` neighbor ${addr} remote-as 65001\n neighbor ${addr} timers 1 ${HOLD_MS / 1000}\n neighbor ${addr} timers connect 1\n` +
  (bfd ? ` neighbor ${addr} bfd\n neighbor ${addr} bfd profile fast\n` : '');

/** Every process in a host's namespace (all started by this test). */
const pidsIn = (host: string) =>
  ip(['netns', 'pids', topo.host(host).netns])
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
const signalAll = (hosts: string[], sig: NodeJS.Signals) => {
  for (const h of hosts)
    for (const p of pidsIn(h))
      try {
        process.kill(p, sig);
      } catch {
        /* gone */
      }
};

test('node loss at an FRR collector: with BFD the path goes within the Detection Time, without it at hold-time expiry (frozen nodes, then a link cut)', async (t) => {
  const frr = startFrrSuite(topo, d, 'c', {
    zebra: '',
    bgpd:
      `router bgp 65000\n bgp router-id ${C.ipv4}\n no bgp ebgp-requires-policy\n${peerConf(A.ipv4, true)}${peerConf(B.ipv4, false)}` +
      ` address-family ipv4 unicast\n  maximum-paths 2\n exit-address-family\n`,
    bfdd: `bfd\n profile fast\n  receive-interval ${BFD_MS}\n  transmit-interval ${BFD_MS}\n  detect-multiplier 3\n !\n!\n`,
  });
  after_.push(async () => {
    for (const c of frr.children) await stop(c);
  });
  const a = d.ours('a', d.write('a.conf', node('a', 63, true)));
  const b = d.ours('b', d.write('b.conf', node('b', 64, false)));
  after_.push(
    async () => signalAll(['a', 'b'], 'SIGCONT'),
    () => stop(a.child),
    () => stop(b.child),
  );
  const hops = () => frrNextHops(frr, PREFIX);
  const has = (hop: string) => () => hops().includes(hop);
  const diag = () => `${JSON.stringify(hops())}\n${frr.vtysh('show bfd peers', 'bfdd')}\n${frr.vtysh('show ip bgp summary', 'bgpd')}`;

  // both paths, each only once its node holds the VIP
  for (const [h, n] of [
    [A.ipv4, 'a'],
    [B.ipv4, 'b'],
  ] as const) {
    const e = await announcedWhileHeld(has(h), () => holds(topo, n, VIP), 45_000);
    assert.ok(e.ms >= 0, `${diag()}\n${(n === 'a' ? a : b).log()}`);
    assert.equal(e.early, false, `${n}'s path at c before ${n} held the VIP`);
  }
  // c's BFD session to a is up, with 100 ms × 3 (bgpd registered it, our bfd_instance answers)
  assert.ok((await waitFor(() => /Status: up/.test(frr.vtysh('show bfd peers', 'bfdd')), 10_000)) >= 0, diag());
  assert.match(frr.vtysh('show bfd peers', 'bfdd'), new RegExp(`peer ${A.ipv4.replaceAll('.', '\\.')}[^]*Detect-multiplier: 3`));

  /** Freezes or cuts both nodes; resolves with [ms until a's path went, ms until b's path went] (-1: never). */
  const loseBoth = async (how: () => void): Promise<[number, number]> => {
    assert.deepEqual(hops(), [A.ipv4, B.ipv4].sort(), 'both paths before the loss');
    const t0 = performance.now();
    how();
    let aGone = -1;
    const bGone = await waitFor(() => {
      const now = hops();
      if (aGone < 0 && !now.includes(A.ipv4)) aGone = performance.now() - t0;
      return !now.includes(B.ipv4);
    }, HOLD_HIGH + 2000);
    return [aGone, bGone < 0 ? -1 : performance.now() - t0];
  };
  const check = (what: string, [aMs, bMs]: [number, number]) => {
    t.diagnostic(`${what}: a's path (BFD ${BFD_MS} ms × 3) gone after ${aMs.toFixed(0)} ms, b's (hold ${HOLD_MS} ms) after ${bMs.toFixed(0)} ms`);
    assert.ok(aMs >= BFD_LOW && aMs <= BFD_HIGH, `${what}: a's path went ${aMs} ms after, expected ${BFD_LOW}-${BFD_HIGH} ms\n${diag()}`);
    assert.ok(bMs >= HOLD_LOW && bMs <= HOLD_HIGH, `${what}: b's path went ${bMs} ms after, expected ${HOLD_LOW}-${HOLD_HIGH} ms\n${diag()}`);
    // and for the right reason, in bgpd's words
    const reset = (addr: string) => /Last reset .*/.exec(frr.vtysh(`show ip bgp neighbors ${addr}`, 'bgpd'))?.[0] ?? '';
    assert.match(reset(A.ipv4), /Cease\/BFD Down/, what);
    assert.match(reset(B.ipv4), /Hold Timer Expired/i, what);
  };

  // 1. frozen nodes: SIGSTOP of everything in a and b (no FIN, no Cease: only BFD or the hold timer can tell)
  check('SIGSTOP', await loseBoth(() => signalAll(['a', 'b'], 'SIGSTOP')));
  signalAll(['a', 'b'], 'SIGCONT');
  const back = await waitFor(() => hops().length === 2, 40_000);
  assert.ok(back >= 0, `not back after SIGCONT\n${diag()}`);
  t.diagnostic(`both paths back ${back} ms after SIGCONT`);
  // 2. link cut at the switch (the collector's own link stays up)
  check(
    'link cut',
    await loseBoth(() => {
      topo.linkDown('a');
      topo.linkDown('b');
    }),
  );
  topo.linkUp('a');
  topo.linkUp('b');
});
