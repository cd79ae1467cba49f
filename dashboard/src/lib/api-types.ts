/**
 * The JSON the admin API answers, as the dashboard reads it. Each shape mirrors a handler on the server side:
 * sessions and providers (src/server/admin/session.ts, providers.ts), keys (keys.ts), usage and requests
 * (usage.ts, src/ledger/query.ts), policies, blocks and drills (sovereignty.ts, src/policy/drill.ts).
 */

export type Role = 'admin' | 'viewer';

export interface Session {
  role: Role;
  csrfToken: string;
  expiresAt: string;
}

export interface ListOf<T> {
  data: T[];
}

export interface RowsOf<T> {
  rows: T[];
}

// -- keys --------------------------------------------------------------------------------------------------------

export type BudgetPeriod = 'day' | 'month' | 'total';

export interface Budget {
  usd: number;
  period: BudgetPeriod;
}

export interface Limits {
  rpm?: number;
  tpm?: number;
}

export interface VirtualKey {
  id: string;
  name: string;
  team: string | null;
  teamId: string | null;
  budget: Budget | null;
  limits: Limits | null;
  policy: string | null;
  models: string[] | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  /** Spend in the budget's current period; null when the key has no budget. */
  spentUsd: number | null;
  reservedUsd: number | null;
}

export interface CreatedKey extends VirtualKey {
  /** The secret: shown once, never again. */
  key: string;
}

export interface CreateKeyBody {
  name: string;
  team?: string;
  budget?: Budget;
  limits?: Limits;
  policy?: string;
  models?: string[];
  expiresAt?: string;
}

export interface PatchKeyBody {
  budget?: Budget | null;
  limits?: Limits | null;
}

export interface Team {
  id: string;
  name: string;
  budget: Budget | null;
  limits: Limits | null;
  policy: string | null;
  spentUsd: number | null;
}

// -- usage -------------------------------------------------------------------------------------------------------

export type Interval = 'hour' | 'day' | 'week' | 'total';
export type GroupBy = 'origin' | 'model' | 'provider' | 'key' | 'team' | 'license' | 'tag' | 'jurisdiction' | 'openWeights' | 'developer';

export interface UsageRow {
  bucket: string;
  group: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  errors: number;
  unpricedRequests: number;
  savingsUsd: number;
  tokenShare: number;
  requestShare: number;
}

export interface UsageQuery {
  groupBy?: GroupBy;
  interval: Interval;
  from: string;
  to?: string;
}

export type TopBy = 'cost' | 'tokens' | 'requests';

// -- requests ----------------------------------------------------------------------------------------------------

export interface Exclusion {
  model: string;
  provider: string;
  reason: string;
  kind?: 'policy' | 'block';
}

export interface Attempt {
  provider: string;
  model: string;
  outcome: 'ok' | 'error' | 'skipped';
  phase: 'initial' | 'retry' | 'resume';
  errorCode?: string;
  upstreamStatus?: number;
  message?: string;
  startMs?: number;
  durationMs: number;
  ttftMs?: number;
  costNano?: number;
  estimated?: boolean;
}

/**
 * One request: the ledger's record in the shape of a routing decision. Requests not yet written to the ledger come
 * from the gateway's memory and carry only the decision's fields, hence the many optional ones.
 */
export interface RequestRecord {
  requestId: string;
  at: string;
  route: 'chat' | 'messages' | 'embeddings';
  stream: boolean;
  requestedModel: string;
  fallbackModels?: string[];
  keyId?: string;
  teamId?: string;
  model?: string;
  provider?: string;
  origin?: string;
  jurisdiction?: string;
  license?: string;
  openWeights?: boolean;
  developer?: string;
  candidates: number;
  exclusions: Exclusion[];
  plan: { provider: string; model: string }[];
  attempts: Attempt[];
  served?: { provider: string; model: string };
  outcome: 'ok' | 'error' | 'broken' | 'resumed' | 'aborted';
  status: number;
  errorCode?: string;
  warnings?: string[];
  inputTokens?: number;
  cachedInputTokens?: number;
  outputTokens?: number;
  reasoningTokens?: number;
  tokensEstimated?: boolean;
  costUsd?: number | null;
  baselineCostUsd?: number | null;
  baselineModel?: string;
  latencyMs?: number;
  ttftMs?: number;
  dataClass?: string;
  policy?: string;
  blocked?: string[];
  tags?: string[];
  prompt?: string;
  completion?: string;
}

