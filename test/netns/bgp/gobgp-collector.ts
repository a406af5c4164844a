/**
 * A GoBGP collector for the BGP netns tests: gobgpd configuration text, the collector process, and its RIB read
 * with the gobgp CLI (JSON).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ip, type Topology } from '../harness/topology.js';
import type { Daemons } from '../harness/daemons.js';

/** A `[[neighbors]]` entry: hold time `hold` s, keepalive 1 s, connect retry 1 s; `afi` adds an afi-safi. */
export function neighbor(addr: string, as: number, hold: number, afi?: 'ipv4-unicast' | 'ipv6-unicast'): string {
  return (
    `[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "${addr}"\n    peer-as = ${as}\n` +
    `  [neighbors.timers.config]\n    hold-time = ${hold}\n    keepalive-interval = 1\n    connect-retry = 1\n` +
    (afi ? `  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "${afi}"\n` : '')
  );
}

/** A gobgpd configuration. */
export function gobgpConf(as: number, routerId: string, peers: string, extra = ''): string {
  return `[global.config]\n  as = ${as}\n  router-id = "${routerId}"\n  port = 179\n${extra}${peers}`;
}

/** One path of the collector's RIB. */
export interface RibPath {
  attrs: { type: number; nexthop?: string; metric?: number; communities?: number[]; value?: { nexthop?: string }[] }[];
}

/** A path's next hop: NEXT_HOP (attribute 3) or MP_REACH_NLRI's (14). */
export function hopOf(p: RibPath): string {
  const a = p.attrs.find((x) => x.type === 3 || x.type === 14);
  return a?.nexthop ?? '';
}

/** Starts gobgpd in `host` with its API on 127.0.0.1:50051. */
export function startCollector(topo: Topology, d: Daemons, host: string, file: string, text: string): ChildProcess {
  return topo.spawn(host, '/usr/bin/gobgpd', ['-f', d.write(file, text), '--api-hosts', '127.0.0.1:50051', '--pprof-disable', '-p']);
}

/** The collector's paths for `prefix` (family by its form). */
export function paths(topo: Topology, host: string, prefix: string): RibPath[] {
  try {
    const afi = prefix.includes(':') ? 'ipv6' : 'ipv4';
    const out = topo.exec(host, ['gobgp', '-u', '127.0.0.1', '-p', '50051', 'global', 'rib', '-a', afi, prefix, '-j']);
    const j = JSON.parse(out || '{}') as Record<string, RibPath[]>;
    return j[prefix] ?? [];
  } catch {
    return [];
  }
}

/** Pids of processes called `comm` in a host's namespace. */
export function pidsNamed(topo: Topology, host: string, comm: string): number[] {
  const out: number[] = [];
  for (const p of ip(['netns', 'pids', topo.host(host).netns])
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)) {
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm) out.push(p);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Whether a process exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
