import { createHash } from 'node:crypto';

/**
 * Deterministic hashing and pseudo-randomness. The simulator must give the same answer to the same request
 * on every run and every machine, so nothing here touches Math.random or the clock.
 */

/** FNV-1a, 32 bit: tiny, fast, and stable across platforms; collisions do not matter for fake content. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A mulberry32 generator: returns a function yielding uint32 values from the given seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A uniform float in [0, 1) from a uint32. */
export function unit(u32: number): number {
  return u32 / 4294967296;
}

/** `length` lowercase hex characters drawn from the generator (ids such as `call_<hex>`). */
export function hex(next: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += next().toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/**
 * A stand-in for a provider's opaque reasoning signature (Anthropic `signature`, Gemini `thoughtSignature`):
 * base64 of a SHA-256 over the reasoning it vouches for, so the same answer always carries the same value.
 */
export function signatureFor(kind: string, text: string): string {
  const first = createHash('sha256').update(`${kind}\n${text}`).digest();
  const second = createHash('sha256').update(first).digest();
  return Buffer.concat([first, second]).toString('base64');
}
