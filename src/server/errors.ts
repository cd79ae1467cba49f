import type { GatewayError } from '../canonical/errors.js';

/** Headers that travel with an error: `retry-after` where waiting helps, `x-should-retry: false` where nothing will. */
export function errorHeaders(error: GatewayError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  if (!error.clientRetry) headers['x-should-retry'] = 'false';
  return headers;
}
