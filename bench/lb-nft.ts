/**
 * Benchmark (root only): the nftables load balancer (src/lb/nft) in the lab of test/netns/lb (director, two real
 * HTTP servers, a client in another subnet).
 *   1. Requests/s and p50/p99 latency, one new TCP connection per request, KTS_BENCH_CONCURRENCY (default 8)
 *      at a time for KTS_BENCH_SECONDS (default 5), KTS_BENCH_ROUNDS (default 5) interleaved rounds, medians: direct to a real server (routed by the director, no
 *      rules), through the VIP with NAT, through the VIP with DR; printed with ratios to direct.
 *   2. Rule-update time with 1,000 real servers: programming them (one transaction), one failing (wrr: delete,
 *      and weight 0; sh: delete), and coming back; median and max of KTS_BENCH_REPEAT (default 10) runs.
 * keepalived cannot be measured side by side here: this kernel has no IPVS (the UML tier has). Nothing is
 * asserted. Run: npm run bench -- lb-nft
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LbDest, LbService, LbServiceKey } from '../src/lb/backend.js';
import { NftBackend, nftExec } from '../src/lb/nft/backend.js';
import { rtnlLinks } from '../src/lb/nft/links.js';
import { Rtnl } from '../src/net/netlink/rtnl.js';
import { sysio, K } from '../src/net/sysio.js';
import { LbLab, RS, VIP4 } from '../test/netns/lb/lb-topology.js';

const envNum = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const SECONDS = envNum('KTS_BENCH_SECONDS', 5);
const CONCURRENCY = envNum('KTS_BENCH_CONCURRENCY', 8);
const REPEAT = envNum('KTS_BENCH_REPEAT', 10);
const ROUNDS = envNum('KTS_BENCH_ROUNDS', 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (process.getuid?.() !== 0) {
  console.log('lb-nft: needs root (network namespaces, nftables) - not run');
  process.exit(0);
}

const lab = new LbLab();
const inDirector = <T>(fn: () => T): T => {
  const self = sysio.openReadOnly('/proc/thread-self/ns/net');
  const target = sysio.openReadOnly(`/run/netns/${lab.ns.dir}`);
  try {
    sysio.setns(target, K.CLONE_NEWNET as number);
    return fn();
  } finally {
    sysio.setns(self, K.CLONE_NEWNET as number);
    sysio.close(self);
    sysio.close(target);
  }
};
const rtnl = inDirector(() => new Rtnl());
const backend = () => new NftBackend({ exec: nftExec(lab.nftArgv()), links: rtnlLinks(rtnl, { ingress: ['eth1'] }) });
const key = (port: number): LbServiceKey => ({ kind: 'address', family: 4, protocol: 'TCP', address: VIP4, port });
const svc = (port: number, scheduler: string): LbService => ({ key: key(port), scheduler, flags: 0, timeoutSec: 0, netmaskBits: 32 });
const dest = (address: string, port: number, method: LbDest['method'], weight = 1): LbDest => ({
  family: 4,
  address,
  port,
  method,
  weight,
  uthreshold: 0,
  lthreshold: 0,
});

/** Load from the client: requests/s, p50, p99 (ms), failures. */
async function load(host: string, port: number): Promise<{ rps: number; p50: number; p99: number; failed: number }> {
  const code =
    `const http=require('http');const lat=[];let failed=0;const end=Date.now()+${SECONDS * 1000};` +
    `const one=()=>new Promise((r)=>{const t=process.hrtime.bigint();const q=http.get({host:${JSON.stringify(host)},port:${port},agent:false,timeout:2000},` +
    `(s)=>{s.resume();s.on('end',()=>{lat.push(Number(process.hrtime.bigint()-t)/1e6);r();});});q.on('timeout',()=>q.destroy());q.on('error',()=>{failed++;r();});});` +
    `const worker=async()=>{while(Date.now()<end)await one();};` +
    `Promise.all(Array.from({length:${CONCURRENCY}},worker)).then(()=>{lat.sort((a,b)=>a-b);const p=(x)=>lat[Math.min(lat.length-1,Math.floor(x*lat.length))]||0;` +
    `console.log(JSON.stringify({rps:lat.length/${SECONDS},p50:p(0.5),p99:p(0.99),failed}));});`;
  const c = lab.spawn('cli', process.execPath, ['-e', code]);
  let out = '';
  c.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((r) => c.on('exit', r));
  return JSON.parse(out) as { rps: number; p50: number; p99: number; failed: number };
}

