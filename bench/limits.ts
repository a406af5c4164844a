/**
 * Benchmark (issue 17, root only): how close to the protocol's limits failover runs on the wire at advert_int 0.01,
 * keepalived 2.2.7 and keepalived-ts side by side (each as both ends of a pair, alternating). Two hosts in network
 * namespaces, one VRRPv3 IPv4 instance: A MASTER priority 200, B BACKUP priority 100. tcpdump on B's eth0 timestamps
 * every advert (both directions). KTS_LIMITS_TRIALS (default 5) times per implementation:
 *   - master-down: A's VRRP process and its parent are killed (SIGKILL); the time from A's last advert to B's first
 *     is compared with Master_Down_Interval = 3 × 10 ms + Skew_Time (RFC 5798 §6.1; 36.09 ms for priority 100);
 *   - graceful hand-over: A gets SIGTERM and sends priority 0; the time from that advert to B's first is compared
 *     with Skew_Time (6.09 ms).
 * A is restarted (and preempts B) before each trial. KTS_LIMITS_IMPLS (`keepalived,ts`), KTS_LIMITS_INTERVAL (0.01).
 * Prints medians and maxima, and each minus its bound. Asserts nothing. Run: npm run bench -- limits
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUNDLED_CLI, Daemons, confText, pidIn, stop, waitFor, type RunningKeepalived } from '../test/netns/harness/daemons.js';
import { Topology } from '../test/netns/harness/topology.js';
import { masterDownIntervalMs, skewTimeMs } from '../test/netns/harness/vrrp-timing.js';
import { captureAdverts, median, type AdvertCapture } from '../test/netns/harness/wire.js';

const envNum = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const TRIALS = envNum('KTS_LIMITS_TRIALS', 5);
const INTERVAL = envNum('KTS_LIMITS_INTERVAL', 0.01);
const IMPLS = (process.env['KTS_LIMITS_IMPLS'] ?? 'keepalived,ts').split(',').map((s) => s.trim()) as Impl[];
const VIP = '192.0.2.200';
const MDI = masterDownIntervalMs(3, 100, INTERVAL * 1000);
const SKEW = skewTimeMs(3, 100, INTERVAL * 1000);

type Impl = 'keepalived' | 'ts';
const LABEL: Record<Impl, string> = { keepalived: 'keepalived 2.2.7', ts: 'keepalived-ts' };

/** Both daemons of a pair expose their VRRP process's pid file. */
type Running = RunningKeepalived;

function startA(d: Daemons, impl: Impl, file: string): Running {
  return impl === 'keepalived' ? d.keepalived('a', file) : d.ours('a', file);
}

/** The last element matching `pred` (Array.prototype.findLast is not in this project's lib). */
function lastOf<T>(xs: readonly T[], pred: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i]!)) return xs[i];
  return undefined;
}

/** A is MASTER and B quiet: A's last advert (priority 200) is recent and B sent none for 0.3 s. */
function settled(cap: AdvertCapture, aIp: string): boolean {
  const now = Date.now() / 1000;
  const last = cap.adverts.at(-1);
  if (!last || last.src !== aIp || last.prio !== 200 || now - last.t > 0.2) return false;
  const lastB = lastOf(cap.adverts, (a) => a.src !== aIp);
  return !lastB || now - lastB.t > 0.3;
}

/** The ms from the last advert of A matching `fromA` (after `since`) to B's first advert after it; NaN if none. */
function gap(cap: AdvertCapture, aIp: string, since: number, fromA: (prio: number) => boolean): number {
  const ads = cap.adverts.filter((a) => a.t >= since);
  const firstB = ads.findIndex((a) => a.src !== aIp);
  if (firstB < 0) return NaN;
  const lastA = lastOf(ads.slice(0, firstB), (a) => a.src === aIp && fromA(a.prio));
  return lastA ? (ads[firstB]!.t - lastA.t) * 1000 : NaN;
}

