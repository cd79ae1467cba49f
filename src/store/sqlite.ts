import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
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
  DEFAULT_TIMEOUT_MS,
  KEY_COLUMNS,
  StoreConstraintError,
  TEAM_COLUMNS,
  TOMBSTONE_MS,
  TOKEN_COLUMNS,
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
  type CounterRef,
  type Row,
  type StoreOptions,
} from './common.js';
import { appliedSqlite, migrateSqlite, type AppliedMigration } from './migrations.js';

export interface SqliteStoreOptions extends StoreOptions {
  /** Directory a relative path in the URL is resolved against (default: the working directory). */
  baseDir?: string;
}

/**
 * The file a `sqlite:` URL names: `sqlite://relative/file.db`, `sqlite:///absolute/file.db`, or `sqlite::memory:`
 * (also `sqlite://:memory:`) for a private in-memory database.
 */
export function sqlitePathFromUrl(url: string, baseDir = process.cwd()): string {
  if (!url.startsWith('sqlite:')) throw new Error('a SQLite database URL starts with sqlite:');
  let rest = url.slice('sqlite:'.length);
  if (rest.startsWith('//')) rest = rest.slice(2);
  if (rest === ':memory:') return ':memory:';
  if (rest === '') throw new Error('the SQLite database URL names no file');
  return path.resolve(baseDir, rest);
}

/** Binds JS values as SQLite wants them: integers as 64-bit INTEGER (never REAL), booleans as 0/1. */
function bind(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return value;
}

function mapSqliteError(err: unknown): unknown {
  if (!(err instanceof Database.SqliteError) || !err.code.startsWith('SQLITE_CONSTRAINT')) return err;
  // SQLite's messages name the table and column ("UNIQUE constraint failed: keys.hash"), never the values.
  const constraint = err.message.replace(/^[A-Z ]+ constraint failed:\s*/, '') || undefined;
  switch (err.code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return new StoreConstraintError('unique', constraint, `duplicate value violates unique constraint ${constraint ?? ''}`.trim());
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return new StoreConstraintError('foreign-key', constraint, 'reference to a missing row violates a foreign key');
    case 'SQLITE_CONSTRAINT_NOTNULL':
      return new StoreConstraintError('not-null', constraint, `missing value for ${constraint ?? 'a required column'}`);
    default:
      return new StoreConstraintError('check', constraint, `value violates a check constraint ${constraint ?? ''}`.trim());
  }
}

/**
 * The tenancy store on one SQLite file (better-sqlite3). Every call is a short synchronous statement or
 * transaction, wrapped in a promise; writes that read first (`reserve`, `settle`, `updateKey`, …) run in
 * `BEGIN IMMEDIATE` transactions, which take the file's write lock before reading, so several processes on the
 * same file never interleave inside them. WAL lets readers proceed during a write.
 */
