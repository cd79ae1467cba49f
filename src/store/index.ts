import type { TenancyStore } from '../tenancy/types.js';
import type { PostgresStoreOptions } from './postgres.js';
import type { SqliteStoreOptions } from './sqlite.js';

export { StoreConstraintError, type StoreOptions } from './common.js';
export { MIGRATIONS, type AppliedMigration, type Migration } from './migrations.js';
export type { PostgresStoreOptions } from './postgres.js';
export type { SqliteStoreOptions } from './sqlite.js';

export type OpenStoreOptions = SqliteStoreOptions & PostgresStoreOptions;

/** Which store a `storage.database` URL names, without opening it. */
export function storeKind(databaseUrl: string): 'sqlite' | 'postgres' {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return 'sqlite';
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  throw new Error(`storage.database must start with sqlite: or postgres:// (got a ${scheme ? `${scheme}:` : 'scheme-less'} URL)`);
}

/**
 * Opens the tenancy store that `storage.database` names and brings its schema up to date (unless
 * `migrate: false`). Only the chosen driver is loaded, so a PostgreSQL deployment never loads the native SQLite
 * module. The error for a bad URL never repeats the URL, which may hold a password.
 */
export async function openTenancyStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<TenancyStore> {
  if (storeKind(databaseUrl) === 'sqlite') {
    const { SqliteTenancyStore } = await import('./sqlite.js');
    return SqliteTenancyStore.open(databaseUrl, options);
  }
  const { PostgresTenancyStore } = await import('./postgres.js');
  return PostgresTenancyStore.open(databaseUrl, options);
}
