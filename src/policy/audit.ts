import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyRecord, TeamRecord, TokenRecord } from '../tenancy/types.js';

/**
 * The audit log: every change to policies, blocks, keys, teams and tokens, as an append-only chain of rows. Each
 * row's `mac` is HMAC-SHA256(key, prev_mac ‖ canonical JSON of the row), keyed by `SWITCHBOARD_AUDIT_KEY` from the
 * environment (never the database), so whoever can write the database but lacks the key cannot edit, delete or
 * insert a row without `verify` noticing. The first row's prev_mac is the empty string.
 *
 * Without a key, rows are still written, with `key_id` NULL and a plain SHA-256 in place of the MAC: the chain then
 * catches accidents but not a deliberate rewrite, so `verify` reports such rows as unverifiable, never as OK.
 */

/** The environment variable holding the audit MAC key. */
export const AUDIT_KEY_ENV = 'SWITCHBOARD_AUDIT_KEY';

export interface AuditEntry {
  /** Who: `admin-key` or a person's token id. */
  actor: string;
  /** What: `policy.put`, `policy.delete`, `block.create`, `block.remove`, `key.create`, `key.update`, `key.revoke`, `team.create`, `token.create`, `token.revoke`. */
  action: string;
  target: { type: 'policy' | 'block' | 'key' | 'team' | 'token'; id: string };
  /** The object before and after the change (undefined when it did not exist); never a secret or its hash. */
  before?: unknown;
  after?: unknown;
}

/** One stored row. `before` and `after` are canonical JSON text, exactly as hashed. */
export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  before: string | null;
  after: string | null;
  /** Fingerprint of the MAC key; null when written without one. */
  keyId: string | null;
  prevMac: string;
  mac: string;
}

export interface AuditHead {
  seq: number;
  mac: string;
}

/** JSON with object keys sorted at every level and no whitespace: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** A short public fingerprint of the key, stored with each row so `verify` can tell "edited" from "another key". */
export function auditKeyId(key: string): string {
  return createHash('sha256').update('switchboard-audit-key-id\u0000').update(key, 'utf8').digest('hex').slice(0, 16);
}

function rowPayload(row: Omit<AuditRow, 'mac'>): string {
  return canonicalJson({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    before: row.before,
    after: row.after,
    keyId: row.keyId,
  });
}

/** The row's MAC: HMAC-SHA256 under the key, or plain SHA-256 when the row was written without one (keyId null). */
export function rowMac(row: Omit<AuditRow, 'mac'>, key: string | undefined): string {
  const payload = row.prevMac + rowPayload(row);
  if (row.keyId === null) return createHash('sha256').update(payload, 'utf8').digest('hex');
  if (key === undefined) throw new Error('a keyed audit row needs its key');
  return createHmac('sha256', key).update(payload, 'utf8').digest('hex');
}

