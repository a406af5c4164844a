/**
 * Benchmark (issue 17, root only): scale, keepalived 2.2.7 and keepalived-ts alternately on the same topology.
 * Two hosts in network namespaces: A runs the implementation under test as MASTER (priority 200), B runs keepalived
 * 2.2.7 as the BACKUP peer (priority 100) of every instance. Scenarios (KTS_SCALE_SCENARIOS, default `1000,255`):
 *   - `1000`: 1,000 VRRPv3 instances at advert_int 1 over KTS_SCALE_IFACES interfaces (default 4: eth0 on the
 *     harness bridge plus veth pairs A↔B), per interface half IPv4 and half IPv6 (KTS_SCALE_INSTANCES overrides 1000);
 *   - `255`: 255 VRRPv3 IPv4 instances at advert_int 0.05 on eth0.
 * For each: start of A → every VIP on A (ms); then B starts, KTS_SCALE_SETTLE_S (5) later a window of
 * KTS_SCALE_WINDOW_S (20) seconds: A's CPU % and RSS / anonymous RSS summed over its processes; the largest gap
 * between two adverts of one instance from A in tcpdump's timestamps on B (`-i any`), and how many exceeded 3×int;
 * adverts sent (tcpdump on A, outgoing) and seen on B against expected; spurious transitions: B's `Entering MASTER/FAULT` lines and adverts sent by B from
 * its start to the window's end, and A's `Entering BACKUP/FAULT` after its start-up. KTS_SCALE_IMPLS
 * (`keepalived,ts`) chooses; KTS_SCALE_WAIT_MS (600000) bounds the wait for the VIPs. Asserts nothing.
 * Run: npm run bench -- scale
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUNDLED_CLI, Daemons, stop, waitFor, type RunningDaemon } from '../test/netns/harness/daemons.js';
import { Topology } from '../test/netns/harness/topology.js';
import { CLK_TCK, captureAdverts, processTree, treeUsage } from '../test/netns/harness/wire.js';

const envNum = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const WINDOW_S = envNum('KTS_SCALE_WINDOW_S', 20);
const SETTLE_S = envNum('KTS_SCALE_SETTLE_S', 5);
const WAIT_MS = envNum('KTS_SCALE_WAIT_MS', 600_000);
const IFACES = Math.min(8, envNum('KTS_SCALE_IFACES', 4));
const BIG = envNum('KTS_SCALE_INSTANCES', 1000);
const SCENARIOS = (process.env['KTS_SCALE_SCENARIOS'] ?? '1000,255').split(',').map((s) => s.trim());
const IMPLS = (process.env['KTS_SCALE_IMPLS'] ?? 'keepalived,ts').split(',').map((s) => s.trim()) as Impl[];

type Impl = 'keepalived' | 'ts';
const LABEL: Record<Impl, string> = { keepalived: 'keepalived 2.2.7', ts: 'keepalived-ts' };

/** One VRRP instance of a scenario. */
interface Inst {
  readonly name: string;
  readonly ifname: string;
  readonly vrid: number;
  readonly vip: string;
}

/** A scenario: its instances and advert interval. */
interface Scenario {
  readonly key: string;
  readonly title: string;
  readonly interval: number;
  readonly instances: readonly Inst[];
}

/** n instances over IFACES interfaces; on each, the first half IPv4 (from 203.0.113/24 then 198.51.100/24), the rest IPv6. */
function spread(n: number): Inst[] {
  const per = Math.ceil(n / IFACES);
  const out: Inst[] = [];
  let v4 = 0;
  for (let k = 0; k < IFACES; k++)
    for (let j = 0; j < per && out.length < n; j++) {
      const v6 = j >= Math.ceil(per / 2);
      const vip = v6 ? `2001:db8:1:${k + 1}::${(j + 1).toString(16)}` : v4 < 250 ? `203.0.113.${++v4}` : `198.51.100.${++v4 - 250}`;
      out.push({ name: `VI_${k}_${j}`, ifname: `eth${k}`, vrid: (j % 255) + 1, vip });
    }
  return out;
}