async function throughput(): Promise<void> {
  const lb = backend();
  await lb.open();
  // one real server behind each VIP, so the ratios measure the data plane, not a second server's capacity
  await Promise.all([
    lb.addService(svc(80, 'rr')),
    lb.addDest(key(80), dest(RS.rs1.v4, 8080, 'NAT')),
    lb.addService(svc(8080, 'rr')),
    lb.addDest(key(8080), dest(RS.rs1.v4, 8080, 'DR')),
  ]);
  // rounds interleave the paths so that load from elsewhere on the host hits each alike; medians are printed
  const paths: [string, string, number][] = [
    ['direct to rs1 (routed)', RS.rs1.v4, 8080],
    ['VIP, NAT to rs1', VIP4, 80],
    ['VIP, DR to rs1', VIP4, 8080],
  ];
  const runs = paths.map(() => [] as Awaited<ReturnType<typeof load>>[]);
  for (let r = 0; r < ROUNDS; r++) for (const [i, [, host, port]] of paths.entries()) runs[i]!.push(await load(host, port));
  await lb.close();
  const med = (xs: number[]) => median(xs);
  const rows = paths.map(([name], i): [string, Awaited<ReturnType<typeof load>>] => [
    name,
    {
      rps: med(runs[i]!.map((x) => x.rps)),
      p50: med(runs[i]!.map((x) => x.p50)),
      p99: med(runs[i]!.map((x) => x.p99)),
      failed: runs[i]!.reduce((a, x) => a + x.failed, 0),
    },
  ]);
  const base = rows[0]![1];
  console.log(
    `\nThroughput: new connection per request, concurrency ${CONCURRENCY}, median of ${ROUNDS} interleaved rounds of ${SECONDS} s (failed: total)`,
  );
  console.log('| path | req/s | p50 ms | p99 ms | failed | req/s ÷ direct | p50 ÷ direct | p99 ÷ direct |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of rows) {
    console.log(
      `| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.failed} | ${(r.rps / base.rps).toFixed(2)} | ${(r.p50 / base.p50).toFixed(2)} | ${(r.p99 / base.p99).toFixed(2)} |`,
    );
  }
}

const timed = async (f: () => Promise<unknown>) => {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

async function updates(): Promise<void> {
  console.log(`\nRule updates with 1,000 real servers (ms; median / max of ${REPEAT})`);
  console.log('| scheduler | program 1,000 | one deleted | deleted one back | one to weight 0 | back to weight 1 | elements changed by a delete |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const scheduler of ['wrr', 'sh']) {
    const t: Record<string, number[]> = { program: [], del: [], add: [], zero: [], one: [] };
    let changed = 0;
    for (let r = 0; r < REPEAT; r++) {
      const lb = backend();
      await lb.open();
      const dests = Array.from({ length: 1000 }, (_, i) => dest(RS.rs1.v4, 10000 + i, 'NAT', 1 + (i % 3)));
      t['program']!.push(await timed(() => Promise.all([lb.addService(svc(81, scheduler)), ...dests.map((d) => lb.addDest(key(81), d))])));
      const victim = dests[5]!;
      const before = lab.sh(lab.ns.dir, 'nft list map inet keepalived_ts_lb sched_1');
      t['del']!.push(await timed(() => lb.delDest(key(81), victim)));
      if (r === 0) {
        const after = lab.sh(lab.ns.dir, 'nft list map inet keepalived_ts_lb sched_1');
        const els = (s: string) =>
          new Set(
            (/elements = \{([^}]*)\}/s.exec(s)?.[1] ?? '')
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean),
          );
        const a = els(before);
        const b = els(after);
        changed = [...a].filter((x) => !b.has(x)).length + [...b].filter((x) => !a.has(x)).length;
      }
      t['add']!.push(await timed(() => lb.addDest(key(81), victim)));
      t['zero']!.push(await timed(() => lb.editDest(key(81), { ...victim, weight: 0 })));
      t['one']!.push(await timed(() => lb.editDest(key(81), { ...victim, weight: 1 })));
      await lb.close();
      await sleep(50);
    }
    const cell = (k: string) => `${median(t[k]!).toFixed(1)} / ${Math.max(...t[k]!).toFixed(1)}`;
    console.log(`| ${scheduler} | ${cell('program')} | ${cell('del')} | ${cell('add')} | ${cell('zero')} | ${cell('one')} | ${changed} |`);
  }
}

try {
  await throughput();
  await updates();
  console.log('\nkeepalived side by side: not possible on this kernel (no IPVS); the UML tier measures IPVS.');
} finally {
  rtnl.close();
  lab.destroy();
}
