import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../../canonical/errors.js';
import type { Person } from '../../tenancy/service.js';
import type { Role } from '../../tenancy/types.js';
import { presentedKey, safeEqual } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { SESSION_COOKIE, csrfTokenMatches, readSession, type SessionClaims } from './session-cookie.js';

export type AdminRole = Role;

const RANK: Record<Role, number> = { viewer: 1, admin: 2 };
const ADMIN_KEY_SUBJECT = 'admin-key';
/** Methods a browser may send cross-site without the page's consent; they never change anything here. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';

export function roleCovers(held: Role, needed: Role): boolean {
  return RANK[held] >= RANK[needed];
}

/** The admin key, when the admin API is on; otherwise the 403 with its hint. */
export function adminKeyOf(ctx: GatewayContext): string {
  if (!ctx.auth.adminKey) {
    throw new GatewayError('admin_disabled', 'the admin API is off: set SWITCHBOARD_ADMIN_KEY (or the variable admin.apiKeyEnv names) and restart');
  }
  return ctx.auth.adminKey;
}

/** Who a presented secret belongs to: the admin key, or a person's token that is not revoked. */
export async function personForCredential(ctx: GatewayContext, adminKey: string, secret: string): Promise<Person | undefined> {
  if (safeEqual(secret, adminKey)) return { role: 'admin', id: ADMIN_KEY_SUBJECT };
  const token = await ctx.tenancy?.personByToken(secret);
  return token ? { role: token.role, id: token.id } : undefined;
}

/**
 * Who holds a session now. A token's session lives only as long as the token, so the token is read again on every
 * request. The tokens table holds people, not apps, and stays small: listing it spares both store implementations
 * a new lookup by id.
 */
export async function sessionHolder(ctx: GatewayContext, claims: SessionClaims): Promise<Person | undefined> {
  if (claims.sub === ADMIN_KEY_SUBJECT) return claims.role === 'admin' ? { role: 'admin', id: ADMIN_KEY_SUBJECT } : undefined;
  if (!ctx.tenancy) return undefined;
  const token = (await ctx.tenancy.store.listTokens()).find((t) => t.id === claims.sub);
  return token && !token.revokedAt ? { role: token.role, id: token.id } : undefined;
}

/** The request's valid session cookie, if it has one. */
export function sessionClaims(req: FastifyRequest, adminKey: string): SessionClaims | undefined {
  return readSession(adminKey, req.cookies?.[SESSION_COOKIE]);
}

/**
 * A browser names the page that sent a request in `Origin`; one from another site must not act with the cookie.
 * Requests without `Origin` (same-origin GETs, non-browser clients) pass: the CSRF token guards those.
 */
export function requireSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let originHost: string | undefined;
  let requestHost: string | undefined;
  try {
    originHost = new URL(origin).host;
    requestHost = new URL(`${req.protocol}://${req.host}`).host;
  } catch {
    // "null" (sandboxed pages, file:) and anything unparseable match nothing.
  }
  if (originHost === undefined || originHost !== requestHost) {
    throw new GatewayError('csrf_failed', 'this request came from another origin; the dashboard only accepts changes from its own pages');
  }
}

async function personFromSession(ctx: GatewayContext, req: FastifyRequest, adminKey: string): Promise<Person> {
  if (req.cookies?.[SESSION_COOKIE] === undefined) {
    throw new GatewayError('unauthorized', 'missing admin credential: send Authorization: Bearer <admin key or token>, or sign in with POST /admin/session');
  }
  const claims = sessionClaims(req, adminKey);
  const person = claims && (await sessionHolder(ctx, claims));
  if (!claims || !person) throw new GatewayError('unauthorized', 'the session is invalid or has ended: sign in again');
  if (!SAFE_METHODS.has(req.method)) {
    requireSameOrigin(req);
    const presented = req.headers[CSRF_HEADER];
    if (!csrfTokenMatches(adminKey, claims, typeof presented === 'string' ? presented : undefined)) {
      throw new GatewayError('csrf_failed', `a change made with the session cookie needs the header ${CSRF_HEADER} with the session's csrfToken`);
    }
  }
  return person;
}

/**
 * Who is calling the admin API: the admin key or a person's token (its role), sent as a bearer credential, or the
 * dashboard's session cookie. Without an admin key configured the admin API is off (403 with a hint), whatever
 * address the gateway listens on: an open admin API is never a default. A bearer credential takes precedence and
 * needs no CSRF token (browsers never attach one by themselves); with the cookie, every change must carry the
 * session's CSRF token and come from the gateway's own origin. Reads need `viewer`, changes `admin`.
 */
export async function requireAdmin(ctx: GatewayContext, req: FastifyRequest, need: Role = 'viewer'): Promise<Person> {
  const adminKey = adminKeyOf(ctx);
  const secret = presentedKey(req.headers);
  let person: Person;
  if (secret !== undefined) {
    const holder = await personForCredential(ctx, adminKey, secret);
    if (!holder) throw new GatewayError('unauthorized', 'invalid admin credential');
    person = holder;
  } else {
    person = await personFromSession(ctx, req, adminKey);
  }
  if (!roleCovers(person.role, need)) throw new GatewayError('forbidden', `this credential (${person.role}) may only read`);
  return person;
}
