/**
 * What the netns chaos soak observes, never from a daemon's log: the VIPs each host holds (rtnetlink address events
 * from our own client, src/net/netlink/rtnl.ts, one subscription per namespace; re-read by a dump when events were
 * lost or a check is about to fail) and the gratuitous ARP / unsolicited NA each host sent (tcpdump on the bridge,
 * which sees every port's frames, partitioned or not, with kernel timestamps).
 */
import type { ChildProcess } from 'node:child_process';
import { Rtnl, RTNLGRP } from '../../src/net/netlink/rtnl.js';
import type { Topology } from '../netns/harness/topology.js';

/** VIP holders and GARP/NA times of a topology's hosts. */
export class VipWatch {
  /** host → VIPs it holds (only the watched ones). */
  private readonly held = new Map<string, Set<string>>();
  /** `host/vip` → ms (wall clock) of the last add / delete event. */
  readonly lastAdd = new Map<string, number>();
  readonly lastDel = new Map<string, number>();
  /** `host/vip` → ms (kernel timestamp) of the last GARP / unsolicited NA the host sent for it. */
  readonly lastAnnounce = new Map<string, number>();
  private readonly clients = new Map<string, Rtnl>();
  private capture: ChildProcess | undefined;
  private readonly byMac = new Map<string, string>();

  /**
   * @param vips every address to watch
   * @param onEvent called for every add/delete/announce of a watched VIP (for the event log)
   */
  constructor(
    private readonly topo: Topology,
    private readonly vips: ReadonlySet<string>,
    private readonly onEvent: (text: string) => void,
  ) {
    for (const h of topo.hosts.values()) {
      this.held.set(h.name, new Set());
      this.byMac.set(h.mac, h.name);
    }
  }

  /** Subscribes in every namespace and starts the capture; resolves when tcpdump listens. */
  async start(): Promise<void> {
    for (const h of this.topo.hosts.values()) {
      const c = this.topo.inside(h.name, () => new Rtnl());
      this.topo.inside(h.name, () =>
        c.subscribe(
          (e) => {
            if (e.kind === 'resync') {
              this.onEvent(`${h.name}: netlink events lost, re-reading addresses`);
              void this.resync(h.name);
            } else if (e.kind === 'address' && this.vips.has(e.address.address)) this.note(h.name, e.address.address, !e.deleted);
          },
          [RTNLGRP.IPV4_IFADDR, RTNLGRP.IPV6_IFADDR],
        ),
      );
      this.clients.set(h.name, c);
    }
    const cap = this.topo.spawnSwitch('tcpdump', ['-i', 'br0', '-n', '-e', '-l', '-tt', 'arp or (icmp6 and ip6[40] == 136)']);
    this.capture = cap;
    let buf = '';
    cap.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) this.onPacket(l);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
      cap.stderr?.on('data', (d: Buffer) => {
        if (d.toString().includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  private note(host: string, vip: string, added: boolean): void {
    const set = this.held.get(host)!;
    if (added === set.has(vip)) return;
    if (added) set.add(vip);
    else set.delete(vip);
    (added ? this.lastAdd : this.lastDel).set(`${host}/${vip}`, Date.now());
    this.onEvent(`${host} ${added ? '+' : '-'}${vip}`);
  }

  /** A GARP (sender = target) or an unsolicited NA from a host's MAC for a watched VIP. */
  private onPacket(line: string): void {
    const m = /^(\d+\.\d+) (\S+) > .*?(?:Request who-has (\S+)(?: \([^)]*\))? tell (\S+),|neighbor advertisement, tgt is (\S+?),)/.exec(line);
    if (!m) return;
    const host = this.byMac.get(m[2]!);
    const vip = m[5] ?? (m[3] === m[4] ? m[3] : undefined);
    if (host === undefined || vip === undefined || !this.vips.has(vip)) return;
    const key = `${host}/${vip}`;
    const t = Number(m[1]) * 1000;
    // One log line per burst: announcements less than 2 s apart are the same burst.
    if (t - (this.lastAnnounce.get(key) ?? 0) > 2000) this.onEvent(`${host} announces ${vip}`);
    this.lastAnnounce.set(key, t);
  }

  /** The hosts holding `vip` now (by the events received so far). */
  holders(vip: string): string[] {
    return [...this.held].filter(([, s]) => s.has(vip)).map(([h]) => h);
  }

  /** Re-reads one host's addresses with a dump (after lost events, or to confirm a failing check). */
  async resync(host: string): Promise<void> {
    const c = this.clients.get(host);
    if (!c) return;
    const now = new Set((await c.listAddresses()).map((a) => a.address).filter((a) => this.vips.has(a)));
    const set = this.held.get(host)!;
    for (const v of [...set]) if (!now.has(v)) this.note(host, v, false);
    for (const v of now) if (!set.has(v)) this.note(host, v, true);
  }

  /** Re-reads every host (see resync). */
  async resyncAll(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((h) => this.resync(h)));
  }

  /** Closes the netlink sockets and ends the capture. */
  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    if (this.capture?.pid) {
      try {
        process.kill(this.capture.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}
