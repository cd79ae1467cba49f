import { timingSafeEqual, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/errors.js';

export const DEFAULT_ADMIN_KEY_ENV = 'SWITCHBOARD_ADMIN_KEY';

export interface AuthSettings {
  /** The admin key, when one is configured. */
  adminKey?: string;
  /** Model requests need no credential (loopback without an admin key, or `auth: none`). */
  openModelAccess: boolean;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const stripped = host.replace(/^\[|\]$/g, '');
  if (isIP(stripped) === 4) return stripped.startsWith('127.');
  if (isIP(stripped) === 6) return stripped === '::1';
  return false;
}

/**
 * The contract's rules: with an admin key every model request needs a valid key; without one the gateway runs
 * open, but only on a loopback address unless the config says `auth: none`; naming an unset variable stops start-up.
 */
export function resolveAuth(config: Config, env: NodeJS.ProcessEnv, host: string): AuthSettings {
  const varName = config.admin.apiKeyEnv ?? DEFAULT_ADMIN_KEY_ENV;
  const adminKey = env[varName] || undefined;
  if (config.admin.apiKeyEnv && !adminKey) {
    throw new ConfigError('admin', [`admin.apiKeyEnv: environment variable ${varName} is not set`]);
  }
  if (!adminKey && config.auth !== 'none' && !isLoopbackHost(host)) {
    throw new ConfigError('auth', [
      `refusing to listen on ${host} without an admin key: set ${varName} (clients then need keys), or set "auth: none" to run open on purpose`,
    ]);
  }
  return { adminKey, openModelAccess: config.auth === 'none' || !adminKey };
}

/** The credential a client sent, OpenAI style (`Authorization: Bearer`) or Anthropic style (`x-api-key`). */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1]!.trim();
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares in constant time (over fixed-length digests, so the length of the secret does not leak either). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
