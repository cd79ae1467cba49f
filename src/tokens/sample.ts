/**
 * Window sampling for long prompts: count a fixed budget of text, spread over the whole prompt, instead of all
 * of it. Windows are stratified (one per equal slice of the text, at a pseudo-random offset inside its slice so
 * that periodic text cannot alias with the stride), never cross a unit boundary without being split, and are
 * widened to the nearest whitespace (up to SNAP chars) so a window rarely cuts a word in two.
 */

const SNAP = 16;

/** A small deterministic PRNG (mulberry32): the same prompt always gives the same windows. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\n' || c === '\t' || c === '\r';

/**
 * Pieces of text, `budget` characters in all (plus snapping), taken from `count` windows over the virtual
 * concatenation of `units` (whose lengths sum to `total`).
 */
export function sampleWindows(units: readonly string[], total: number, budget: number, count: number): string[] {
  if (budget >= total) return units.filter((u) => u.length > 0);
  const width = Math.max(1, Math.floor(budget / count));
  const stride = total / count;
  const random = prng(total ^ 0x9e3779b9);
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    const slack = Math.max(0, stride - width);
    starts.push(Math.min(total - width, Math.floor(i * stride + random() * slack)));
  }
  const pieces: string[] = [];
  let unit = 0;
  let unitStart = 0; // offset of `unit` in the concatenation
  for (const start of starts) {
    let pos = Math.max(0, start);
    const end = pos + width;
    while (pos < end) {
      while (unit < units.length && unitStart + (units[unit] as string).length <= pos) {
        unitStart += (units[unit] as string).length;
        unit++;
      }
      if (unit >= units.length) break;
      const text = units[unit] as string;
      let from = pos - unitStart;
      let to = Math.min(text.length, end - unitStart);
      for (let k = 0; k < SNAP && from > 0 && !isSpace(text[from - 1]); k++) from--;
      for (let k = 0; k < SNAP && to < text.length && !isSpace(text[to]); k++) to++;
      pieces.push(text.slice(from, to));
      pos = unitStart + to;
    }
  }
  return pieces;
}
