import { describe, expect, it } from 'vitest';
import type { UsageRow } from './api-types';
import { OTHER, groupTotals, periodRange, savingsShare, sumRows, tokenShareSeries, totalsSeries } from './series';

const HOUR = 3_600_000;

function row(bucket: string, group: string | null, input: number, output: number, extra: Partial<UsageRow> = {}): UsageRow {
  return {
    bucket,
    group,
    requests: 1,
    inputTokens: input,
    outputTokens: output,
    costUsd: 0,
    baselineCostUsd: 0,
    errors: 0,
    unpricedRequests: 0,
    savingsUsd: 0,
    tokenShare: 0,
    requestShare: 0,
    ...extra,
  };
}

describe('periodRange', () => {
  it('covers the last 24 hours hour by hour, in the ISO spelling the gateway uses', () => {
    const now = Date.parse('2026-05-03T14:20:00.000Z');
    const r = periodRange('24h', now);
    expect(r.interval).toBe('hour');
    expect(r.from).toBe('2026-05-02T14:20:00.000Z');
    // from rounds down to 14:00 the day before, to rounds up to 15:00 today: 25 whole hours.
    expect(r.buckets).toHaveLength(25);
    expect(r.buckets[0]).toBe('2026-05-02T14:00:00.000Z');
    expect(r.buckets.at(-1)).toBe('2026-05-03T14:00:00.000Z');
  });

  it('covers 7 and 30 days by UTC day, including the partial first and last days', () => {
    const now = Date.parse('2026-05-03T14:20:00.000Z');
    const week = periodRange('7d', now);
    expect(week.interval).toBe('day');
    expect(week.buckets[0]).toBe('2026-04-26T00:00:00.000Z');
    expect(week.buckets.at(-1)).toBe('2026-05-03T00:00:00.000Z');
    expect(week.buckets).toHaveLength(8);
    expect(periodRange('30d', now).buckets).toHaveLength(31);
  });

  it('does not add a day when now falls exactly on midnight', () => {
    const r = periodRange('7d', Date.parse('2026-05-03T00:00:00.000Z'));
    expect(r.buckets.at(-1)).toBe('2026-05-02T00:00:00.000Z');
    expect(r.buckets).toHaveLength(7);
  });
});

describe('series', () => {
  const buckets = [0, 1, 2].map((h) => new Date(h * HOUR).toISOString());

  it('aligns totals on every bucket, with zero where there was no traffic', () => {
    const rows = [row(buckets[0]!, null, 10, 5, { requests: 2, costUsd: 0.5, baselineCostUsd: 2 }), row(buckets[2]!, null, 1, 1, { costUsd: 0.25, baselineCostUsd: 0.25 })];
    const s = totalsSeries(rows, buckets);
    expect(s.tokens).toEqual([15, 0, 2]);
    expect(s.requests).toEqual([2, 0, 1]);
    expect(s.costUsd).toEqual([0.5, 0, 0.25]);
    expect(s.baselineCostUsd).toEqual([2, 0, 0.25]);
  });

  it('computes each group\'s share of a bucket\'s tokens, merging the smallest groups past the limit', () => {
    const rows = [
      row(buckets[0]!, 'CN', 60, 0),
      row(buckets[0]!, 'US', 30, 0),
      row(buckets[0]!, 'FR', 6, 0),
      row(buckets[0]!, null, 4, 0),
      row(buckets[1]!, 'US', 10, 10),
    ];
    const s = tokenShareSeries(rows, buckets, (g) => g ?? 'Unknown', 3);
    expect(s.groups).toEqual(['CN', 'US', OTHER]);
    expect(s.shares[0]).toEqual([0.6, 0, 0]);
    expect(s.shares[1]).toEqual([0.3, 1, 0]);
    expect(s.shares[2]![0]).toBeCloseTo(0.1);
    // Every bucket with traffic sums to 1; a bucket without any stays at 0.
    expect(s.shares.reduce((n, g) => n + g[0]!, 0)).toBeCloseTo(1);
    expect(s.shares.reduce((n, g) => n + g[2]!, 0)).toBe(0);
  });

  it('sums the period and the savings share against the baseline', () => {
    const totals = sumRows([row('b', null, 1, 2, { costUsd: 1, baselineCostUsd: 4, savingsUsd: 3, unpricedRequests: 1 }), row('c', null, 3, 4, { costUsd: 1, baselineCostUsd: 0, savingsUsd: -1 })]);
    expect(totals).toMatchObject({ requests: 2, tokens: 10, costUsd: 2, baselineCostUsd: 4, savingsUsd: 2, unpricedRequests: 1 });
    expect(savingsShare(totals)).toBe(0.5);
    expect(savingsShare({ savingsUsd: 0, baselineCostUsd: 0 })).toBeNull();
  });

  it('totals groups, largest first, naming a null group', () => {
    const totals = groupTotals([row('t', 'false', 5, 5), row('t', 'true', 50, 50), row('t', null, 1, 0)], (g) => g ?? 'Unknown');
    expect(totals.map((t) => [t.name, t.tokens])).toEqual([
      ['true', 100],
      ['false', 10],
      ['Unknown', 1],
    ]);
  });
});
