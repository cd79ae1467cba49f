import type BetterSqlite3 from 'better-sqlite3';
import type { Pool } from 'pg';
import { rollback } from './pg-tx.js';
import * as m0001 from './sql/0001_tenancy.js';
import * as m0002 from './sql/0002_ledger.js';
import * as m0003 from './sql/0003_sovereignty.js';

/**
 * Numbered migrations, one list for both dialects. Each is applied once, in order, inside one transaction with
 * its `schema_migrations` row, so a migration is either wholly applied and recorded or not at all. Migrating an
 * up-to-date database does nothing. Versions the database has but this build does not know (a newer replica
 * migrated first) are left alone: migrations only ever add.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'tenancy', sqlite: m0001.sqlite, postgres: m0001.postgres },
  { version: 2, name: 'ledger', sqlite: m0002.sqlite, postgres: m0002.postgres },
  { version: 3, name: 'sovereignty', sqlite: m0003.sqlite, postgres: m0003.postgres },
];

export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: string;
}

/** Key of the PostgreSQL advisory lock that serialises `migrate()` across replicas ('swbd' 'migr' as bytes). */
export const MIGRATION_LOCK_KEY = 0x73776264_6d696772n;

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT`;

const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}

/**
 * SQLite: one `BEGIN IMMEDIATE` transaction takes the database's write lock first, so processes opening the same
 * file at once migrate one after the other (the others wait up to busy_timeout, then see nothing left to do).
 */
export function migrateSqlite(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  checkOrder(migrations);
  const run = db.transaction((): number[] => {
    db.exec(SQLITE_TABLE);
    const rows = db.prepare('SELECT version FROM schema_migrations').pluck().all() as (number | bigint)[];
    const done = new Set(rows.map(Number));
    const applied: number[] = [];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      db.exec(m.sqlite);
      record.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }
    return applied;
  });
  return run.immediate();
}

export function appliedSqlite(db: BetterSqlite3.Database): AppliedMigration[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!exists) return [];
  const rows = db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as { version: number | bigint; name: string; applied_at: string }[];
  return rows.map((r) => ({ version: Number(r.version), name: r.name, appliedAt: r.applied_at }));
}

/**
 * PostgreSQL: one transaction that first takes a transaction-scoped advisory lock, so replicas starting together
 * migrate one after the other; the lock is released by COMMIT or ROLLBACK, even if the replica dies. The wait and
 * the DDL get `timeoutMs` instead of the store's short statement timeout.
 */
export async function migratePostgres(pool: Pool, timeoutMs: number, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  checkOrder(migrations);
  const client = await pool.connect();
  const q = (text: string, values?: unknown[]) => client.query({ text, values, query_timeout: timeoutMs + 1000 } as { text: string; values?: unknown[] });
  let broken: Error | undefined;
  try {
    await q('BEGIN');
    try {
      await q(`SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
      await q(`SET LOCAL lock_timeout = ${Math.floor(timeoutMs)}`);
      await q('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      await q(POSTGRES_TABLE);
      const { rows } = await q('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r: { version: number }) => Number(r.version)));
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await q(m.postgres);
        await q('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
        applied.push(m.version);
      }
      await q('COMMIT');
      return applied;
    } catch (err) {
      broken = await rollback(client, err);
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

export async function appliedPostgres(pool: Pool): Promise<AppliedMigration[]> {
  const { rows: exists } = await pool.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!exists[0]?.present) return [];
  const { rows } = await pool.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
  return rows.map((r: { version: number; name: string; applied_at: string }) => ({ version: Number(r.version), name: r.name, appliedAt: r.applied_at }));
}
