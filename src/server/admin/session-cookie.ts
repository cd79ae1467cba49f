import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../../tenancy/types.js';

/**
 * The dashboard's session cookie, stateless so that every replica accepts it without a shared store:
 * `base64url(JSON claims) "." base64url(HMAC-SHA256(sessionKey, first part))`. The session key is derived from the
 * admin key, so changing the admin key ends every session. The cookie never holds the credential that opened it.
 */

export const SESSION_COOKIE = 'sb_session';
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** Who the session belongs to: `admin-key` or a person token's id; `exp` in Unix ms; `n` a random nonce. */
export interface SessionClaims {
  sub: string;
  role: Role;
  exp: number;
  n: string;
}

const KEY_LABEL = 'switchboard-session-v1';
const MAC_BYTES = 32;

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sessionKey(adminKey: string): Buffer {
  return hmac(adminKey, KEY_LABEL);
}

/** Starts a session for `sub` with `role`; returns the cookie value and its claims. */
export function issueSession(adminKey: string, sub: string, role: Role, now = Date.now()): { value: string; claims: SessionClaims } {
  const claims: SessionClaims = { sub, role, exp: now + SESSION_LIFETIME_MS, n: randomBytes(16).toString('base64url') };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return { value: `${payload}.${hmac(sessionKey(adminKey), payload).toString('base64url')}`, claims };
}

function isClaims(value: unknown): value is SessionClaims {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.sub === 'string' && (c.role === 'admin' || c.role === 'viewer') && typeof c.exp === 'number' && typeof c.n === 'string' && c.n.length > 0;
}

/** The claims of a cookie value whose MAC is right and which has not expired; undefined otherwise. */
export function readSession(adminKey: string, value: string | undefined, now = Date.now()): SessionClaims | undefined {
  if (!value) return undefined;
  const parts = value.split('.');
  if (parts.length !== 2) return undefined;
  const [payload, mac] = parts as [string, string];
  const presented = Buffer.from(mac, 'base64url');
  // timingSafeEqual needs equal lengths; a MAC of the wrong length is simply wrong.
  if (presented.length !== MAC_BYTES || !timingSafeEqual(presented, hmac(sessionKey(adminKey), payload))) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return isClaims(claims) && claims.exp > now ? claims : undefined;
}

/** The token a change must echo in `x-csrf-token`: derived from the session, so nothing needs storing. */
export function csrfTokenFor(adminKey: string, claims: SessionClaims): string {
  return hmac(sessionKey(adminKey), `csrf:${claims.n}`).toString('base64url');
}

export function csrfTokenMatches(adminKey: string, claims: SessionClaims, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(adminKey, claims));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
