import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../../canonical/errors.js';
import type { Person } from '../../tenancy/service.js';
import type { Role } from '../../tenancy/types.js';
import { presentedKey, safeEqual } from '../auth.js';
import type { GatewayContext } from '../context.js';

export type AdminRole = Role;

const RANK: Record<Role, number> = { viewer: 1, admin: 2 };

export function roleCovers(held: Role, needed: Role): boolean {
  return RANK[held] >= RANK[needed];
}

/**
 * Who is calling the admin API: the admin key (role admin) or a person's token (its role). Without an admin key
 * configured the admin API is off (403 with a hint), whatever address the gateway listens on: an open admin API is
 * never a default. Reads need `viewer`, changes `admin`.
 */
export async function requireAdmin(ctx: GatewayContext, req: FastifyRequest, need: Role = 'viewer'): Promise<Person> {
  if (!ctx.auth.adminKey) {
    throw new GatewayError('admin_disabled', 'the admin API is off: set SWITCHBOARD_ADMIN_KEY (or the variable admin.apiKeyEnv names) and restart');
  }
  const secret = presentedKey(req.headers);
  if (!secret) throw new GatewayError('unauthorized', 'missing admin credential: send Authorization: Bearer <admin key or token>');
  let person: Person | undefined;
  if (safeEqual(secret, ctx.auth.adminKey)) person = { role: 'admin', id: 'admin-key' };
  else if (ctx.tenancy) {
    const token = await ctx.tenancy.personByToken(secret);
    if (token) person = { role: token.role, id: token.id };
  }
  if (!person) throw new GatewayError('unauthorized', 'invalid admin credential');
  if (!roleCovers(person.role, need)) throw new GatewayError('forbidden', `this credential (${person.role}) may only read`);
  return person;
}
