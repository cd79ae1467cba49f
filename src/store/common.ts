import { randomBytes } from 'node:crypto';
import type { BudgetPeriod, BudgetScope, KeyPatch, KeyRecord, RateLimits, Role, TeamRecord, TokenRecord } from '../tenancy/types.js';

/**
 * What the SQLite and PostgreSQL stores share: options, errors, validation of money, the canonical order in which
 * budget counters are locked, and the mapping between records and rows (snake_case columns, one schema).
 */

export interface StoreOptions {
  /**
   * Upper bound of one database wait, in ms (default 2000): PostgreSQL's connect timeout, statement_timeout and
   * client-side query timeout; SQLite's busy_timeout. A dead database fails the call instead of hanging it.
   */
  timeoutMs?: number;
  /** Run the migrations when opening (default true). */
  migrate?: boolean;
  /** Time allowed to one `migrate()` (waiting for another replica's migration included), in ms (default 60000). */
  migrationTimeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_MIGRATION_TIMEOUT_MS = 60_000;

/** A write refused by a constraint. The message names the constraint, never the values (which may be hashes). */
export class StoreConstraintError extends Error {
  override readonly name = 'StoreConstraintError';
  constructor(
    readonly kind: 'unique' | 'foreign-key' | 'check' | 'not-null',
    readonly constraint: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Money is integer nano-dollars, below 2^53 so that a JS number holds it exactly. */
export function assertNano(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative safe integer of nano-dollars, got ${String(value)}`);
}

/** Converts an integer read from a database (number, bigint or decimal string) to a number, refusing any precision loss. */
export function toSafeNumber(value: unknown, what = 'integer'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${what} ${value} is not a safe integer`);
    return value;
  }
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`${what} ${value} exceeds 2^53`);
    return Number(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new RangeError(`${what} ${value} exceeds 2^53`);
    return n;
  }
  throw new TypeError(`${what}: expected an integer, got ${typeof value}`);
}

/** Normalises an ISO time to `toISOString()` form (UTC, milliseconds), whose text order is time order. */
export function isoTime(value: string | Date, what = 'time'): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`${what} is not a valid ISO time: ${String(value)}`);
  return date.toISOString();
}

/** How long a swept reservation is kept as a tombstone, so that a late settle still records its spend. */
export const TOMBSTONE_MS = 24 * 60 * 60 * 1000;

export function newReservationId(): string {
  return `res_${randomBytes(12).toString('base64url')}`;
}

/** A counter's identity: one scope's budget for one period. */
export interface CounterRef {
  scope: 'key' | 'team';
  id: string;
  period: string;
}

/** A change to one counter: spent and reserved deltas (reserved is negative when a reservation ends). */
export interface CounterDelta extends CounterRef {
  spentNano: number;
  reservedNano: number;
}

const SCOPES = new Set(['key', 'team']);

export function assertCounterRef(ref: CounterRef): void {
  if (!SCOPES.has(ref.scope)) throw new RangeError(`unknown budget scope ${String(ref.scope)}`);
  if (typeof ref.id !== 'string' || ref.id === '') throw new RangeError('budget scope id must be a non-empty string');
  if (typeof ref.period !== 'string' || ref.period === '') throw new RangeError('budget period must be a non-empty string');
}

/**
 * The one total order in which every transaction touches counter rows: by (scope, id, period), comparing UTF-8
 * bytes, which is exactly PostgreSQL's `COLLATE "C"`. Two transactions that lock rows in the same order cannot
 * deadlock on them.
 */
export function compareCounters(a: CounterRef, b: CounterRef): number {
  return (
    Buffer.compare(Buffer.from(a.scope), Buffer.from(b.scope)) ||
    Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)) ||
    Buffer.compare(Buffer.from(a.period), Buffer.from(b.period))
  );
}

export function counterKey(ref: CounterRef): string {
  return JSON.stringify([ref.scope, ref.id, ref.period]);
}

/**
 * Validates a reservation's scopes and merges duplicates (one counter charged once, against the tightest limit).
 * Returns them in the caller's order (for the refusal to name the first full scope) and in lock order.
 */
