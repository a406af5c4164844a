/**
 * Network-namespace topologies for tests (root only).
 *
 *   const topo = Topology.create({ hosts: ['a', 'b'] });   // kts<pid><n>a, kts<pid><n>b, joined by a bridge
 *   topo.exec('a', ['ip', 'addr']);                          // run a command inside host a
 *   const child = topo.spawn('b', 'keepalived', [...]);      // a process inside host b (killed by PID on destroy)
 *   topo.inside('a', () => openSocket());                    // create sockets inside host a from this process
 *   topo.linkDown('a'); topo.linkUp('a');                    // cut / restore a host's link at the bridge side
 *   topo.destroy();                                          // also runs on exit, SIGINT and SIGTERM
 *
 * Every host gets eth0 with 192.0.2.<10+i>/24 and 2001:db8::<10+i>/64 (no DAD), in order of `hosts`.
 * The bridge lives in its own namespace, so nothing is ever created in the host's namespace.
 * Names are unique per process and topology: kts<pid><n><host> (a netns name is at most 15 characters useful).
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { sysio, K } from '../../../src/net/sysio.js';

/** A host in a topology. */
export interface HostInfo {
  readonly name: string;
  /** The netns name. */
  readonly netns: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly ifname: string;
  /** The MAC address of eth0 (02:00:00:00:00:<i+10 in hex>). */
  readonly mac: string;
}

/** What to build. */
export interface TopologyOptions {
  readonly hosts: readonly string[];
}

const live = new Set<Topology>();
let hooked = false;
let counter = 0;

function cleanupAll(): void {
  for (const t of [...live]) t.destroy();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanupAll();
      process.kill(process.pid, sig);
    });
  }
}

/** SIGKILLs (by PID) each child that is still running: load workers and other helpers a test or bench started. */
export function killChildren(children: readonly ChildProcess[]): void {
  for (const w of children)
    if (w.pid && w.exitCode === null && w.signalCode === null) {
      try {
        process.kill(w.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
}

/**
 * Runs `fn` once on every exit path of a bench: a normal exit, SIGINT or SIGTERM (then exits 130 or 143). Returns the
 * once-only clean-up, for calling earlier.
 */
export function onEveryExit(fn: () => void): () => void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    fn();
  };
  process.on('exit', once);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      once();
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    });
  return once;
}

/**
 * Runs a bench's `main`, then its clean-up (from onEveryExit) whether main resolved or threw; a failure prints its
 * message and sets exit code 1.
 */
export function runBench(main: () => Promise<void>, cleanup: () => void): void {
  main().then(
    () => cleanup(),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      cleanup();
      process.exitCode = 1;
    },
  );
}

/** Runs `ip` and returns stdout; throws with stderr on failure. */
export function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A set of namespaces joined by a bridge. */
export class Topology {
  /** Hosts by name. */
  readonly hosts = new Map<string, HostInfo>();
  private readonly switchNs: string;
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(private readonly prefix: string) {
    this.switchNs = `${prefix}sw`;
  }

  /** Builds the topology (synchronously). Throws if not root. */
  static create(opts: TopologyOptions): Topology {
    hookExit();
    const t = new Topology(`kts${process.pid}${counter++}`);
    live.add(t);
    try {
      t.build(opts);
    } catch (e) {
      t.destroy();
      throw e;
    }
    return t;
  }