/** Builds the next row after `head`. */
export function nextRow(head: AuditHead, entry: AuditEntry, at: string, key: string | undefined): AuditRow {
  const row: Omit<AuditRow, 'mac'> = {
    seq: head.seq + 1,
    at,
    actor: entry.actor,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id,
    before: entry.before === undefined ? null : canonicalJson(entry.before),
    after: entry.after === undefined ? null : canonicalJson(entry.after),
    keyId: key === undefined ? null : auditKeyId(key),
    prevMac: head.mac,
  };
  return { ...row, mac: rowMac(row, key) };
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type AuditVerdict =
  | { status: 'ok'; rows: number; lastSeq: number }
  | { status: 'broken'; rows: number; seq: number; reason: string }
  | { status: 'unverifiable'; rows: number; lastSeq: number; seq: number; reason: string };

/**
 * Checks the chain row by row (feed rows in `seq` order, then `finish` with the chain head). The first broken row
 * wins: a gap in `seq` (a deleted row), a `prev_mac` that is not the previous row's `mac` (a row inserted, removed or
 * reordered), a MAC or digest that does not match the row (an edited row), or a head that does not match the last
 * row (rows deleted from the end, or appended around the writer). Rows that cannot be checked (written without a key,
 * with another key, or no key given to `verify`) make the verdict `unverifiable` if nothing is broken.
 */
export class AuditVerifier {
  private expected = 1;
  private prev = '';
  private count = 0;
  private broken?: { seq: number; reason: string };
  private unchecked?: { seq: number; reason: string; count: number };
  private readonly keyId?: string;

  constructor(private readonly key: string | undefined) {
    this.keyId = key === undefined ? undefined : auditKeyId(key);
  }

  get done(): boolean {
    return this.broken !== undefined;
  }

  private fail(seq: number, reason: string): void {
    this.broken ??= { seq, reason };
  }

  private cannotCheck(seq: number, reason: string): void {
    if (this.unchecked) this.unchecked.count++;
    else this.unchecked = { seq, reason, count: 1 };
  }

  push(row: AuditRow): void {
    if (this.broken) return;
    this.count++;
    if (row.seq !== this.expected) {
      this.fail(this.expected, row.seq > this.expected ? `row ${this.expected} is missing (the next row is ${row.seq})` : `row ${row.seq} is out of order or duplicated`);
      return;
    }
    if (row.prevMac !== this.prev) {
      this.fail(row.seq, `row ${row.seq} does not follow row ${row.seq - 1} (its prev_mac differs from that row's mac)`);
      return;
    }
    const { mac, ...rest } = row;
    if (row.keyId === null) {
      if (!sameHex(rowMac(rest, undefined), mac)) {
        this.fail(row.seq, `row ${row.seq} was altered (its digest does not match its content)`);
        return;
      }
      this.cannotCheck(row.seq, `written without ${AUDIT_KEY_ENV}`);
    } else if (this.key === undefined) {
      this.cannotCheck(row.seq, `${AUDIT_KEY_ENV} is not set, so MACs cannot be checked`);
    } else if (row.keyId !== this.keyId) {
      this.cannotCheck(row.seq, `written with another audit key (key id ${row.keyId})`);
    } else if (!sameHex(rowMac(rest, this.key), mac)) {
      this.fail(row.seq, `row ${row.seq} was altered (its MAC does not match its content)`);
      return;
    }
    this.prev = mac;
    this.expected++;
  }

  finish(head: AuditHead): AuditVerdict {
    const last = this.expected - 1;
    if (!this.broken) {
      if (head.seq > last) this.fail(last + 1, `rows ${last + 1}…${head.seq} are missing (the chain head says ${head.seq} rows were written)`);
      else if (head.seq < last) this.fail(head.seq + 1, `row ${head.seq + 1} was added outside the writer (the chain head says ${head.seq} rows)`);
      else if (head.mac !== this.prev) this.fail(last, `the chain head does not match row ${last}`);
    }
    if (this.broken) return { status: 'broken', rows: this.count, seq: this.broken.seq, reason: this.broken.reason };
    if (this.unchecked) {
      const { seq, reason, count } = this.unchecked;
      return { status: 'unverifiable', rows: this.count, lastSeq: last, seq, reason: `${count} row${count === 1 ? '' : 's'} cannot be verified, the first is row ${seq}: ${reason}` };
    }
    return { status: 'ok', rows: this.count, lastSeq: last };
  }
}

/** Verifies a whole chain held in memory. */
export function verifyChain(rows: Iterable<AuditRow>, head: AuditHead, key: string | undefined): AuditVerdict {
  const verifier = new AuditVerifier(key);
  for (const row of rows) {
    verifier.push(row);
    if (verifier.done) break;
  }
  return verifier.finish(head);
}

/** `switchboard audit verify`'s exit code: 0 OK, 1 broken, 3 unverifiable. */
export function verdictExitCode(verdict: AuditVerdict): number {
  return verdict.status === 'ok' ? 0 : verdict.status === 'broken' ? 1 : 3;
}

export function describeVerdict(verdict: AuditVerdict): string {
  switch (verdict.status) {
    case 'ok':
      return `audit chain OK: ${verdict.rows} row${verdict.rows === 1 ? '' : 's'}, last row ${verdict.lastSeq}`;
    case 'broken':
      return `audit chain BROKEN at row ${verdict.seq}: ${verdict.reason}`;
    case 'unverifiable':
      return `audit chain UNVERIFIABLE (no break found in ${verdict.rows} rows): ${verdict.reason}`;
  }
}

// -- what a change looks like in the log: never a secret, never its hash ---------------------------------------

export function keySnapshot(key: KeyRecord): Record<string, unknown> {
  const { hash: _hash, ...rest } = key;
  return rest;
}

export function teamSnapshot(team: TeamRecord): Record<string, unknown> {
  return { ...team };
}

export function tokenSnapshot(token: Pick<TokenRecord, 'id' | 'name' | 'role' | 'createdAt' | 'createdBy'> & { revokedAt?: string }): Record<string, unknown> {
  return { id: token.id, name: token.name, role: token.role, createdAt: token.createdAt, createdBy: token.createdBy, ...(token.revokedAt ? { revokedAt: token.revokedAt } : {}) };
}
