import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';
import { z } from 'zod';
import { GatewayError } from '../../canonical/errors.js';
import type { Role } from '../../tenancy/types.js';
import { parseBody } from '../../surfaces/validation.js';
import type { GatewayContext } from '../context.js';
import { adminKeyOf, personForCredential, requireAdmin, requireSameOrigin, sessionClaims, sessionHolder } from './auth.js';
import { SESSION_COOKIE, csrfTokenFor, issueSession, type SessionClaims } from './session-cookie.js';

/**
 * `/admin/session`: the dashboard signs in with the admin key or a person's token and gets an HttpOnly cookie in
 * exchange, so the credential itself never stays in the browser. See docs/dashboard.md.
 */

const signInBody = z.strictObject({ credential: z.string().min(1).max(4096) });

function cookieOptions(req: FastifyRequest): CookieSerializeOptions {
  // No Max-Age: the browser drops the cookie when it closes; the signed expiry bounds it in any case.
  return { path: '/', httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https' };
}

function sessionView(adminKey: string, role: Role, claims: SessionClaims): { role: Role; csrfToken: string; expiresAt: string } {
  return { role, csrfToken: csrfTokenFor(adminKey, claims), expiresAt: new Date(claims.exp).toISOString() };
}

/** The CSRF token is a secret of the session: no cache may keep a response that carries it. */
function noStore(reply: FastifyReply): void {
  void reply.header('cache-control', 'no-store');
}

export function registerSessionRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/admin/session', async (req, reply) => {
    const adminKey = adminKeyOf(ctx);
    // Signing in from another site's page would plant that site's chosen session in this browser.
    requireSameOrigin(req);
    const { credential } = parseBody(signInBody, req.body);
    const person = await personForCredential(ctx, adminKey, credential);
    if (!person) throw new GatewayError('unauthorized', 'invalid admin credential');
    const { value, claims } = issueSession(adminKey, person.id, person.role);
    void reply.setCookie(SESSION_COOKIE, value, cookieOptions(req));
    noStore(reply);
    req.log.info({ by: person.id, role: person.role }, 'dashboard session started');
    return sessionView(adminKey, person.role, claims);
  });

  app.get('/admin/session', async (req, reply) => {
    const adminKey = adminKeyOf(ctx);
    const claims = sessionClaims(req, adminKey);
    const person = claims && (await sessionHolder(ctx, claims));
    if (!claims || !person) throw new GatewayError('unauthorized', 'no valid session: sign in with POST /admin/session');
    noStore(reply);
    return sessionView(adminKey, person.role, claims);
  });

  app.delete('/admin/session', async (req, reply) => {
    const person = await requireAdmin(ctx, req);
    void reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
    req.log.info({ by: person.id }, 'dashboard session ended');
    return reply.code(204).send();
  });
}
