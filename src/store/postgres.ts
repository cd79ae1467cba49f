import pg from 'pg';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type {
  BudgetScope,
  KeyPatch,
  KeyRecord,
  ReserveResult,
  SpendRow,
  TeamRecord,
  TenancyStore,
  TokenRecord,
} from '../tenancy/types.js';
import {
  DEFAULT_MIGRATION_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  KEY_COLUMNS,
  TEAM_COLUMNS,
  TOKEN_COLUMNS,
  TOMBSTONE_MS,
  applyKeyPatch,
  assertCounterRef,
  assertNano,
  counterKey,
  isoTime,
  keyFromRow,
  keyValues,
  mergeDeltas,
  newReservationId,
  normaliseScopes,
  parseStoredScopes,
  storedScopes,
  teamFromRow,
  teamValues,
  toSafeNumber,
  tokenFromRow,
  tokenValues,
  type CounterDelta,
  type Row,
  type StoreOptions,
} from './common.js';
import { appliedPostgres, migratePostgres, type AppliedMigration } from './migrations.js';
import { inTransaction, mapPgError } from './pg-tx.js';

export interface PostgresStoreOptions extends StoreOptions {
  /** Connections in this replica's pool (default 10). */
  poolSize?: number;
  /** A schema to use instead of the URL's default search_path (tests use one per run). Letters, digits, `_`. */
  schema?: string;
  /** Called with errors of idle pooled connections (a restarted server, say); the pool replaces them. */
  onError?: (err: Error) => void;
  /** Reported to the server as application_name (default `switchboard`). */
  applicationName?: string;
}

const INT8_OID = 20;

