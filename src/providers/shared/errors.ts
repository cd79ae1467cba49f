import { errors as undiciErrors } from 'undici';
import { GatewayError } from '../../canonical/errors.js';
import type { Redactor } from '../../util/redact.js';

const MAX_UPSTREAM_MESSAGE = 400;

/** Reads a provider's error body in the usual shapes: OpenAI's, Anthropic's, Google's, or plain text. */
export function extractUpstreamMessage(bodyText: string): { message?: string; code?: string; type?: string } {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === 'object') {
      const root = parsed as Record<string, unknown>;
      const err = (Array.isArray(root) ? root[0] : root) as Record<string, unknown>;
      const inner = (err.error && typeof err.error === 'object' ? err.error : err) as Record<string, unknown>;
      return {
        message: typeof inner.message === 'string' ? inner.message : typeof err.message === 'string' ? err.message : undefined,
        code: typeof inner.code === 'string' ? inner.code : typeof inner.status === 'string' ? inner.status : undefined,
        type: typeof inner.type === 'string' ? inner.type : undefined,
      };
    }
  } catch {
    // not JSON: fall through to the text itself
  }
  const text = bodyText.trim();
  return text ? { message: text } : {};
}

const CONTEXT_PATTERNS = /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|input is too long|exceeds the (?:model'?s )?(?:maximum|max)/i;

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(raw);
  if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return undefined;
}

/** Maps an upstream HTTP error to the catalogue, naming the host but never its key. */
export function upstreamHttpError(
  providerId: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  redactor: Redactor,
): GatewayError {
  const { message: rawMessage, code } = extractUpstreamMessage(bodyText);
  const detail = rawMessage ? redactor.redact(rawMessage).slice(0, MAX_UPSTREAM_MESSAGE) : undefined;
  const suffix = detail ? `: ${detail}` : '';
  const base = { provider: providerId, upstreamStatus: status };

  if (status === 401 || status === 403) {
    // The upstream's own words may quote the credential; say only what happened.
    return new GatewayError('upstream_auth_failed', `provider ${providerId} rejected the gateway's credentials (HTTP ${status})`, base);
  }
  if (status === 429) {
    return new GatewayError('upstream_rate_limited', `provider ${providerId} is rate limiting requests${suffix}`, {
      ...base,
      retryAfterSeconds: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status === 408 || status === 504) {
    return new GatewayError('upstream_timeout', `provider ${providerId} timed out (HTTP ${status})${suffix}`, base);
  }
  if (status === 503 || status === 529) {
    return new GatewayError('upstream_unavailable', `provider ${providerId} is unavailable (HTTP ${status})${suffix}`, {
      ...base,
      retryAfterSeconds: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status >= 500) {
    return new GatewayError('upstream_error', `provider ${providerId} failed (HTTP ${status})${suffix}`, base);
  }
  if (status === 413) {
    // Checked before the context patterns: "request exceeds the maximum allowed number of bytes" is about size.
    return new GatewayError('body_too_large', `provider ${providerId} rejected the request as too large (HTTP 413)${suffix}`, { ...base, status: 413 });
  }
  if (code === 'context_length_exceeded' || (rawMessage && CONTEXT_PATTERNS.test(rawMessage))) {
    return new GatewayError('context_length_exceeded', `the request exceeds the context window of the model on ${providerId}${suffix}`, base);
  }
  if (status === 404) {
    return new GatewayError('upstream_error', `provider ${providerId} does not serve the requested model or path (HTTP 404)${suffix}`, {
      ...base,
      retryableUpstream: true,
    });
  }
  return new GatewayError('upstream_bad_request', `provider ${providerId} rejected the request (HTTP ${status})${suffix}`, {
    ...base,
    status: status === 422 ? 400 : status,
  });
}

export type AbortReason = 'client' | 'first-token' | 'total' | 'idle';

/** Maps a transport failure (connect, timeout, reset, abort) to the catalogue. */
export function transportError(providerId: string, err: unknown, abortReason: AbortReason | undefined, timeouts: { firstTokenMs: number; totalMs: number; idleMs: number; connectMs: number }): GatewayError {
  if (err instanceof GatewayError) return err;
  const base = { provider: providerId, cause: err };
  if (abortReason === 'first-token') {
    return new GatewayError('upstream_timeout', `provider ${providerId} sent no first token within ${timeouts.firstTokenMs} ms`, base);
  }
  if (abortReason === 'total') {
    return new GatewayError('upstream_timeout', `provider ${providerId} did not finish within ${timeouts.totalMs} ms`, base);
  }
  if (abortReason === 'client') {
    return new GatewayError('stream_interrupted', 'the client closed the connection', { ...base, retryableUpstream: false });
  }
  if (err instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError('upstream_timeout', `could not connect to provider ${providerId} within ${timeouts.connectMs} ms`, base);
  }
  if (err instanceof undiciErrors.HeadersTimeoutError) {
    return new GatewayError('upstream_timeout', `provider ${providerId} sent no response within ${timeouts.firstTokenMs} ms`, base);
  }
  if (err instanceof undiciErrors.BodyTimeoutError || abortReason === 'idle') {
    return new GatewayError('upstream_timeout', `provider ${providerId} stalled for more than ${timeouts.idleMs} ms`, base);
  }
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return new GatewayError('upstream_unavailable', `provider ${providerId} is unreachable (${code})`, base);
  }
  if (err instanceof undiciErrors.SocketError || code === 'ECONNRESET' || code === 'EPIPE') {
    return new GatewayError('stream_interrupted', `provider ${providerId} closed the connection unexpectedly`, base);
  }
  return new GatewayError('upstream_error', `request to provider ${providerId} failed`, base);
}
