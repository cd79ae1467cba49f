/**
 * Deterministic embeddings, shared by the OpenAI and Gemini faces: the same text and dimension count give
 * the same vector through either API. Vectors are derived from a hash of the input and L2-normalised.
 */
import { hash32, prng, unit } from './random.js';

/** A deterministic unit vector for `key`, each component already rounded to float32. */
export function embeddingFor(key: string, dimensions: number): number[] {
  const next = prng(hash32(key));
  const v = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const x = unit(next()) * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dimensions; i++) v[i] = Math.fround(v[i]! / norm);
  return v;
}
