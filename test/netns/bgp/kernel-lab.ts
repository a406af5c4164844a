/**
 * The shared prologue of the kernel-table tests with a host routing daemon (bird.test.ts, frr.test.ts): nodes n
 * and p (VRRP peers, ours) and c, a GoBGP collector (AS 65000) that peers with n (AS 65001, hold time 3 s). Every
 * process started through the lab is stopped after the file's tests, in the order started; then the namespaces and
 * the temp directory go.
 */
import { after } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { Topology, type HostInfo } from '../harness/topology.js';
import { Daemons, stop, type RunningDaemon } from '../harness/daemons.js';
import { gobgpConf, neighbor, startCollector } from './gobgp-collector.js';

/** The lab of one test file. */
export interface KernelTableLab {
  readonly topo: Topology;
  readonly d: Daemons;
  /** Node n (announces through the host's routing daemon) and the collector c. */
  readonly N: HostInfo;
  readonly C: HostInfo;
  /** Runs `f` after the file's tests, before the namespaces go (in the order registered). */
  atEnd(f: () => Promise<void>): void;
  /** Starts the collector on c, peering with n. */
  collector(): ChildProcess;
  /** Starts ours on `host` with the configuration `text` (written to HOST.conf). */
  ours(host: 'n' | 'p', text: string): RunningDaemon;
}

/** A lab whose temp directory is named kts-bgp-NAME-…; registers its clean-up with node:test's `after`. */
export function kernelTableLab(name: string): KernelTableLab {
  const topo = Topology.create({ hosts: ['n', 'p', 'c'] });
  const d = Daemons.inTempDir(topo, `kts-bgp-${name}-`);
  const atEnd: (() => Promise<void>)[] = [];
  after(async () => {
    for (const f of atEnd) await f();
    topo.destroy();
    d.removeDir();
  });
  const [N, C] = [topo.host('n'), topo.host('c')];
  return {
    topo,
    d,
    N,
    C,
    atEnd: (f) => atEnd.push(f),
    collector: () => {
      const c = startCollector(topo, d, 'c', 'c.toml', gobgpConf(65000, C.ipv4, neighbor(N.ipv4, 65001, 3)));
      atEnd.push(() => stop(c));
      return c;
    },
    ours: (host, text) => {
      const r = d.ours(host, d.write(`${host}.conf`, text));
      atEnd.push(() => stop(r.child));
      return r;
    },
  };
}

/**
 * Kernel-table mode (table 100, proto 99) and one VRRP instance (BACKUP at start, advert_int 1, VRRPv3) that
 * announces `vip` (a virtual_ipaddress line) while MASTER.
 */
export function kernelTableConf(o: { instance: string; vrid: number; priority: number; vip: string }): string {
  return (
    `bgp_announce {\n  engine kernel\n  table 100\n  proto 99\n}\n` +
    `vrrp_instance ${o.instance} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${o.vrid}\n  priority ${o.priority}\n  advert_int 1\n  version 3\n` +
    `  virtual_ipaddress {\n    ${o.vip}\n  }\n  bgp_announce master\n}\n`
  );
}