export interface RequestFilter {
  keyId?: string;
  teamId?: string;
  model?: string;
  status?: string;
  before?: string;
  limit?: number;
}

// -- sovereignty -------------------------------------------------------------------------------------------------

/** A policy as the config file writes it (src/config/schema.ts policySchema). */
export interface PolicyRules {
  allowOrigins?: string[];
  denyOrigins?: string[];
  allowJurisdictions?: string[];
  denyJurisdictions?: string[];
  openWeightsOnly?: boolean;
  allowLicenses?: string[];
  selfHostedOnly?: boolean;
  zeroDataRetention?: boolean;
  noTrainingOnPrompts?: boolean;
  allowModels?: string[];
  allowProviders?: string[];
  denyModels?: string[];
  denyProviders?: string[];
  maxPricePerMillion?: { prompt?: number; completion?: number };
  denyUnknownOrigin?: boolean;
  allowZeroPriceOverBudget?: boolean;
}

export interface PolicyEntry {
  name: string;
  source: 'config' | 'database';
  policy: PolicyRules;
  updatedAt?: string;
  updatedBy?: string;
}

/** A data class from the config: `rank` 0 is the least restrictive (a key's minimum compares by rank). */
export interface DataClassEntry {
  name: string;
  rank: number;
  policy: PolicyRules;
}

export type BlockKind = 'origin' | 'provider' | 'model';

export interface Block {
  id: string;
  selector: { kind: BlockKind; value: string };
  reason: string | null;
  until: string | null;
  createdAt: string;
  createdBy: string;
  removedAt: string | null;
  removedBy: string | null;
  active: boolean;
}

export type BlockBody = { [K in BlockKind]?: string } & { reason?: string; until?: string };

// -- providers ---------------------------------------------------------------------------------------------------

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface ProviderHost {
  host: string;
  provider: string;
  company: string | null;
  model: string;
  upstreamModel: string;
  origin: string | null;
  jurisdiction: string | null;
  selfHosted: boolean;
  priceInPerM: number | null;
  priceOutPerM: number | null;
  breaker: 'closed' | 'open' | 'half-open';
  healthy: boolean;
  live: { latencyMs: number | null; ttftMs: number | null; errorRate: number | null };
  /** The ledger over the window; null when the gateway has no ledger or its database did not answer. */
  window: { requests: number; errorRate: number | null; latencyMs: Percentiles | null; ttftMs: Percentiles | null } | null;
  blocked: boolean;
  blockedBy: string[];
}

// -- drills ------------------------------------------------------------------------------------------------------

export type DrillWithout = { origin: string } | { provider: string } | { model: string };

export interface DrillBody {
  without: DrillWithout[];
  since?: string;
  threshold?: number;
}

export interface ConcentrationRow {
  name: string;
  requests: number;
  requestShare: number;
  tokens: number;
  tokenShare: number;
  costUsd: number;
  costShare: number;
  flagged: boolean;
}

export interface Concentration {
  threshold: number;
  byDeveloper: ConcentrationRow[];
  byOrigin: ConcentrationRow[];
  byJurisdiction: ConcentrationRow[];
  byLicense: ConcentrationRow[];
  flags: string[];
}

export interface ReroutedRow {
  from: string;
  to: string;
  fromModel: string;
  fromProvider: string;
  toModel: string;
  toProvider: string;
  via: 'same-model' | 'substitute' | 'same-tier';
  requests: number;
  tokens: number;
  costDeltaUsd: number;
  unpricedRequests: number;
}

export interface BreakdownRow {
  name: string;
  requests: number;
  tokens: number;
  costUsd: number;
  rerouted: number;
  unroutable: number;
  costDeltaUsd: number;
}

export interface Tally {
  requests: number;
  tokens: number;
  costUsd: number;
}

export interface DrillResult {
  without: DrillWithout[];
  window: { from: string; to: string; since: string };
  total: Tally;
  affected: Tally;
  rerouted: ReroutedRow[];
  unroutable: Tally & { byModel: { model: string; requests: number; reason: string }[] };
  breakdown: { byKey: BreakdownRow[]; byTeam: BreakdownRow[]; byModel: BreakdownRow[] };
  concentration: Concentration;
  concentrationAfter: Concentration;
}
