import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import type Database from 'better-sqlite3';
import { storeKind } from '../store/index.js';
import type { TenancyStore } from '../tenancy/types.js';
import { PostgresLedgerStore } from './postgres.js';
import { SqliteLedgerStore } from './sqlite.js';
import type { LedgerStore } from './store.js';

/**
 * The ledger store on the same database as the tenancy store: its SQLite connection (`db`) or PostgreSQL pool
 * (`pool`). The ledger's tables come from migration 2, which the tenancy store ran when it opened.
 */
export function ledgerStoreFor(store: TenancyStore): LedgerStore {
  const s = store as TenancyStore & { db?: Database.Database; pool?: Pool };
  if (store.kind === 'sqlite' && s.db) return new SqliteLedgerStore(s.db);
  if (store.kind === 'postgres' && s.pool) return new PostgresLedgerStore(s.pool);
  throw new Error(`the ${store.kind} tenancy store exposes no connection for the ledger`);
}

/**
 * The spool directory when `ledger.spoolDir` is unset: the SQLite file's directory (the data directory), else
 * `./.switchboard`. A private in-memory database gets a directory of its own process: its spool could never be
 * replayed into the same database by another run.
 */
export function defaultSpoolDir(databaseUrl: string, cwd = process.cwd()): string {
  if (storeKind(databaseUrl) === 'sqlite') {
    // As src/store/sqlite.ts reads the URL (not imported: it would load the native driver on PostgreSQL too).
    let rest = databaseUrl.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2);
    const file = rest === ':memory:' ? rest : path.resolve(cwd, rest);
    if (file === ':memory:') return path.join(tmpdir(), `switchboard-spool-${process.pid}-${randomBytes(4).toString('hex')}`);
    return path.join(path.dirname(file), 'ledger-spool');
  }
  return path.resolve(cwd, '.switchboard', 'ledger-spool');
}