/** int8 (BIGINT, COUNT) as a JS number, refusing any value a number cannot hold exactly. */
function parseInt8(text: string): number {
  return toSafeNumber(text, 'int8');
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** The ordered lock on counter rows, the same total order as `compareCounters` (byte order = COLLATE "C"). */
const COUNTER_ORDER = 'scope COLLATE "C", scope_id COLLATE "C", period COLLATE "C"';

function columns(refs: readonly { scope: string; id: string; period: string }[]): [string[], string[], string[]] {
  return [refs.map((r) => r.scope), refs.map((r) => r.id), refs.map((r) => r.period)];
}

/** `$1, $2::jsonb, …` for an INSERT of `cols`, casting JSON columns. */
function placeholders(cols: readonly string[], jsonCols: ReadonlySet<string>, from = 1): string {
  return cols.map((c, i) => `$${i + from}${jsonCols.has(c) ? '::jsonb' : ''}`).join(', ');
}

const KEY_JSON = new Set(['limits', 'models', 'metadata']);
const TEAM_JSON = new Set(['limits']);

/**
 * The tenancy store on PostgreSQL (node-postgres), safe for many replicas sharing one database. Every statement
 * is bounded by `statement_timeout` (server side) and `query_timeout` (client side, for a server that stopped
 * answering); taking a pooled connection is bounded by `connectionTimeoutMillis`. All three default to 2 s.
 */
export class PostgresTenancyStore implements TenancyStore {
  readonly kind = 'postgres' as const;
  readonly pool: Pool;
  private readonly migrationTimeoutMs: number;
  private closed = false;

  constructor(databaseUrl: string, options: PostgresStoreOptions = {}) {
    const timeoutMs = Math.max(1, Math.floor(options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    this.migrationTimeoutMs = options.migrationTimeoutMs ?? DEFAULT_MIGRATION_TIMEOUT_MS;
    if (options.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema)) {
      throw new RangeError('schema must be letters, digits and underscores');
    }
    const config: PoolConfig = {
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: timeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: timeoutMs,
      query_timeout: timeoutMs + 1000,
      // A replica that dies mid-transaction must not hold counter locks for long.
      idle_in_transaction_session_timeout: Math.max(10_000, 5 * timeoutMs),
      keepAlive: true,
      application_name: options.applicationName ?? 'switchboard',
      types,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    };
    this.pool = new pg.Pool(config);
    // Without a listener, an idle connection's error (server restart) would crash the process.
    this.pool.on('error', (err) => options.onError?.(err));
  }

  static async open(databaseUrl: string, options: PostgresStoreOptions = {}): Promise<PostgresTenancyStore> {
    const store = new PostgresTenancyStore(databaseUrl, options);
    try {
      if (options.migrate !== false) await store.migrate();
      return store;
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  private async query(text: string, values: unknown[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query(text, values)).rows as Row[];
    } catch (err) {
      throw mapPgError(err);
    }
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.pool, this.migrationTimeoutMs);
  }

  async appliedMigrations(): Promise<AppliedMigration[]> {
    return appliedPostgres(this.pool);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // -- keys --------------------------------------------------------------------------------------------------

  async createKey(key: KeyRecord): Promise<void> {
    const v = keyValues(key);
    await this.query(`INSERT INTO keys (${KEY_COLUMNS.join(', ')}) VALUES (${placeholders(KEY_COLUMNS, KEY_JSON)})`, KEY_COLUMNS.map((c) => v[c]));
  }

  async keyByHash(hash: string): Promise<KeyRecord | undefined> {
    const [row] = await this.query('SELECT * FROM keys WHERE hash = $1', [hash]);
    return row && keyFromRow(row);
  }

  async key(id: string): Promise<KeyRecord | undefined> {
    const [row] = await this.query('SELECT * FROM keys WHERE id = $1', [id]);
    return row && keyFromRow(row);
  }

  async listKeys(): Promise<KeyRecord[]> {
    return (await this.query('SELECT * FROM keys ORDER BY created_at, id')).map(keyFromRow);
  }

  async updateKey(id: string, patch: KeyPatch): Promise<KeyRecord | undefined> {
    return this.tx(async (c) => {
      const { rows } = await c.query('SELECT * FROM keys WHERE id = $1 FOR UPDATE', [id]);
      if (!rows[0]) return undefined;
      const v = keyValues(applyKeyPatch(keyFromRow(rows[0] as Row), patch));
      const cols = KEY_COLUMNS.filter((col) => col !== 'id');
      const set = cols.map((col, i) => `${col} = $${i + 2}${KEY_JSON.has(col) ? '::jsonb' : ''}`).join(', ');
      const updated = await c.query(`UPDATE keys SET ${set} WHERE id = $1 RETURNING *`, [id, ...cols.map((col) => v[col])]);
      return updated.rows[0] ? keyFromRow(updated.rows[0] as Row) : undefined;
    });
  }

  async revokeKey(id: string, at: string): Promise<boolean> {
    const rows = await this.query('UPDATE keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id', [id, at]);
    return rows.length > 0;
  }

  // -- teams -------------------------------------------------------------------------------------------------

  async createTeam(team: TeamRecord): Promise<void> {
    const v = teamValues(team);
    await this.query(`INSERT INTO teams (${TEAM_COLUMNS.join(', ')}) VALUES (${placeholders(TEAM_COLUMNS, TEAM_JSON)})`, TEAM_COLUMNS.map((c) => v[c]));
  }

  async team(id: string): Promise<TeamRecord | undefined> {
    const [row] = await this.query('SELECT * FROM teams WHERE id = $1', [id]);
    return row && teamFromRow(row);
  }

  async teamByName(name: string): Promise<TeamRecord | undefined> {
    const [row] = await this.query('SELECT * FROM teams WHERE name = $1', [name]);
    return row && teamFromRow(row);
  }

  async listTeams(): Promise<TeamRecord[]> {
    return (await this.query('SELECT * FROM teams ORDER BY created_at, id')).map(teamFromRow);
  }

  // -- tokens ------------------------------------------------------------------------------------------------

  async createToken(token: TokenRecord): Promise<void> {
    const v = tokenValues(token);
    await this.query(`INSERT INTO tokens (${TOKEN_COLUMNS.join(', ')}) VALUES (${placeholders(TOKEN_COLUMNS, new Set())})`, TOKEN_COLUMNS.map((c) => v[c]));
  }

  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.query('SELECT * FROM tokens WHERE hash = $1', [hash]);
    return row && tokenFromRow(row);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.query('SELECT * FROM tokens ORDER BY created_at, id')).map(tokenFromRow);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const rows = await this.query('UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id', [id, at]);
    return rows.length > 0;
  }

  // -- budgets -----------------------------------------------------------------------------------------------

  /**
   * One transaction: create missing counter rows, lock every counter row in the fixed order, check that each has
   * room, then charge them all and record the reservation. Concurrent reservations on a shared counter queue on
   * its row lock, and each sees the previous one's charge, so the sum of reservations never exceeds the limit.
   */
  async reserve(scopes: BudgetScope[], amountNano: number, requestId: string): Promise<ReserveResult> {
    assertNano(amountNano, 'reservation amount');
    const { checkOrder, lockOrder } = normaliseScopes(scopes);
    const id = newReservationId();
    const createdAt = new Date().toISOString();
    const [s, i, p] = columns(lockOrder);
    return this.tx(async (c): Promise<ReserveResult> => {
      if (lockOrder.length > 0) {
        await c.query(
          `INSERT INTO budget_counters (scope, scope_id, period)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
          [s, i, p],
        );
        const { rows } = await c.query(
          `SELECT scope, scope_id, period, spent_nano, reserved_nano FROM budget_counters
           WHERE (scope, scope_id, period) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
           ORDER BY ${COUNTER_ORDER} FOR UPDATE`,
          [s, i, p],
        );
        const counters = new Map<string, { spent: number; reserved: number }>();
        for (const r of rows as Row[]) {
          const ref = { scope: r.scope as 'key' | 'team', id: String(r.scope_id), period: String(r.period) };
          counters.set(counterKey(ref), { spent: toSafeNumber(r.spent_nano), reserved: toSafeNumber(r.reserved_nano) });
        }
        for (const scope of checkOrder) {
          const counter = counters.get(counterKey(scope));
          if (!counter) throw new Error('budget counter row missing after upsert');
          if (counter.spent + counter.reserved + amountNano > scope.limitNano) {
            return { ok: false, scope, spentNano: counter.spent, reservedNano: counter.reserved };
          }
        }
        await c.query(
          `UPDATE budget_counters AS b SET reserved_nano = b.reserved_nano + $4::bigint
           FROM unnest($1::text[], $2::text[], $3::text[]) AS u(scope, scope_id, period)
           WHERE b.scope = u.scope AND b.scope_id = u.scope_id AND b.period = u.period`,
          [s, i, p, amountNano],
        );
      }
      await c.query('INSERT INTO reservations (id, request_id, amount_nano, scopes, created_at) VALUES ($1, $2, $3, $4::jsonb, $5)', [
        id,
        requestId,
        amountNano,
        JSON.stringify(storedScopes(lockOrder)),
        createdAt,
      ]);
      return { ok: true, reservationId: id };
    });
  }

  /** Applies deltas in one upsert whose rows are taken in lock order (unnest keeps the array order). */
  private async applyDeltas(c: PoolClient, deltas: readonly CounterDelta[]): Promise<void> {
    const merged = mergeDeltas(deltas);
    if (merged.length === 0) return;
    const [s, i, p] = columns(merged);
    await c.query(
      `INSERT INTO budget_counters AS b (scope, scope_id, period, spent_nano, reserved_nano)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
       ON CONFLICT (scope, scope_id, period) DO UPDATE
       SET spent_nano = b.spent_nano + EXCLUDED.spent_nano, reserved_nano = b.reserved_nano + EXCLUDED.reserved_nano`,
      [s, i, p, merged.map((d) => d.spentNano), merged.map((d) => d.reservedNano)],
    );
  }

  /**
   * Deletes the reservation (the row lock makes a concurrent second end wait, then find nothing) and moves its
   * money. A reservation the sweeper already released (a tombstone) only adds its spend.
   */
  private async end(reservationId: string, actualNano: number): Promise<void> {
    await this.tx(async (c) => {
      const { rows } = await c.query('DELETE FROM reservations WHERE id = $1 RETURNING amount_nano, scopes, swept_at', [reservationId]);
      const row = rows[0] as Row | undefined;
      if (!row) return;
      const reserved = row.swept_at === null ? toSafeNumber(row.amount_nano) : 0;
      await this.applyDeltas(
        c,
        parseStoredScopes(row.scopes).map((ref) => ({ ...ref, spentNano: actualNano, reservedNano: -reserved })),
      );
    });
  }

  async settle(reservationId: string, actualNano: number): Promise<void> {
    assertNano(actualNano, 'actual spend');
    await this.end(reservationId, actualNano);
  }

  async release(reservationId: string): Promise<void> {
    await this.end(reservationId, 0);
  }

  async addSpend(scopes: Omit<BudgetScope, 'limitNano'>[], amountNano: number): Promise<void> {
    assertNano(amountNano, 'spend');
    scopes.forEach(assertCounterRef);
    await this.tx((c) => this.applyDeltas(c, scopes.map((ref) => ({ scope: ref.scope, id: ref.id, period: ref.period, spentNano: amountNano, reservedNano: 0 }))));
  }

  async spend(scope: 'key' | 'team', id: string, period: string): Promise<SpendRow> {
    const [row] = await this.query('SELECT spent_nano, reserved_nano FROM budget_counters WHERE scope = $1 AND scope_id = $2 AND period = $3', [scope, id, period]);
    return { scope, id, period, spentNano: row ? toSafeNumber(row.spent_nano) : 0, reservedNano: row ? toSafeNumber(row.reserved_nano) : 0 };
  }

  async sweepReservations(olderThan: string): Promise<number> {
    const cutoff = isoTime(olderThan, 'sweep cut-off');
    const forgetBefore = new Date(Date.parse(cutoff) - TOMBSTONE_MS).toISOString();
    return this.tx(async (c) => {
      const { rows } = await c.query(
        'UPDATE reservations SET swept_at = $2 WHERE swept_at IS NULL AND created_at < $1 RETURNING amount_nano, scopes',
        [cutoff, new Date().toISOString()],
      );
      const deltas: CounterDelta[] = [];
      for (const row of rows as Row[]) {
        const amount = toSafeNumber(row.amount_nano);
        for (const ref of parseStoredScopes(row.scopes)) deltas.push({ ...ref, spentNano: 0, reservedNano: -amount });
      }
      await this.applyDeltas(c, deltas);
      await c.query('DELETE FROM reservations WHERE swept_at IS NOT NULL AND created_at < $1', [forgetBefore]);
      return rows.length;
    });
  }

  // -- alerts ------------------------------------------------------------------------------------------------

  async alertsSent(scope: 'key' | 'team', id: string, period: string): Promise<number[]> {
    const rows = await this.query('SELECT threshold FROM budget_alerts WHERE scope = $1 AND scope_id = $2 AND period = $3 ORDER BY threshold', [scope, id, period]);
    return rows.map((r) => toSafeNumber(r.threshold, 'threshold'));
  }

  async markAlertSent(scope: 'key' | 'team', id: string, period: string, thresholdPercent: number): Promise<boolean> {
    assertCounterRef({ scope, id, period });
    if (!Number.isSafeInteger(thresholdPercent)) throw new RangeError('alert threshold must be an integer percentage');
    const rows = await this.query(
      'INSERT INTO budget_alerts (scope, scope_id, period, threshold, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING threshold',
      [scope, id, period, thresholdPercent, new Date().toISOString()],
    );
    return rows.length === 1;
  }
}
