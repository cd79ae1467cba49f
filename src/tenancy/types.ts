/**
 * Tenancy: virtual keys, teams, people's tokens, budgets and their spend. Money is integer nano-dollars (n$)
 * everywhere inside (1 USD = 1e9 n$); a 64-bit integer column holds 9.2e9 USD.
 */

export type BudgetPeriod = 'day' | 'month' | 'total';

export interface BudgetSpec {
  limitNano: number;
  period: BudgetPeriod;
}

export interface RateLimits {
  rpm?: number;
  tpm?: number;
}

export interface KeyRecord {
  /** Public id, safe to show and log (e.g. `key_…`). */
  id: string;
  name: string;
  teamId?: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  hash: string;
  budget?: BudgetSpec;
  limits?: RateLimits;
  policy?: string;
  /** Canonical model ids this key may use; absent = any. */
  models?: string[];
  expiresAt?: string;
  metadata?: Record<string, unknown>;
  /** Store prompts and completions in the ledger for this key (off by default). */
  storePrompts?: boolean;
  /** A data class every request of this key gets, whatever its header says. */
  minDataClass?: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
}

export interface TeamRecord {
  id: string;
  name: string;
  budget?: BudgetSpec;
  limits?: RateLimits;
  policy?: string;
  createdAt: string;
  createdBy: string;
}

export type Role = 'admin' | 'viewer';

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  hash: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
}

/** One budget a reservation must fit: a key's or a team's, for the period that contains now. */
export interface BudgetScope {
  scope: 'key' | 'team';
  id: string;
  /** Start of the current period, e.g. `2026-11-29` (day), `2026-11` (month), `total`. */
  period: string;
  limitNano: number;
}

export type ReserveResult = { ok: true; reservationId: string } | { ok: false; scope: BudgetScope; spentNano: number; reservedNano: number };

export interface SpendRow {
  scope: 'key' | 'team';
  id: string;
  period: string;
  spentNano: number;
  reservedNano: number;
}

export type KeyPatch = Partial<Pick<KeyRecord, 'name' | 'teamId' | 'budget' | 'limits' | 'policy' | 'models' | 'expiresAt' | 'metadata' | 'storePrompts' | 'minDataClass'>>;

/**
 * The durable store of tenancy, one schema for SQLite and PostgreSQL. Every method is parameterised (never SQL
 * built from input) and safe to call from several gateway replicas at once.
 */
export interface TenancyStore {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;

  createKey(key: KeyRecord): Promise<void>;
  keyByHash(hash: string): Promise<KeyRecord | undefined>;
  key(id: string): Promise<KeyRecord | undefined>;
  listKeys(): Promise<KeyRecord[]>;
  updateKey(id: string, patch: KeyPatch): Promise<KeyRecord | undefined>;
  revokeKey(id: string, at: string): Promise<boolean>;

  createTeam(team: TeamRecord): Promise<void>;
  team(id: string): Promise<TeamRecord | undefined>;
  teamByName(name: string): Promise<TeamRecord | undefined>;
  listTeams(): Promise<TeamRecord[]>;

  createToken(token: TokenRecord): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string, at: string): Promise<boolean>;

  /**
   * Atomically reserves `amountNano` against every scope: either all scopes have room
   * (spent + reserved + amount ≤ limit) and all are charged, or none is. Reservations older than `staleAfterMs`
   * (a crashed replica's) are released by `sweepReservations`.
   */
  reserve(scopes: BudgetScope[], amountNano: number, requestId: string): Promise<ReserveResult>;
  /** Turns a reservation into actual spend (which may exceed the reservation); idempotent per reservation. */
  settle(reservationId: string, actualNano: number): Promise<void>;
  /** Releases a reservation without spend (the request failed unbilled); idempotent. */
  release(reservationId: string): Promise<void>;
  /** Adds spend with no reservation (e.g. a free request, or a correction). */
  addSpend(scopes: Omit<BudgetScope, 'limitNano'>[], amountNano: number): Promise<void>;
  spend(scope: 'key' | 'team', id: string, period: string): Promise<SpendRow>;
  sweepReservations(olderThan: string): Promise<number>;

  /** Budget alert thresholds already announced for a scope and period (so each fires once). */
  alertsSent(scope: 'key' | 'team', id: string, period: string): Promise<number[]>;
  markAlertSent(scope: 'key' | 'team', id: string, period: string, thresholdPercent: number): Promise<boolean>;
}