function scenario(key: string): Scenario {
  if (key === '1000')
    return { key, title: `${BIG} instances, ${IFACES} interfaces, IPv4+IPv6, v3, advert_int 1`, interval: 1, instances: spread(BIG) };
  if (key === '255')
    return {
      key,
      title: '255 instances, one interface, IPv4, v3, advert_int 0.05',
      interval: 0.05,
      instances: Array.from({ length: 255 }, (_, i) => ({ name: `VI_${i}`, ifname: 'eth0', vrid: i + 1, vip: `203.0.113.${i + 1}` })),
    };
  throw new Error(`KTS_SCALE_SCENARIOS: unknown ${key} (have 1000, 255)`);
}

function conf(s: Scenario, state: string, prio: number): string {
  const lines = ['global_defs {', '    router_id scale', '    vrrp_version 3', '}'];
  for (const i of s.instances)
    lines.push(
      `vrrp_instance ${i.name} {`,
      `    state ${state}`,
      `    interface ${i.ifname}`,
      `    virtual_router_id ${i.vrid}`,
      `    priority ${prio}`,
      `    advert_int ${s.interval}`,
      '    virtual_ipaddress {',
      `        ${i.vip}/${i.vip.includes(':') ? 128 : 32}`,
      '    }',
      '}',
    );
  return lines.join('\n') + '\n';
}

