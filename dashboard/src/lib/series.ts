import type { Interval, UsageRow } from './api-types';

/**
 * Usage rows (sparse: a bucket without traffic has no row) shaped into the aligned series the charts draw, with the
 * empty buckets filled in so a quiet hour shows as zero instead of vanishing from the axis.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export type Period = '24h' | '7d' | '30d';

export const PERIODS: readonly { value: Period; label: string }[] = [
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
];

export interface PeriodRange {
  from: string;
  to: string;
  interval: Exclude<Interval, 'total' | 'week'>;
  /** Every bucket's ISO start, oldest first, spelled as the gateway spells them. */
  buckets: string[];
}

const LENGTH_MS: Record<Period, number> = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS };

/**
 * The query range and buckets of a period: hourly for a day, daily beyond. The gateway rounds `from` down and `to`
 * up to whole hours and numbers days from the epoch in UTC; the buckets here follow the same arithmetic.
 */
export function periodRange(period: Period, now: number): PeriodRange {
  const interval = period === '24h' ? 'hour' : 'day';
  const fromMs = now - LENGTH_MS[period];
  const fromHour = Math.floor(fromMs / HOUR_MS);
  const toHour = Math.max(Math.ceil(now / HOUR_MS), fromHour + 1);
  const buckets: string[] = [];
  if (interval === 'hour') {
    for (let h = fromHour; h < toHour; h++) buckets.push(new Date(h * HOUR_MS).toISOString());
  } else {
    for (let d = Math.floor(fromHour / 24); d <= Math.floor((toHour - 1) / 24); d++) buckets.push(new Date(d * DAY_MS).toISOString());
  }
  return { from: new Date(fromMs).toISOString(), to: new Date(now).toISOString(), interval, buckets };
}

export const tokensOf = (row: Pick<UsageRow, 'inputTokens' | 'outputTokens'>): number => row.inputTokens + row.outputTokens;

export interface Totals {
  requests: number;
  tokens: number;
  costUsd: number;
  baselineCostUsd: number;
  savingsUsd: number;
  unpricedRequests: number;
}

export function sumRows(rows: readonly UsageRow[]): Totals {
  const totals: Totals = { requests: 0, tokens: 0, costUsd: 0, baselineCostUsd: 0, savingsUsd: 0, unpricedRequests: 0 };
  for (const r of rows) {
    totals.requests += r.requests;
    totals.tokens += tokensOf(r);
    totals.costUsd += r.costUsd;
    totals.baselineCostUsd += r.baselineCostUsd;
    totals.savingsUsd += r.savingsUsd;
    totals.unpricedRequests += r.unpricedRequests;
  }
  return totals;
}

/** Savings as a share of the baseline; null when there is no baseline to compare with. */
export function savingsShare(totals: Pick<Totals, 'savingsUsd' | 'baselineCostUsd'>): number | null {
  return totals.baselineCostUsd > 0 ? totals.savingsUsd / totals.baselineCostUsd : null;
}

export interface TotalsSeries {
  costUsd: number[];
  baselineCostUsd: number[];
  requests: number[];
  tokens: number[];
}

/** Ungrouped rows (one per bucket) aligned on the buckets. */
export function totalsSeries(rows: readonly UsageRow[], buckets: readonly string[]): TotalsSeries {
  const byBucket = new Map<string, Totals>();
  for (const r of rows) {
    const own = sumRows([r]);
    const prev = byBucket.get(r.bucket);
    byBucket.set(r.bucket, prev ? addTotals(prev, own) : own);
  }
  const pick = (f: (t: Totals) => number) => buckets.map((b) => (byBucket.has(b) ? f(byBucket.get(b)!) : 0));
  return { costUsd: pick((t) => t.costUsd), baselineCostUsd: pick((t) => t.baselineCostUsd), requests: pick((t) => t.requests), tokens: pick((t) => t.tokens) };
}

function addTotals(a: Totals, b: Totals): Totals {
  return {
    requests: a.requests + b.requests,
    tokens: a.tokens + b.tokens,
    costUsd: a.costUsd + b.costUsd,
    baselineCostUsd: a.baselineCostUsd + b.baselineCostUsd,
    savingsUsd: a.savingsUsd + b.savingsUsd,
    unpricedRequests: a.unpricedRequests + b.unpricedRequests,
  };
}

export interface ShareSeries {
  /** Group labels, largest overall first; "Other" last when groups were merged. */
  groups: string[];
  /** Per group, its share of each bucket's tokens in [0, 1] (0 for a bucket without traffic). */
  shares: number[][];
}

export const OTHER = 'Other';

/**
 * Each group's share of the tokens of every bucket (grouped rows). Past `maxGroups` the smallest groups are merged
 * into "Other", so a stacked chart stays legible; a null group is named by `label`.
 */
export function tokenShareSeries(rows: readonly UsageRow[], buckets: readonly string[], label: (group: string | null) => string, maxGroups = 8): ShareSeries {
  const overall = new Map<string, number>();
  for (const r of rows) overall.set(label(r.group), (overall.get(label(r.group)) ?? 0) + tokensOf(r));
  const ranked = [...overall.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([g]) => g);
  const kept = ranked.length > maxGroups ? ranked.slice(0, maxGroups - 1) : ranked;
  const groups = ranked.length > kept.length ? [...kept, OTHER] : kept;
  const index = new Map(groups.map((g, i) => [g, i]));
  const position = new Map(buckets.map((b, i) => [b, i]));
  const tokens = groups.map(() => buckets.map(() => 0));
  const bucketTotals = buckets.map(() => 0);
  for (const r of rows) {
    const b = position.get(r.bucket);
    if (b === undefined) continue;
    const g = index.get(label(r.group)) ?? index.get(OTHER)!;
    tokens[g]![b]! += tokensOf(r);
    bucketTotals[b]! += tokensOf(r);
  }
  return { groups, shares: tokens.map((series) => series.map((t, b) => (bucketTotals[b]! > 0 ? t / bucketTotals[b]! : 0))) };
}

/** Totals per group over the whole range (rows of an `interval=total` query), largest token count first. */
export function groupTotals(rows: readonly UsageRow[], label: (group: string | null) => string): { name: string; tokens: number; requests: number; costUsd: number }[] {
  const byName = new Map<string, { name: string; tokens: number; requests: number; costUsd: number }>();
  for (const r of rows) {
    const name = label(r.group);
    const t = byName.get(name) ?? { name, tokens: 0, requests: 0, costUsd: 0 };
    t.tokens += tokensOf(r);
    t.requests += r.requests;
    t.costUsd += r.costUsd;
    byName.set(name, t);
  }
  return [...byName.values()].sort((a, b) => b.tokens - a.tokens || a.name.localeCompare(b.name));
}
