/**
 * The nftables side of instances without accept mode, and of VMACs (keepalived 2.2.7 vrrp_firewall.c with
 * vrrp_nftables.c): VIPs are in the drop sets while their instance is MASTER, VMACs from creation to deletion;
 * tables appear when first needed and are deleted at close. The text comes from src/net/nftables.ts; this class
 * keeps what is wanted and what the kernel holds, and runs `nft -f -` once per change burst (every call made in
 * one turn of the event loop), never two at a time. Failures are logged, never thrown; after one, the next burst
 * rebuilds the tables from scratch in one transaction.
 *
 *   const nft = new NftVips(log);
 *   await nft.open({ table: 'keepalived', priority: -1, counters: false, ifindex: false });
 *   nft.instanceState('VI_1', vips, true);   // entering MASTER without accept mode
 *   await nft.settled();                     // the drop rules are in place
 *   nft.instanceState('VI_1', vips, false);  // leaving MASTER
 *   await nft.close();
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../../core/log.js';
import type { KeepalivedConfig, VrrpInstanceConfig } from '../../config/model.js';
import {
  NFT_EMPTY,
  familiesOf,
  isNftIdentifier,
  planBurst,
  renderDropTables,
  vipElement,
  vmacElements,
  type NftCommitted,
  type NftElement,
  type NftSettings,
  type NftVip,
  type NftVmac,
} from '../../net/nft/vrrp-tables.js';

/** Runs a whole nft script; resolves to nft's error text, or undefined on success. Must never reject. */
export type NftRunner = (script: string) => Promise<string | undefined>;

/** A runner spawning `argv` (default `nft`) with `-f -` and the script on stdin; e.g. ['ip', 'netns', 'exec', NS, 'nft']. */
export function spawnNft(argv: readonly string[] = ['nft']): NftRunner {
  return (script) =>
    new Promise((resolve) => {
      let err = '';
      const child = spawn(argv[0]!, [...argv.slice(1), '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.stdin.on('error', () => {
        /* reported by 'close' or 'error' */
      });
      child.on('error', (e) => resolve(`cannot run ${argv[0]}: ${e.message}`));
      child.on('close', (code, signal) => resolve(code === 0 ? undefined : err.trim() || `${argv.join(' ')} exited ${code ?? signal}`));
      child.stdin.end(script);
    });
}

/** What one caller (an instance's VIPs or its VMAC) wants in the sets. */
type Want = { readonly vips: readonly NftVip[] } | { readonly vmac: NftVmac };

/** keepalived's VIP drop sets and VMAC maps in nftables, for one daemon. */
export class NftVips {
  private settings: NftSettings | undefined;
  /** The settings of the last open() (this.settings once its step has run). */
  private target: NftSettings | undefined;
  private have: NftCommitted = NFT_EMPTY;
  /** After a failure what the kernel holds is unknown: rebuild. */
  private dirty = false;
  private readonly wants = new Map<string, Want>();
  private chain: Promise<void> = Promise.resolve();
  private pending = false;

  /**
   * @param log where nft's errors go
   * @param run how scripts reach nft (tests run it in a namespace)
   */
  constructor(
    private readonly log: Logger,
    private readonly run: NftRunner = spawnNft(),
  ) {}

  /**
   * Starts using the tables named in `settings`, deleting stale ones of that name (a crashed daemon's). Called
   * again with other settings (reload), it deletes the old tables and rebuilds what is wanted under the new ones.
   */
  open(settings: NftSettings): Promise<void> {
    if (this.target && JSON.stringify(this.target) === JSON.stringify(settings)) return this.settled();
    this.target = settings;
    if (!isNftIdentifier(settings.table)) this.error(`table name '${settings.table}' cannot be given to nft(8)`);
    this.enqueue(async () => {
      const old = this.settings;
      if (old && old.table !== settings.table) await this.exec(renderDropTables(old.table, this.dirty ? undefined : familiesOf(this.have)));
      this.settings = settings;
      this.have = NFT_EMPTY;
      this.dirty = false;
      await this.exec(renderDropTables(settings.table));
      if (this.wants.size) this.kick();
    });
    return this.settled();
  }

  /**
   * An instance's VIPs (and excluded VIPs) and whether their traffic is dropped now: true on entering MASTER
   * without accept mode, false on leaving it; [] with false when the instance goes away.
   */
  instanceState(name: string, vips: readonly NftVip[], blocked: boolean): void {
    this.want(`vips ${name}`, blocked && vips.length ? { vips } : undefined);
  }

  /** An instance's VMAC, once created (keepalived: firewall_add_vmac); undefined before it is deleted. */
  vmacState(name: string, vmac: NftVmac | undefined): void {
    this.want(`vmac ${name}`, vmac && vmac.families.length ? { vmac } : undefined);
  }

  /** Resolves once every change made so far has been given to nft. */
  async settled(): Promise<void> {
    for (;;) {
      const c = this.chain;
      await c;
      if (c === this.chain && !this.pending) return;
    }
  }

  /** Deletes the tables (those set up, every family after a failure) and forgets everything. */
  close(): Promise<void> {
    this.wants.clear();
    this.target = undefined;
    this.enqueue(async () => {
      const s = this.settings;
      if (s && (this.dirty || this.have.parts.size)) await this.exec(renderDropTables(s.table, this.dirty ? undefined : familiesOf(this.have)));
      this.settings = undefined;
      this.have = NFT_EMPTY;
      this.dirty = false;
    });
    return this.settled();
  }

