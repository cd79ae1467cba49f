import type Database from 'better-sqlite3';
import { toSafeNumber } from '../store/common.js';
import { COLUMN_KIND, RECORD_COLUMNS, recordFromRow, recordValues } from './codec.js';
import { LAT_COLUMNS, ROLLUP_MEASURES, TTFT_COLUMNS, hostRows, rollupRows, tenantRows } from './rollup.js';
import {
  hostsSql,
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

const BOOL_INDEXES = RECORD_COLUMNS.map((c, i) => (COLUMN_KIND[c] === 'bool' ? i : -1)).filter((i) => i >= 0);

const INSERT_RECORD = `INSERT INTO ledger_records (${RECORD_COLUMNS.join(', ')}) VALUES (${RECORD_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`;

const ROLLUP_COLS = ['scope', 'dim', 'bucket', 'value', ...ROLLUP_MEASURES.map(([c]) => c)];
const UPSERT_ROLLUP = `INSERT INTO ledger_rollup (${ROLLUP_COLS.join(', ')}) VALUES (${ROLLUP_COLS.map(() => '?').join(', ')})
  ON CONFLICT (scope, dim, bucket, value) DO UPDATE SET ${ROLLUP_MEASURES.map(([c]) => `${c} = ${c} + excluded.${c}`).join(', ')}`;

const MEASURE_COLS = ROLLUP_MEASURES.map(([c]) => c);
const MEASURES_SET = MEASURE_COLS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ');
const TENANT_COLS = ['key_id', 'bucket', 'team_id', 'model', 'provider', 'origin', 'open_weights', ...MEASURE_COLS];
const UPSERT_TENANT = `INSERT INTO ledger_tenant_rollup (${TENANT_COLS.join(', ')}) VALUES (${TENANT_COLS.map(() => '?').join(', ')})
  ON CONFLICT (key_id, bucket, team_id, model, provider, origin, open_weights) DO UPDATE SET ${MEASURES_SET}`;
const TAG_COLS = ['key_id', 'bucket', 'team_id', 'tag', ...MEASURE_COLS];
const UPSERT_TAG = `INSERT INTO ledger_tenant_tags (${TAG_COLS.join(', ')}) VALUES (${TAG_COLS.map(() => '?').join(', ')})
  ON CONFLICT (key_id, bucket, team_id, tag) DO UPDATE SET ${MEASURES_SET}`;

const HOST_SUMS = ['attempts', 'errors', 'latency_ms', 'ttft_count', 'ttft_ms', ...LAT_COLUMNS, ...TTFT_COLUMNS];
const HOST_COLS = ['bucket', 'provider', 'model', ...HOST_SUMS];
const UPSERT_HOST = `INSERT INTO ledger_host_rollup (${HOST_COLS.join(', ')}) VALUES (${HOST_COLS.map(() => '?').join(', ')})
  ON CONFLICT (bucket, provider, model) DO UPDATE SET ${HOST_SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`;

/**
 * The ledger on the tenancy store's SQLite connection (better-sqlite3, synchronous). A batch is one
 * `BEGIN IMMEDIATE` transaction: insert each record (`ON CONFLICT (id) DO NOTHING`), then add to the roll-ups only
 * the records whose insert changed a row.
 */
export class SqliteLedgerStore implements LedgerStore {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async insertBatch(records: readonly LedgerRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const insert = this.stmt(INSERT_RECORD);
    const upsert = this.stmt(UPSERT_ROLLUP);
    const upsertHost = this.stmt(UPSERT_HOST);
    const upsertTenant = this.stmt(UPSERT_TENANT);
    const upsertTag = this.stmt(UPSERT_TAG);
    const run = this.db.transaction((): number => {
      const inserted: LedgerRecord[] = [];
      for (const record of records) {
        const values = recordValues(record) as unknown[];
        for (const i of BOOL_INDEXES) if (values[i] !== null) values[i] = values[i] ? 1 : 0;
        if (insert.run(values).changes > 0) inserted.push(record);
      }
      for (const row of rollupRows(inserted)) {
        upsert.run(row.scope, row.dim, row.bucket, row.value, ...ROLLUP_MEASURES.map(([, k]) => row[k]));
      }
      const tenants = tenantRows(inserted);
      for (const row of tenants.rows) {
        upsertTenant.run(row.keyId, row.bucket, row.teamId, row.model, row.provider, row.origin, row.openWeights, ...ROLLUP_MEASURES.map(([, k]) => row[k]));
      }
      for (const row of tenants.tags) upsertTag.run(row.keyId, row.bucket, row.teamId, row.tag, ...ROLLUP_MEASURES.map(([, k]) => row[k]));
      for (const row of hostRows(inserted)) {
        upsertHost.run(row.bucket, row.provider, row.model, row.attempts, row.errors, row.latencyMs, row.ttftCount, row.ttftMs, ...row.lat, ...row.ttft);
      }
      return inserted.length;
    });
    return run.immediate();
  }

  async usage(q: ResolvedUsageQuery): Promise<RawUsageRow[]> {
    const { sql, params } = usageSql(q);
    return this.stmt(sql)
      .all(...params)
      .map((row) => rawUsageRow(row as Record<string, unknown>, n));
  }

  async hosts(q: ResolvedHostQuery): Promise<RawHostRow[]> {
    const { sql, params } = hostsSql(q);
    return this.stmt(sql)
      .all(...params)
      .map((row) => rawHostRow(row as Record<string, unknown>, n));
  }

  async list(q: RequestListQuery): Promise<LedgerRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    if (q.before !== undefined) add('at < ?', q.before);
    if (q.keyId !== undefined) add('key_id = ?', q.keyId);
    if (q.teamId !== undefined) add('team_id = ?', q.teamId);
    if (q.model !== undefined) add('model = ?', q.model);
    if (q.status !== undefined) add('status = ?', q.status);
    const sql = `SELECT * FROM ledger_records${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`;
    params.push(Math.max(1, Math.min(1000, q.limit ?? 100)));
    return this.stmt(sql)
      .all(...params)
      .map((row) => recordFromRow(row as Record<string, unknown>));
  }

  async get(id: string): Promise<LedgerRecord | undefined> {
    const row = this.stmt('SELECT * FROM ledger_records WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return row && recordFromRow(row);
  }

  async purge(before: string, limit: number): Promise<number> {
    return this.stmt('DELETE FROM ledger_records WHERE id IN (SELECT id FROM ledger_records WHERE at < ? LIMIT ?)').run(before, limit).changes;
  }

  async count(): Promise<number> {
    return n(this.stmt('SELECT COUNT(*) AS c FROM ledger_records').pluck().get());
  }
}
