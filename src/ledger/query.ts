import { GatewayError } from '../canonical/errors.js';
import { nanoToUsd } from '../catalog/cost.js';
import { GROUP_BYS, HOUR_MS, KEY_SCOPE_DIMS, TEAM_SCOPE_DIMS, histogramQuantile, type Dimension } from './rollup.js';
import { bucketStart, type RawHostRow, type RawUsageRow, type ResolvedHostQuery, type ResolvedUsageQuery } from './store.js';
import type { GroupBy, HostUsageRow, Interval, UsageRow } from './types.js';

/** Parsing of the analytics API's query strings, and the shaping of its rows (JSON and CSV). */

const INTERVALS: readonly Interval[] = ['hour', 'day', 'week', 'total'];
const DEFAULT_RANGE_MS = 30 * 24 * HOUR_MS;
/** The widest range one query may cover (hourly roll-ups: 5 years is 44k hours per value). */
const MAX_RANGE_MS = 5 * 366 * 24 * HOUR_MS;

export type QueryString = Record<string, string | string[] | undefined>;

function one(q: QueryString, name: string): string | undefined {
  const v = q[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * (value.length <= 10 ? 1000 : 1) : Date.parse(value);
  if (Number.isNaN(ms)) throw new GatewayError('invalid_request', `${name} must be an ISO-8601 time or a Unix timestamp`, { param: name });
  return ms;
}

export interface Range {
  interval: Interval;
  fromHour: number;
  toHour: number;
}

/** `interval`, `from` and `to` (default: the last 30 days, by day). Hours are whole: `from` rounds down, `to` up. */
export function parseRange(q: QueryString, now = Date.now(), defaultInterval: Interval = 'day'): Range {
  const interval = (one(q, 'interval') ?? defaultInterval) as Interval;
  if (!INTERVALS.includes(interval)) throw new GatewayError('invalid_request', `interval must be one of ${INTERVALS.join(', ')}`, { param: 'interval' });
  const to = time(one(q, 'to'), 'to') ?? now;
  const from = time(one(q, 'from'), 'from') ?? to - DEFAULT_RANGE_MS;
  if (from > to) throw new GatewayError('invalid_request', 'from must not be after to', { param: 'from' });
  if (to - from > MAX_RANGE_MS) throw new GatewayError('invalid_request', 'the range may cover at most 5 years', { param: 'from' });
  return { interval, fromHour: Math.floor(from / HOUR_MS), toHour: Math.max(Math.ceil(to / HOUR_MS), Math.floor(from / HOUR_MS) + 1) };
}

export function parseGroupBy(q: QueryString): Dimension {
  const g = one(q, 'groupBy');
  if (g === undefined) return 'all';
  if (!GROUP_BYS.includes(g as GroupBy)) throw new GatewayError('invalid_request', `groupBy must be one of ${GROUP_BYS.join(', ')}`, { param: 'groupBy' });
  return g as GroupBy;
}

export function resolveUsageQuery(q: QueryString, scope: { keyId?: string; teamId?: string }, now = Date.now()): ResolvedUsageQuery {
  const range = parseRange(q, now);
  let dim = parseGroupBy(q);
  // Within one key's scope the key is constant, within a team's the team: their rows are the totals.
  if ((scope.keyId !== undefined && (dim === 'key' || dim === 'team')) || (scope.teamId !== undefined && scope.keyId === undefined && dim === 'team')) dim = 'all';
  const kept = scope.keyId !== undefined ? KEY_SCOPE_DIMS : scope.teamId !== undefined ? TEAM_SCOPE_DIMS : undefined;
  if (kept && !kept.includes(dim)) {
    throw new GatewayError('invalid_request', `one key's or team's usage can be grouped by ${kept.filter((d) => d !== 'all').join(', ')}`, { param: 'groupBy' });
  }
  return { ...range, dim, ...(scope.keyId !== undefined ? { keyId: scope.keyId } : scope.teamId !== undefined ? { teamId: scope.teamId } : {}) };
}

const round9 = (usd: number): number => Math.round(usd * 1e9) / 1e9;

/** Rows of the contract (`bucket`, `group`, `requests`, `inputTokens`, `outputTokens`, `costUsd`, `baselineCostUsd`) and more. */
export function usageRows(raw: readonly RawUsageRow[], q: ResolvedUsageQuery): UsageRow[] {
  const totals = new Map<number, { tokens: number; requests: number }>();
  for (const r of raw) {
    const t = totals.get(r.b) ?? { tokens: 0, requests: 0 };
    t.tokens += r.inputTokens + r.outputTokens;
    t.requests += r.requests;
    totals.set(r.b, t);
  }
  return raw.map((r) => {
    const t = totals.get(r.b)!;
    return {
      bucket: bucketStart(q.interval, r.b, q.fromHour),
      group: q.dim === 'all' || r.value === '' ? null : r.value,
      requests: r.requests,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      costUsd: round9(nanoToUsd(r.costNano)),
      baselineCostUsd: round9(nanoToUsd(r.baselineNano)),
      errors: r.errors,
      unpricedRequests: r.requests - r.pricedRequests,
      cachedInputTokens: r.cachedInputTokens,
      reasoningTokens: r.reasoningTokens,
      // The baseline is summed over priced requests only; an unpriced one adds nothing to either side.
      savingsUsd: round9(nanoToUsd(r.baselineNano - r.costNano)),
      tokenShare: t.tokens > 0 ? (r.inputTokens + r.outputTokens) / t.tokens : 0,
      requestShare: t.requests > 0 ? r.requests / t.requests : 0,
    };
  });
}

export type TopBy = 'cost' | 'tokens' | 'requests';

/** The groups of a `total` query ordered by cost, tokens or requests, largest first. */
export function topRows(rows: UsageRow[], by: TopBy, limit: number): UsageRow[] {
  const key = (r: UsageRow) => (by === 'cost' ? r.costUsd : by === 'tokens' ? r.inputTokens + r.outputTokens : r.requests);
  return [...rows].sort((a, b) => key(b) - key(a) || String(a.group).localeCompare(String(b.group))).slice(0, limit);
}

export function resolveHostQuery(q: QueryString, now = Date.now()): ResolvedHostQuery {
  const range = parseRange(q, now, 'total');
  const provider = one(q, 'provider');
  return { ...range, ...(provider ? { provider } : {}) };
}

export function hostUsageRows(raw: readonly RawHostRow[], q: ResolvedHostQuery): HostUsageRow[] {
  return raw.map((r) => ({
    bucket: bucketStart(q.interval, r.b, q.fromHour),
    provider: r.provider,
    model: r.model,
    attempts: r.attempts,
    errors: r.errors,
    errorRate: r.attempts > 0 ? r.errors / r.attempts : 0,
    latencyP50Ms: histogramQuantile(r.lat, 0.5),
    latencyP90Ms: histogramQuantile(r.lat, 0.9),
    latencyP99Ms: histogramQuantile(r.lat, 0.99),
    ttftP50Ms: histogramQuantile(r.ttft, 0.5),
    ttftP90Ms: histogramQuantile(r.ttft, 0.9),
    ttftP99Ms: histogramQuantile(r.ttft, 0.99),
  }));
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // A cell a spreadsheet would run as a formula is quoted with a leading apostrophe (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** CSV with a header line; the columns are the first row's keys (or `columns` for an empty result). */
export function toCsv(rows: readonly object[], columns?: readonly string[]): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  const lines = [cols.join(',')];
  for (const row of rows) lines.push(cols.map((c) => csvCell((row as Record<string, unknown>)[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const USAGE_COLUMNS = [
  'bucket',
  'group',
  'requests',
  'inputTokens',
  'outputTokens',
  'costUsd',
  'baselineCostUsd',
  'errors',
  'unpricedRequests',
  'cachedInputTokens',
  'reasoningTokens',
  'savingsUsd',
  'tokenShare',
  'requestShare',
] as const;

export const HOST_COLUMNS = ['bucket', 'provider', 'model', 'attempts', 'errors', 'errorRate', 'latencyP50Ms', 'latencyP90Ms', 'latencyP99Ms', 'ttftP50Ms', 'ttftP90Ms', 'ttftP99Ms'] as const;

export function wantsCsv(q: QueryString, accept: string | undefined): boolean {
  const format = one(q, 'format');
  if (format !== undefined) {
    if (format !== 'csv' && format !== 'json') throw new GatewayError('invalid_request', 'format must be json or csv', { param: 'format' });
    return format === 'csv';
  }
  return typeof accept === 'string' && /\btext\/csv\b/i.test(accept) && !/application\/json/i.test(accept);
}

export function queryString(q: QueryString, name: string): string | undefined {
  return one(q, name);
}
