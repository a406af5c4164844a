/**
 * `keepalived-ts status --lvs`: what the checker child's data plane holds, as it travels over the control socket
 * (plain data, JSON-safe) and as it is printed, in the shape of `ipvsadm -Ln` (`--stats`, `--rate`) for whichever
 * backend is active. Only the first line tells the backends apart: IPVS's version and table size, or the
 * nftables tables. Where a backend has no rate estimator (nftables), the rates are the counters' difference over
 * a sampling interval (`rateSampleMs`), computed here. Pure.
 */
import type { LbCounters, LbDestState, LbServiceState } from './backend.js';
import { sameServiceKey } from './backend.js';
import { renderListing, type ListingFormat, type ListingInfo } from './listing.js';

/** The data plane's table, as the `lvs` and `lvs-rate` control requests answer. */
export interface LvsReport {
  /** The active data plane; `none` when the checker runs without one (nothing is programmed). */
  readonly backend: 'ipvs' | 'nftables' | 'none';
  /** IPVS: the kernel's version and connection table size (GET_INFO). */
  readonly info?: ListingInfo;
  /** nftables: the tables that hold the services (`inet keepalived_ts_lb`, `netdev keepalived_ts_dr`). */
  readonly tables?: readonly string[];
  readonly services: readonly LbServiceState[];
  /** Set when the rates were computed from two readings this many ms apart (no kernel estimator). */
  readonly rateSampleMs?: number;
}

/** The listing of a report: `ipvsadm -Ln` (or `--stats` / `--rate`) lines; nftables names its tables on line 1. */
export function renderLvsReport(r: LvsReport, format: ListingFormat = 'default'): string {
  const text = renderListing(r.services, r.info ?? { version: 0, connTabSize: 0 }, format);
  if (r.backend === 'ipvs' && r.info) return text;
  const first =
    r.backend === 'nftables'
      ? `nftables load balancer (tables ${(r.tables ?? []).join(', ')})${format === 'rate' && r.rateSampleMs ? `, rates over ${r.rateSampleMs / 1000} s` : ''}`
      : 'No load-balancer data plane: nothing is programmed';
  return `${first}${text.slice(text.indexOf('\n'))}`;
}

/** Per-second rate of a counter that went from a to b in dtMs (0 when it went back, e.g. after a restart). */
function rate(a: number, b: number, dtMs: number): number {
  return b >= a ? Math.round(((b - a) * 1000) / dtMs) : 0;
}

function ratesOf(a: LbCounters | undefined, b: LbCounters, dtMs: number): LbCounters {
  const z = { connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
  const p = a ?? z;
  return {
    ...b,
    cps: a ? rate(p.connections, b.connections, dtMs) : 0,
    ppsIn: a ? rate(p.packetsIn, b.packetsIn, dtMs) : 0,
    ppsOut: a ? rate(p.packetsOut, b.packetsOut, dtMs) : 0,
    bpsIn: a ? rate(p.bytesIn, b.bytesIn, dtMs) : 0,
    bpsOut: a ? rate(p.bytesOut, b.bytesOut, dtMs) : 0,
  };
}

const sameDest = (x: LbDestState, y: LbDestState): boolean => x.family === y.family && x.address === y.address && x.port === y.port;

/**
 * The `later` reading with rates filled in from the difference to `earlier`, taken dtMs before. A service or
 * real server absent from `earlier` gets rate 0 (it has no earlier reading to compare).
 */
export function withRates(earlier: readonly LbServiceState[], later: readonly LbServiceState[], dtMs: number): LbServiceState[] {
  return later.map((s) => {
    const e = earlier.find((x) => sameServiceKey(x.key, s.key));
    return {
      ...s,
      counters: ratesOf(e?.counters, s.counters, dtMs),
      dests: s.dests.map((d) => ({ ...d, counters: ratesOf(e?.dests.find((x) => sameDest(x, d))?.counters, d.counters, dtMs) })),
    };
  });
}