export class SqliteTenancyStore implements TenancyStore {
  readonly kind = 'sqlite' as const;
  /** The database file, or `:memory:`. */
  readonly path: string;
  /** The connection, shared with the ledger and sovereignty stores of the same database. */
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(databaseUrl: string, options: SqliteStoreOptions = {}) {
    this.path = sqlitePathFromUrl(databaseUrl, options.baseDir);
    if (this.path !== ':memory:') mkdirSync(path.dirname(this.path), { recursive: true });
    this.db = new Database(this.path);
    try {
      // busy_timeout first: switching to WAL needs a lock another process may hold.
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.timeoutMs ?? DEFAULT_TIMEOUT_MS))}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      // Integers come back as bigint and go through toSafeNumber: a value past 2^53 is an error, never a rounding.
      this.db.defaultSafeIntegers(true);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Opens the store and applies the migrations (unless `migrate: false`). */
  static async open(databaseUrl: string, options: SqliteStoreOptions = {}): Promise<SqliteTenancyStore> {
    const store = new SqliteTenancyStore(databaseUrl, options);
    try {
      if (options.migrate !== false) await store.migrate();
      return store;
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private run(sql: string, ...params: unknown[]): Database.RunResult {
    try {
      return this.stmt(sql).run(...params.map(bind));
    } catch (err) {
      throw mapSqliteError(err);
    }
  }

  private get(sql: string, ...params: unknown[]): Row | undefined {
    return this.stmt(sql).get(...params.map(bind)) as Row | undefined;
  }

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.stmt(sql).all(...params.map(bind)) as Row[];
  }

  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction (rolled back if it throws). */
  private immediate<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw mapSqliteError(err);
    }
  }

  async migrate(): Promise<void> {
    migrateSqlite(this.db);
  }

  /** The migrations recorded in `schema_migrations`, oldest first. */
  async appliedMigrations(): Promise<AppliedMigration[]> {
    return appliedSqlite(this.db);
  }

  async ping(): Promise<void> {
    this.get('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    this.statements.clear();
  }

  // -- keys --------------------------------------------------------------------------------------------------

  async createKey(key: KeyRecord): Promise<void> {
    const v = keyValues(key);
    this.run(`INSERT INTO keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map(() => '?').join(', ')})`, ...KEY_COLUMNS.map((c) => v[c]));
  }

  async keyByHash(hash: string): Promise<KeyRecord | undefined> {
    const row = this.get('SELECT * FROM keys WHERE hash = ?', hash);
    return row && keyFromRow(row);
  }

  async key(id: string): Promise<KeyRecord | undefined> {
    const row = this.get('SELECT * FROM keys WHERE id = ?', id);
    return row && keyFromRow(row);
  }

  async listKeys(): Promise<KeyRecord[]> {
    return this.all('SELECT * FROM keys ORDER BY created_at, id').map(keyFromRow);
  }

  async updateKey(id: string, patch: KeyPatch): Promise<KeyRecord | undefined> {
    return this.immediate(() => {
      const row = this.get('SELECT * FROM keys WHERE id = ?', id);
      if (!row) return undefined;
      const v = keyValues(applyKeyPatch(keyFromRow(row), patch));
      const cols = KEY_COLUMNS.filter((c) => c !== 'id');
      this.run(`UPDATE keys SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, ...cols.map((c) => v[c]), id);
      const updated = this.get('SELECT * FROM keys WHERE id = ?', id);
      return updated && keyFromRow(updated);
    });
  }

  async revokeKey(id: string, at: string): Promise<boolean> {
    return this.run('UPDATE keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?', at, id).changes > 0;
  }

  // -- teams -------------------------------------------------------------------------------------------------

  async createTeam(team: TeamRecord): Promise<void> {
    const v = teamValues(team);
    this.run(`INSERT INTO teams (${TEAM_COLUMNS.join(', ')}) VALUES (${TEAM_COLUMNS.map(() => '?').join(', ')})`, ...TEAM_COLUMNS.map((c) => v[c]));
  }

  async team(id: string): Promise<TeamRecord | undefined> {
    const row = this.get('SELECT * FROM teams WHERE id = ?', id);
    return row && teamFromRow(row);
  }

  async teamByName(name: string): Promise<TeamRecord | undefined> {
    const row = this.get('SELECT * FROM teams WHERE name = ?', name);
    return row && teamFromRow(row);
  }

  async listTeams(): Promise<TeamRecord[]> {
    return this.all('SELECT * FROM teams ORDER BY created_at, id').map(teamFromRow);
  }

  // -- tokens ------------------------------------------------------------------------------------------------

  async createToken(token: TokenRecord): Promise<void> {
    const v = tokenValues(token);
    this.run(`INSERT INTO tokens (${TOKEN_COLUMNS.join(', ')}) VALUES (${TOKEN_COLUMNS.map(() => '?').join(', ')})`, ...TOKEN_COLUMNS.map((c) => v[c]));
  }

  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = this.get('SELECT * FROM tokens WHERE hash = ?', hash);
    return row && tokenFromRow(row);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.all('SELECT * FROM tokens ORDER BY created_at, id').map(tokenFromRow);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return this.run('UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?', at, id).changes > 0;
  }

  // -- budgets -----------------------------------------------------------------------------------------------

  async reserve(scopes: BudgetScope[], amountNano: number, requestId: string): Promise<ReserveResult> {
    assertNano(amountNano, 'reservation amount');
    const { checkOrder, lockOrder } = normaliseScopes(scopes);
    const id = newReservationId();
    const createdAt = new Date().toISOString();
    return this.immediate((): ReserveResult => {
      const counters = new Map<string, { spent: number; reserved: number }>();
      for (const s of lockOrder) {
        this.run('INSERT INTO budget_counters (scope, scope_id, period) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', s.scope, s.id, s.period);
        const row = this.get('SELECT spent_nano, reserved_nano FROM budget_counters WHERE scope = ? AND scope_id = ? AND period = ?', s.scope, s.id, s.period);
        if (!row) throw new Error('budget counter row vanished inside its transaction');
        counters.set(counterKey(s), { spent: toSafeNumber(row.spent_nano, 'spent'), reserved: toSafeNumber(row.reserved_nano, 'reserved') });
      }
      for (const s of checkOrder) {
        const c = counters.get(counterKey(s));
        if (!c) throw new Error('budget counter missing');
        if (c.spent + c.reserved + amountNano > s.limitNano) return { ok: false, scope: s, spentNano: c.spent, reservedNano: c.reserved };
      }
      for (const s of lockOrder) {
        this.run('UPDATE budget_counters SET reserved_nano = reserved_nano + ? WHERE scope = ? AND scope_id = ? AND period = ?', amountNano, s.scope, s.id, s.period);
      }
      this.run(
        'INSERT INTO reservations (id, request_id, amount_nano, scopes, created_at) VALUES (?, ?, ?, ?, ?)',
        id,
        requestId,
        amountNano,
        JSON.stringify(storedScopes(lockOrder)),
        createdAt,
      );
      return { ok: true, reservationId: id };
    });
  }

  private applyDeltas(deltas: readonly CounterDelta[]): void {
    for (const d of mergeDeltas(deltas)) {
      this.run(
        `INSERT INTO budget_counters (scope, scope_id, period, spent_nano, reserved_nano) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (scope, scope_id, period) DO UPDATE
         SET spent_nano = spent_nano + excluded.spent_nano, reserved_nano = reserved_nano + excluded.reserved_nano`,
        d.scope,
        d.id,
        d.period,
        d.spentNano,
        d.reservedNano,
      );
    }
  }

  /**
   * Deletes the reservation and moves its amount out of reserved and `actualNano` into spent; nothing if it is gone.
   * A reservation the sweeper already released (a tombstone) only adds its spend.
   */
  private end(reservationId: string, actualNano: number): void {
    this.immediate(() => {
      const row = this.get('DELETE FROM reservations WHERE id = ? RETURNING amount_nano, scopes, swept_at', reservationId);
      if (!row) return;
      const reserved = row.swept_at === null ? toSafeNumber(row.amount_nano, 'reservation amount') : 0;
      this.applyDeltas(parseStoredScopes(row.scopes).map((s) => ({ ...s, spentNano: actualNano, reservedNano: -reserved })));
    });
  }

  async settle(reservationId: string, actualNano: number): Promise<void> {
    assertNano(actualNano, 'actual spend');
    this.end(reservationId, actualNano);
  }

  async release(reservationId: string): Promise<void> {
    this.end(reservationId, 0);
  }

  async addSpend(scopes: Omit<BudgetScope, 'limitNano'>[], amountNano: number): Promise<void> {
    assertNano(amountNano, 'spend');
    scopes.forEach(assertCounterRef);
    this.immediate(() => this.applyDeltas(scopes.map((s) => ({ scope: s.scope, id: s.id, period: s.period, spentNano: amountNano, reservedNano: 0 }))));
  }

  async spend(scope: 'key' | 'team', id: string, period: string): Promise<SpendRow> {
    const row = this.get('SELECT spent_nano, reserved_nano FROM budget_counters WHERE scope = ? AND scope_id = ? AND period = ?', scope, id, period);
    return {
      scope,
      id,
      period,
      spentNano: row ? toSafeNumber(row.spent_nano, 'spent') : 0,
      reservedNano: row ? toSafeNumber(row.reserved_nano, 'reserved') : 0,
    };
  }

  async sweepReservations(olderThan: string): Promise<number> {
    const cutoff = isoTime(olderThan, 'sweep cut-off');
    const forgetBefore = new Date(Date.parse(cutoff) - TOMBSTONE_MS).toISOString();
    const now = new Date().toISOString();
    return this.immediate(() => {
      const rows = this.all(
        'UPDATE reservations SET swept_at = ? WHERE swept_at IS NULL AND created_at < ? RETURNING amount_nano, scopes',
        now,
        cutoff,
      );
      const deltas: CounterDelta[] = [];
      for (const row of rows) {
        const amount = toSafeNumber(row.amount_nano, 'reservation amount');
        for (const s of parseStoredScopes(row.scopes) as CounterRef[]) deltas.push({ ...s, spentNano: 0, reservedNano: -amount });
      }
      this.applyDeltas(deltas);
      this.run('DELETE FROM reservations WHERE swept_at IS NOT NULL AND created_at < ?', forgetBefore);
      return rows.length;
    });
  }

  // -- alerts ------------------------------------------------------------------------------------------------

  async alertsSent(scope: 'key' | 'team', id: string, period: string): Promise<number[]> {
    return this.all('SELECT threshold FROM budget_alerts WHERE scope = ? AND scope_id = ? AND period = ? ORDER BY threshold', scope, id, period).map((r) =>
      toSafeNumber(r.threshold, 'threshold'),
    );
  }

  async markAlertSent(scope: 'key' | 'team', id: string, period: string, thresholdPercent: number): Promise<boolean> {
    assertCounterRef({ scope, id, period });
    if (!Number.isSafeInteger(thresholdPercent)) throw new RangeError('alert threshold must be an integer percentage');
    const result = this.run(
      'INSERT INTO budget_alerts (scope, scope_id, period, threshold, sent_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      scope,
      id,
      period,
      thresholdPercent,
      new Date().toISOString(),
    );
    return result.changes === 1;
  }
}
