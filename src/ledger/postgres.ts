import type { Pool } from 'pg';
import { toSafeNumber } from '../store/common.js';
import { inTransaction, mapPgError } from '../store/pg-tx.js';
import { COLUMN_KIND, RECORD_COLUMNS, recordFromRow, recordValues } from './codec.js';
import { LAT_COLUMNS, ROLLUP_MEASURES, TTFT_COLUMNS, hostRows, rollupRows, tenantRows } from './rollup.js';
import {
  hostsSql,
  numbered,
  rawHostRow,
  rawUsageRow,
  usageSql,
  type LedgerStore,
  type RawHostRow,
  type RawUsageRow,
  type ResolvedHostQuery,
  type ResolvedUsageQuery,
} from './store.js';
import type { LedgerRecord, RequestListQuery } from './types.js';

const n = (v: unknown): number => (v === null || v === undefined ? 0 : toSafeNumber(v));

/** JSON columns are TEXT: written once, never queried inside (JSONB's parsing cost 15% of write throughput). */
const ARRAY_TYPE = { text: 'text[]', int: 'bigint[]', bool: 'boolean[]', json: 'text[]' } as const;

/** One statement per batch: every column as an array parameter, `unnest`ed into rows. */
const INSERT_RECORDS = `INSERT INTO ledger_records (${RECORD_COLUMNS.join(', ')})
  SELECT * FROM unnest(${RECORD_COLUMNS.map((c, i) => `$${i + 1}::${ARRAY_TYPE[COLUMN_KIND[c]]}`).join(', ')})
  ON CONFLICT (id) DO NOTHING RETURNING id`;

const ROLLUP_COLS = ['scope', 'dim', 'bucket', 'value', ...ROLLUP_MEASURES.map(([c]) => c)];
const ROLLUP_TYPES = ['text[]', 'text[]', 'bigint[]', 'text[]', ...ROLLUP_MEASURES.map(() => 'bigint[]')];
const UPSERT_ROLLUP = `INSERT INTO ledger_rollup AS r (${ROLLUP_COLS.join(', ')})
  SELECT * FROM unnest(${ROLLUP_TYPES.map((t, i) => `$${i + 1}::${t}`).join(', ')})
  ON CONFLICT (scope, dim, bucket, value) DO UPDATE SET ${ROLLUP_MEASURES.map(([c]) => `${c} = r.${c} + EXCLUDED.${c}`).join(', ')}`;

const MEASURE_COLS = ROLLUP_MEASURES.map(([c]) => c);
const TENANT_COLS = ['key_id', 'bucket', 'team_id', 'model', 'provider', 'origin', 'open_weights', ...MEASURE_COLS];
const TENANT_TYPES = ['text[]', 'bigint[]', 'text[]', 'text[]', 'text[]', 'text[]', 'text[]', ...MEASURE_COLS.map(() => 'bigint[]')];
const UPSERT_TENANT = `INSERT INTO ledger_tenant_rollup AS r (${TENANT_COLS.join(', ')})
  SELECT * FROM unnest(${TENANT_TYPES.map((t, i) => `$${i + 1}::${t}`).join(', ')})
  ON CONFLICT (key_id, bucket, team_id, model, provider, origin, open_weights) DO UPDATE SET ${MEASURE_COLS.map((c) => `${c} = r.${c} + EXCLUDED.${c}`).join(', ')}`;
const TAG_COLS = ['key_id', 'bucket', 'team_id', 'tag', ...MEASURE_COLS];
const TAG_TYPES = ['text[]', 'bigint[]', 'text[]', 'text[]', ...MEASURE_COLS.map(() => 'bigint[]')];
const UPSERT_TAG = `INSERT INTO ledger_tenant_tags AS r (${TAG_COLS.join(', ')})
  SELECT * FROM unnest(${TAG_TYPES.map((t, i) => `$${i + 1}::${t}`).join(', ')})
  ON CONFLICT (key_id, bucket, team_id, tag) DO UPDATE SET ${MEASURE_COLS.map((c) => `${c} = r.${c} + EXCLUDED.${c}`).join(', ')}`;

const HOST_SUMS = ['attempts', 'errors', 'latency_ms', 'ttft_count', 'ttft_ms', ...LAT_COLUMNS, ...TTFT_COLUMNS];
const HOST_COLS = ['bucket', 'provider', 'model', ...HOST_SUMS];
const HOST_TYPES = ['bigint[]', 'text[]', 'text[]', ...HOST_SUMS.map(() => 'bigint[]')];
const UPSERT_HOST = `INSERT INTO ledger_host_rollup AS h (${HOST_COLS.join(', ')})
  SELECT * FROM unnest(${HOST_TYPES.map((t, i) => `$${i + 1}::${t}`).join(', ')})
  ON CONFLICT (bucket, provider, model) DO UPDATE SET ${HOST_SUMS.map((c) => `${c} = h.${c} + EXCLUDED.${c}`).join(', ')}`;

