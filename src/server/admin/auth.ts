import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../../canonical/errors.js';
import { presentedKey, safeEqual, type AuthSettings } from '../auth.js';

export type AdminRole = 'admin' | 'viewer';

/**
 * Who is calling the admin API. Without an admin key configured the admin API is off (403 with a hint), whatever
 * address the gateway listens on: an open admin API is never a default.
 */
export function requireAdmin(settings: AuthSettings, req: FastifyRequest, need: AdminRole = 'viewer'): AdminRole {
  if (!settings.adminKey) {
    throw new GatewayError('admin_disabled', 'the admin API is off: set SWITCHBOARD_ADMIN_KEY (or the variable admin.apiKeyEnv names) and restart');
  }
  const key = presentedKey(req.headers);
  if (!key) throw new GatewayError('unauthorized', 'missing admin credential: send Authorization: Bearer <admin key>');
  if (!safeEqual(key, settings.adminKey)) throw new GatewayError('unauthorized', 'invalid admin credential');
  const role: AdminRole = 'admin';
  if (need === 'admin' && role !== 'admin') throw new GatewayError('forbidden', 'this credential may only read');
  return role;
}
