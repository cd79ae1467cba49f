/**
 * The usage ledger: one record per request, failures and client aborts included. Money is integer nano-dollars;
 * token counts are undefined when unknown (never 0 for unknown).
 */
export interface LedgerAttempt {
  provider: string;
  model: string;
  outcome: 'ok' | 'error' | 'skipped';
  phase: 'initial' | 'retry' | 'resume';
  errorCode?: string;
  upstreamStatus?: number;
  /** Why it failed (already redacted by the adapters). */
  message?: string;
  /** Milliseconds from the start of routing to this attempt, its duration, and its time to first content. */
  startMs?: number;
  durationMs: number;
  ttftMs?: number;
  /** A stream broken after content: the characters of text the client had received from this host. */
  deliveredChars?: number;
  /** What this attempt cost when the host billed it (a stream cut after content); undefined when not billed. */
  costNano?: number;
  /** True when the attempt's cost is estimated from delivered text rather than reported usage. */
  estimated?: boolean;
}

export interface LedgerRecord {
  /** The request id (idempotency key: writing the same record twice stores it once). */
  id: string;
  /** ISO time the request started. */
  at: string;
  route: 'chat' | 'messages' | 'embeddings';
  stream: boolean;
  keyId?: string;
  teamId?: string;
  requestedModel: string;
  /** Canonical id of the model that answered, and its host. */
  model?: string;
  provider?: string;
  /** Provenance of the served model and host, copied at write time so reports never depend on a later catalogue. */
  origin?: string;
  jurisdiction?: string;
  license?: string;
  openWeights?: boolean;
  developer?: string;
  attempts: LedgerAttempt[];
  inputTokens?: number;
  cachedInputTokens?: number;
  outputTokens?: number;
  reasoningTokens?: number;
  /** Output counted from delivered text with the tokenizer (an aborted or broken stream). */
  tokensEstimated?: boolean;
  /** The answer's cost; undefined = unpriced. */
  costNano?: number;
  /** Cost of billed failed attempts, kept apart from the answer's. */
  attemptsCostNano?: number;
  /** The same tokens at the baseline model's price; undefined when the baseline is unpriced or usage unknown. */
  baselineCostNano?: number;
  baselineModel?: string;
  latencyMs: number;
  ttftMs?: number;
  status: number;
  outcome: 'ok' | 'error' | 'broken' | 'resumed' | 'aborted';
  errorCode?: string;
  dataClass?: string;
  /** Policy and block decisions that shaped the route (names only; never another tenant's settings). */
  policy?: string;
  blocked?: string[];
  tags?: string[];
  /** Only for keys that opted in, with secrets redacted. */
  prompt?: string;
  completion?: string;
  /** The routing decision record (candidates, exclusions, attempts). */
  decision?: unknown;
}

export type GroupBy = 'origin' | 'model' | 'provider' | 'key' | 'team' | 'license' | 'tag' | 'jurisdiction' | 'openWeights' | 'developer';
/** Buckets are UTC: hours, days, ISO weeks (starting Monday); `total` is one bucket for the whole range. */
export type Interval = 'hour' | 'day' | 'week' | 'total';

export interface UsageQuery {
  groupBy?: GroupBy;
  interval?: Interval;
  from?: string;
  to?: string;
  /** Restrict to one key or team (a viewer scoped to a tenant, or a virtual key reading its own usage). */
  keyId?: string;
  teamId?: string;
}

/** Requests as the ledger lists them (`GET /admin/requests`), newest first. */
export interface RequestListQuery {
  limit?: number;
  /** Only records strictly older than this time (paging). */
  before?: string;
  keyId?: string;
  teamId?: string;
  model?: string;
  status?: number;
}

/** One host's attempts in one bucket: latency and time-to-first-token percentiles from fixed-bucket histograms. */
export interface HostUsageRow {
  bucket: string;
  provider: string;
  model: string;
  attempts: number;
  errors: number;
  errorRate: number;
  latencyP50Ms: number | null;
  latencyP90Ms: number | null;
  latencyP99Ms: number | null;
  ttftP50Ms: number | null;
  ttftP90Ms: number | null;
  ttftP99Ms: number | null;
}

export interface UsageRow {
  bucket: string;
  group: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  errors?: number;
  unpricedRequests?: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
  /** baselineCostUsd − costUsd over the requests whose cost is known. */
  savingsUsd?: number;
  /** This group's share of the bucket's tokens (input + output), 0–1. */
  tokenShare?: number;
  /** This group's share of the bucket's requests, 0–1. */
  requestShare?: number;
}
