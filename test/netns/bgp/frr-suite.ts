/**
 * FRR daemons (zebra, bgpd, optionally bfdd) in one namespace for the BGP netns tests: their configurations, pid
 * files, vty sockets and zserv socket in a directory of the test's own, run as user frr; read with vtysh.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import type { Topology } from '../harness/topology.js';
import type { Daemons } from '../harness/daemons.js';

/** A running set of FRR daemons. */
export interface RunningFrrSuite {
  readonly children: readonly ChildProcess[];
  /** What the daemons printed. */
  log(): string;
  /** `vtysh -c cmd` against these daemons (only `daemon`'s when given); the error text when it fails. */
  vtysh(cmd: string, daemon?: string): string;
  /** The pid a daemon wrote to its pid file (0 when unknown). */
  pid(daemon: string): number;
}

/** Configuration text per daemon; zebra and bgpd always run, bfdd when given (under SCHED_RR 10, as in the BFD tests). */
export interface FrrConfs {
  zebra: string;
  bgpd: string;
  bfdd?: string;
}

/** Starts the daemons in `host`, files under `<d.dir>/frr-<host>`. Stop them with the returned children. */
export function startFrrSuite(topo: Topology, d: Daemons, host: string, confs: FrrConfs): RunningFrrSuite {
  chmodSync(d.dir, 0o755);
  const dir = `${d.dir}/frr-${host}`;
  mkdirSync(dir, { mode: 0o777 });
  chmodSync(dir, 0o777); // FRR drops to user frr (root is not in its vty group)
  const common = ['-z', `${dir}/zserv.api`, '--vty_socket', dir, '-P', '0', '-u', 'frr', '-g', 'frr'];
  const run = (name: string, text: string, extra: string[] = [], prefix: string[] = []) => {
    const args = ['-f', d.write(`frr-${host}/${name}.conf`, `hostname ${host}\n${text}`), '-i', `${dir}/${name}.pid`, ...common, ...extra];
    const [cmd, ...rest] = [...prefix, `/usr/lib/frr/${name}`, ...args];
    return topo.spawn(host, cmd!, rest);
  };
  const children = [run('zebra', confs.zebra), run('bgpd', confs.bgpd)];
  if (confs.bfdd !== undefined) children.push(run('bfdd', confs.bfdd, ['--bfdctl', `${dir}/bfdd.sock`], ['chrt', '-r', '10']));
  let out = '';
  for (const c of children) {
    c.stdout?.on('data', (x: Buffer) => (out += x.toString()));
    c.stderr?.on('data', (x: Buffer) => (out += x.toString()));
  }
  return {
    children,
    log: () => out,
    vtysh: (cmd, daemon) => {
      try {
        return topo.exec(host, ['vtysh', '--vty_socket', dir, ...(daemon ? ['-d', daemon] : []), '-c', cmd]);
      } catch (e) {
        return String(e);
      }
    },
    pid: (daemon) => {
      try {
        return Number(topo.exec(host, ['cat', `${dir}/${daemon}.pid`]).trim()) || 0;
      } catch {
        return 0;
      }
    },
  };
}

/** The next hops of bgpd's paths for `prefix` (`show ip bgp PREFIX json`), sorted; [] when it has none. */
export function frrNextHops(frr: RunningFrrSuite, prefix: string): string[] {
  try {
    const j = JSON.parse(frr.vtysh(`show ip bgp ${prefix} json`, 'bgpd')) as { paths?: { nexthops?: { ip?: string }[] }[] };
    return (j.paths ?? []).map((p) => p.nexthops?.[0]?.ip ?? '').sort();
  } catch {
    return [];
  }
}
