/**
 * Benchmark (issue 17): the per-advert cost of the VRRP receive and send paths, without sockets.
 *
 * Receive: a backup with N instances is fed the adverts of a master with the same VRIDs, each as the native
 * recvmsg delivers it (a sysio Msg: IPv4 with its IP header, IP_PKTINFO and IP_TTL; IPv6 with IPV6_PKTINFO and
 * IPV6_HOPLIMIT), through what the VRRP child does with it: the socket layer (datagramOf), the router (dispatch,
 * decode, keepalived's checks, counters, the state machine) and the runtime's handling of its actions
 * (publishAction with nobody subscribed). Send: the master's advert timer firing (router.timeout: encode and the
 * `transmit` action). The native recvmsg/sendmsg themselves are not included.
 *
 * Prints, per scenario: adverts per second (CPU-bound loop) and bytes allocated on the JS heap per advert (heap
 * growth over batches in which no GC ran; the bench re-executes itself with a 64 MB young generation so that
 * batches fit). Asserts nothing. Run: npm run bench -- rx
 */
import { spawnSync } from 'node:child_process';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Msg } from '@keepalived-ts/sysio';
import { datagramOf } from '../src/net/vrrp-socket.js';
import { K } from '../src/net/sysio.js';
import { sockaddrIn, sockaddrIn6 } from '../src/net/sockaddr.js';
import { VrrpRouter } from '../src/vrrp/router.js';
import { instanceParams } from '../src/vrrp/instance-params.js';
import type { RouterAction } from '../src/vrrp/router-types.js';
import { isPublished, publishAction } from '../src/runtime/vrrp/publish.js';
import type { Family } from '../src/vrrp/types.js';