/** The VIPs present on a host (every interface). */
function vipsOn(topo: Topology, host: string): Set<string> {
  const out = topo.exec(host, ['ip', '-o', 'addr', 'show']);
  return new Set([...out.matchAll(/ inet6? ([0-9a-f.:]+)\//g)].map((m) => m[1]!));
}

/** Extra interfaces eth1.. as veth pairs straight between A and B (with a /32 IPv4 address each, for IPv4 VRRP). */
function addLinks(topo: Topology): void {
  const a = topo.host('a').netns;
  const b = topo.host('b').netns;
  for (let k = 1; k < IFACES; k++) {
    const dev = `eth${k}`;
    execFileSync('ip', ['-n', a, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', dev, 'netns', b]);
    for (const [ns, host] of [
      [a, 10],
      [b, 11],
    ] as const) {
      execFileSync('ip', ['-n', ns, 'addr', 'add', `192.0.2.${100 + k * 10 + host - 10}/32`, 'dev', dev]);
      execFileSync('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
  }
}

/** One measured run. */
interface Row {
  readonly scenario: string;
  readonly impl: string;
  readonly startMs: number;
  readonly cpuPct: number;
  readonly rssMb: number;
  readonly anonMb: number;
  readonly procs: number;
  readonly gapMaxMs: number;
  readonly longGaps: number;
  readonly seen: number;
  /** A's adverts in the window as A's own capture saw them leave. */
  readonly sent: number;
  readonly expected: number;
  readonly peerTransitions: number;
  readonly peerAdverts: number;
  readonly masterTransitions: number;
  readonly peerCpuPct: number;
}

const start = (d: Daemons, impl: Impl, host: string, file: string): RunningDaemon =>
  impl === 'keepalived' ? d.keepalived(host, file) : d.ours(host, file);
const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

async function run(topo: Topology, d: Daemons, s: Scenario, impl: Impl): Promise<Row> {
  const vips = s.instances.map((i) => i.vip);
  const aFile = d.write(`${s.key}-a.conf`, conf(s, 'MASTER', 200));
  const bFile = d.write(`${s.key}-b.conf`, conf(s, 'BACKUP', 100));
  const t0 = Date.now();
  const A = start(d, impl, 'a', aFile);
  let held = 0;
  const waited = await waitFor(() => {
    const have = vipsOn(topo, 'a');
    held = vips.filter((v) => have.has(v)).length;
    return held === vips.length;
  }, WAIT_MS);
  if (waited < 0) {
    await stop(A.child);
    throw new Error(`${LABEL[impl]}: ${held}/${vips.length} VIPs after ${WAIT_MS} ms`);
  }
  const startMs = Date.now() - t0;
  const aLogAtStart = A.log().length;
  const cap = captureAdverts(topo, 'b', 'any', 'inout');
  const capA = captureAdverts(topo, 'a', 'any', 'out');
  await Promise.all([cap.ready, capA.ready]);
  const B = d.keepalived('b', bFile);
  await sleep(SETTLE_S * 1000);
  const u0 = treeUsage(A.child.pid!);
  const p0 = treeUsage(B.child.pid!);
  const w0 = Date.now();
  await sleep(WINDOW_S * 1000);
  const u1 = treeUsage(A.child.pid!);
  const p1 = treeUsage(B.child.pid!);
  const w1 = Date.now();
  const secs = (w1 - w0) / 1000;
  const procs = processTree(A.child.pid!).length;
  const bLog = B.log();
  const aLog = A.log().slice(aLogAtStart);
  await stop(B.child);
  await stop(A.child);
  await cap.stop();
  await capA.stop();
  const inWindow = (t: number) => t >= w0 / 1000 && t <= w1 / 1000;
  // adverts from A (priority 200) inside the window, per instance (interface, source family, VRID)
  const per = new Map<string, number[]>();
  for (const a of cap.adverts)
    if (a.prio === 200 && inWindow(a.t)) {
      const key = `${a.ifname}/${a.src.includes(':') ? 6 : 4}/${a.vrid}`;
      let l = per.get(key);
      if (!l) per.set(key, (l = []));
      l.push(a.t);
    }
  let gapMax = 0;
  let longGaps = 0;
  let seen = 0;
  for (const ts of per.values()) {
    seen += ts.length;
    for (let i = 1; i < ts.length; i++) {
      const g = ts[i]! - ts[i - 1]!;
      gapMax = Math.max(gapMax, g);
      if (g > 3 * s.interval) longGaps++;
    }
  }
  // instances never seen in the window count as one long gap each
  longGaps += s.instances.length - per.size;
  return {
    scenario: s.title,
    impl: LABEL[impl],
    startMs,
    cpuPct: ((u1.ticks - u0.ticks) / CLK_TCK / secs) * 100,
    rssMb: u1.rssMb,
    anonMb: u1.anonMb,
    procs,
    gapMaxMs: gapMax * 1000,
    longGaps,
    seen,
    sent: capA.adverts.filter((a) => a.prio === 200 && inWindow(a.t)).length,
    expected: Math.round((s.instances.length * secs) / s.interval),
    peerTransitions: count(bLog, /Entering (MASTER|FAULT) STATE/g),
    peerAdverts: cap.adverts.filter((a) => a.prio === 100).length,
    masterTransitions: count(aLog, /Entering (BACKUP STATE(?! \(init\))|FAULT STATE)/g),
    peerCpuPct: ((p1.ticks - p0.ticks) / CLK_TCK / secs) * 100,
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const load0 = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  let flip = 0;
  for (const key of SCENARIOS) {
    const s = scenario(key);
    for (const impl of flip++ % 2 ? IMPLS.slice().reverse() : IMPLS) {
      const topo = Topology.create({ hosts: ['a', 'b'] });
      const d = Daemons.inTempDir(topo, 'kts-scale-', BUNDLED_CLI);
      try {
        if (key === '1000') addLinks(topo);
        const row = await run(topo, d, s, impl);
        rows.push(row);
        console.error(`done: ${row.scenario}, ${row.impl}: start ${row.startMs} ms, cpu ${row.cpuPct.toFixed(2)} %`);
      } catch (e) {
        process.exitCode = 1;
        console.error(`${s.title}, ${LABEL[impl]}: ${(e as Error).message}`);
      } finally {
        topo.destroy();
        d.removeDir();
      }
    }
  }
  const load1 = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  const f = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(n >= 10 ? 1 : 2)) : '–');
  console.log(
    `A = implementation under test (MASTER 200), B = keepalived 2.2.7 peer (BACKUP 100); window ${WINDOW_S} s after ${SETTLE_S} s; ` +
      `load average ${load0} at the start, ${load1} at the end (Node ${process.version})\n`,
  );
  console.log(
    '| scenario | A | start → all VIPs (ms) | CPU A (%) | RSS A (MB) | anon RSS A (MB) | processes | advert gap max (ms) | gaps > 3×int | adverts sent (A) / seen (B) / expected | B transitions | adverts from B | A transitions | CPU B (%) |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.scenario} | ${r.impl} | ${r.startMs} | ${f(r.cpuPct)} | ${f(r.rssMb)} | ${f(r.anonMb)} | ${r.procs} | ${f(r.gapMaxMs)} | ${r.longGaps} | ` +
        `${r.sent} / ${r.seen} / ${r.expected} | ${r.peerTransitions} | ${r.peerAdverts} | ${r.masterTransitions} | ${f(r.peerCpuPct)} |`,
    );
}

await main();
