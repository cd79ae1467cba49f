/**
 * The ledger store on SQLite and PostgreSQL: idempotent batches, roll-ups equal to figures computed by hand from the
 * records (every groupBy, every interval, scoped and not), retention, host percentiles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { histogramQuantile, HISTOGRAM_BOUNDS_MS } from '../../src/ledger/rollup.js';
import { hostUsageRows, resolveHostQuery, resolveUsageQuery, usageRows, toCsv, USAGE_COLUMNS } from '../../src/ledger/query.js';
import type { GroupBy, Interval, LedgerRecord } from '../../src/ledger/types.js';
import { postgresUrl, probePostgres, requireService, serviceLabel } from '../support/services.js';
import { expectedUsage, generateRecords, openPostgresLedger, openSqliteLedger, type OpenLedger } from './support.js';

const pgService = await requireService('PostgreSQL', () => probePostgres(postgresUrl()));

const GROUP_BYS: (GroupBy | undefined)[] = [undefined, 'origin', 'model', 'provider', 'key', 'team', 'license', 'tag', 'jurisdiction', 'openWeights', 'developer'];
const INTERVALS: Interval[] = ['hour', 'day', 'week', 'total'];

const START = Date.UTC(2026, 0, 5); // Monday 2026-01-05
const RECORDS = generateRecords(3000, { start: START, hours: 24 * 17, seed: 7 });

async function usage(l: OpenLedger, query: Record<string, string>, scope: { keyId?: string; teamId?: string } = {}) {
  const resolved = resolveUsageQuery(query, scope, START + 40 * 86_400_000);
  return usageRows(await l.store.usage(resolved), resolved);
}

function contract(rows: Awaited<ReturnType<typeof usage>>) {
  return rows.map((r) => ({ bucket: r.bucket, group: r.group, requests: r.requests, inputTokens: r.inputTokens, outputTokens: r.outputTokens, costUsd: r.costUsd, baselineCostUsd: r.baselineCostUsd }));
}

const dialects: [string, () => Promise<OpenLedger>, boolean][] = [
  ['SQLite', () => openSqliteLedger(), true],
  [serviceLabel('PostgreSQL', pgService), () => openPostgresLedger('ledgerstore'), pgService.available],
];

describe.each(dialects)('ledger store on %s', (name, open, available) => {
  let l: OpenLedger;
  beforeAll(async () => {
    if (!available) return;
    l = await open();
    // In batches of different sizes, as the writer would.
    for (let i = 0; i < RECORDS.length; ) {
      const size = 1 + ((i * 7) % 700);
      await l.store.insertBatch(RECORDS.slice(i, i + size));
      i += size;
    }
  }, 60_000);
  afterAll(async () => {
    await l?.close();
  });

  it.skipIf(!available)('stores every record once', async () => {
    expect(await l.store.count()).toBe(RECORDS.length);
    const one = RECORDS[17]!;
    expect(await l.store.get(one.id)).toEqual(one);
  });

  it.skipIf(!available)('a batch inserted again (a retried or replayed batch) adds nothing, to the records or the roll-ups', async () => {
    const before = await usage(l, { interval: 'total', from: new Date(START).toISOString(), to: new Date(START + 30 * 86_400_000).toISOString() });
    expect(await l.store.insertBatch(RECORDS.slice(0, 500))).toBe(0);
    // A batch naming one id twice, half old and half new.
    const fresh = generateRecords(10, { start: START, hours: 24, seed: 99, idPrefix: `dup-${name.slice(0, 6)}` });
    expect(await l.store.insertBatch([...RECORDS.slice(500, 510), fresh[0]!, fresh[0]!, ...fresh])).toBe(10);
    const after = await usage(l, { interval: 'total', from: new Date(START).toISOString(), to: new Date(START + 30 * 86_400_000).toISOString() });
    expect(after[0]!.requests).toBe(before[0]!.requests + 10);
    expect(await l.store.count()).toBe(RECORDS.length + 10);
    RECORDS.push(...fresh);
  });

  describe.each(INTERVALS)('interval %s', (interval) => {
    it.skipIf(!available).each(GROUP_BYS.map((g) => [g ?? '(none)', g] as const))('groupBy %s equals the figures computed from the records', async (_label, groupBy) => {
      const from = START + 3 * 3_600_000 + 17 * 60_000; // rounds down to the hour
      const to = START + 15 * 86_400_000 + 5 * 3_600_000 + 60_000; // a partial last day: its hours come from hourly rows
      const query: Record<string, string> = { interval, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
      if (groupBy) query.groupBy = groupBy;
      const got = contract(await usage(l, query));
      const want = expectedUsage(RECORDS, groupBy, interval, from, to);
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(want);
    });
  });

  it.skipIf(!available)("one key's and one team's own roll-ups hold only their records", async () => {
    const from = START;
    const to = START + 20 * 86_400_000;
    for (const scope of [{ keyId: 'key_3' }, { teamId: 'team_1' }]) {
      for (const groupBy of ['model', 'tag', 'openWeights'] as const) {
        const got = contract(await usage(l, { interval: 'day', groupBy, from: new Date(from).toISOString(), to: new Date(to).toISOString() }, scope));
        expect(got).toEqual(expectedUsage(RECORDS, groupBy, 'day', from, to, scope));
      }
      // A range that starts and ends inside a day: whole days come from the daily tenant rows, the ends from hourly.
      const partFrom = START + 5 * 3_600_000;
      const partTo = START + 12 * 86_400_000 + 7 * 3_600_000;
      for (const interval of ['day', 'week', 'total', 'hour'] as const) {
        for (const groupBy of ['model', 'tag', undefined] as const) {
          const query: Record<string, string> = { interval, from: new Date(partFrom).toISOString(), to: new Date(partTo).toISOString() };
          if (groupBy) query.groupBy = groupBy;
          const got = contract(await usage(l, query, scope));
          expect(got.length, `${interval} ${groupBy}`).toBeGreaterThan(0);
          expect(got, `${interval} ${groupBy}`).toEqual(expectedUsage(RECORDS, groupBy, interval, partFrom, partTo, scope));
        }
      }
    }
    // Within a key, grouping by key or team is its total.
    const own = await usage(l, { interval: 'total', groupBy: 'key', from: new Date(from).toISOString(), to: new Date(to).toISOString() }, { keyId: 'key_3' });
    expect(own).toHaveLength(1);
    expect(own[0]!.requests).toBe(RECORDS.filter((r) => r.keyId === 'key_3').length);
  });

  it.skipIf(!available)('shares: open against closed weights per week, token share by origin', async () => {
    const rows = await usage(l, { interval: 'week', groupBy: 'openWeights', from: new Date(START).toISOString(), to: new Date(START + 21 * 86_400_000).toISOString() });
    const byWeek = new Map<string, number>();
    for (const r of rows) byWeek.set(r.bucket, (byWeek.get(r.bucket) ?? 0) + r.requestShare!);
    for (const total of byWeek.values()) expect(total).toBeCloseTo(1, 9);
    const origin = await usage(l, { interval: 'week', groupBy: 'origin', from: new Date(START).toISOString(), to: new Date(START + 21 * 86_400_000).toISOString() });
    const tokenShare = new Map<string, number>();
    for (const r of origin) tokenShare.set(r.bucket, (tokenShare.get(r.bucket) ?? 0) + r.tokenShare!);
    for (const total of tokenShare.values()) expect(total).toBeCloseTo(1, 9);
  });

  it.skipIf(!available)('per-host latency percentiles and error rates come from the histograms', async () => {
    const q = resolveHostQuery({ from: new Date(START).toISOString(), to: new Date(START + 30 * 86_400_000).toISOString() }, START);
    const rows = hostUsageRows(await l.store.hosts(q), q);
    const deepseek = rows.find((r) => r.provider === 'deepseek')!;
    const attempts = RECORDS.flatMap((r) => r.attempts.filter((a) => a.provider === 'deepseek'));
    expect(deepseek.attempts).toBe(attempts.length);
    expect(deepseek.errors).toBe(attempts.filter((a) => a.outcome === 'error').length);
    // The true median lies within the histogram bucket the estimate is in.
    const sorted = attempts.map((a) => a.durationMs).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const bucketOf = (ms: number) => HISTOGRAM_BOUNDS_MS.findIndex((b) => ms <= b);
    expect(Math.abs(bucketOf(deepseek.latencyP50Ms!) - bucketOf(median))).toBeLessThanOrEqual(1);
    expect(deepseek.latencyP99Ms!).toBeGreaterThanOrEqual(deepseek.latencyP50Ms!);
  });

  it.skipIf(!available)('lists records newest first, filtered and paged', async () => {
    const page = await l.store.list({ limit: 5, keyId: 'key_2' });
    expect(page).toHaveLength(5);
    expect(page.every((r) => r.keyId === 'key_2')).toBe(true);
    const want = RECORDS.filter((r) => r.keyId === 'key_2').sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? 1 : -1));
    expect(page.map((r) => r.id)).toEqual(want.slice(0, 5).map((r) => r.id));
    const next = await l.store.list({ limit: 5, keyId: 'key_2', before: page.at(-1)!.at });
    expect(next.every((r) => r.at < page.at(-1)!.at)).toBe(true);
  });

  it.skipIf(!available)('retention deletes old records and keeps the roll-ups', async () => {
    const cutoff = new Date(START + 7 * 86_400_000).toISOString();
    const range = { interval: 'total', from: new Date(START).toISOString(), to: new Date(START + 30 * 86_400_000).toISOString() };
    const before = await usage(l, range);
    const old = RECORDS.filter((r) => r.at < cutoff).length;
    let deleted = 0;
    for (let n = -1; n !== 0; ) deleted += n = await l.store.purge(cutoff, 400);
    expect(deleted).toBe(old);
    expect(await l.store.count()).toBe(RECORDS.length - old);
    expect(await l.store.get(RECORDS.find((r) => r.at < cutoff)!.id)).toBeUndefined();
    expect(await usage(l, range)).toEqual(before);
  });
});

describe('analytics helpers', () => {
  it('CSV has the contract columns and quotes what needs quoting', () => {
    const csv = toCsv([{ bucket: '2026-01-05T00:00:00.000Z', group: 'a,"b"', requests: 1, inputTokens: 2, outputTokens: 3, costUsd: 0.1, baselineCostUsd: 0.2 }], USAGE_COLUMNS);
    const [header, line] = csv.split('\r\n');
    expect(header!.startsWith('bucket,group,requests,inputTokens,outputTokens,costUsd,baselineCostUsd')).toBe(true);
    expect(line).toContain('"a,""b"""');
    expect(toCsv([{ group: '=cmd()' }], ['group'])).toContain("'=cmd()");
  });

  it('quantiles from fixed buckets', () => {
    const counts = new Array<number>(HISTOGRAM_BOUNDS_MS.length + 1).fill(0);
    counts[3] = 10; // (100, 200]
    expect(histogramQuantile(counts, 0.5)).toBe(150);
    expect(histogramQuantile(new Array<number>(counts.length).fill(0), 0.5)).toBeNull();
  });

  it('refuses unknown groupBy, interval and bad times', () => {
    expect(() => resolveUsageQuery({ groupBy: 'secret' }, {})).toThrow(/groupBy/);
    expect(() => resolveUsageQuery({ interval: 'month' }, {})).toThrow(/interval/);
    expect(() => resolveUsageQuery({ from: 'yesterday' }, {})).toThrow(/from/);
  });
});

export type { LedgerRecord };
