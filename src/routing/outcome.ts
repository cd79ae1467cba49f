import type { ErrorCode, GatewayError } from '../canonical/errors.js';

/*
 * What one attempt's result means for its host's health: the executor reports an outcome, `classifyOutcome` says
 * which health mechanism it feeds (src/routing/health.ts).
 */

/** How an attempt went, as the executor reports it after the attempt. */
export interface AttemptOutcome {
  ok: boolean;
  /** The provider of the host (used for provider-wide effects: 429 cooldowns, connection and credential failures). */
  providerId: string;
  /** The `GatewayError.code` of a failed attempt. */
  errorCode?: string;
  /** The upstream HTTP status of a failed attempt, if any: `upstream_unavailable` without one is a transport failure. */
  upstreamStatus?: number;
  /** The client went away: the attempt says nothing about the host. */
  clientAborted?: boolean;
  /** Whole request, from sending to the last byte (ms). */
  latencyMs?: number;
  /** Time to first token (ms); streams only. */
  ttftMs?: number;
  /** Output tokens generated; with `ttftMs` and `latencyMs` gives the throughput. */
  outputTokens?: number;
  /** The provider's `retry-after`, for a 429. */
  retryAfterSeconds?: number;
}

/**
 * What an outcome means for health:
 * - `success`: the host answered; resets the failure streak, closes a half-open breaker, feeds every average.
 * - `host-failure`: counts toward this host's breaker and its error rate.
 * - `provider-failure`: as `host-failure`, and also counts toward the breaker of every other known (closed) host
 *   of the same provider: the provider as a whole is unreachable or refuses the gateway's credentials.
 * - `rate-limited`: a 429; cools the whole provider down for its `retry-after`; counts in the error rate but
 *   never toward the breaker (nor resets its streak).
 * - `client-error`: the host answered but the request was at fault (context too long, bad request, content
 *   filter). Like Envoy's consecutive-5xx counter, any answer that is not a server failure breaks the streak,
 *   and a half-open probe that gets one has proved the host alive; no average is fed (a rejection's latency
 *   and error say nothing of the host).
 * - `ignored`: says nothing about the host (the client disconnected; the gateway's own failures); only frees
 *   a probe slot.
 */
export type OutcomeKind = 'success' | 'host-failure' | 'provider-failure' | 'rate-limited' | 'client-error' | 'ignored';

/**
 * Every catalogue code, classified (the `satisfies` makes a new code a compile error here until it is placed).
 * `upstream_unavailable` is a host failure when it carries an upstream status (503/529: this model is
 * overloaded) and a provider failure without one (connection refused, DNS failure, host unreachable).
 */
const ERROR_KINDS = {
  // The gateway's own refusals: never the result of an upstream attempt.
  invalid_json: 'ignored',
  invalid_request: 'ignored',
  unsupported_media_type: 'ignored',
  unauthorized: 'ignored',
  budget_exhausted: 'ignored',
  forbidden: 'ignored',
  policy_denied: 'ignored',
  admin_disabled: 'ignored',
  csrf_failed: 'ignored',
  not_found: 'ignored',
  model_not_found: 'ignored',
  method_not_allowed: 'ignored',
  rate_limited: 'ignored',
  no_route_blocked: 'ignored',
  store_unavailable: 'ignored',
  shutting_down: 'ignored',
  // A gateway bug (an adapter threw something unexpected) is not the host's fault.
  internal_error: 'ignored',
  // The upstream answered, and the request was at fault.
  body_too_large: 'client-error',
  context_length_exceeded: 'client-error',
  content_filtered: 'client-error',
  upstream_bad_request: 'client-error',
  // Provider-wide.
  upstream_rate_limited: 'rate-limited',
  upstream_auth_failed: 'provider-failure',
  // Host-level: 5xx, a model the host does not serve (404), timeouts, broken or cut streams.
  upstream_error: 'host-failure',
  upstream_malformed: 'host-failure',
  upstream_unavailable: 'host-failure',
  upstream_timeout: 'host-failure',
  stream_interrupted: 'host-failure',
} as const satisfies Record<ErrorCode, OutcomeKind>;

/** Classifies an outcome; an unrecognised error code counts against the host. */
export function classifyOutcome(outcome: AttemptOutcome): OutcomeKind {
  if (outcome.ok) return 'success';
  if (outcome.clientAborted) return 'ignored';
  const code = outcome.errorCode;
  if (code === undefined) return 'host-failure';
  if (!Object.hasOwn(ERROR_KINDS, code)) return 'host-failure';
  const kind: OutcomeKind = ERROR_KINDS[code as ErrorCode];
  if (code === 'upstream_unavailable' && outcome.upstreamStatus === undefined) return 'provider-failure';
  return kind;
}

/**
 * The outcome of a failed attempt from its error. A `stream_interrupted` that is not retryable upstream is the
 * client's own disconnect (see providers/shared/errors.ts); pass `clientAborted` when the request's signal fired.
 */
export function failureOutcome(
  providerId: string,
  error: Pick<GatewayError, 'code' | 'retryableUpstream' | 'retryAfterSeconds' | 'upstreamStatus'>,
  extra: { latencyMs?: number; clientAborted?: boolean } = {},
): AttemptOutcome {
  return {
    ok: false,
    providerId,
    errorCode: error.code,
    upstreamStatus: error.upstreamStatus,
    retryAfterSeconds: error.retryAfterSeconds,
    clientAborted: extra.clientAborted ?? (error.code === 'stream_interrupted' && !error.retryableUpstream),
    latencyMs: extra.latencyMs,
  };
}
