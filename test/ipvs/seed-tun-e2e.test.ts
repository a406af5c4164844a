/**
 * The seed LVS-TUN topology end to end in the guest, our daemons only: two directors (d1 with
 * lvs-tun-dr01-master.conf, d2 with lvs-tun-dr02-backup.conf; VRRP between them), two real servers with the VIP
 * on `tunl0` (ipip; arp_ignore 1 / arp_announce 2, rp_filter off, as LVS-TUN needs) and a client, all on one
 * bridged LAN (192.0.2.0/24: d1 .1, d2 .2, client .50, real servers .92/.93, VIP .166).
 *   1. the client's requests through the VIP reach both servers in the configured weights (1:1, wrr), and the
 *      packets reached the servers over IPIP (their tunl0 received them);
 *   2. a stopped real server is removed within delay_loop + connect_timeout + retry × delay_before_retry
 *      (1 + 1 + 1 s; not before retry × delay_before_retry) and the client sees only the other;
 *   3. stopping the master director moves the VIP and service continues (failed requests are counted and
 *      reported; requests after the move all succeed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inGuest, poll, sh } from './harness.js';
import { Client, Daemon, Listeners, nsExec, seedLvsConfig } from './lvs-daemons.js';
import { rewriteSeedConfig } from '../netns/harness/seed-rewrite.js';

/** delay_loop + connect_timeout + retry × delay_before_retry of the (small-timed) seed config. */
const REMOVAL_BOUND_MS = 1000 + 1000 + 1 * 1000;
/** retry × delay_before_retry: the retry after the first failure comes no sooner. */
const REMOVAL_MIN_MS = 1000 - 100;
/** The guest's timer tails (one CPU, ≈ 12 ms) and the polling resolution (one `ip netns exec ipvsadm` ≈ 150 ms). */
const TAIL_MS = 750;

const tag = `se${process.pid % 100000}`;
const n = { lan: `${tag}l`, d1: `${tag}d1`, d2: `${tag}d2`, r1: `${tag}r1`, r2: `${tag}r2`, c: `${tag}c` } as const;
const VIP = '192.0.2.166';
const tmp = mkdtempSync('/tmp/kts-seede2e-');
const started: { stop(): Promise<void> }[] = [];
let be1: Listeners;
let client: Client;
let d1: Daemon;

before(async () => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  const hosts: [string, string][] = [
    [n.d1, '192.0.2.1'],
    [n.d2, '192.0.2.2'],
    [n.c, '192.0.2.50'],
    [n.r1, '192.0.2.92'],
    [n.r2, '192.0.2.93'],
  ];
  sh(`set -e
    modprobe -a ip_vs ip_vs_wrr veth bridge ipip
    ip netns add ${n.lan}; ip -n ${n.lan} link add lan type bridge; ip -n ${n.lan} link set lan up
    ${hosts
      .map(
        ([h, a], i) => `ip netns add ${h}; ip -n ${h} link set lo up
    ip link add ${tag}p${i} type veth peer name eth0 netns ${h}
    ip link set ${tag}p${i} netns ${n.lan}; ip -n ${n.lan} link set ${tag}p${i} master lan up
    ip -n ${h} addr add ${a}/24 dev eth0; ip -n ${h} link set eth0 up`,
      )
      .join('\n')}
    for r in ${n.r1} ${n.r2}; do
      ip netns exec $r sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=0
      ip netns exec $r sysctl -qw net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 net.ipv4.conf.eth0.rp_filter=0
      ip -n $r link set tunl0 up; ip netns exec $r sysctl -qw net.ipv4.conf.tunl0.rp_filter=0
      ip -n $r addr add ${VIP}/32 dev tunl0
    done`);
  be1 = await Listeners.start(n.r1, 'be1', [['0.0.0.0', 80]]);
  started.push(be1);
  started.push(await Listeners.start(n.r2, 'be2', [['0.0.0.0', 80]]));
  client = await Client.start(n.c, VIP, 80);
  started.push(client);
  const daemons = (
    [
      [n.d1, 'lvs-tun-dr01-master.conf'],
      [n.d2, 'lvs-tun-dr02-backup.conf'],
    ] as const
  ).map(([ns, file]) => {
    const dir = join(tmp, ns);
    mkdirSync(dir);
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(
      conf,
      seedLvsConfig(file, (x) => rewriteSeedConfig(x, { ifname: 'eth0', avoid: ['192.0.2.1', '192.0.2.2', '192.0.2.50'] }).text),
    );
    const d = Daemon.start('ours', conf, dir, ns);
    started.push(d);
    return d;
  });
  d1 = daemons[0]!;
});

