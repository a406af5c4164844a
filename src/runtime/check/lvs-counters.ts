/**
 * The IPVS counters KEEPALIVED-MIB's check tables show (keepalived's ipvs_update_stats): for each virtual server
 * the sum over its kernel services, and for its sorry and real servers the sum over their destinations in those
 * services, read with one listing of the data plane and kept for STATS_REFRESH (5 s), as keepalived keeps them.
 */
import type { RealServerConfig, SorryServerConfig } from '../../config/model-lvs.js';
import { sameServiceKey, type LbCounters, type LbDestState, type LbServiceState } from '../../lb/backend.js';
import { destOf, type ServiceTarget } from '../../lb/services.js';
import { ZERO_COUNTERS, type CheckCounters, type DestCounters, type LvsCounters, type VsCounters } from '../../snmp/check-mib.js';

/** keepalived's STATS_REFRESH: counters younger than this are served as they are. */
export const STATS_REFRESH_MS = 5000;

/** What the counters of one virtual server are summed from. */
export interface CountedVs {
  readonly targets: readonly ServiceTarget[];
  readonly sorry?: SorryServerConfig;
  readonly realServers: readonly RealServerConfig[];
}

function add(a: LvsCounters, c: LbCounters): LvsCounters {
  return {
    conns: a.conns + c.connections,
    inpkts: a.inpkts + c.packetsIn,
    outpkts: a.outpkts + c.packetsOut,
    inbytes: a.inbytes + c.bytesIn,
    outbytes: a.outbytes + c.bytesOut,
    cps: a.cps + (c.cps ?? 0),
    inpps: a.inpps + (c.ppsIn ?? 0),
    outpps: a.outpps + (c.ppsOut ?? 0),
    inbps: a.inbps + (c.bpsIn ?? 0),
    outbps: a.outbps + (c.bpsOut ?? 0),
  };
}

function addDest(a: DestCounters, d: LbDestState): DestCounters {
  const persist = (d as { readonly persistentConnections?: number }).persistentConnections ?? 0;
  return {
    ...add(a, d.counters),
    activeconns: a.activeconns + d.activeConnections,
    inactconns: a.inactconns + d.inactiveConnections,
    persistconns: a.persistconns + persist,
  };
}

/** Sums the listing `services` into per-virtual-server counters (vsd_equal: family, address and port). */
export function countersOf(vss: readonly CountedVs[], services: readonly LbServiceState[]): CheckCounters {
  return vss.map((v): VsCounters => {
    let vs: LvsCounters = ZERO_COUNTERS;
    let sorry: DestCounters | undefined = v.sorry ? ZERO_COUNTERS : undefined;
    const rs: DestCounters[] = v.realServers.map(() => ZERO_COUNTERS);
    for (const t of v.targets) {
      const svc = services.find((s) => sameServiceKey(s.key, t.service.key));
      if (!svc) continue;
      vs = add(vs, svc.counters);
      const match = (server: RealServerConfig | SorryServerConfig) => {
        const want = destOf(server, t, 0);
        return svc.dests.find((d) => d.family === want.family && d.address === want.address && d.port === want.port);
      };
      const sd = v.sorry && match(v.sorry);
      if (sd && sorry) sorry = addDest(sorry, sd);
      v.realServers.forEach((r, j) => {
        const d = !sd || !v.sorry || match(r) !== sd ? match(r) : undefined;
        if (d) rs[j] = addDest(rs[j]!, d);
      });
    }
    return { vs, rs, ...(sorry ? { sorry } : {}) };
  });
}
