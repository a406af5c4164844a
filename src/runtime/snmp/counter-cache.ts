/**
 * The checker's IPVS counters as the SNMP view reads them. A MIB view is built synchronously per request, so the
 * counters are read in the background: once at start and then every STATS_REFRESH (5 s), the age keepalived's
 * ipvs_update_stats lets them reach before it reads them again. A request is answered from the last reading.
 */
import type { CheckCounters } from '../../snmp/check-mib.js';
import { STATS_REFRESH_MS } from '../check/lvs-counters.js';

/** The last reading of an asynchronous counter source, refreshed on a timer. */
export class CounterCache {
  private value: CheckCounters = [];
  private pending = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: (() => Promise<CheckCounters | undefined>) | undefined,
    everyMs = STATS_REFRESH_MS,
  ) {
    if (!read) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), everyMs);
    this.timer.unref();
  }

  /** The last reading (empty before the first: every counter reads 0). */
  get(): CheckCounters {
    return this.value;
  }

  /** Stops refreshing. */
  close(): void {
    clearInterval(this.timer);
  }

  private refresh(): void {
    if (!this.read || this.pending) return;
    this.pending = true;
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
