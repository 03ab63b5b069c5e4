/** Test support: a small deterministic PRNG, so randomised tests and scenes replay exactly. */

/**
 * mulberry32: a 32-bit-state PRNG seeded with `seed`.
 * @returns a function yielding the next number in [0, 1) each call; equal seeds give equal series.
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
