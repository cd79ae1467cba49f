import type BetterSqlite3 from 'better-sqlite3';
import type { Pool, PoolClient } from 'pg';
import { toSafeNumber } from '../store/common.js';
import type { PostgresTenancyStore } from '../store/postgres.js';
import type { SqliteTenancyStore } from '../store/sqlite.js';
import type { TenancyStore } from '../tenancy/types.js';
import { nextRow, type AuditEntry, type AuditHead, type AuditRow } from './audit.js';
import type { Block, BlockKind, Policy, StoredPolicy } from './types.js';

/**
 * The sovereignty tables (migration 3) on the tenancy store's own connection: policies, blocks and the audit log.
 * Every change runs in one transaction with its audit row, after the chain head is locked, so a change is never
 * recorded without its audit row nor the other way round, and writers on any number of replicas append one at a
 * time. SQL is written once with `?` placeholders; PostgreSQL gets them renumbered.
 */

type Row = Record<string, unknown>;

export interface Statement {
  sql: string;
  params: unknown[];
}

/** A change and its audit row: what to read first, then (from what was read) what to write and record. */
export interface Mutation<R> {
  read?: Statement;
  build(rows: Row[]): { statements: Statement[]; audit?: AuditEntry; result: R };
}

export interface SovereigntyState {
  /** The audit chain's length: it grows with every change, so a replica re-reads only when it moved. */
  version: number;
  policies: StoredPolicy[];
  /** Blocks not removed (expired ones included: expiry is checked against the clock at use). */
  blocks: Block[];
}

export interface SovereigntyStore {
  readonly kind: 'sqlite' | 'postgres';
  version(): Promise<number>;
  state(): Promise<SovereigntyState>;
  mutate<R>(mutation: Mutation<R>, at: string, auditKey: string | undefined): Promise<R>;
  blocks(includeRemoved: boolean): Promise<Block[]>;
  auditHead(): Promise<AuditHead>;
  /** Rows with seq > afterSeq, oldest first. */
  auditRows(afterSeq: number, limit: number): Promise<AuditRow[]>;
}

// -- rows ------------------------------------------------------------------------------------------------------

const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

export function policyFromRow(row: Row): StoredPolicy {
  const body = typeof row.body === 'string' ? (JSON.parse(row.body) as Policy) : (row.body as Policy);
  return {
    name: String(row.name),
    policy: body,
    createdAt: String(row.created_at),
    createdBy: String(row.created_by),
    updatedAt: String(row.updated_at),
    updatedBy: String(row.updated_by),
  };
}

export function blockFromRow(row: Row): Block {
  return {
    id: String(row.id),
    selector: { kind: String(row.kind) as BlockKind, value: String(row.value) },
    ...(opt(row.reason) !== undefined ? { reason: opt(row.reason) } : {}),
    ...(opt(row.until) !== undefined ? { until: opt(row.until) } : {}),
    createdAt: String(row.created_at),
    createdBy: String(row.created_by),
    ...(opt(row.removed_at) !== undefined ? { removedAt: opt(row.removed_at), removedBy: opt(row.removed_by) } : {}),
  };
}

function auditFromRow(row: Row): AuditRow {
  return {
    seq: toSafeNumber(row.seq, 'audit seq'),
    at: String(row.at),
    actor: String(row.actor),
    action: String(row.action),
    targetType: String(row.target_type),
    targetId: String(row.target_id),
    before: opt(row.before) ?? null,
    after: opt(row.after) ?? null,
    keyId: opt(row.key_id) ?? null,
    prevMac: String(row.prev_mac),
    mac: String(row.mac),
  };
}

function headFromRow(row: Row | undefined): AuditHead {
  if (!row) throw new Error('the audit chain head is missing (migration 3 not applied?)');
  return { seq: toSafeNumber(row.seq, 'audit head seq'), mac: String(row.mac) };
}

