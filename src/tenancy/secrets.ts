import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % 62];
  return out;
}

/** A new virtual key: `sk-sb-` and 40 base62 characters (~238 bits), shown once and stored only as its hash. */
export function newVirtualKey(): string {
  return `sk-sb-${base62(randomBytes(40))}`;
}

/** A new token for a person (dashboard, CLI): `sbt-` and 40 base62 characters. */
export function newPersonToken(): string {
  return `sbt-${base62(randomBytes(40))}`;
}

export function newId(prefix: 'key' | 'team' | 'tok' | 'res' | 'blk'): string {
  return `${prefix}_${base62(randomBytes(16))}`;
}

/**
 * The stored form of a secret. Keys carry ~238 bits of entropy, so a plain SHA-256 cannot be inverted or
 * brute-forced; lookups are by this hash with a parameterised query, never by the secret.
 */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** USD (as people write budgets) to integer nano-dollars. */
export function usdToNano(usd: number): number {
  return Math.round(usd * 1e9);
}

export function nanoToUsd(nano: number): number {
  return nano / 1e9;
}
