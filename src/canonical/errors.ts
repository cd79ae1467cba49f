/**
 * The error catalogue: every failure the gateway reports has a stable code here, with its HTTP status,
 * the error type each client dialect expects, and whether a client retry can help.
 * docs/errors.md lists the same table; a test keeps the two in step.
 */
export const ERROR_CATALOGUE = {
  invalid_json: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', clientRetry: false },
  invalid_request: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', clientRetry: false },
  unsupported_media_type: { status: 415, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', clientRetry: false },
  unauthorized: { status: 401, openaiType: 'authentication_error', anthropicType: 'authentication_error', clientRetry: false },
  budget_exhausted: { status: 402, openaiType: 'insufficient_quota', anthropicType: 'billing_error', clientRetry: false },
  forbidden: { status: 403, openaiType: 'permission_error', anthropicType: 'permission_error', clientRetry: false },
  policy_denied: { status: 403, openaiType: 'permission_error', anthropicType: 'permission_error', clientRetry: false },
  admin_disabled: { status: 403, openaiType: 'permission_error', anthropicType: 'permission_error', clientRetry: false },
  csrf_failed: { status: 403, openaiType: 'permission_error', anthropicType: 'permission_error', clientRetry: false },
  not_found: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error', clientRetry: false },
  model_not_found: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error', clientRetry: false },
  method_not_allowed: { status: 405, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', clientRetry: false },
  body_too_large: { status: 413, openaiType: 'invalid_request_error', anthropicType: 'request_too_large', clientRetry: false },
  context_length_exceeded: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', clientRetry: false },
  content_filtered: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', clientRetry: false },
  rate_limited: { status: 429, openaiType: 'rate_limit_error', anthropicType: 'rate_limit_error', clientRetry: true },
  upstream_rate_limited: { status: 429, openaiType: 'rate_limit_error', anthropicType: 'rate_limit_error', clientRetry: true },
  upstream_bad_request: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', clientRetry: false },
  upstream_auth_failed: { status: 502, openaiType: 'api_error', anthropicType: 'api_error', clientRetry: false },
  upstream_error: { status: 502, openaiType: 'api_error', anthropicType: 'api_error', clientRetry: true },
  upstream_malformed: { status: 502, openaiType: 'api_error', anthropicType: 'api_error', clientRetry: true },
  upstream_unavailable: { status: 503, openaiType: 'api_error', anthropicType: 'overloaded_error', clientRetry: true },
  no_route_blocked: { status: 503, openaiType: 'api_error', anthropicType: 'overloaded_error', clientRetry: false },
  upstream_timeout: { status: 504, openaiType: 'timeout_error', anthropicType: 'timeout_error', clientRetry: true },
  stream_interrupted: { status: 502, openaiType: 'api_error', anthropicType: 'api_error', clientRetry: true },
  store_unavailable: { status: 503, openaiType: 'api_error', anthropicType: 'overloaded_error', clientRetry: true },
  shutting_down: { status: 503, openaiType: 'api_error', anthropicType: 'overloaded_error', clientRetry: true },
  internal_error: { status: 500, openaiType: 'api_error', anthropicType: 'api_error', clientRetry: true },
} as const satisfies Record<string, { status: number; openaiType: string; anthropicType: string; clientRetry: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface GatewayErrorOptions {
  /** The request field at fault (OpenAI's `param`). */
  param?: string;
  /** The provider id involved, never its key or URL credentials. */
  provider?: string;
  /** Overrides the catalogue's HTTP status (e.g. to relay an upstream 4xx faithfully). */
  status?: number;
  /** Seconds a client should wait, sent as `retry-after`. */
  retryAfterSeconds?: number;
  /** Whether trying the same request on another host might succeed (the router's question, not the client's). */
  retryableUpstream?: boolean;
  /** The upstream HTTP status, for the decision record. */
  upstreamStatus?: number;
  cause?: unknown;
}

/** The one error type that crosses layers; its message is safe to show a client. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly param?: string;
  readonly provider?: string;
  readonly retryAfterSeconds?: number;
  readonly retryableUpstream: boolean;
  readonly upstreamStatus?: number;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERROR_CATALOGUE[code].status;
    this.param = options.param;
    this.provider = options.provider;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
    this.retryableUpstream = options.retryableUpstream ?? defaultRetryableUpstream(code);
  }

  /** Whether a client that repeats the request unchanged could succeed (`x-should-retry`). */
  get clientRetry(): boolean {
    return ERROR_CATALOGUE[this.code].clientRetry;
  }
}

function defaultRetryableUpstream(code: ErrorCode): boolean {
  switch (code) {
    case 'upstream_error':
    case 'upstream_malformed':
    case 'upstream_unavailable':
    case 'upstream_timeout':
    case 'upstream_rate_limited':
    case 'upstream_auth_failed':
    case 'stream_interrupted':
      return true;
    default:
      return false;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}
