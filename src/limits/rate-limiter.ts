/**
 * Rate limits (RPM and TPM) of keys and teams: the contract every implementation keeps, so that the single-process
 * limiter (`memory.ts`) and the cluster limiter (`redis.ts`) are interchangeable and tested with the same cases.
 *
 * Semantics, identical in both implementations:
 *
 * - **RPM is exact over a sliding 60-second window.** A request counts from the instant it is admitted until
 *   exactly 60 s later; a refused request never counts. `cost.requests` is usually 1.
 * - **TPM is a sliding window of 1-second buckets.** Estimated prompt tokens count at admission (`cost.tokens`)
 *   and output tokens when the response reports them (`addTokens`), each in the bucket of the second it was
 *   recorded. A bucket counts for the 60 whole seconds after its own, so a token is counted for at least 60 s and
 *   at most 61 s: the limiter never under-counts, it may hold tokens up to 1 s longer than an exact log would.
 *   A request is admitted when `used + max(cost.tokens, 1) ≤ tpm`, so a zero-estimate request is still refused
 *   once the window is full (output tokens can push `used` past the limit).
 * - **Every scope is checked atomically.** Either every scope admits the request and all of them count it, or
 *   none counts anything: a request refused by its team's limit consumes nothing from its key's window.
 * - **The verdict of a refusal** names the violated scope and kind with the longest wait (ties: the first in
 *   the order given, RPM before TPM), so `retryAfterSeconds` is a wait after which that request would fit as far
 *   as this moment's windows can tell. It is when enough of the oldest counted requests (or token buckets) leave
 *   the window, rounded up to whole seconds and at least 1. A request that can never fit (`cost.requests > rpm`
 *   or `cost.tokens > tpm`) is refused with the window's length, 60; callers that want a distinct "request too
 *   large" error compare the cost with the limit before calling `check`.
 * - A scope without `rpm`/`tpm` has no limit of that kind and nothing of that kind is recorded for it.
 */

export interface LimitScope {
  scope: 'key' | 'team';
  id: string;
  /** Requests per minute; absent = no request limit. */
  rpm?: number;
  /** Tokens per minute; absent = no token limit. */
  tpm?: number;
}

export interface LimitCost {
  requests: number;
  /** Estimated prompt tokens counted at admission. */
  tokens: number;
}

export type LimitVerdict =
  | { ok: true }
  | { ok: false; scope: LimitScope; kind: 'rpm' | 'tpm'; limit: number; retryAfterSeconds: number };

export interface RateLimiter {
  /** Admits the request against every scope at once, or refuses it and records nothing. */
  check(scopes: LimitScope[], cost: LimitCost): Promise<LimitVerdict>;
  /** Adds output tokens (known after the response) to the TPM window of every scope that has a `tpm`. */
  addTokens(scopes: LimitScope[], tokens: number): Promise<void>;
  close(): Promise<void>;
}

/** Minimal logger shape; pino's `Logger` fits. */
export interface LimitsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLogger: LimitsLogger = { info: () => {}, warn: () => {} };

export const WINDOW_MS = 60_000;
export const BUCKET_MS = 1_000;
/** Buckets before the current one that still count: a bucket counts for `WINDOW_MS / BUCKET_MS` buckets after its own. */
export const BUCKETS_IN_WINDOW = WINDOW_MS / BUCKET_MS;

/** Validates and normalises a cost: non-negative integers (tokens rounded up). */
export function normaliseCost(cost: LimitCost): LimitCost {
  return { requests: nonNegativeInt(cost.requests, 'cost.requests'), tokens: nonNegativeInt(cost.tokens, 'cost.tokens') };
}

export function nonNegativeInt(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  return Math.ceil(value);
}

/** A limit as given, or undefined when absent; a limit must be a finite number ≥ 0. */
export function limitOf(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  return nonNegativeInt(value, name);
}

/** Throws RangeError for a limit that is not a finite number ≥ 0 (before any store is asked, so a caller's bug is never taken for an outage). */
export function validateScopes(scopes: LimitScope[]): void {
  for (const s of scopes) {
    limitOf(s.rpm, `${s.scope} ${s.id} rpm`);
    limitOf(s.tpm, `${s.scope} ${s.id} tpm`);
  }
}

/** Milliseconds to whole seconds for Retry-After: rounded up, at least 1. */
export function retrySeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
