/**
 * IPVS schedulers as nftables lookups (pure). Every scheduler becomes one of two shapes:
 *   - `numgen`: `numgen inc mod M` over a map of ranges; each server holds `weight / gcd` consecutive slots, so
 *     over every cycle of M new connections each server gets exactly its share (rr: one slot each; fo: one slot);
 *   - `hash`: `jhash <key> mod 256` over a 256-bucket table that only changes by elements when servers come and
 *     go (sh/dh: IPVS's sh table, filled round-robin by weight; mh: a Maglev table).
 * The connection-count schedulers have no nftables equivalent (nothing can compare live connection counts of
 * several servers in one lookup); they map to the nearest weight-based one and say so.
 */

/** Size of the hash tables (IPVS sh/dh use 256 buckets). */
export const HASH_BUCKETS = 256;

/** IP_VS_SVC_F_* bits this backend reads. */
export const SVC_F = { PERSISTENT: 0x1, HASHED: 0x2, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10, SCHED3: 0x20 } as const;

/** How a service picks a server for a new connection. */
export type SchedShape =
  | { readonly kind: 'numgen'; readonly weighted: boolean; readonly failover: boolean }
  | { readonly kind: 'hash'; readonly on: 'saddr' | 'daddr'; readonly port: boolean; readonly table: 'sh' | 'mh' };

/** A scheduler as this backend runs it, and the notice when that is not what was asked. */
export interface SchedPlan {
  readonly shape: SchedShape;
  /** The scheduler actually run (`wrr` for `wlc`, …). */
  readonly effective: string;
  readonly notice?: string;
}

const NUMGEN = (weighted: boolean, failover = false): SchedShape => ({ kind: 'numgen', weighted, failover });

/** What each connection-count scheduler becomes, and why. */
const MAPPED: Readonly<Record<string, { readonly to: string; readonly why: string }>> = {
  lc: { to: 'rr', why: 'least-connection needs live per-server connection counts' },
  wlc: { to: 'wrr', why: 'weighted least-connection needs live per-server connection counts' },
  sed: { to: 'wrr', why: 'shortest expected delay needs live per-server connection counts' },
  nq: { to: 'wrr', why: 'never queue needs live per-server connection counts' },
  twos: { to: 'wrr', why: 'weighted random of two choices needs live per-server connection counts' },
  ovf: { to: 'fo', why: 'overflow needs live per-server connection counts (no overflow to the next server)' },
  lblc: { to: 'dh', why: 'locality-based least-connection needs live per-server connection counts' },
  lblcr: { to: 'dh', why: 'locality-based least-connection with replication needs live per-server connection counts' },
};

/**
 * The plan for scheduler `name` with service flags `flags` (sh/mh: SCHED1 = fallback, always on here because
 * unavailable servers are never in the table; SCHED2 = hash the source port too). Undefined for an unknown name.
 */
export function planScheduler(name: string, flags: number): SchedPlan | undefined {
  const port = (flags & SVC_F.SCHED2) !== 0;
  switch (name) {
    case 'rr':
      return { shape: NUMGEN(false), effective: 'rr' };
    case 'wrr':
      return { shape: NUMGEN(true), effective: 'wrr' };
    case 'fo':
      return { shape: NUMGEN(true, true), effective: 'fo' };
    case 'sh':
      return { shape: { kind: 'hash', on: 'saddr', port, table: 'sh' }, effective: 'sh' };
    case 'dh':
      return { shape: { kind: 'hash', on: 'daddr', port: false, table: 'sh' }, effective: 'dh' };
    case 'mh':
      return { shape: { kind: 'hash', on: 'saddr', port, table: 'mh' }, effective: 'mh' };
    default: {
      const m = MAPPED[name];
      if (!m) return undefined;
      const base = planScheduler(m.to, flags)!;
      return { ...base, effective: m.to, notice: `scheduler ${name}: ${m.why}, which nftables cannot compare; scheduling as ${m.to} instead` };
    }
  }
}

/** A server as the scheduler sees it: its id (the ct mark of its connections), weight, and a stable name. */
export interface SchedDest {
  readonly id: number;
  readonly weight: number;
  /** `address:port`, for Maglev's permutation. */
  readonly name: string;
}

/** A numgen map: the modulus and the ranges `[first, last, id]`. */
export interface SlotMap {
  readonly modulus: number;
  readonly ranges: readonly (readonly [number, number, number])[];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Slots for `numgen inc mod M`: servers with weight 0 get none (no new connections; conntrack keeps the old);
 * rr gives one slot each, wrr `weight / gcd(weights)` each, fo one slot to the first server of highest weight.
 * The modulus is never 0 (an empty map then matches nothing).
 */
export function numgenSlots(shape: Extract<SchedShape, { kind: 'numgen' }>, dests: readonly SchedDest[]): SlotMap {
  const live = dests.filter((d) => d.weight > 0);
  if (live.length === 0) return { modulus: 1, ranges: [] };
  if (shape.failover) {
    const best = live.reduce((a, d) => (d.weight > a.weight ? d : a));
    return { modulus: 1, ranges: [[0, 0, best.id]] };
  }
  const g = shape.weighted ? live.reduce((a, d) => gcd(a, d.weight), 0) : 1;
  const ranges: [number, number, number][] = [];
  let next = 0;
  for (const d of live) {
    const n = shape.weighted ? d.weight / g : 1;
    ranges.push([next, next + n - 1, d.id]);
    next += n;
  }
  return { modulus: next, ranges };
}

/**
 * IPVS's sh table (ip_vs_sh_reassign): buckets filled in turn, each server taking `weight` consecutive buckets
 * before the next; servers with weight 0 are left out, so their clients move (IPVS's sh-fallback).
 */
export function shTable(dests: readonly SchedDest[], size = HASH_BUCKETS): number[] {
  const live = dests.filter((d) => d.weight > 0);
  if (live.length === 0) return [];
  const out: number[] = [];
  let i = 0;
  let used = 0;
  while (out.length < size) {
    out.push(live[i]!.id);
    if (++used >= live[i]!.weight) {
      i = (i + 1) % live.length;
      used = 0;
    }
  }
  return out;
}

/** FNV-1a over a string, with a salt: the two hashes of a Maglev permutation. */
function fnv(text: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A Maglev lookup table (Eisenbud et al., NSDI 2016, as IPVS mh): each server walks its own permutation of the
 * buckets (offset and skip from hashes of its name) and claims the next free one, `weight / gcd` times per round.
 * A server leaving moves only its own buckets (mostly).
 */
export function maglevTable(dests: readonly SchedDest[], size = HASH_BUCKETS - 5): number[] {
  const live = dests.filter((d) => d.weight > 0);
  if (live.length === 0) return [];
  const g = live.reduce((a, d) => gcd(a, d.weight), 0);
  const perm = live.map((d) => ({ id: d.id, turns: d.weight / g, offset: fnv(d.name, 1) % size, skip: (fnv(d.name, 2) % (size - 1)) + 1, next: 0 }));
  const table: number[] = new Array<number>(size).fill(-1);
  let filled = 0;
  while (filled < size) {
    for (const p of perm) {
      for (let t = 0; t < p.turns && filled < size; t++) {
        let c: number;
        do c = (p.offset + p.next++ * p.skip) % size;
        while (table[c] !== -1);
        table[c] = p.id;
        filled++;
      }
      if (filled >= size) break;
    }
  }
  return table;
}
