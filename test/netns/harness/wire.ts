/**
 * Measuring daemons from outside (root only), the same way for keepalived and keepalived-ts: resources summed over a
 * daemon's process tree from /proc, and VRRP adverts as tcpdump timestamps them on a host's interfaces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync, type ChildProcess } from 'node:child_process';
import type { Topology } from './topology.js';

/** Clock ticks per second of /proc/PID/stat (USER_HZ). */
export const CLK_TCK = 100;
const PAGE_KB = 4;

/** The scheduling policy (0 other, 1 FIFO, 2 RR; /proc/PID/task/TID/stat field 41) of each thread of `pid` named `comm`. */
export function threadPolicies(pid: number, comm: string): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() !== comm) continue;
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      out.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]));
    } catch {
      /* gone */
    }
  }
  return out;
}

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

/** A running tcpdump: its process, `ready` once it listens (or after 5 s), stop() (resolves with its stderr). */
export interface LineCapture {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  /** Ends tcpdump (SIGINT) and resolves with its stderr, which has the kernel drop count, once its output is read. */
  stop(): Promise<string>;
}

/**
 * tcpdump `-n -tt -l -p -B 8192` (kernel packet timestamps, line-buffered, no promiscuous mode, an 8 MB buffer) on
 * `ifname` of a host for `filter`, `direction` as tcpdump's -Q; every complete output line goes to `onLine` as it
 * arrives. With `file`, tcpdump writes the packets there instead (`-w`: nothing waits for this process, which may be
 * starved by a load) and the lines are read back from it (`tcpdump -r`) by stop(). What benches and tests that time
 * packets on the wire share.
 */
export function captureLines(
  topo: Topology,
  host: string,
  o: { ifname?: string; direction?: 'in' | 'out' | 'inout'; filter: string; file?: string },
  onLine: (line: string) => void,
): LineCapture {
  const output = o.file ? ['-Z', 'root', '-w', o.file] : ['-l'];
  const proc = topo.spawn(host, 'tcpdump', [
    '-i',
    o.ifname ?? 'eth0',
    '-n',
    '-tt',
    ...output,
    '-p',
    '-B',
    '8192',
    '-Q',
    o.direction ?? 'inout',
    o.filter,
  ]);
  let rest = '';
  let err = '';
  const lines = (b: Buffer | string): void => {
    const ls = (rest + b.toString()).split('\n');
    rest = ls.pop() ?? '';
    for (const l of ls) onLine(l);
  };
  proc.stdout?.on('data', lines);
  const ready = new Promise<void>((resolve) => {
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    setTimeout(resolve, 5000).unref();
  });
  const closed = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('close', () => resolve());
  });
  return {
    proc,
    ready,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (o.file) lines(execFileSync('tcpdump', ['-r', o.file, '-n', '-tt'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }) + '\n');
      return err;
    },
  };
}

/** Packets the kernel dropped for a capture (its buffer full while tcpdump waited for a CPU), from tcpdump's stderr; NaN when not reported. */
export function kernelDrops(stderr: string): number {
  return Number(/(\d+) packets? dropped by kernel/.exec(stderr)?.[1] ?? NaN);
}

/** A running advert capture: the adverts so far, and the capture. */
export interface AdvertCapture extends LineCapture {
  readonly adverts: WireAdvert[];
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
  const adverts: WireAdvert[] = [];
  const cap = captureLines(topo, host, { ifname, direction, filter: 'ip proto 112 or ip6 proto 112' }, (l) => {
    const m = LINE.exec(l);
    if (m) adverts.push({ t: Number(m[1]), ifname: m[2]!, src: m[3]!, vrid: Number(m[4]), prio: Number(m[5]) });
    else {
      const o = LINE1.exec(l);
      if (o) adverts.push({ t: Number(o[1]), ifname, src: o[2]!, vrid: Number(o[3]), prio: Number(o[4]) });
    }
  });
  return { ...cap, adverts };
}

/** Median of a list (NaN when empty). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
