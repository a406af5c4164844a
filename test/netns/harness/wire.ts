/**
 * Measuring daemons from outside (root only), the same way for keepalived and keepalived-ts: resources summed over a
 * daemon's process tree from /proc, and VRRP adverts as tcpdump timestamps them on a host's interfaces.
 */
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Topology } from './topology.js';

/** Clock ticks per second of /proc/PID/stat (USER_HZ). */
export const CLK_TCK = 100;
const PAGE_KB = 4;

/** The pids of a process and all its descendants. */
export function processTree(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return [pid, ...kids.flatMap(processTree)];
}

/**
 * Resident set (MB), its anonymous part (MB: the process's own memory; the rest is file pages such as the node or
 * keepalived binary, shared by every process that maps it) and CPU ticks (utime+stime), summed over a process tree.
 */
export function treeUsage(pid: number): { rssMb: number; anonMb: number; ticks: number } {
  let rss = 0;
  let anon = 0;
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
      rss += Number(f[21]) * PAGE_KB;
      anon += Number(/^RssAnon:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return { rssMb: rss / 1024, anonMb: anon / 1024, ticks };
}

/** A VRRP advert seen on the wire: capture time (s, CLOCK_REALTIME), interface, source address, VRID, priority. */
export interface WireAdvert {
  readonly t: number;
  readonly ifname: string;
  readonly src: string;
  readonly vrid: number;
  readonly prio: number;
}

/** A running capture: the adverts so far, and stop() (resolves with tcpdump's stderr, which has its drop count). */
export interface AdvertCapture {
  readonly adverts: WireAdvert[];
  readonly ready: Promise<void>;
  stop(): Promise<string>;
  readonly proc: ChildProcess;
}

// `-i any`: "1700000000.123456 eth1  In  IP 192.0.2.10 > 224.0.0.18: VRRPv3, Advertisement, vrid 5, prio 200, …"
const LINE = /^(\d+\.\d+) (\S+)\s+(?:In|Out|M|P|B)\s+IP6? (\S+) > \S+: VRRPv[23], Advertisement, vrid (\d+), prio (\d+)/;
// one interface: "1700000000.123456 IP 192.0.2.10 > 224.0.0.18: VRRPv3, …"
const LINE1 = /^(\d+\.\d+) IP6? (\S+) > \S+: VRRPv[23], Advertisement, vrid (\d+), prio (\d+)/;

/**
 * tcpdump (`-tt`, packet timestamps) on `ifname` of a host (`any`: every interface) for VRRP over IPv4 and IPv6,
 * `direction` as tcpdump's -Q; the adverts are parsed as they arrive.
 */
export function captureAdverts(topo: Topology, host: string, ifname = 'eth0', direction: 'in' | 'out' | 'inout' = 'inout'): AdvertCapture {
  const proc = topo.spawn(host, 'tcpdump', ['-i', ifname, '-n', '-tt', '-l', '-p', '-B', '8192', '-Q', direction, 'ip proto 112 or ip6 proto 112']);
  const adverts: WireAdvert[] = [];
  let rest = '';
  let err = '';
  proc.stdout?.on('data', (b: Buffer) => {
    const lines = (rest + b.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      const m = LINE.exec(l);
      if (m) adverts.push({ t: Number(m[1]), ifname: m[2]!, src: m[3]!, vrid: Number(m[4]), prio: Number(m[5]) });
      else {
        const o = LINE1.exec(l);
        if (o) adverts.push({ t: Number(o[1]), ifname, src: o[2]!, vrid: Number(o[3]), prio: Number(o[4]) });
      }
    }
  });
  const ready = new Promise<void>((resolve) => {
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    setTimeout(resolve, 5000).unref();
  });
  return {
    adverts,
    ready,
    proc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve(err);
        proc.once('exit', () => resolve(err));
        proc.kill('SIGINT');
      }),
  };
}

/** Median of a list (NaN when empty). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
