import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { StoreConstraintError } from './common.js';

/** Transactions on a node-postgres pool: rollback, connection hygiene, retry of deadlocks and serialisation failures. */

/** An error the server sent (it has an SQLSTATE); anything else (timeout, lost connection) leaves the connection unusable. */
export function isDatabaseError(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError;
}

/** deadlock_detected, serialization_failure: the transaction was rolled back and may simply be run again. */
export function isRetryable(err: unknown): boolean {
  return isDatabaseError(err) && (err.code === '40P01' || err.code === '40001');
}

/**
 * Rolls back after a failure. Returns an error when the connection must be destroyed instead of reused: the
 * failure did not come from the server (a client-side timeout, a lost connection), or the rollback itself failed.
 */
export async function rollback(client: PoolClient, cause: unknown): Promise<Error | undefined> {
  if (!isDatabaseError(cause)) return cause instanceof Error ? cause : new Error(String(cause));
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * Maps integrity violations (SQLSTATE class 23) to `StoreConstraintError`, dropping the server's `detail`, which
 * quotes the offending values (a key's hash, say). Other errors are returned unchanged.
 */
export function mapPgError(err: unknown): unknown {
  if (!isDatabaseError(err) || !err.code?.startsWith('23')) return err;
  const constraint = err.constraint;
  switch (err.code) {
    case '23505':
      return new StoreConstraintError('unique', constraint, `duplicate value violates unique constraint ${constraint ?? ''}`.trim());
    case '23503':
      return new StoreConstraintError('foreign-key', constraint, `reference to a missing row violates ${constraint ?? 'a foreign key'}`);
    case '23502':
      return new StoreConstraintError('not-null', err.column, `missing value for ${err.column ?? 'a required column'}`);
    default:
      return new StoreConstraintError('check', constraint, `value violates check constraint ${constraint ?? ''}`.trim());
  }
}

const MAX_ATTEMPTS = 4;

/**
 * Runs `fn` in a READ COMMITTED transaction on a pooled connection and commits. Deadlocks and serialisation
 * failures are retried (the body must be safe to run again: it is, since the failed attempt was rolled back).
 * A connection that failed other than with a server error is destroyed, not returned to the pool.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = await rollback(client, err);
      if (attempt < MAX_ATTEMPTS && isRetryable(err)) {
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20 * attempt));
        continue;
      }
      throw mapPgError(err);
    } finally {
      client.release(broken);
    }
  }
}
