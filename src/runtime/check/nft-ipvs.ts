/**
 * The nftables side of `nftables_ipvs` for the checker runtime: the marks (one FwmarkAllocator for the daemon's
 * life), and the maps kept in step with the running virtual servers through `nft -f -` (src/lb/nft-ipvs.ts builds
 * the text). Every sync() is one transaction; they never overlap. A failure is logged and the next sync rebuilds
 * the tables from scratch; close() deletes them (keepalived: nft_ipvs_end at clear_services).
 *
 *   const n = new NftIpvs(settings, false, log);
 *   servicesOf(vs, groups, n.marks);           // FWM 1000 instead of one service per group address
 *   await n.sync(elements);                    // maps as wanted
 *   await n.close();                           // tables gone
 */
import type { Logger } from '../../core/log.js';
import type { NftablesIpvsSettings } from '../../config/model.js';
import {
  FwmarkAllocator,
  ipvsFamiliesOf,
  NFT_IPVS_EMPTY,
  planNftIpvs,
  renderDropIpvsTables,
  type NftIpvsCommitted,
  type NftIpvsElement,
} from '../../lb/nft-ipvs.js';
import { isNftIdentifier } from '../../net/nft/vrrp-tables.js';
import { spawnNft, type NftRunner } from '../vrrp/nft-vips.js';

/** nftables_ipvs for one checker process. */
export class NftIpvs {
  /** The marks handed out (servicesOf and the map elements take them from here). */
  readonly marks: FwmarkAllocator;
  private have: NftIpvsCommitted = NFT_IPVS_EMPTY;
  /** After a failure what the kernel holds is unknown: the next sync starts from nothing. */
  private dirty = true;
  private chain: Promise<void> = Promise.resolve();
  /** Whether sync() ever ran (close() has nothing to delete otherwise). */
  private used = false;

  /**
   * @param settings nftables_ipvs's table, priority and first mark (fixed for the daemon's life: keepalived refuses
   *   a reload that changes the table name and never re-creates the chain)
   * @param counters nftables_counters: a counter on each map element
   * @param run how scripts reach nft (tests, net_namespace_ipvs: another namespace)
   */
  constructor(
    readonly settings: NftablesIpvsSettings,
    private readonly counters: boolean,
    private readonly log: Logger,
    private readonly run: NftRunner = spawnNft(),
  ) {
    this.marks = new FwmarkAllocator(settings.startFwmark);
    if (!isNftIdentifier(settings.table)) this.error(`table name '${settings.table}' cannot be given to nft(8) (it takes bare identifiers only)`);
  }

  /** Makes the maps hold exactly `want` (elements of the same map and key: the last wins). */
  sync(want: readonly NftIpvsElement[]): Promise<void> {
    this.used = true;
    return this.enqueue(async () => {
      const from = this.dirty ? NFT_IPVS_EMPTY : this.have;
      const plan = planNftIpvs(this.settings, this.counters, from, want);
      if (!plan.text && !this.dirty) return;
      const script = (this.dirty ? renderDropIpvsTables(this.settings.table) : '') + plan.text;
      const err = await this.run(script);
      if (err === undefined) {
        this.have = plan.next;
        this.dirty = false;
      } else {
        this.error(err);
        this.dirty = true;
      }
    });
  }

  /** Deletes the tables set up (every family after a failure). */
  close(): Promise<void> {
    return this.enqueue(async () => {
      const families = this.dirty ? undefined : ipvsFamiliesOf(this.have);
      if (!this.used || families?.length === 0) return;
      const err = await this.run(renderDropIpvsTables(this.settings.table, families));
      if (err !== undefined) this.error(err);
      this.have = NFT_IPVS_EMPTY;
      this.dirty = false;
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch((e: unknown) => this.error(String(e)));
    return this.chain;
  }

  private error(text: string): void {
    this.log.log({ level: 'err', text: `IPVS nftables (table ${this.settings.table}): ${text}` });
  }
}
