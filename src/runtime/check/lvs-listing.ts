/**
 * The checker runtime's answer to `status --lvs`: its data plane's list(), with IPVS's version line, or the
 * nftables tables and rates computed from two readings (nftables has no rate estimator; IPVS's kernel one is
 * passed through).
 */
import type { LbBackend, LbServiceState } from '../../lb/backend.js';
import type { ListingInfo } from '../../lb/listing.js';
import { NFT_LB_DEFAULTS } from '../../lb/nft/ruleset.js';
import { withRates, type LvsReport } from '../../lb/report.js';

/** How long apart the two readings of a computed rate are taken. */
export const RATE_SAMPLE_MS = 1000;

/** What readLvs needs besides the backend. */
export interface ReadLvsOptions {
  /** Fill in rates (`--rate`). */
  readonly rates: boolean;
  readonly sampleMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A backend that can say its version (IpvsBackend's GET_INFO). */
interface WithInfo {
  info(): Promise<ListingInfo | { readonly code: string; readonly message: string }>;
}

/** Reads the data plane's table; an error text when the backend cannot list it. */
export async function readLvs(backend: LbBackend | undefined, o: ReadLvsOptions): Promise<LvsReport | string> {
  if (!backend) return { backend: 'none', services: [] };
  const read = async (): Promise<readonly LbServiceState[] | string> => {
    const l = await backend.list();
    return 'code' in l ? `${backend.name}: ${l.message}` : l;
  };
  const first = await read();
  if (typeof first === 'string') return first;
  if (backend.name === 'ipvs') {
    const i = await (backend as Partial<WithInfo>).info?.();
    return { backend: 'ipvs', ...(i && !('code' in i) ? { info: { version: i.version, connTabSize: i.connTabSize } } : {}), services: first };
  }
  const tables = [`inet ${NFT_LB_DEFAULTS.table}`, `netdev ${NFT_LB_DEFAULTS.drTable}`];
  if (!o.rates || first.every((s) => s.counters.cps !== undefined)) return { backend: 'nftables', tables, services: first };
  const ms = o.sampleMs ?? RATE_SAMPLE_MS;
  await (o.sleep ?? ((t: number) => new Promise<void>((r) => setTimeout(r, t))))(ms);
  const second = await read();
  if (typeof second === 'string') return second;
  return { backend: 'nftables', tables, services: withRates(first, second, ms), rateSampleMs: ms };
}
