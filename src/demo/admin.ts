/**
 * The demo's own way into the gateway's admin API: a plain fetch with the admin key. Unlike the CLI's
 * AdminClient it throws rather than exiting, so `startDemo` can clean up what it started.
 */
import type { AdminCall } from './apps.js';

export class AdminCallError extends Error {
  override name = 'AdminCallError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function adminClient(gatewayUrl: string, adminKey: string): AdminCall {
  return async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(gatewayUrl + path, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON: the raw text is the message
      }
      // The gateway's errors never echo the credential, so the message is safe to surface.
      throw new AdminCallError(res.status, `${method} ${path} answered ${res.status}: ${message}`);
    }
    return JSON.parse(text) as T;
  };
}
