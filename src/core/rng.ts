/**
 * Injected randomness (quinn's `rng_seed`): the pure cores never call Math.random().
 */

/** A source of uniformly distributed numbers in [0, 1). */
export interface Rng {
  /** Next number in [0, 1). */
  next(): number;
}

/**
 * A small, fast, seedable PRNG (mulberry32). Deterministic for a given seed,
 * which makes simulated runs and fuzz cases reproducible.
 */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Randomness from the platform, for the real daemon. */
export function systemRng(): Rng {
  return { next: () => Math.random() };
}

/** An integer in [min, max] (inclusive) drawn from `rng`. */
export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng.next() * (max - min + 1));
}
