import { LAT_COLUMNS, TTFT_COLUMNS, type Dimension } from './rollup.js';
import type { Interval, LedgerRecord, RequestListQuery } from './types.js';

/** A usage query after validation: one scope, one dimension, a range of whole hours [fromHour, toHour). */
export interface ResolvedUsageQuery {
  /** One key's or one team's own usage (from the tenant roll-ups); neither: everyone's. */
  keyId?: string;
  teamId?: string;
  dim: Dimension;
  interval: Interval;
  fromHour: number;
  toHour: number;
}

export interface ResolvedHostQuery {
  interval: Interval;
  fromHour: number;
  toHour: number;
  provider?: string;
}

/** Sums of one (bucket, value) as the database returns them. */
export interface RawUsageRow {
  b: number;
  value: string;
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
}

export interface RawHostRow {
  b: number;
  provider: string;
  model: string;
  attempts: number;
  errors: number;
  lat: number[];
  ttft: number[];
}

/** Where ledger records and roll-ups live: the same tables and behaviour on SQLite and PostgreSQL. */
export interface LedgerStore {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Inserts the records whose id is not stored yet and adds exactly those to the roll-ups, in one transaction:
   * a batch retried after a lost COMMIT, or replayed from the spool, never counts twice. Returns how many were new.
   */
  insertBatch(records: readonly LedgerRecord[]): Promise<number>;
  usage(query: ResolvedUsageQuery): Promise<RawUsageRow[]>;
  hosts(query: ResolvedHostQuery): Promise<RawHostRow[]>;
  list(query: RequestListQuery): Promise<LedgerRecord[]>;
  get(id: string): Promise<LedgerRecord | undefined>;
  /** Deletes up to `limit` records that started before `before`; roll-ups are kept. Returns how many went. */
  purge(before: string, limit: number): Promise<number>;
  count(): Promise<number>;
}

/** SQL for the bucket of an interval, from the integer hour column `bucket` (same in both dialects). */
export function bucketExpression(interval: Interval, column = 'bucket'): string {
  switch (interval) {
    case 'hour':
      return column;
    case 'day':
      return `(${column} / 24)`;
    case 'week':
      // 1970-01-01 was a Thursday: day + 3 counts from the Monday before it.
      return `((${column} / 24 + 3) / 7)`;
    case 'total':
      return '0';
  }
}

const DAY_MS = 86_400_000;

/** The ISO start of a bucket number of an interval. */
export function bucketStart(interval: Interval, b: number, fromHour: number): string {
  switch (interval) {
    case 'hour':
      return new Date(b * 3_600_000).toISOString();
    case 'day':
      return new Date(b * DAY_MS).toISOString();
    case 'week':
      return new Date((b * 7 - 3) * DAY_MS).toISOString();
    case 'total':
      return new Date(fromHour * 3_600_000).toISOString();
  }
}

/** The column of the tenant roll-ups that holds a dimension ('' for the ungrouped total). */
export const TENANT_COLUMN: Partial<Record<Dimension, string>> = {
  all: "''",
  model: 'model',
  provider: 'provider',
  origin: 'origin',
  openWeights: 'open_weights',
  key: 'key_id',
  tag: 'tag',
};

/**
 * The SQL of a usage query with `?` placeholders, and its parameters. Everyone's usage reads `ledger_rollup`
 * (one dimension's rows); a key's or team's reads the tenant roll-ups grouped by the dimension's column.
 */
