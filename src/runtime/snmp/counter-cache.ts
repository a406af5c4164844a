/**
 * The checker's IPVS counters as the SNMP view reads them: a MIB view is built synchronously per request, so the
 * counters are read in the background and served from the last reading. A request finding them older than
 * keepalived's STATS_REFRESH (5 s) starts a new reading, as keepalived's ipvs_update_stats re-reads at most every
 * 5 s; one is also started at once, so that the first walk sees the kernel's figures.
 */
import type { CheckCounters } from '../../snmp/check-mib.js';
import { STATS_REFRESH_MS } from '../check/lvs-counters.js';

/** Last-reading cache over an asynchronous counter source. */
export class CounterCache {
  private value: CheckCounters = [];
  private readAt = -Infinity;
  private pending = false;

  constructor(
    private readonly read: (() => Promise<CheckCounters | undefined>) | undefined,
    private readonly now: () => number,
  ) {
    this.refresh();
  }

  /** The last reading (empty before the first); starts a new one when it is older than STATS_REFRESH. */
  get(): CheckCounters {
    if (this.now() - this.readAt >= STATS_REFRESH_MS) this.refresh();
    return this.value;
  }

  private refresh(): void {
    if (!this.read || this.pending) return;
    this.pending = true;
    this.readAt = this.now();
    this.read().then(
      (v) => {
        this.pending = false;
        if (v) this.value = v;
      },
      () => {
        this.pending = false;
      },
    );
  }
}