async function pair(impl: Impl): Promise<{ down: number[]; handover: number[] }> {
  const topo = Topology.create({ hosts: ['a', 'b'] });
  const d = Daemons.inTempDir(topo, 'kts-limits-', BUNDLED_CLI);
  const out = { down: [] as number[], handover: [] as number[] };
  try {
    const file = (name: string, prio: number, state: string) =>
      d.write(`${name}.conf`, confText(name, prio, state, 3, VIP).replace('  advert_int 1\n', `  advert_int ${INTERVAL}\n`));
    const aConf = file('a', 200, 'MASTER');
    const aIp = topo.host('a').ipv4;
    const cap = captureAdverts(topo, 'b', 'eth0', 'inout');
    await cap.ready;
    const B = impl === 'keepalived' ? d.keepalived('b', file('b', 100, 'BACKUP')) : d.ours('b', file('b', 100, 'BACKUP'));
    for (let t = 0; t < TRIALS; t++) {
      for (const kind of ['down', 'handover'] as const) {
        const A = startA(d, impl, aConf);
        if ((await waitFor(() => settled(cap, aIp) && d.hasVip('a', VIP), 60_000)) < 0)
          throw new Error(`${LABEL[impl]}: A never took over:\n${A.log()}`);
        await sleep(500);
        const since = Date.now() / 1000 - 0.2;
        if (kind === 'down') {
          const vrrp = pidIn(A.vrrpPidFile);
          if (vrrp)
            try {
              process.kill(vrrp, 'SIGKILL');
            } catch {
              /* gone */
            }
          await stop(A.child, 'SIGKILL');
        } else await stop(A.child);
        if ((await waitFor(() => cap.adverts.some((a) => a.t >= since && a.src !== aIp), 10_000)) < 0)
          throw new Error(`${LABEL[impl]}: B never advertised:\n${B.log()}`);
        await sleep(100);
        out[kind].push(kind === 'down' ? gap(cap, aIp, since, (p) => p > 0) : gap(cap, aIp, since, (p) => p === 0));
        process.stderr.write(`${LABEL[impl]} trial ${t + 1} ${kind}: ${out[kind].at(-1)!.toFixed(2)} ms\n`);
      }
    }
    await stop(B.child);
    const err = await cap.stop();
    const drops = /(\d+) packets dropped by kernel/.exec(err)?.[1];
    if (drops && drops !== '0') process.stderr.write(`tcpdump dropped ${drops} packets\n`);
  } finally {
    topo.destroy();
    d.removeDir();
  }
  return out;
}

async function main(): Promise<void> {
  const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const load0 = loadavg();
  const res = new Map<Impl, { down: number[]; handover: number[] }>();
  for (const impl of IMPLS) {
    try {
      res.set(impl, await pair(impl));
    } catch (e) {
      process.exitCode = 1;
      console.error((e as Error).message);
    }
  }
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
  const ok = (xs: number[]) => xs.filter(Number.isFinite);
  console.log(
    `VRRPv3, advert_int ${INTERVAL}, A MASTER 200 / B BACKUP 100, each implementation at both ends; ${TRIALS} trials; ` +
      `tcpdump timestamps on B; load average ${load0} at the start, ${loadavg()} at the end (Node ${process.version})\n`,
  );
  console.log('| measure (ms) | bound | implementation | median | max | median − bound | max − bound | trials |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|');
  for (const [kind, name, bound] of [
    ['down', "master-down: A's last advert → B's first", MDI],
    ['handover', "hand-over: A's priority-0 advert → B's first", SKEW],
  ] as const)
    for (const [impl, r] of res) {
      const xs = ok(r[kind]);
      const m = median(xs);
      const mx = xs.length ? Math.max(...xs) : NaN;
      console.log(
        `| ${name} | ${f(bound)} | ${LABEL[impl]} | ${f(m)} | ${f(mx)} | ${f(m - bound)} | ${f(mx - bound)} | ${xs.length}/${r[kind].length} |`,
      );
    }
}

await main();