  private want(key: string, w: Want | undefined): void {
    // re-inserted so that new elements (and the parts they create) follow the order of the calls
    this.wants.delete(key);
    if (w) this.wants.set(key, w);
    this.kick();
  }

  /** Schedules one burst for every change made in this turn of the event loop. */
  private kick(): void {
    if (this.pending) return;
    this.pending = true;
    this.enqueue(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.pending = false;
      await this.burst();
    });
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((e: unknown) => this.error(String(e)));
  }

  private async burst(): Promise<void> {
    const s = this.settings;
    if (!s) return;
    const want = this.elements(s);
    const from = this.dirty ? NFT_EMPTY : this.have;
    const plan = planBurst(s, from, want);
    if (!plan.text && !this.dirty) return;
    const script = this.dirty ? renderDropTables(s.table) + plan.text : plan.text;
    if (await this.exec(script)) {
      this.have = plan.next;
      this.dirty = false;
    } else {
      this.dirty = true;
    }
  }

  private elements(s: NftSettings): NftElement[] {
    const out: NftElement[] = [];
    for (const [key, w] of this.wants) {
      if ('vmac' in w) {
        out.push(...vmacElements(w.vmac));
        continue;
      }
      for (const vip of w.vips) {
        const e = vipElement(s, vip);
        if (e) out.push(e);
        else this.error(`(${key.slice(5)}) VIP ${vip.address}: no interface for a link-local address - not blocked`);
      }
    }
    return out;
  }

  /** Runs a script; true on success. */
  private async exec(script: string): Promise<boolean> {
    const err = await this.run(script);
    // nft names the failing command on the line after the error; the caret line is of no use in a log
    if (err !== undefined)
      this.error(
        err
          .split('\n')
          .filter((l) => !/^\s*\^+\s*$/.test(l))
          .slice(0, 2)
          .join(': '),
      );
    return err === undefined;
  }

  private error(text: string): void {
    this.log.log({ level: 'err', text: `nftables: ${text}` });
  }
}

/* From the configuration ---------------------------------------------------------------------------------- */

/** keepalived's text when an instance needs the firewall and global_defs names none (vrrp.c, LOG_INFO). */
export const NFT_IMPLIED_TEXT = 'use_vmac or no_accept/strict specified, but no firewall configured - using nftables';

/**
 * Accept mode after keepalived's fix-ups (vrrp.c vrrp_complete_instance): VRRPv2 in strict mode never accepts
 * unless it owns the addresses ("accept mode for VRRP version 2 does not comply with RFC3768 - resetting").
 */
export function acceptMode(i: VrrpInstanceConfig): boolean {
  return i.accept && !(i.strictMode && i.version === 2 && i.priority !== 255);
}

/** Whether an instance's VIPs are dropped while it is MASTER: not the address owner and no accept mode. */
export function blocksVips(i: VrrpInstanceConfig): boolean {
  return i.priority !== 255 && !acceptMode(i);
}

/**
 * The nftables settings, or undefined when keepalived would use no firewall: global_defs `nftables` (or
 * `vrrp_iptables`), else the default table as soon as one instance has no accept mode or a VMAC (`implied`: log
 * NFT_IMPLIED_TEXT once, at info level).
 */
export function nftSettingsFor(cfg: KeepalivedConfig): { readonly settings: NftSettings; readonly implied: boolean } | undefined {
  const g = cfg.globalDefs;
  const implied = g.nftables === undefined && cfg.vrrpInstances.some((i) => !acceptMode(i) || i.useVmac !== undefined);
  if (g.nftables === undefined && !implied) return undefined;
  return {
    settings: { table: g.nftables ?? 'keepalived', priority: g.nftablesPriority, counters: g.nftablesCounters, ifindex: g.nftablesIfindex },
    implied,
  };
}

/**
 * An instance's VIPs and excluded VIPs for instanceState(). `ifname` is the interface the instance's VIPs go on
 * without `dev` (its VMAC with use_vmac); `ifindexOf` resolves interface names (for link-local VIPs). A link-local
 * VIP is matched by name when the instance has dont_track_primary and the VIP is on that interface (keepalived).
 */
export function nftVipsOf(i: VrrpInstanceConfig, ifname: string, ifindexOf: (name: string) => number | undefined): NftVip[] {
  return [...i.virtualIpaddress, ...i.virtualIpaddressExcluded].map((v) => {
    const dev = v.dev ?? ifname;
    const index = ifindexOf(dev);
    return {
      address: v.address,
      family: v.family,
      ifname: dev,
      ...(index !== undefined ? { ifindex: index } : {}),
      matchIfname: i.dontTrackPrimary && dev === ifname,
    };
  });
}

/**
 * The families a VMAC goes in (keepalived vrrp_vmac.c: IPv4 ones only without disable_local_igmp; the other
 * family too when the instance has excluded VIPs of it).
 */
export function nftVmacFamilies(i: VrrpInstanceConfig, disableLocalIgmp = false): (4 | 6)[] {
  if (i.family === 4 && disableLocalIgmp) return [];
  const other = i.family === 4 ? 6 : 4;
  return i.virtualIpaddressExcluded.some((v) => v.family === other) ? [i.family, other] : [i.family];
}