export function normaliseScopes(scopes: readonly BudgetScope[]): { checkOrder: BudgetScope[]; lockOrder: BudgetScope[] } {
  const byKey = new Map<string, BudgetScope>();
  for (const s of scopes) {
    assertCounterRef(s);
    assertNano(s.limitNano, `limit of ${s.scope} budget`);
    const k = counterKey(s);
    const seen = byKey.get(k);
    if (!seen || s.limitNano < seen.limitNano) byKey.set(k, seen ? { ...seen, limitNano: s.limitNano } : s);
  }
  const checkOrder = [...byKey.values()];
  return { checkOrder, lockOrder: [...checkOrder].sort(compareCounters) };
}

/** Sums deltas per counter and sorts them in lock order. */
export function mergeDeltas(deltas: readonly CounterDelta[]): CounterDelta[] {
  const byKey = new Map<string, CounterDelta>();
  for (const d of deltas) {
    const k = counterKey(d);
    const seen = byKey.get(k);
    if (seen) {
      seen.spentNano += d.spentNano;
      seen.reservedNano += d.reservedNano;
    } else byKey.set(k, { scope: d.scope, id: d.id, period: d.period, spentNano: d.spentNano, reservedNano: d.reservedNano });
  }
  return [...byKey.values()].sort(compareCounters);
}

/** What a reservation row remembers of its scopes (limits are not needed to end it). */
export function storedScopes(scopes: readonly CounterRef[]): CounterRef[] {
  return scopes.map((s) => ({ scope: s.scope, id: s.id, period: s.period }));
}

