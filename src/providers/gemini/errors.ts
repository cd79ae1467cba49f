import { GatewayError } from '../../canonical/errors.js';
import type { Redactor } from '../../util/redact.js';
import { upstreamHttpError } from '../shared/errors.js';

type Json = Record<string, unknown>;

/**
 * Google's error body: `{"error": {"code": 429, "message": "…", "status": "RESOURCE_EXHAUSTED", "details": [
 * {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34.4s"}, …]}}`, sometimes wrapped in an
 * array or framed as an SSE `data:` line (a failed `streamGenerateContent?alt=sse`).
 */
function googleError(bodyText: string): Json | undefined {
  let text = bodyText.trim();
  if (text.startsWith('data:')) text = text.slice(5).trim();
  try {
    let parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) parsed = parsed[0];
    const error = parsed && typeof parsed === 'object' ? (parsed as Json).error : undefined;
    return error && typeof error === 'object' && !Array.isArray(error) ? (error as Json) : undefined;
  } catch {
    return undefined;
  }
}

function details(error: Json | undefined): Json[] {
  return Array.isArray(error?.details) ? error.details.filter((d): d is Json => d !== null && typeof d === 'object') : [];
}

/** `RetryInfo.retryDelay` (a protobuf Duration in JSON: "17s", "34.4s") in whole seconds, rounded up. */
export function retryDelaySeconds(error: Json | undefined): number | undefined {
  for (const detail of details(error)) {
    if (typeof detail['@type'] !== 'string' || !detail['@type'].endsWith('google.rpc.RetryInfo')) continue;
    const match = typeof detail.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay.trim()) : null;
    if (match) return Math.ceil(Number(match[1]));
  }
  return undefined;
}

/** Google answers a bad API key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID; it is an auth failure. */
function isInvalidKey(error: Json | undefined): boolean {
  return details(error).some((d) => d.reason === 'API_KEY_INVALID') || (typeof error?.message === 'string' && /API key not valid/i.test(error.message));
}

/**
 * An upstream HTTP error (or a stream chunk's error object) from the Gemini API: the shared mapping, plus
 * Google's RetryInfo as `retry-after` when no header said it, and the 400-for-a-bad-key quirk.
 */
export function geminiHttpError(
  providerId: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  redactor: Redactor,
): GatewayError {
  const error = googleError(bodyText);
  if (status === 400 && isInvalidKey(error)) {
    return new GatewayError('upstream_auth_failed', `provider ${providerId} rejected the gateway's credentials (HTTP 400 API_KEY_INVALID)`, {
      provider: providerId,
      upstreamStatus: status,
    });
  }
  const mapped = upstreamHttpError(providerId, status, headers, error ? JSON.stringify({ error }) : bodyText, redactor);
  const delay = mapped.retryAfterSeconds === undefined ? retryDelaySeconds(error) : undefined;
  if (delay === undefined) return mapped;
  return new GatewayError(mapped.code, mapped.message, {
    param: mapped.param,
    provider: mapped.provider,
    status: mapped.status,
    retryAfterSeconds: delay,
    retryableUpstream: mapped.retryableUpstream,
    upstreamStatus: mapped.upstreamStatus,
  });
}