function columns<T>(rows: readonly T[], width: number, values: (row: T) => readonly unknown[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(rows.length));
  rows.forEach((row, r) => {
    const v = values(row);
    for (let c = 0; c < width; c++) cols[c]![r] = v[c];
  });
  return cols;
}

/**
 * The ledger on the tenancy store's PostgreSQL pool. A batch is one READ COMMITTED transaction of three statements:
 * the records (`INSERT … SELECT FROM unnest(…) ON CONFLICT (id) DO NOTHING RETURNING id`), then the roll-ups of
 * exactly the ids returned, upserted in one sorted statement (replicas take row locks in the same order, so they
 * cannot deadlock; a deadlock or serialisation failure that happens anyway is retried by `inTransaction`).
 */
export class PostgresLedgerStore implements LedgerStore {
  readonly kind = 'postgres' as const;

  constructor(private readonly pool: Pool) {}

  private async query(text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
    try {
      return (await this.pool.query(text, values)).rows as Record<string, unknown>[];
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async insertBatch(records: readonly LedgerRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    // One statement must not name an id twice; the first copy wins, as it would across batches.
    const unique = new Map<string, LedgerRecord>();
    for (const r of records) if (!unique.has(r.id)) unique.set(r.id, r);
    const batch = [...unique.values()];
    const recordCols = columns(batch, RECORD_COLUMNS.length, recordValues);
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query(INSERT_RECORDS, recordCols);
      if (rows.length === 0) return 0;
      const ids = new Set(rows.map((r: { id: string }) => r.id));
      const inserted = ids.size === batch.length ? batch : batch.filter((r) => ids.has(r.id));
      const tenants = tenantRows(inserted);
      if (tenants.rows.length > 0) {
        await client.query(
          UPSERT_TENANT,
          columns(tenants.rows, TENANT_COLS.length, (r) => [r.keyId, r.bucket, r.teamId, r.model, r.provider, r.origin, r.openWeights, ...ROLLUP_MEASURES.map(([, k]) => r[k])]),
        );
      }
      if (tenants.tags.length > 0) {
        await client.query(UPSERT_TAG, columns(tenants.tags, TAG_COLS.length, (r) => [r.keyId, r.bucket, r.teamId, r.tag, ...ROLLUP_MEASURES.map(([, k]) => r[k])]));
      }
      const hosts = hostRows(inserted);
      if (hosts.length > 0) {
        await client.query(
          UPSERT_HOST,
          columns(hosts, HOST_COLS.length, (h) => [h.bucket, h.provider, h.model, h.attempts, h.errors, h.latencyMs, h.ttftCount, h.ttftMs, ...h.lat, ...h.ttft]),
        );
      }
      // Everyone's roll-up rows last: every concurrent batch upserts the same hot rows (this hour, this day), and their
      // row locks are then held only for this statement and the COMMIT.
      const rollups = rollupRows(inserted);
      if (rollups.length > 0) {
        await client.query(
          UPSERT_ROLLUP,
          columns(rollups, ROLLUP_COLS.length, (r) => [r.scope, r.dim, r.bucket, r.value, ...ROLLUP_MEASURES.map(([, k]) => r[k])]),
        );
      }
      return inserted.length;
    });
  }

  async usage(q: ResolvedUsageQuery): Promise<RawUsageRow[]> {
    const { sql, params } = usageSql(q);
    return (await this.query(numbered(sql), params)).map((row) => rawUsageRow(row, n));
  }

  async hosts(q: ResolvedHostQuery): Promise<RawHostRow[]> {
    const { sql, params } = hostsSql(q);
    return (await this.query(numbered(sql), params)).map((row) => rawHostRow(row, n));
  }

  async list(q: RequestListQuery): Promise<LedgerRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.before !== undefined) add('at < ?', q.before);
    if (q.keyId !== undefined) add('key_id = ?', q.keyId);
    if (q.teamId !== undefined) add('team_id = ?', q.teamId);
    if (q.model !== undefined) add('model = ?', q.model);
    if (q.status !== undefined) add('status = ?', q.status);
    params.push(Math.max(1, Math.min(1000, q.limit ?? 100)));
    const rows = await this.query(`SELECT * FROM ledger_records${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT $${params.length}`, params);
    return rows.map(recordFromRow);
  }

  async get(id: string): Promise<LedgerRecord | undefined> {
    const [row] = await this.query('SELECT * FROM ledger_records WHERE id = $1', [id]);
    return row && recordFromRow(row);
  }

  async purge(before: string, limit: number): Promise<number> {
    const rows = await this.query('DELETE FROM ledger_records WHERE id IN (SELECT id FROM ledger_records WHERE at < $1 LIMIT $2) RETURNING 1', [before, limit]);
    return rows.length;
  }

  async count(): Promise<number> {
    const [row] = await this.query('SELECT COUNT(*) AS c FROM ledger_records');
    return n(row?.c);
  }
}