export function parseStoredScopes(value: unknown): CounterRef[] {
  const list = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!Array.isArray(list)) throw new TypeError('reservation scopes are not a list');
  return list.map((s: unknown) => {
    const ref = s as CounterRef;
    assertCounterRef(ref);
    return { scope: ref.scope, id: ref.id, period: ref.period };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Records ⇄ rows

const PERIODS = new Set<BudgetPeriod>(['day', 'month', 'total']);
const ROLES = new Set<Role>(['admin', 'viewer']);

export function validateBudget(budget: { limitNano: number; period: BudgetPeriod } | undefined, what: string): void {
  if (budget === undefined) return;
  assertNano(budget.limitNano, `${what} budget limit`);
  if (!PERIODS.has(budget.period)) throw new RangeError(`${what} budget period must be day, month or total`);
}

export function validateRole(role: Role): void {
  if (!ROLES.has(role)) throw new RangeError('token role must be admin or viewer');
}

/** Column values of a key, in `KEY_COLUMNS` order. JSON values are returned as JSON text, booleans as booleans. */
export const KEY_COLUMNS = [
  'id',
  'name',
  'team_id',
  'hash',
  'budget_limit_nano',
  'budget_period',
  'limits',
  'policy',
  'models',
  'expires_at',
  'metadata',
  'store_prompts',
  'min_data_class',
  'created_at',
  'created_by',
  'revoked_at',
] as const;

export interface KeyValues {
  id: string;
  name: string;
  team_id: string | null;
  hash: string;
  budget_limit_nano: number | null;
  budget_period: string | null;
  limits: string | null;
  policy: string | null;
  models: string | null;
  expires_at: string | null;
  metadata: string | null;
  store_prompts: boolean | null;
  min_data_class: string | null;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

/**
 * JSON text of a value. A NUL character is refused in both dialects alike: PostgreSQL's JSONB cannot hold it, and
 * a value that one store accepts and the other refuses would break a move from SQLite to PostgreSQL.
 */
function jsonText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  if (/(?:^|[^\\])(?:\\\\)*\\u0000/.test(text)) throw new RangeError('JSON values may not contain NUL characters');
  return text;
}

export function keyValues(key: KeyRecord): KeyValues {
  validateBudget(key.budget, 'key');
  return {
    id: key.id,
    name: key.name,
    team_id: key.teamId ?? null,
    hash: key.hash,
    budget_limit_nano: key.budget?.limitNano ?? null,
    budget_period: key.budget?.period ?? null,
    limits: jsonText(key.limits),
    policy: key.policy ?? null,
    models: jsonText(key.models),
    expires_at: key.expiresAt ?? null,
    metadata: jsonText(key.metadata),
    store_prompts: key.storePrompts ?? null,
    min_data_class: key.minDataClass ?? null,
    created_at: key.createdAt,
    created_by: key.createdBy,
    revoked_at: key.revokedAt ?? null,
  };
}

export const TEAM_COLUMNS = ['id', 'name', 'budget_limit_nano', 'budget_period', 'limits', 'policy', 'created_at', 'created_by'] as const;

export interface TeamValues {
  id: string;
  name: string;
  budget_limit_nano: number | null;
  budget_period: string | null;
  limits: string | null;
  policy: string | null;
  created_at: string;
  created_by: string;
}

export function teamValues(team: TeamRecord): TeamValues {
  validateBudget(team.budget, 'team');
  return {
    id: team.id,
    name: team.name,
    budget_limit_nano: team.budget?.limitNano ?? null,
    budget_period: team.budget?.period ?? null,
    limits: jsonText(team.limits),
    policy: team.policy ?? null,
    created_at: team.createdAt,
    created_by: team.createdBy,
  };
}

export const TOKEN_COLUMNS = ['id', 'name', 'role', 'hash', 'created_at', 'created_by', 'revoked_at'] as const;

export interface TokenValues {
  id: string;
  name: string;
  role: string;
  hash: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

export function tokenValues(token: TokenRecord): TokenValues {
  validateRole(token.role);
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    hash: token.hash,
    created_at: token.createdAt,
    created_by: token.createdBy,
    revoked_at: token.revokedAt ?? null,
  };
}

/** A row as a driver returns it: JSON columns as text (SQLite) or parsed (PostgreSQL), integers as number/bigint. */
export type Row = Record<string, unknown>;

function readJson(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function str(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

function readBudget(row: Row): { limitNano: number; period: BudgetPeriod } | undefined {
  if (row.budget_limit_nano === null || row.budget_limit_nano === undefined || row.budget_period === null) return undefined;
  return { limitNano: toSafeNumber(row.budget_limit_nano, 'budget limit'), period: row.budget_period as BudgetPeriod };
}

/** Builds a record with only the fields that have values, so that a record read back equals the one written. */
function compact<T extends object>(record: { [K in keyof T]: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = v;
  return out as T;
}

export function keyFromRow(row: Row): KeyRecord {
  const storePrompts = row.store_prompts;
  return compact<KeyRecord>({
    id: String(row.id),
    name: String(row.name),
    teamId: str(row.team_id),
    hash: String(row.hash),
    budget: readBudget(row),
    limits: readJson(row.limits) as RateLimits | undefined,
    policy: str(row.policy),
    models: readJson(row.models) as string[] | undefined,
    expiresAt: str(row.expires_at),
    metadata: readJson(row.metadata) as Record<string, unknown> | undefined,
    storePrompts: storePrompts === null || storePrompts === undefined ? undefined : Boolean(Number(storePrompts)),
    minDataClass: str(row.min_data_class),
    createdAt: String(row.created_at),
    createdBy: String(row.created_by),
    revokedAt: str(row.revoked_at),
  });
}

export function teamFromRow(row: Row): TeamRecord {
  return compact<TeamRecord>({
    id: String(row.id),
    name: String(row.name),
    budget: readBudget(row),
    limits: readJson(row.limits) as RateLimits | undefined,
    policy: str(row.policy),
    createdAt: String(row.created_at),
    createdBy: String(row.created_by),
  });
}

export function tokenFromRow(row: Row): TokenRecord {
  return compact<TokenRecord>({
    id: String(row.id),
    name: String(row.name),
    role: String(row.role) as Role,
    hash: String(row.hash),
    createdAt: String(row.created_at),
    createdBy: String(row.created_by),
    revokedAt: str(row.revoked_at),
  });
}

const PATCHABLE: readonly (keyof KeyPatch)[] = ['name', 'teamId', 'budget', 'limits', 'policy', 'models', 'expiresAt', 'metadata', 'storePrompts', 'minDataClass'];

/**
 * Applies a patch: a field present in the patch is set; present with the value `undefined` it is cleared (except
 * `name`, which a key always has); absent it is kept. Fields outside `KeyPatch` (id, hash, …) are never changed.
 */
export function applyKeyPatch(current: KeyRecord, patch: KeyPatch): KeyRecord {
  const next: Record<string, unknown> = { ...current };
  for (const field of PATCHABLE) {
    if (!Object.hasOwn(patch, field)) continue;
    const value = patch[field];
    if (value === undefined || value === null) {
      if (field !== 'name') delete next[field];
    } else next[field] = value;
  }
  return next as unknown as KeyRecord;
}
