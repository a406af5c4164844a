/**
 * The checker's IPVS counters as the SNMP view reads them, refreshed as keepalived's ipvs_update_stats refreshes
 * them: on a request that finds the last reading older than STATS_REFRESH (5 s). A MIB view is built synchronously,
 * so that request is answered from the old reading while the new one is fetched; `refreshing()` tells the agent not
 * to reuse a view built meanwhile, so the rest of a walk reads the new counters (a real server removed from the
 * kernel's table then reads 0, as keepalived's reset-then-fill does).
 */
import type { CheckCounters } from '../../snmp/check-mib.js';
import { STATS_REFRESH_MS } from '../check/lvs-counters.js';

/** The last reading of an asynchronous counter source, refreshed when a request finds it stale. */
export class CounterCache {
  private value: CheckCounters = [];
  private pending = false;
  private readAt = -Infinity;

  constructor(
    private readonly read: (() => Promise<CheckCounters | undefined>) | undefined,
    private readonly now: () => number = () => performance.now(),
    private readonly maxAgeMs = STATS_REFRESH_MS,
  ) {
    this.refresh();
  }

  /** The last reading (empty before the first: every counter reads 0); a stale one starts a new reading. */
  get(): CheckCounters {
    if (this.now() - this.readAt >= this.maxAgeMs) this.refresh();
    return this.value;
  }

  /** Whether a new reading is on its way (what get() returned is about to be replaced). */
  refreshing(): boolean {
    return this.pending;
  }

  private refresh(): void {
    if (!this.read || this.pending) return;
    this.pending = true;
    this.read().then(
      (v) => {
        this.pending = false;
        this.readAt = this.now();
        if (v) this.value = v;
      },
      () => {
        this.pending = false;
        this.readAt = this.now();
      },
    );
  }
}