const INSERT_AUDIT = `INSERT INTO audit_log (seq, at, actor, action, target_type, target_id, before, after, key_id, prev_mac, mac)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_HEAD = 'UPDATE audit_head SET seq = ?, mac = ? WHERE id = 1';

function auditParams(r: AuditRow): unknown[] {
  return [r.seq, r.at, r.actor, r.action, r.targetType, r.targetId, r.before, r.after, r.keyId, r.prevMac, r.mac];
}

const ACTIVE_BLOCKS = 'SELECT * FROM blocks WHERE removed_at IS NULL ORDER BY created_at, id';
const ALL_BLOCKS = 'SELECT * FROM blocks ORDER BY created_at, id';
const ALL_POLICIES = 'SELECT * FROM policies ORDER BY name';

// -- SQLite ----------------------------------------------------------------------------------------------------

function bind(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return value;
}

/**
 * SQLite: better-sqlite3 is synchronous, so a whole change (lock, read, write, audit) runs inside one
 * `BEGIN IMMEDIATE` transaction with nothing else able to run in between; IMMEDIATE takes the file's write lock
 * first, so other processes on the same file queue behind it.
 */
export class SqliteSovereigntyStore implements SovereigntyStore {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  private stmt(sql: string): BetterSqlite3.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private all(sql: string, params: unknown[] = []): Row[] {
    return this.stmt(sql).all(...params.map(bind)) as Row[];
  }

  private run(sql: string, params: unknown[] = []): void {
    this.stmt(sql).run(...params.map(bind));
  }

  async version(): Promise<number> {
    return headFromRow(this.all('SELECT seq, mac FROM audit_head WHERE id = 1')[0]).seq;
  }

  async state(): Promise<SovereigntyState> {
    // One read transaction: the version and the rows it describes are consistent with each other.
    return this.db.transaction(() => ({
      version: headFromRow(this.all('SELECT seq, mac FROM audit_head WHERE id = 1')[0]).seq,
      policies: this.all(ALL_POLICIES).map(policyFromRow),
      blocks: this.all(ACTIVE_BLOCKS).map(blockFromRow),
    }))();
  }

  async mutate<R>(mutation: Mutation<R>, at: string, auditKey: string | undefined): Promise<R> {
    return this.db
      .transaction((): R => {
        const head = headFromRow(this.all('SELECT seq, mac FROM audit_head WHERE id = 1')[0]);
        const rows = mutation.read ? this.all(mutation.read.sql, mutation.read.params) : [];
        const { statements, audit, result } = mutation.build(rows);
        for (const s of statements) this.run(s.sql, s.params);
        if (audit) {
          const row = nextRow(head, audit, at, auditKey);
          this.run(INSERT_AUDIT, auditParams(row));
          this.run(UPDATE_HEAD, [row.seq, row.mac]);
        }
        return result;
      })
      .immediate();
  }

  async blocks(includeRemoved: boolean): Promise<Block[]> {
    return this.all(includeRemoved ? ALL_BLOCKS : ACTIVE_BLOCKS).map(blockFromRow);
  }

  async auditHead(): Promise<AuditHead> {
    return headFromRow(this.all('SELECT seq, mac FROM audit_head WHERE id = 1')[0]);
  }

  async auditRows(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.all('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit]).map(auditFromRow);
  }
}

// -- PostgreSQL ------------------------------------------------------------------------------------------------

/** `?` placeholders to `$1, $2, …` (the SQL here never holds a literal question mark). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * PostgreSQL: a READ COMMITTED transaction that starts with `SELECT … FROM audit_head … FOR UPDATE`. The row lock
 * makes every writer on every replica wait for the one before it, which then sees the committed head, so two
 * replicas can never append rows with the same predecessor. The lock wait is bounded by the pool's
 * statement_timeout.
 */
export class PostgresSovereigntyStore implements SovereigntyStore {
  readonly kind = 'postgres' as const;

  constructor(private readonly pool: Pool) {}

  private async all(sql: string, params: unknown[] = [], client: Pool | PoolClient = this.pool): Promise<Row[]> {
    return (await client.query(numbered(sql), params)).rows as Row[];
  }

  async version(): Promise<number> {
    return headFromRow((await this.all('SELECT seq, mac FROM audit_head WHERE id = 1'))[0]).seq;
  }

  async state(): Promise<SovereigntyState> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      // REPEATABLE READ: one snapshot for the version and the rows.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const head = headFromRow((await this.all('SELECT seq, mac FROM audit_head WHERE id = 1', [], client))[0]);
      const policies = (await this.all(ALL_POLICIES, [], client)).map(policyFromRow);
      const blocks = (await this.all(ACTIVE_BLOCKS, [], client)).map(blockFromRow);
      await client.query('COMMIT');
      return { version: head.seq, policies, blocks };
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async mutate<R>(mutation: Mutation<R>, at: string, auditKey: string | undefined): Promise<R> {
    const { inTransaction } = await import('../store/pg-tx.js');
    return inTransaction(this.pool, async (client) => {
      const head = headFromRow((await this.all('SELECT seq, mac FROM audit_head WHERE id = 1 FOR UPDATE', [], client))[0]);
      const rows = mutation.read ? await this.all(mutation.read.sql, mutation.read.params, client) : [];
      const { statements, audit, result } = mutation.build(rows);
      for (const s of statements) await this.all(s.sql, s.params, client);
      if (audit) {
        const row = nextRow(head, audit, at, auditKey);
        await this.all(INSERT_AUDIT, auditParams(row), client);
        await this.all(UPDATE_HEAD, [row.seq, row.mac], client);
      }
      return result;
    });
  }

  async blocks(includeRemoved: boolean): Promise<Block[]> {
    return (await this.all(includeRemoved ? ALL_BLOCKS : ACTIVE_BLOCKS)).map(blockFromRow);
  }

  async auditHead(): Promise<AuditHead> {
    return headFromRow((await this.all('SELECT seq, mac FROM audit_head WHERE id = 1'))[0]);
  }

  async auditRows(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return (await this.all('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit])).map(auditFromRow);
  }
}

/** The sovereignty store on the same database (and connection or pool) as a tenancy store. */
export function sovereigntyStoreFor(store: TenancyStore): SovereigntyStore {
  if (store.kind === 'sqlite') return new SqliteSovereigntyStore((store as SqliteTenancyStore).db);
  return new PostgresSovereigntyStore((store as PostgresTenancyStore).pool);
}