export function usageSql(q: ResolvedUsageQuery): { sql: string; params: unknown[] } {
  const b = bucketExpression(q.interval);
  if (q.keyId === undefined && q.teamId === undefined) {
    const firstDay = Math.ceil(q.fromHour / 24);
    const lastDay = Math.floor(q.toHour / 24);
    if (q.interval === 'hour' || firstDay >= lastDay) {
      return {
        sql: `SELECT ${b} AS b, value, ${RAW_USAGE_SELECT} FROM ledger_rollup WHERE scope = '' AND dim = ? AND bucket >= ? AND bucket < ? GROUP BY 1, 2 ORDER BY 1, 2`,
        params: [q.dim, q.fromHour, q.toHour],
      };
    }
    // Whole days from the daily rows, the hours before the first and after the last whole day from the hourly ones.
    const parts = `SELECT ${b} AS b, value, ${MEASURE_LIST} FROM ledger_rollup WHERE scope = '' AND dim = ? AND bucket >= ? AND bucket < ?
      UNION ALL SELECT ${dayBucketExpression(q.interval)} AS b, value, ${MEASURE_LIST} FROM ledger_rollup WHERE scope = 'd' AND dim = ? AND bucket >= ? AND bucket < ?
      UNION ALL SELECT ${b} AS b, value, ${MEASURE_LIST} FROM ledger_rollup WHERE scope = '' AND dim = ? AND bucket >= ? AND bucket < ?`;
    return {
      sql: `SELECT b, value, ${RAW_USAGE_SELECT} FROM (${parts}) AS u GROUP BY 1, 2 ORDER BY 1, 2`,
      params: [q.dim, q.fromHour, firstDay * 24, q.dim, firstDay, lastDay, q.dim, lastDay * 24, q.toHour],
    };
  }
  const column = TENANT_COLUMN[q.dim];
  if (!column) throw new RangeError(`a tenant's usage cannot be grouped by ${q.dim}`);
  const table = q.dim === 'tag' ? 'ledger_tenant_tags' : 'ledger_tenant_rollup';
  const [owner, id] = q.keyId !== undefined ? ['key_id', q.keyId] : ['team_id', q.teamId];
  return {
    sql: `SELECT ${b} AS b, ${column} AS value, ${RAW_USAGE_SELECT} FROM ${table} WHERE ${owner} = ? AND bucket >= ? AND bucket < ? GROUP BY 1, 2 ORDER BY 1, 2`,
    params: [id, q.fromHour, q.toHour],
  };
}

/** The bucket of an interval from a daily row's `bucket` (days since 1970-01-01). */
function dayBucketExpression(interval: Interval): string {
  switch (interval) {
    case 'hour':
      throw new RangeError('daily rows have no hours');
    case 'day':
      return 'bucket';
    case 'week':
      return '((bucket + 3) / 7)';
    case 'total':
      return '0';
  }
}

const MEASURE_LIST = 'requests, errors, priced_requests, estimated_requests, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_nano, baseline_nano';

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
export function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

export const RAW_USAGE_SELECT = `SUM(requests) AS requests, SUM(errors) AS errors, SUM(priced_requests) AS priced_requests,
  SUM(estimated_requests) AS estimated_requests, SUM(input_tokens) AS input_tokens, SUM(cached_input_tokens) AS cached_input_tokens,
  SUM(output_tokens) AS output_tokens, SUM(reasoning_tokens) AS reasoning_tokens, SUM(cost_nano) AS cost_nano, SUM(baseline_nano) AS baseline_nano`;

/** The SQL of a per-host query with `?` placeholders, and its parameters (both dialects). */
export function hostsSql(q: ResolvedHostQuery): { sql: string; params: unknown[] } {
  const sums = ['attempts', 'errors', ...LAT_COLUMNS, ...TTFT_COLUMNS].map((c) => `SUM(${c}) AS ${c}`).join(', ');
  const where = q.provider === undefined ? '' : ' AND provider = ?';
  const params: unknown[] = [q.fromHour, q.toHour];
  if (q.provider !== undefined) params.push(q.provider);
  return {
    sql: `SELECT ${bucketExpression(q.interval)} AS b, provider, model, ${sums} FROM ledger_host_rollup WHERE bucket >= ? AND bucket < ?${where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    params,
  };
}

export function rawHostRow(row: Record<string, unknown>, n: (v: unknown) => number): RawHostRow {
  return {
    b: n(row.b),
    provider: String(row.provider),
    model: String(row.model),
    attempts: n(row.attempts),
    errors: n(row.errors),
    lat: LAT_COLUMNS.map((c) => n(row[c])),
    ttft: TTFT_COLUMNS.map((c) => n(row[c])),
  };
}

export function rawUsageRow(row: Record<string, unknown>, n: (v: unknown) => number): RawUsageRow {
  return {
    b: n(row.b),
    value: String(row.value ?? ''),
    requests: n(row.requests),
    errors: n(row.errors),
    pricedRequests: n(row.priced_requests),
    estimatedRequests: n(row.estimated_requests),
    inputTokens: n(row.input_tokens),
    cachedInputTokens: n(row.cached_input_tokens),
    outputTokens: n(row.output_tokens),
    reasoningTokens: n(row.reasoning_tokens),
    costNano: n(row.cost_nano),
    baselineNano: n(row.baseline_nano),
  };
}