after(async () => {
  for (const s of started.reverse()) await s.stop();
  sh(`for x in ${Object.values(n).join(' ')}; do ip netns del $x 2>/dev/null; done; true`);
  rmSync(tmp, { recursive: true, force: true });
});

const hasVip = (ns: string): boolean => nsExec(ns, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']).includes(` ${VIP}/`);
const rules = (ns: string): string => nsExec(ns, ['ipvsadm', '-S', '-n']);
const tunlRx = (ns: string): number => Number(/RX:[^\n]*\n\s*\d+\s+(\d+)/.exec(nsExec(ns, ['ip', '-s', 'link', 'show', 'tunl0']))?.[1] ?? NaN);

test('the client reaches both real servers through the VIP in the configured weights, over IPIP', async () => {
  const both = (ns: string): true | undefined =>
    /192\.0\.2\.92:80.*-i -w 1/.test(rules(ns)) && /192\.0\.2\.93:80.*-i -w 1/.test(rules(ns)) ? true : undefined;
  assert.ok(
    await poll(() => (hasVip(n.d1) && both(n.d1) ? true : undefined), 120000, 300),
    `d1 never held the VIP with both real servers:\n${d1.log}`,
  );
  assert.ok(await poll(() => both(n.d2), 60000, 300), 'd2 (backup) programs IPVS too');
  assert.equal(hasVip(n.d2), false, 'the backup does not hold the VIP');
  const rx = [tunlRx(n.r1), tunlRx(n.r2)];
  const r = await client.run(20);
  assert.deepEqual(r, { hits: { be1: 10, be2: 10 }, failed: 0, failedAtMs: [] });
  // each request is at least 3 packets from the client (SYN, request, ACK/FIN) encapsulated to its server
  assert.ok(tunlRx(n.r1) - rx[0]! >= 30 && tunlRx(n.r2) - rx[1]! >= 30, `tunl0 RX: ${rx} → ${tunlRx(n.r1)},${tunlRx(n.r2)}`);
});

test('a stopped real server is removed within delay_loop + connect_timeout + retry × delay_before_retry; the client sees only the other', async (t) => {
  await be1.set('down', [['0.0.0.0', 80]]);
  const t0 = Date.now();
  const gone = await poll(() => (rules(n.d1).includes('192.0.2.92:80') ? undefined : Date.now() - t0), REMOVAL_BOUND_MS + TAIL_MS + 5000, 50);
  assert.ok(gone !== undefined, 'never removed');
  t.diagnostic(`removed after ${gone} ms (bound ${REMOVAL_MIN_MS}..${REMOVAL_BOUND_MS}+${TAIL_MS} ms)`);
  assert.ok(gone >= REMOVAL_MIN_MS && gone <= REMOVAL_BOUND_MS + TAIL_MS, `removed after ${gone} ms`);
  assert.deepEqual(await client.run(10), { hits: { be2: 10 }, failed: 0, failedAtMs: [] });
});

test('stopping the master director moves the VIP and the service continues', async (t) => {
  await client.loopStart();
  await sleep(500);
  const t0 = Date.now();
  await d1.stop();
  const moved = await poll(() => (hasVip(n.d2) ? Date.now() - t0 : undefined), 10000, 50);
  assert.ok(moved !== undefined, 'the VIP never reached d2');
  await sleep(1500); // let the loop run on the new master for a while
  const r = await client.loopEnd();
  t.diagnostic(`VIP on d2 ${moved} ms after SIGTERM to d1; loop: ${JSON.stringify(r)}`);
  assert.deepEqual(Object.keys(r.hits), ['be2']);
  assert.deepEqual(await client.run(10), { hits: { be2: 10 }, failed: 0, failedAtMs: [] });
});
