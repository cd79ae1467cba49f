import type { GroupBy, LedgerRecord } from './types.js';

/**
 * Roll-ups: what one batch of newly inserted records adds to the hourly sums. Contributions are summed in memory
 * per (scope, dimension, hour, value) first, so a batch of a thousand records becomes a few hundred upserts, and the
 * rows are sorted in one total order so that two replicas upserting the same rows cannot deadlock.
 */

export const HOUR_MS = 3_600_000;

/** Hours of the `YYYY-MM-DDTHH` prefixes seen lately: a batch's records share a handful of hours. */
const hourCache = new Map<string, number>();

/** Whole hours since 1970-01-01T00:00Z. */
export function hourOf(iso: string): number {
  // `Date#toISOString` form (how records are made): the hour is its first 13 characters.
  const utc = iso.length === 24 && iso.charCodeAt(23) === 90; /* Z */
  const prefix = utc ? iso.slice(0, 13) : undefined;
  if (prefix !== undefined) {
    const hit = hourCache.get(prefix);
    if (hit !== undefined) return hit;
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO time: ${iso}`);
  const hour = Math.floor(ms / HOUR_MS);
  if (prefix !== undefined) {
    if (hourCache.size >= 4096) hourCache.clear();
    hourCache.set(prefix, hour);
  }
  return hour;
}

/** Dimensions kept in `ledger_rollup`; `all` is the ungrouped total. */
export type Dimension = GroupBy | 'all';

export const GROUP_BYS: readonly GroupBy[] = ['origin', 'model', 'provider', 'key', 'team', 'license', 'tag', 'jurisdiction', 'openWeights', 'developer'];

/**
 * What a key's or team's own report can be grouped by: read from `ledger_tenant_rollup` (one row per key, hour,
 * team, model, host, origin and open-weights flag) and `ledger_tenant_tags`. A key writes one row per hour and
 * model/host it used, rather than one per dimension, so a tenant's scope costs about one row per record at most;
 * licence, jurisdiction and developer follow from model and host and are read from everyone's roll-ups.
 */
export const KEY_SCOPE_DIMS: readonly Dimension[] = ['all', 'origin', 'model', 'provider', 'openWeights', 'tag'];
export const TEAM_SCOPE_DIMS: readonly Dimension[] = [...KEY_SCOPE_DIMS, 'key'];
const GLOBAL_DIMS: readonly Dimension[] = ['all', ...GROUP_BYS];

/** Upper bounds (ms) of the latency and TTFT histogram buckets; the last bucket is everything above. 19 buckets. */
export const HISTOGRAM_BOUNDS_MS: readonly number[] = [25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 8000, 13000, 20000, 30000, 60000, 120000];
export const HISTOGRAM_BUCKETS = HISTOGRAM_BOUNDS_MS.length + 1;

export function histogramBucket(ms: number): number {
  for (let i = 0; i < HISTOGRAM_BOUNDS_MS.length; i++) if (ms <= HISTOGRAM_BOUNDS_MS[i]!) return i;
  return HISTOGRAM_BOUNDS_MS.length;
}

export const LAT_COLUMNS: readonly string[] = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => `lat_${String(i).padStart(2, '0')}`);
export const TTFT_COLUMNS: readonly string[] = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => `ttft_${String(i).padStart(2, '0')}`);

/**
 * The value a quantile falls on, from bucket counts: linear within the bucket it lands in (the first bucket starts
 * at 0; the open last bucket reports its lower bound). Error: at most the width of that bucket.
 */
export function histogramQuantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    if (seen + c >= rank) {
      const lower = i === 0 ? 0 : HISTOGRAM_BOUNDS_MS[i - 1]!;
      if (i >= HISTOGRAM_BOUNDS_MS.length) return lower;
      const upper = HISTOGRAM_BOUNDS_MS[i]!;
      return Math.round(lower + ((rank - seen) / c) * (upper - lower));
    }
    seen += c;
  }
  return HISTOGRAM_BOUNDS_MS.at(-1)!;
}

/** The sums every roll-up row carries. */
export interface Measures {
  requests: number;
  errors: number;
  pricedRequests: number;
  estimatedRequests: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costNano: number;
  baselineNano: number;
  latencyMs: number;
}

export interface RollupRow extends Measures {
  scope: string;
  dim: string;
  bucket: number;
  value: string;
}

export interface TenantRow extends Measures {
  keyId: string;
  bucket: number;
  teamId: string;
  model: string;
  provider: string;
  origin: string;
  openWeights: string;
}

export interface TenantTagRow extends Measures {
  keyId: string;
  bucket: number;
  teamId: string;
  tag: string;
}

export const ROLLUP_MEASURES = [
  ['requests', 'requests'],
  ['errors', 'errors'],
  ['priced_requests', 'pricedRequests'],
  ['estimated_requests', 'estimatedRequests'],
  ['input_tokens', 'inputTokens'],
  ['cached_input_tokens', 'cachedInputTokens'],
  ['output_tokens', 'outputTokens'],
  ['reasoning_tokens', 'reasoningTokens'],
  ['cost_nano', 'costNano'],
  ['baseline_nano', 'baselineNano'],
  ['latency_ms', 'latencyMs'],
] as const satisfies readonly (readonly [string, keyof Measures])[];

/** A record's contribution, computed once and added to each row it falls in. */
function measuresOf(r: LedgerRecord): Measures {
  const cost = totalCostNano(r);
  return {
    requests: 1,
    errors: r.status >= 400 ? 1 : 0,
    pricedRequests: r.costNano !== undefined ? 1 : 0,
    estimatedRequests: r.tokensEstimated ? 1 : 0,
    inputTokens: r.inputTokens ?? 0,
    cachedInputTokens: r.cachedInputTokens ?? 0,
    outputTokens: r.outputTokens ?? 0,
    reasoningTokens: r.reasoningTokens ?? 0,
    costNano: cost ?? 0,
    // Savings compare like with like: the baseline counts only where the request's own cost is known.
    baselineNano: r.costNano !== undefined && r.baselineCostNano !== undefined ? r.baselineCostNano : 0,
    latencyMs: Math.max(0, Math.round(r.latencyMs)),
  };
}

function zero(): Measures {
  return { requests: 0, errors: 0, pricedRequests: 0, estimatedRequests: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, costNano: 0, baselineNano: 0, latencyMs: 0 };
}

function add(row: Measures, m: Measures): void {
  row.requests += m.requests;
  row.errors += m.errors;
  row.pricedRequests += m.pricedRequests;
  row.estimatedRequests += m.estimatedRequests;
  row.inputTokens += m.inputTokens;
  row.cachedInputTokens += m.cachedInputTokens;
  row.outputTokens += m.outputTokens;
  row.reasoningTokens += m.reasoningTokens;
  row.costNano += m.costNano;
  row.baselineNano += m.baselineNano;
  row.latencyMs += m.latencyMs;
}

export interface HostRollupRow {
  bucket: number;
  provider: string;
  model: string;
  attempts: number;
  errors: number;
  latencyMs: number;
  ttftCount: number;
  ttftMs: number;
  lat: number[];
  ttft: number[];
}

/** The value of one dimension for a record ('' = unknown, shown as group null). */
function dimValues(record: LedgerRecord, dim: Dimension): readonly string[] {
  switch (dim) {
    case 'all':
      return [''];
    case 'origin':
      return [record.origin ?? ''];
    case 'model':
      return [record.model ?? record.requestedModel];
    case 'provider':
      return [record.provider ?? ''];
    case 'key':
      return [record.keyId ?? ''];
    case 'team':
      return [record.teamId ?? ''];
    case 'license':
      return [record.license ?? ''];
    case 'jurisdiction':
      return [record.jurisdiction ?? ''];
    case 'openWeights':
      return [record.openWeights === undefined ? '' : String(record.openWeights)];
    case 'developer':
      return [record.developer ?? ''];
    case 'tag':
      return record.tags && record.tags.length > 0 ? record.tags : [''];
  }
}

/** Total cost of a record: the answer plus billed failed attempts; undefined when neither is known. */
export function totalCostNano(record: LedgerRecord): number | undefined {
  if (record.costNano === undefined && record.attemptsCostNano === undefined) return undefined;
  return (record.costNano ?? 0) + (record.attemptsCostNano ?? 0);
}

/** `ledger_rollup.scope` of the hourly rows ('') and of the daily rows ('d', `bucket` = days since 1970-01-01). */
export const HOURLY = '';
export const DAILY = 'd';

/**
 * Sums records into everyone's roll-up rows, one per dimension and value, hourly and again daily (so a report over
 * months by day, week or in total reads days, not hours). Sorted by (scope, dim, bucket, value).
 */
export function rollupRows(records: readonly LedgerRecord[]): RollupRow[] {
  // Records of one hour that agree on every dimension are summed first: under load most of a batch does, so each
  // distinct combination, not each record, pays for the fan-out into two scopes times eleven dimensions.
  const alike = new Map<string, { record: LedgerRecord; hour: number; sum: Measures }>();
  for (const r of records) {
    const hour = hourOf(r.at);
    const signature = `${hour}\u0000${r.origin ?? ''}\u0000${r.model ?? r.requestedModel}\u0000${r.provider ?? ''}\u0000${r.keyId ?? ''}\u0000${r.teamId ?? ''}\u0000${r.license ?? ''}\u0000${r.jurisdiction ?? ''}\u0000${r.openWeights ?? ''}\u0000${r.developer ?? ''}\u0000${r.tags && r.tags.length > 0 ? JSON.stringify(r.tags) : ''}`;
    let group = alike.get(signature);
    if (!group) alike.set(signature, (group = { record: r, hour, sum: zero() }));
    add(group.sum, measuresOf(r));
  }
  const rows = new Map<string, RollupRow>();
  for (const { record: r, hour, sum } of alike.values()) {
    const day = Math.floor(hour / 24);
    for (const dim of GLOBAL_DIMS) {
      for (const value of dimValues(r, dim)) {
        for (const [scope, bucket] of [
          [HOURLY, hour],
          [DAILY, day],
        ] as const) {
          const k = `${scope}\u0000${dim}\u0000${bucket}\u0000${value}`;
          let row = rows.get(k);
          if (!row) rows.set(k, (row = { scope, dim, bucket, value, ...zero() }));
          add(row, sum);
        }
      }
    }
  }
  return [...rows.values()].sort(compareRollup);
}

/** Sums the records of keys into tenant rows, sorted by their primary key. */
export function tenantRows(records: readonly LedgerRecord[]): { rows: TenantRow[]; tags: TenantTagRow[] } {
  const rows = new Map<string, TenantRow>();
  const tags = new Map<string, TenantTagRow>();
  for (const r of records) {
    if (!r.keyId) continue;
    const bucket = hourOf(r.at);
    const m = measuresOf(r);
    const teamId = r.teamId ?? '';
    const model = r.model ?? r.requestedModel;
    const provider = r.provider ?? '';
    const origin = r.origin ?? '';
    const openWeights = r.openWeights === undefined ? '' : String(r.openWeights);
    const k = `${r.keyId}\u0000${bucket}\u0000${teamId}\u0000${model}\u0000${provider}\u0000${origin}\u0000${openWeights}`;
    let row = rows.get(k);
    if (!row) rows.set(k, (row = { keyId: r.keyId, bucket, teamId, model, provider, origin, openWeights, ...zero() }));
    add(row, m);
    for (const tag of r.tags && r.tags.length > 0 ? r.tags : ['']) {
      const tk = `${r.keyId}\u0000${bucket}\u0000${teamId}\u0000${tag}`;
      let t = tags.get(tk);
      if (!t) tags.set(tk, (t = { keyId: r.keyId, bucket, teamId, tag, ...zero() }));
      add(t, m);
    }
  }
  const order = (a: TenantRow, b: TenantRow) =>
    cmp(a.keyId, b.keyId) || a.bucket - b.bucket || cmp(a.teamId, b.teamId) || cmp(a.model, b.model) || cmp(a.provider, b.provider) || cmp(a.origin, b.origin) || cmp(a.openWeights, b.openWeights);
  const tagOrder = (a: TenantTagRow, b: TenantTagRow) => cmp(a.keyId, b.keyId) || a.bucket - b.bucket || cmp(a.teamId, b.teamId) || cmp(a.tag, b.tag);
  return { rows: [...rows.values()].sort(order), tags: [...tags.values()].sort(tagOrder) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRollup(a: RollupRow, b: RollupRow): number {
  return cmp(a.scope, b.scope) || cmp(a.dim, b.dim) || a.bucket - b.bucket || cmp(a.value, b.value);
}

/** Per host and hour: every attempt that reached a host (skipped ones did not), its latency and TTFT. */
export function hostRows(records: readonly LedgerRecord[]): HostRollupRow[] {
  const rows = new Map<string, HostRollupRow>();
  for (const r of records) {
    const bucket = hourOf(r.at);
    for (const a of r.attempts) {
      if (a.outcome === 'skipped' || !a.provider) continue;
      const k = `${bucket}\u0000${a.provider}\u0000${a.model}`;
      let row = rows.get(k);
      if (!row) {
        row = { bucket, provider: a.provider, model: a.model, attempts: 0, errors: 0, latencyMs: 0, ttftCount: 0, ttftMs: 0, lat: new Array<number>(HISTOGRAM_BUCKETS).fill(0), ttft: new Array<number>(HISTOGRAM_BUCKETS).fill(0) };
        rows.set(k, row);
      }
      row.attempts += 1;
      if (a.outcome === 'error') row.errors += 1;
      const ms = Math.max(0, Math.round(a.durationMs));
      row.latencyMs += ms;
      row.lat[histogramBucket(ms)]! += 1;
      if (a.ttftMs !== undefined) {
        const t = Math.max(0, Math.round(a.ttftMs));
        row.ttftCount += 1;
        row.ttftMs += t;
        row.ttft[histogramBucket(t)]! += 1;
      }
    }
  }
  return [...rows.values()].sort((a, b) => a.bucket - b.bucket || cmp(a.provider, b.provider) || cmp(a.model, b.model));
}
