/**
 * Nothing lost when the database cannot take records: PostgreSQL down (a closed loopback port), then up; a full
 * queue; a torn spool line; a spool replayed twice.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerMetrics } from '../../src/ledger/metrics.js';
import { PostgresLedgerStore } from '../../src/ledger/postgres.js';
import { Spool } from '../../src/ledger/spool.js';
import type { LedgerStore } from '../../src/ledger/store.js';
import type { LedgerRecord } from '../../src/ledger/types.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { resolveUsageQuery, usageRows } from '../../src/ledger/query.js';
import { postgresUrl, probePostgres, requireService, serviceLabel } from '../support/services.js';
import { generateRecords, openPostgresLedger, openSqliteLedger, tempDir, type OpenLedger } from './support.js';

const pgService = await requireService('PostgreSQL', () => probePostgres(postgresUrl()));

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((s, v) => s + v.value, 0);
}

async function totalRequests(store: LedgerStore, records: readonly LedgerRecord[]): Promise<number> {
  const from = Math.min(...records.map((r) => Date.parse(r.at)));
  const q = resolveUsageQuery({ interval: 'total', from: new Date(from).toISOString(), to: new Date(from + 40 * 86_400_000).toISOString() }, {});
  return usageRows(await store.usage(q), q).reduce((s, r) => s + r.requests, 0);
}

const spoolFiles = (dir: string) => {
  try {
    return readdirSync(dir).filter((f) => f.startsWith('ledger-spool-'));
  } catch {
    return [];
  }
};

describe.skipIf(!pgService.available)(serviceLabel('PostgreSQL down, then up', pgService), () => {
  let real: OpenLedger;
  const tmp = tempDir('spool');
  beforeAll(async () => {
    real = await openPostgresLedger('spool');
  });
  afterAll(async () => {
    await real?.close();
    tmp.remove();
  });

  it('spools every record while the database is unreachable and replays them all once it is back', async () => {
    const registry = new Registry();
    const metrics = LedgerMetrics.for(registry);
    const down = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, connectionTimeoutMillis: 300, max: 2 });
    down.on('error', () => {});
    const records = generateRecords(700, { seed: 5, idPrefix: 'down' });
    const writer = new LedgerWriter({ store: new PostgresLedgerStore(down), spoolDir: tmp.dir, metrics, batchSize: 100, flushMs: 10, retryMs: 60_000 });
    for (const r of records) writer.enqueue(r);
    await writer.flush();
    // A replay while the database is still down gives the file back, whole.
    await writer.replay();
    await writer.close();
    await down.end();

    expect(await metricValue(registry, 'switchboard_ledger_records_spooled_total')).toBe(700);
    expect(await metricValue(registry, 'switchboard_ledger_records_dropped_total')).toBe(0);
    const files = spoolFiles(tmp.dir);
    expect(files.length).toBeGreaterThanOrEqual(1);
    const lines = files.flatMap((f) => readFileSync(path.join(tmp.dir, f), 'utf8').trim().split('\n'));
    expect(lines).toHaveLength(700);

    // The next start, on the real database, replays the spool (another process's file: claimed once idle).
    const replayer = new LedgerWriter({ store: real.store, spoolDir: tmp.dir, metrics, retryMs: 60_000, spoolIdleMs: 0 });
    await replayer.replay();
    await replayer.close();
    expect(await real.store.count()).toBe(700);
    expect(await real.store.get(records[123]!.id)).toEqual(records[123]);
    expect(await totalRequests(real.store, records)).toBe(700);
    expect(spoolFiles(tmp.dir)).toEqual([]);
    expect(await metricValue(registry, 'switchboard_ledger_records_replayed_total')).toBe(700);

    // The same spool replayed a second time (a replay that died after its inserts, before deleting the file) adds nothing.
    const again = new Spool(tmp.dir, 0);
    again.append(records.slice(0, 300));
    const second = new LedgerWriter({ store: real.store, spoolDir: tmp.dir, retryMs: 60_000, spoolIdleMs: 0 });
    await second.replay();
    await second.close();
    expect(await real.store.count()).toBe(700);
    expect(await totalRequests(real.store, records)).toBe(700);
  });
});

describe('back-pressure and torn files (SQLite)', () => {
  it('a full queue spools the overflow instead of dropping it; everything arrives', async () => {
    const l = await openSqliteLedger();
    const tmp = tempDir('full');
    try {
      const registry = new Registry();
      const metrics = LedgerMetrics.for(registry);
      // A database slower than the traffic.
      const slow: LedgerStore = Object.create(l.store, {
        insertBatch: { value: async (batch: readonly LedgerRecord[]) => (await new Promise((r) => setTimeout(r, 30)), l.store.insertBatch(batch)) },
      }) as LedgerStore;
      const writer = new LedgerWriter({ store: slow, spoolDir: tmp.dir, metrics, batchSize: 50, flushMs: 5, capacity: 100, retryMs: 60_000 });
      const records = generateRecords(1000, { seed: 11, idPrefix: 'full' });
      for (const r of records) writer.enqueue(r);
      expect(writer.depth).toBeLessThanOrEqual(100);
      await writer.flush();
      const overflow = await metricValue(registry, 'switchboard_ledger_records_spooled_total', { reason: 'queue_full' });
      expect(overflow).toBeGreaterThan(0);
      expect(await l.store.count()).toBe(1000 - overflow);
      await writer.replay();
      await writer.close();
      expect(await l.store.count()).toBe(1000);
      expect(await totalRequests(l.store, records)).toBe(1000);
      expect(await metricValue(registry, 'switchboard_ledger_records_dropped_total')).toBe(0);
    } finally {
      await l.close();
      tmp.remove();
    }
  });

  it('a line torn by a crash mid-write is skipped; the rest is replayed', async () => {
    const l = await openSqliteLedger();
    const tmp = tempDir('torn');
    try {
      const records = generateRecords(20, { seed: 12, idPrefix: 'torn' });
      const spool = new Spool(tmp.dir, 0);
      spool.append(records);
      appendFileSync(spool.file, '{"id":"torn-x","at":"2026-01-0');
      const writer = new LedgerWriter({ store: l.store, spoolDir: tmp.dir, retryMs: 60_000, spoolIdleMs: 0 });
      await writer.replay();
      await writer.close();
      expect(await l.store.count()).toBe(20);
      expect(spoolFiles(tmp.dir)).toEqual([]);
    } finally {
      await l.close();
      tmp.remove();
    }
  });

  it('records that arrive after close go to the spool, not nowhere', async () => {
    const l = await openSqliteLedger();
    const tmp = tempDir('late');
    try {
      const writer = new LedgerWriter({ store: l.store, spoolDir: tmp.dir, retryMs: 60_000 });
      await writer.close();
      writer.enqueue(generateRecords(1, { seed: 13, idPrefix: 'late' })[0]!);
      expect(spoolFiles(tmp.dir)).toHaveLength(1);
    } finally {
      await l.close();
      tmp.remove();
    }
  });
});
