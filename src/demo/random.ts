/**
 * Randomness for the demo. History is drawn from a seeded generator so two runs backfill the same shape; live
 * traffic may use Math.random, since nobody replays it.
 */

export type Random = () => number;

/** mulberry32: a tiny seeded generator of floats in [0, 1). */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One item, drawn in proportion to its weight; the list must not be empty. */
export function pickWeighted<T>(random: Random, items: readonly T[], weight: (item: T) => number): T {
  let total = 0;
  for (const item of items) total += Math.max(0, weight(item));
  let r = random() * total;
  for (const item of items) {
    r -= Math.max(0, weight(item));
    if (r < 0) return item;
  }
  return items[items.length - 1]!;
}

/** An integer in [min, max], skewed towards the low end as request sizes are (a few long ones, many short). */
export function skewedInt(random: Random, min: number, max: number): number {
  const u = random();
  return Math.round(min + (max - min) * u * u);
}

/** The time to the next arrival of a Poisson process of `ratePerSecond`, in milliseconds. */
export function poissonGapMs(random: Random, ratePerSecond: number): number {
  return (-Math.log(1 - random()) / ratePerSecond) * 1000;
}