  private build(opts: TopologyOptions): void {
    ip(['netns', 'add', this.switchNs]);
    ip(['-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', this.switchNs, 'link', 'set', 'br0', 'up']);
    opts.hosts.forEach((name, i) => {
      const netns = `${this.prefix}${name}`;
      const n = 10 + i;
      const mac = `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
      const host: HostInfo = { name, netns, ipv4: `192.0.2.${n}`, ipv6: `2001:db8::${n.toString(16)}`, ifname: 'eth0', mac };
      ip(['netns', 'add', netns]);
      this.sysctl(netns, 'net.ipv6.conf.all.accept_dad', '0');
      this.sysctl(netns, 'net.ipv6.conf.default.accept_dad', '0');
      ip(['-n', this.switchNs, 'link', 'add', `p${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      ip(['-n', this.switchNs, 'link', 'set', `p${name}`, 'master', 'br0', 'up']);
      ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'address', mac]);
      ip(['-n', netns, 'addr', 'add', `${host.ipv4}/24`, 'dev', 'eth0']);
      ip(['-n', netns, 'addr', 'add', `${host.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
      this.hosts.set(name, host);
    });
  }

  private sysctl(netns: string, key: string, value: string): void {
    execFileSync('ip', ['netns', 'exec', netns, 'sysctl', '-qw', `${key}=${value}`], { stdio: 'ignore' });
  }

  /** The host called `name` (throws if unknown). */
  host(name: string): HostInfo {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** Runs a command inside a host and returns its stdout. */
  exec(name: string, argv: readonly string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.host(name).netns, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * A second link inside one host: a veth pair, `name` (default ex0) with `address` (default 198.51.100.1/24) and
   * its far end `peer` (default ex1, no address: where a capture sees what the host sends on `name`), both up.
   * Returns `name`'s MAC address. The pair goes with the host's namespace.
   */
  extraLink(host: string, o: { name?: string; peer?: string; address?: string } = {}): string {
    const [name, peer] = [o.name ?? 'ex0', o.peer ?? 'ex1'];
    this.exec(host, ['ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer]);
    this.exec(host, ['ip', 'addr', 'add', o.address ?? '198.51.100.1/24', 'dev', name]);
    this.exec(host, ['ip', 'link', 'set', peer, 'up']);
    this.exec(host, ['ip', 'link', 'set', name, 'up']);
    return (JSON.parse(this.exec(host, ['ip', '-j', 'link', 'show', name])) as { address: string }[])[0]!.address;
  }

  /** Starts a process inside a host; it is killed (by PID) when the topology is destroyed. */
  spawn(name: string, cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    return this.track(spawn('ip', ['netns', 'exec', this.host(name).netns, cmd, ...args], { stdio: 'pipe', ...opts }));
  }

  private track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs `fn` with the JS thread inside the host's namespace (sockets created there stay there). */
  inside<T>(name: string, fn: () => T): T {
    const self = sysio.openReadOnly('/proc/thread-self/ns/net');
    const target = sysio.openReadOnly(`/run/netns/${this.host(name).netns}`);
    try {
      sysio.setns(target, K.CLONE_NEWNET as number);
      return fn();
    } finally {
      sysio.setns(self, K.CLONE_NEWNET as number);
      sysio.close(self);
      sysio.close(target);
    }
  }

  /** Takes a host's link down at the bridge side (the host sees carrier loss). */
  linkDown(name: string): void {
    ip(['-n', this.switchNs, 'link', 'set', `p${this.host(name).name}`, 'down']);
  }

  /** Brings a host's link back up at the bridge side. */
  linkUp(name: string): void {
    ip(['-n', this.switchNs, 'link', 'set', `p${this.host(name).name}`, 'up']);
  }

  /**
   * Splits the segment at the bridge (carriers stay up): frames between a host of `left` and a host of `right` are
   * dropped by an nftables bridge rule in the switch namespace, in both directions. `heal()` removes the rule.
   */
  partition(left: readonly string[], right: readonly string[]): void {
    const port = (n: string) => `"${this.port(n)}"`;
    const rules = left.flatMap((l) =>
      right.flatMap((r) => [`iifname ${port(l)} oifname ${port(r)} drop`, `iifname ${port(r)} oifname ${port(l)} drop`]),
    );
    this.bridgeFilter('kts_partition', rules);
  }

  /** Removes the partition rule (see partition()). */
  heal(): void {
    this.removeBridgeFilter('kts_partition');
  }

  /** The bridge-side port of a host's link (`p<name>`, in the switch namespace), for bridge rules and qdiscs. */
  port(name: string): string {
    return `p${this.host(name).name}`;
  }

  /**
   * Installs a bridge-family nftables table `table` in the switch namespace whose forward chain holds `rules`
   * (nft syntax, e.g. `iifname "pa" drop`); carriers stay up. Replaces a table of that name.
   */
  bridgeFilter(table: string, rules: readonly string[]): void {
    this.removeBridgeFilter(table);
    const text = `table bridge ${table} {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n${rules.map((x) => `    ${x}\n`).join('')}  }\n}\n`;
    execFileSync('ip', ['netns', 'exec', this.switchNs, 'nft', '-f', '-'], { input: text, stdio: ['pipe', 'ignore', 'pipe'] });
  }

  /** Removes a table installed by bridgeFilter() (nothing when it is not there). */
  removeBridgeFilter(table: string): void {
    try {
      execFileSync('ip', ['netns', 'exec', this.switchNs, 'nft', 'delete', 'table', 'bridge', table], { stdio: 'ignore' });
    } catch {
      /* not there */
    }
  }

  /** Runs a command in the switch namespace (the bridge `br0` and the ports) and returns its stdout. */
  switchExec(argv: readonly string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.switchNs, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Starts a process in the switch namespace (e.g. a capture on `br0`); killed by PID on destroy. */
  spawnSwitch(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    return this.track(spawn('ip', ['netns', 'exec', this.switchNs, cmd, ...args], { stdio: 'pipe', ...opts }));
  }

  /** Kills every child still running and deletes every namespace. Idempotent; never throws. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const c of this.children) {
      try {
        if (c.pid) process.kill(c.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const h of this.hosts.values()) this.killNamespacePids(h.netns);
    for (const ns of [...[...this.hosts.values()].map((h) => h.netns), this.switchNs]) {
      try {
        ip(['netns', 'del', ns]);
      } catch {
        /* not there */
      }
    }
  }

  /** Kills processes still inside one of our namespaces (started through us), by PID. */
  private killNamespacePids(netns: string): void {
    try {
      const pids = ip(['netns', 'pids', netns]).split(/\s+/).filter(Boolean).map(Number);
      for (const pid of pids)
        if (pid !== process.pid)
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
    } catch {
      /* namespace already gone */
    }
  }
}

/**
 * Starts tcpdump in a host (on eth0, or `ifname`); `stop()` ends it and returns the decoded lines (-n -e -l, with
 * timestamps); `lines()` returns the complete lines so far while it runs.
 */
export function capture(
  topo: Topology,
  name: string,
  filter: string,
  ifname = 'eth0',
): { stop: () => Promise<string[]>; ready: Promise<void>; lines: () => string[] } {
  const child = topo.spawn(name, 'tcpdump', ['-i', ifname, '-n', '-e', '-l', '-tt', filter]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const ready = new Promise<void>((resolve) => {
    child.stderr?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening on')) resolve();
    });
    setTimeout(resolve, 3000).unref();
  });
  return {
    ready,
    lines: () =>
      out
        .slice(0, out.lastIndexOf('\n') + 1)
        .split('\n')
        .filter(Boolean),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve(out.split('\n').filter(Boolean)));
        child.kill('SIGINT');
      }),
  };
}