const YOUNG_FLAGS = ['--max-semi-space-size=64', '--min-semi-space-size=64'];
if (!YOUNG_FLAGS.every((f) => process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...YOUNG_FLAGS, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const N = 50;
const BATCH = 2_000;
const BATCHES = 60;

interface Scenario {
  readonly name: string;
  readonly family: Family;
  readonly version: 2 | 3;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'VRRPv2, IPv4', family: 4, version: 2 },
  { name: 'VRRPv3, IPv4', family: 4, version: 3 },
  { name: 'VRRPv3, IPv6', family: 6, version: 3 },
];

const MASTER = { 4: '192.0.2.1', 6: 'fe80::1' } as const;
const BACKUP = { 4: '192.0.2.2', 6: 'fe80::2' } as const;
const GROUP = { 4: '224.0.0.18', 6: 'ff02::12' } as const;

/** A router with N instances on one socket, started (a 255 master sends its first advert at once). */
function router(s: Scenario, source: string, priority: number): { r: VrrpRouter; started: RouterAction[] } {
  const r = new VrrpRouter();
  const started: RouterAction[] = [];
  for (let i = 0; i < N; i++) {
    const params = instanceParams({
      name: `VI_${i + 1}`,
      vrid: i + 1,
      family: s.family,
      version: s.version,
      priority,
      primaryAddress: source,
      advertIntervalMs: 1000,
      vips: [s.family === 4 ? `203.0.113.${i + 1}` : `2001:db8::${i + 1}`],
    });
    r.addInstance({ params, socketKey: 'eth0', ifindex: 2, source, group: GROUP[s.family] });
  }
  for (let i = 0; i < N; i++) started.push(...r.event(`VI_${i + 1}`, { type: 'startup' }, 0));
  return { r, started };
}

/** The control messages the kernel attaches (see VrrpSocket's setup): ingress interface, destination, TTL. */
function cmsgs(family: Family): Msg['cmsgs'] {
  if (family === 4) {
    const pktinfo = Buffer.alloc(12);
    pktinfo.writeInt32LE(2, 0);
    Buffer.from([224, 0, 0, 18]).copy(pktinfo, 8);
    const ttl = Buffer.alloc(4);
    ttl.writeInt32LE(255, 0);
    return [
      { level: K.SOL_IP as number, type: K.IP_PKTINFO as number, data: pktinfo },
      { level: K.SOL_IP as number, type: K.IP_TTL as number, data: ttl },
    ];
  }
  const pktinfo = Buffer.alloc(20);
  pktinfo[0] = 0xff;
  pktinfo[1] = 0x02;
  pktinfo[15] = 0x12;
  pktinfo.writeUInt32LE(2, 16);
  const hops = Buffer.alloc(4);
  hops.writeInt32LE(255, 0);
  return [
    { level: K.SOL_IPV6 as number, type: K.IPV6_PKTINFO as number, data: pktinfo },
    { level: K.SOL_IPV6 as number, type: K.IPV6_HOPLIMIT as number, data: hops },
  ];
}

/** The master's adverts as recvmsg returns them (IPv4: a 20-byte IP header in front, as the kernel delivers). */
function received(s: Scenario, sent: readonly RouterAction[]): Msg[] {
  const addr = s.family === 4 ? sockaddrIn(MASTER[4]) : sockaddrIn6(MASTER[6], 0, 2);
  return sent.flatMap((a) => {
    if (a.kind !== 'transmit') return [];
    const data = s.family === 4 ? withIpv4Header(a.bytes) : Buffer.from(a.bytes);
    return [{ data, length: data.length, addr, flags: 0, cmsgs: cmsgs(s.family) }];
  });
}

function withIpv4Header(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(20 + msg.length);
  b[0] = 0x45;
  b.writeUInt16BE(b.length, 2);
  b[8] = 255; // TTL
  b[9] = 112; // VRRP
  Buffer.from([192, 0, 2, 1, 224, 0, 0, 18]).copy(b, 12);
  b.set(msg, 20);
  return b;
}

/** What LinuxVrrpRuntime.onPacket/execute do with a datagram, minus sockets and logging sinks. */
function rxOne(r: VrrpRouter, family: Family, m: Msg, now: number): number {
  const d = datagramOf(family, m)!;
  const meta = { source: d.source, destination: d.destination, ttl: d.ttl, ifindex: d.ifindex };
  const actions = r.receive('eth0', d.data, meta, now);
  for (const a of actions) if (isPublished(a)) publishAction(a, { vrid: 1, family, ifname: 'eth0' }, now);
  if (actions.length) r.pollTimeout(); // the runtime re-arms its timer
  return actions.length;
}

function youngUsed(): number {
  return getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size;
}

/** Runs `step` BATCH × BATCHES times; ops/s, and bytes allocated per op over batches without a scavenge. */
function measure(step: (i: number) => void): { perSec: number; bytesPerOp: number } {
  for (let i = 0; i < BATCH * 5; i++) step(i); // warm up (optimised code)
  const perOp: number[] = [];
  let ops = 0;
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < BATCHES; b++) {
    const before = youngUsed();
    for (let i = 0; i < BATCH; i++) step(ops++);
    const grown = youngUsed() - before;
    if (grown >= 0) perOp.push(grown / BATCH); // a scavenge in the batch would make it shrink
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  perOp.sort((a, b) => a - b);
  return { perSec: ops / s, bytesPerOp: perOp[Math.floor(perOp.length / 2)] ?? NaN };
}

console.log(`VRRP receive and send paths, ${N} instances, Node ${process.version} (medians; no sockets)\n`);
console.log('| scenario | received adverts/s | bytes/received advert | sent adverts/s | bytes/sent advert |');
console.log('|---|---:|---:|---:|---:|');
for (const s of SCENARIOS) {
  const master = router(s, MASTER[s.family], 255);
  const backup = router(s, BACKUP[s.family], 100).r;
  const msgs = received(s, master.started);
  if (msgs.length !== N) throw new Error(`${s.name}: ${msgs.length} adverts from ${N} masters`);
  // every advert must be accepted (a drop would measure the wrong path)
  let accepted = 0;
  for (const m of msgs) accepted += rxOne(backup, s.family, m, 1) > 0 ? 1 : 0;
  if (accepted !== N) throw new Error(`${s.name}: ${accepted} of ${N} adverts accepted`);
  let now = 1;
  const rx = measure((i) => {
    if (i % N === 0) now += 1;
    rxOne(backup, s.family, msgs[i % N]!, now);
  });
  // send: every call finds one instance's Adver_Timer due (the master's instances are 1 s apart in `at`)
  let tNow = 0;
  const tx = measure(() => {
    tNow += 1000 / N;
    master.r.timeout(tNow);
  });
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`| ${s.name} | ${f(rx.perSec)} | ${f(rx.bytesPerOp)} | ${f(tx.perSec)} | ${f(tx.bytesPerOp)} |`);
}
