import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreConstraintError } from '../../src/store/common.js';
import { openTenancyStore, storeKind, MIGRATIONS, type OpenStoreOptions } from '../../src/store/index.js';
import type { AppliedMigration } from '../../src/store/migrations.js';
import { PostgresTenancyStore } from '../../src/store/postgres.js';
import { SqliteTenancyStore, sqlitePathFromUrl } from '../../src/store/sqlite.js';
import type { BudgetScope, KeyRecord, TeamRecord, TenancyStore, TokenRecord } from '../../src/tenancy/types.js';
import { freshPgSchema, postgresUrl, probePostgres, requireService, serviceLabel } from '../support/services.js';

const pgService = await requireService('PostgreSQL', () => probePostgres(postgresUrl()));

type TestStore = TenancyStore & { appliedMigrations(): Promise<AppliedMigration[]> };

/** One isolated database (a temp file, or a fresh PostgreSQL schema) and the stores opened on it. */
interface Isolated {
  open(options?: OpenStoreOptions): Promise<TestStore>;
  /** Runs SQL directly, outside any store (to inspect or corrupt). */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

interface Backend {
  name: 'sqlite' | 'postgres';
  available: boolean;
  reason?: string;
  isolate(label: string): Promise<Isolated>;
}

async function isolateSqlite(label: string): Promise<Isolated> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `sb-store-${label}-`));
  const file = path.join(dir, 'nested', 'dir', 'tenancy.db');
  const url = `sqlite://${file}`;
  const stores: TestStore[] = [];
  return {
    async open(options = {}) {
      const store = await SqliteTenancyStore.open(url, options);
      stores.push(store);
      return store;
    },
    async raw(sql, params = []) {
      const db = new Database(file);
      try {
        const stmt = db.prepare(sql);
        if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
        stmt.run(...params);
        return [];
      } finally {
        db.close();
      }
    },
    async cleanup() {
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function isolatePostgres(label: string): Promise<Isolated> {
  const { schema, drop } = await freshPgSchema(postgresUrl(), label);
  const stores: TestStore[] = [];
  return {
    async open(options = {}) {
      const store = await PostgresTenancyStore.open(postgresUrl(), { ...options, schema });
      stores.push(store);
      return store;
    },
    async raw(sql, params = []) {
      const client = new pg.Client({ connectionString: postgresUrl(), options: `-c search_path=${schema}` });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
    async cleanup() {
      for (const s of stores) await s.close();
      await drop();
    },
  };
}

const backends: Backend[] = [
  { name: 'sqlite', available: true, isolate: isolateSqlite },
  { name: 'postgres', available: pgService.available, reason: pgService.reason, isolate: isolatePostgres },
];

let seq = 0;
/** A unique id for one test's rows, so the tests of a suite share a database without seeing each other. */
const uid = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${(seq++).toString(36)}_${randomBytes(3).toString('hex')}`;
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function team(overrides: Partial<TeamRecord> = {}): TeamRecord {
  return { id: uid('team'), name: uid('Team'), createdAt: '2026-11-29T10:00:00.000Z', createdBy: 'admin:test', ...overrides };
}

function key(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return { id: uid('key'), name: 'a key', hash: sha(uid('secret')), createdAt: '2026-11-29T10:00:00.000Z', createdBy: 'admin:test', ...overrides };
}

function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return { id: uid('tok'), name: 'ops', role: 'admin', hash: sha(uid('token')), createdAt: '2026-11-29T10:00:00.000Z', createdBy: 'bootstrap', ...overrides };
}

const INJECTION = "'; DROP TABLE keys; --";

describe.each(backends)('TenancyStore on $name', (backend) => {
  describe.skipIf(!backend.available)(serviceLabel(`${backend.name} store`, backend), () => {
    let db: Isolated;
    let store: TestStore;

    beforeAll(async () => {
      db = await backend.isolate('suite');
      store = await db.open();
    });

    afterAll(async () => {
      await db?.cleanup();
    });

    it('reports its kind and answers ping', async () => {
      expect(store.kind).toBe(backend.name);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('teams', () => {
      it('creates, finds by id and by name, lists, and refuses a second team of the same name', async () => {
        const t = team({ budget: { limitNano: 25_000_000_000, period: 'month' }, limits: { rpm: 600, tpm: 100_000 }, policy: 'eu-only' });
        await store.createTeam(t);
        expect(await store.team(t.id)).toStrictEqual(t);
        expect(await store.teamByName(t.name)).toStrictEqual(t);
        expect(await store.team('team_missing')).toBeUndefined();
        expect(await store.teamByName('no such team')).toBeUndefined();
        const bare = team({ createdAt: '2026-11-29T11:00:00.000Z' });
        await store.createTeam(bare);
        expect(await store.team(bare.id)).toStrictEqual(bare); // no undefined fields appear
        const list = await store.listTeams();
        expect(list.map((x) => x.id)).toEqual(expect.arrayContaining([t.id, bare.id]));
        expect(list.findIndex((x) => x.id === t.id)).toBeLessThan(list.findIndex((x) => x.id === bare.id));

        const clash = store.createTeam(team({ name: t.name }));
        await expect(clash).rejects.toBeInstanceOf(StoreConstraintError);
        await expect(clash).rejects.toMatchObject({ kind: 'unique' });
      });
    });

    describe('keys', () => {
      it('round-trips every field, by id and by hash', async () => {
        const t = team();
        await store.createTeam(t);
        const full = key({
          name: 'prod — ünïcødé ✓',
          teamId: t.id,
          budget: { limitNano: 9_007_199_254_740_991, period: 'total' },
          limits: { rpm: 60, tpm: 40_000 },
          policy: 'sovereign',
          models: ['deepseek/deepseek-v3', 'qwen/qwen3-235b'],
          expiresAt: '2027-01-01T00:00:00.000Z',
          metadata: { owner: 'ana', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null }, quote: `it's "quoted" \\ back` },
          storePrompts: false,
          minDataClass: 'confidential',
        });
        await store.createKey(full);
        expect(await store.key(full.id)).toStrictEqual(full);
        expect(await store.keyByHash(full.hash)).toStrictEqual(full);

        const minimal = key();
        await store.createKey(minimal);
        expect(await store.key(minimal.id)).toStrictEqual(minimal);
        expect(await store.keyByHash(sha('never issued'))).toBeUndefined();
        expect(await store.key('key_missing')).toBeUndefined();
      });

      it('round-trips JSON values exactly', async () => {
        const metadata = {
          emoji: '🚀 火箭',
          escapes: 'line\nbreak\ttab "q" \\ / \u2028',
          numbers: [0, -1, 3.25, 1e-7, 9_007_199_254_740_991],
          empty: {},
          emptyList: [],
          deep: { a: { b: { c: [{ d: 'e' }] } } },
          sql: INJECTION,
          bool: [true, false],
          nil: null,
        };
        const k = key({ metadata, models: [], limits: {} });
        await store.createKey(k);
        const back = await store.key(k.id);
        expect(back?.metadata).toStrictEqual(metadata);
        expect(back?.models).toStrictEqual([]);
        expect(back?.limits).toStrictEqual({});
        // a literal backslash-u-0000 is text like any other; a NUL character is refused alike by both stores
        const lookalike = key({ metadata: { s: '\\u0000' } });
        await store.createKey(lookalike);
        expect((await store.key(lookalike.id))?.metadata).toStrictEqual({ s: '\\u0000' });
        await expect(store.createKey(key({ metadata: { s: 'a\u0000b' } }))).rejects.toThrow(RangeError);
      });

      it('lists keys oldest first', async () => {
        const a = key({ createdAt: '2000-01-01T00:00:00.000Z' });
        const b = key({ createdAt: '2000-01-02T00:00:00.000Z' });
        await store.createKey(b);
        await store.createKey(a);
        const ids = (await store.listKeys()).map((x) => x.id);
        expect(ids.indexOf(a.id)).toBeGreaterThanOrEqual(0);
        expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
      });

      it('refuses a second key with the same hash, without quoting the hash', async () => {
        const k = key();
        await store.createKey(k);
        const err = await store.createKey(key({ hash: k.hash })).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConstraintError);
        expect(err).toMatchObject({ kind: 'unique' });
        expect(String((err as Error).message)).not.toContain(k.hash);
        expect(JSON.stringify(err)).not.toContain(k.hash);
        // the first key is untouched
        expect(await store.keyByHash(k.hash)).toStrictEqual(k);
      });

      it('refuses a key of a team that does not exist', async () => {
        await expect(store.createKey(key({ teamId: 'team_nope' }))).rejects.toMatchObject({ kind: 'foreign-key' });
      });

      it('refuses money that is not a safe non-negative integer', async () => {
        await expect(store.createKey(key({ budget: { limitNano: -1, period: 'day' } }))).rejects.toThrow(RangeError);
        await expect(store.createKey(key({ budget: { limitNano: 1.5, period: 'day' } }))).rejects.toThrow(RangeError);
        await expect(store.createKey(key({ budget: { limitNano: 2 ** 53, period: 'day' } }))).rejects.toThrow(RangeError);
      });

      it('updates the patched fields only, clears fields patched to undefined, never touches id or hash', async () => {
        const t = team();
        await store.createTeam(t);
        const k = key({ policy: 'eu-only', metadata: { a: 1 }, budget: { limitNano: 1000, period: 'day' } });
        await store.createKey(k);
        const updated = await store.updateKey(k.id, {
          name: 'renamed',
          teamId: t.id,
          budget: { limitNano: 5000, period: 'month' },
          policy: undefined,
          metadata: { b: [2] },
          storePrompts: true,
        });
        const expected: KeyRecord = { ...k, name: 'renamed', teamId: t.id, budget: { limitNano: 5000, period: 'month' }, metadata: { b: [2] }, storePrompts: true };
        delete expected.policy;
        expect(updated).toStrictEqual(expected);
        expect(await store.key(k.id)).toStrictEqual(expected);
        expect(await store.keyByHash(k.hash)).toStrictEqual(expected);
        // a patch can carry nothing else: extra properties are ignored
        await store.updateKey(k.id, { name: 'again', ...({ hash: 'f'.repeat(64), id: 'key_other' } as object) });
        expect(await store.key(k.id)).toMatchObject({ id: k.id, hash: k.hash, name: 'again' });
        expect(await store.updateKey('key_missing', { name: 'x' })).toBeUndefined();
        await expect(store.updateKey(k.id, { teamId: 'team_missing' })).rejects.toMatchObject({ kind: 'foreign-key' });
      });

      it('revokes once: the first revocation time stays', async () => {
        const k = key();
        await store.createKey(k);
        expect(await store.revokeKey(k.id, '2026-11-29T12:00:00.000Z')).toBe(true);
        expect((await store.keyByHash(k.hash))?.revokedAt).toBe('2026-11-29T12:00:00.000Z');
        expect(await store.revokeKey(k.id, '2026-11-30T00:00:00.000Z')).toBe(true);
        expect((await store.key(k.id))?.revokedAt).toBe('2026-11-29T12:00:00.000Z');
        expect(await store.revokeKey('key_missing', '2026-11-29T12:00:00.000Z')).toBe(false);
      });
    });

    describe('tokens', () => {
      it('creates, finds by hash, lists, revokes, and refuses a duplicate hash', async () => {
        const tk = token({ role: 'viewer' });
        await store.createToken(tk);
        expect(await store.tokenByHash(tk.hash)).toStrictEqual(tk);
        expect((await store.listTokens()).map((x) => x.id)).toContain(tk.id);
        await expect(store.createToken(token({ hash: tk.hash }))).rejects.toMatchObject({ kind: 'unique' });
        await expect(store.createToken(token({ role: 'root' as 'admin' }))).rejects.toThrow(RangeError);
        expect(await store.revokeToken(tk.id, '2026-11-29T13:00:00.000Z')).toBe(true);
        expect(await store.tokenByHash(tk.hash)).toStrictEqual({ ...tk, revokedAt: '2026-11-29T13:00:00.000Z' });
        expect(await store.revokeToken('tok_missing', '2026-11-29T13:00:00.000Z')).toBe(false);
      });
    });

    describe('SQL injection attempts are data', () => {
      it('stores them verbatim, finds nothing by them, and drops nothing', async () => {
        const before = (await store.listKeys()).length;
        const t = team({ name: INJECTION, policy: `x' OR '1'='1` });
        await store.createTeam(t);
        const k = key({ name: INJECTION, teamId: t.id, policy: '"; DELETE FROM teams; --', metadata: { [INJECTION]: INJECTION } });
        await store.createKey(k);
        const tk = token({ name: INJECTION });
        await store.createToken(tk);

        expect(await store.key(k.id)).toStrictEqual(k);
        expect(await store.teamByName(INJECTION)).toStrictEqual(t);
        expect(await store.tokenByHash(tk.hash)).toStrictEqual(tk);

        for (const probe of [INJECTION, `' OR '1'='1`, `" OR 1=1 --`, `${k.hash}' --`, '%', '_'.repeat(64)]) {
          expect(await store.keyByHash(probe)).toBeUndefined();
          expect(await store.tokenByHash(probe)).toBeUndefined();
          expect(await store.key(probe)).toBeUndefined();
        }
        expect(await store.teamByName(`' OR '1'='1`)).toBeUndefined();
        expect(await store.revokeKey(INJECTION, INJECTION)).toBe(false);
        expect(await store.updateKey(INJECTION, { name: INJECTION })).toBeUndefined();
        expect(await store.spend('key', INJECTION, INJECTION)).toEqual({ scope: 'key', id: INJECTION, period: INJECTION, spentNano: 0, reservedNano: 0 });
        const r = await store.reserve([{ scope: 'key', id: INJECTION, period: INJECTION, limitNano: 10 }], 5, INJECTION);
        expect(r.ok).toBe(true);
        if (r.ok) await store.settle(r.reservationId, 5);
        expect((await store.spend('key', INJECTION, INJECTION)).spentNano).toBe(5);

        // every table is still there and every row too
        expect((await store.listKeys()).length).toBe(before + 1);
        expect(await store.team(t.id)).toStrictEqual(t);
        const tables = await db.raw(
          backend.name === 'sqlite'
            ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
        );
        expect(tables.map((x) => x.name)).toEqual(
          expect.arrayContaining(['budget_alerts', 'budget_counters', 'keys', 'reservations', 'schema_migrations', 'teams', 'tokens']),
        );
      });
    });

    describe('budgets', () => {
      it('reserves, refuses naming the full scope, charges nothing on refusal, settles and releases: exact arithmetic', async () => {
        const keyId = uid('key');
        const key2 = uid('key');
        const teamId = uid('team');
        const period = '2026-11';
        const keyScope: BudgetScope = { scope: 'key', id: keyId, period, limitNano: 10_000 };
        const key2Scope: BudgetScope = { scope: 'key', id: key2, period, limitNano: 100_000 };
        const teamScope: BudgetScope = { scope: 'team', id: teamId, period, limitNano: 25_000 };
        const spendOf = async (scope: 'key' | 'team', id: string) => {
          const row = await store.spend(scope, id, period);
          return [row.spentNano, row.reservedNano];
        };

        const r1 = await store.reserve([keyScope, teamScope], 4_000, 'req-1');
        const r2 = await store.reserve([keyScope, teamScope], 5_000, 'req-2');
        expect(r1.ok && r2.ok).toBe(true);
        expect(await spendOf('key', keyId)).toEqual([0, 9_000]);
        expect(await spendOf('team', teamId)).toEqual([0, 9_000]);

        // 9,000 + 2,000 > 10,000 on the key: refused, and the team (which had room) is not charged either
        const r3 = await store.reserve([teamScope, keyScope], 2_000, 'req-3');
        expect(r3).toEqual({ ok: false, scope: keyScope, spentNano: 0, reservedNano: 9_000 });
        expect(await spendOf('team', teamId)).toEqual([0, 9_000]);
        // exactly up to the limit is allowed: 9,000 + 1,000 = 10,000
        const r4 = await store.reserve([keyScope, teamScope], 1_000, 'req-4');
        expect(r4.ok).toBe(true);
        expect(await spendOf('key', keyId)).toEqual([0, 10_000]);

        if (!r1.ok || !r2.ok || !r4.ok) throw new Error('unreachable');
        await store.settle(r1.reservationId, 3_500); // spent 3,500; reserved 10,000 − 4,000 = 6,000
        expect(await spendOf('key', keyId)).toEqual([3_500, 6_000]);
        expect(await spendOf('team', teamId)).toEqual([3_500, 6_000]);
        await store.release(r2.reservationId); // reserved 6,000 − 5,000 = 1,000
        expect(await spendOf('key', keyId)).toEqual([3_500, 1_000]);
        await store.settle(r4.reservationId, 0); // a free request: reserved back to 0, spent unchanged
        expect(await spendOf('key', keyId)).toEqual([3_500, 0]);
        expect(await spendOf('team', teamId)).toEqual([3_500, 0]);

        // the team is the full one now: 3,500 + 21,000 = 24,500 fits, then 24,500 + 1,000 > 25,000
        const r5 = await store.reserve([key2Scope, teamScope], 21_000, 'req-5');
        expect(r5.ok).toBe(true);
        const r6 = await store.reserve([key2Scope, teamScope], 1_000, 'req-6');
        expect(r6).toEqual({ ok: false, scope: teamScope, spentNano: 3_500, reservedNano: 21_000 });
        expect(await spendOf('key', key2)).toEqual([0, 21_000]); // key2 had room, yet was not charged

        // actual spend may exceed the reservation
        if (!r5.ok) throw new Error('unreachable');
        await store.settle(r5.reservationId, 22_000);
        expect(await spendOf('key', key2)).toEqual([22_000, 0]);
        expect(await spendOf('team', teamId)).toEqual([25_500, 0]);
        // over budget: even a zero reservation is refused now (25,500 + 0 > 25,000)
        expect(await store.reserve([teamScope], 0, 'req-7')).toMatchObject({ ok: false, scope: teamScope });
      });

      it('charges a scope named twice once, against its tighter limit', async () => {
        const id = uid('key');
        const a: BudgetScope = { scope: 'key', id, period: 'total', limitNano: 1_000 };
        const r = await store.reserve([a, { ...a, limitNano: 500 }], 400, 'dup');
        expect(r.ok).toBe(true);
        expect((await store.spend('key', id, 'total')).reservedNano).toBe(400);
        expect(await store.reserve([a, { ...a, limitNano: 500 }], 200, 'dup-2')).toMatchObject({ ok: false, scope: { limitNano: 500 } });
      });

      it('settle and release are idempotent, and do nothing after each other', async () => {
        const id = uid('key');
        const scope: BudgetScope = { scope: 'key', id, period: 'total', limitNano: 1_000_000 };
        const a = await store.reserve([scope], 300, 'a');
        const b = await store.reserve([scope], 200, 'b');
        if (!a.ok || !b.ok) throw new Error('reservation refused');
        await store.settle(a.reservationId, 250);
        await store.settle(a.reservationId, 250);
        await store.release(a.reservationId);
        await store.settle(a.reservationId, 999);
        expect(await store.spend('key', id, 'total')).toMatchObject({ spentNano: 250, reservedNano: 200 });
        await store.release(b.reservationId);
        await store.release(b.reservationId);
        await store.settle(b.reservationId, 777);
        expect(await store.spend('key', id, 'total')).toMatchObject({ spentNano: 250, reservedNano: 0 });
        await store.settle('res_unknown', 5);
        await store.release('res_unknown');
        // settles racing for one reservation: one wins
        const c = await store.reserve([scope], 100, 'c');
        if (!c.ok) throw new Error('reservation refused');
        await Promise.all([store.settle(c.reservationId, 100), store.settle(c.reservationId, 100), store.release(c.reservationId)]);
        const after = await store.spend('key', id, 'total');
        expect(after.reservedNano).toBe(0);
        expect([250, 350]).toContain(after.spentNano);
      });

      it('sweeps only reservations created before the given time; a late settle still records its spend', async () => {
        const id = uid('key');
        const scope: BudgetScope = { scope: 'key', id, period: 'day-x', limitNano: 1_000_000 };
        const counter = async () => {
          const row = await store.spend('key', id, 'day-x');
          return [row.spentNano, row.reservedNano];
        };
        const old1 = await store.reserve([scope], 100, 'old-1');
        const old2 = await store.reserve([scope], 200, 'old-2');
        await sleep(15);
        const cutoff = new Date().toISOString();
        await sleep(15);
        const fresh = await store.reserve([scope], 400, 'fresh');
        if (!old1.ok || !old2.ok || !fresh.ok) throw new Error('reservation refused');
        expect(await counter()).toEqual([0, 700]);
        expect(await store.sweepReservations('2000-01-01T00:00:00Z')).toBe(0);
        // other tests' reservations may be older too, so ours are counted through the counter
        expect(await store.sweepReservations(cutoff)).toBeGreaterThanOrEqual(2);
        expect(await counter()).toEqual([0, 400]);
        expect(await store.sweepReservations(cutoff)).toBe(0); // never released twice
        expect(await counter()).toEqual([0, 400]);

        // the replica was slow, not dead: its settle after the sweep adds the spend and releases nothing more
        await store.settle(old1.reservationId, 100);
        expect(await counter()).toEqual([100, 400]);
        await store.settle(old1.reservationId, 100);
        await store.release(old2.reservationId);
        expect(await counter()).toEqual([100, 400]);
        await store.settle(fresh.reservationId, 350);
        expect(await counter()).toEqual([450, 0]);

        // tombstones are forgotten a day after the cut-off
        const late = await store.reserve([scope], 50, 'late');
        if (!late.ok) throw new Error('reservation refused');
        expect(await store.sweepReservations(new Date(Date.now() + 25 * 3600_000).toISOString())).toBeGreaterThanOrEqual(1);
        expect(await counter()).toEqual([450, 0]);
        await store.settle(late.reservationId, 50);
        expect(await counter()).toEqual([450, 0]);
        await expect(store.sweepReservations('not a time')).rejects.toThrow(RangeError);
      });

      it('adds spend without a reservation, upserting counters', async () => {
        const k = uid('key');
        const t = uid('team');
        expect(await store.spend('team', t, '2026-11-29')).toEqual({ scope: 'team', id: t, period: '2026-11-29', spentNano: 0, reservedNano: 0 });
        await store.addSpend([{ scope: 'key', id: k, period: '2026-11-29' }, { scope: 'team', id: t, period: '2026-11-29' }], 1_234);
        await store.addSpend([{ scope: 'team', id: t, period: '2026-11-29' }], 766);
        expect(await store.spend('key', k, '2026-11-29')).toMatchObject({ spentNano: 1_234, reservedNano: 0 });
        expect(await store.spend('team', t, '2026-11-29')).toMatchObject({ spentNano: 2_000, reservedNano: 0 });
        expect(await store.spend('team', t, '2026-11-30')).toMatchObject({ spentNano: 0 });
      });

      it('refuses amounts that are not safe non-negative integers', async () => {
        const scope: BudgetScope = { scope: 'key', id: uid('key'), period: 'total', limitNano: 10 };
        await expect(store.reserve([scope], -1, 'x')).rejects.toThrow(RangeError);
        await expect(store.reserve([scope], 0.5, 'x')).rejects.toThrow(RangeError);
        await expect(store.reserve([scope], Number.NaN, 'x')).rejects.toThrow(RangeError);
        await expect(store.reserve([{ ...scope, limitNano: Infinity }], 1, 'x')).rejects.toThrow(RangeError);
        await expect(store.reserve([{ ...scope, scope: 'org' as 'key' }], 1, 'x')).rejects.toThrow(RangeError);
        await expect(store.addSpend([scope], 2 ** 53)).rejects.toThrow(RangeError);
        await expect(store.settle('res_x', -5)).rejects.toThrow(RangeError);
      });

      it('reads a counter past 2^53 as an error, never as a rounded number', async () => {
        const id = uid('key');
        await store.addSpend([{ scope: 'key', id, period: 'total' }], 1);
        await db.raw(`UPDATE budget_counters SET spent_nano = 9007199254740993 WHERE scope = 'key' AND scope_id = ${backend.name === 'sqlite' ? '?' : '$1'}`, [id]);
        await expect(store.spend('key', id, 'total')).rejects.toThrow(/2\^53|safe integer/);
      });
    });

    // PostgreSQL only (SQLite's only wait is busy_timeout, exercised by the cross-process race below).
    if (backend.name === 'postgres') describe('timeouts (PostgreSQL)', () => {
      it('bounds every statement, lock waits included, by the store timeout', async () => {
        const quick = (await db.open({ timeoutMs: 300, migrate: false })) as unknown as PostgresTenancyStore;
        let started = Date.now();
        await expect(quick.pool.query('SELECT pg_sleep(5)')).rejects.toThrow(/statement timeout/);
        expect(Date.now() - started).toBeLessThan(2_000);

        // another session holds the counter row: a reservation waits at most the timeout, then fails
        const id = uid('key');
        await store.addSpend([{ scope: 'key', id, period: 'total' }], 1);
        const holder = new pg.Client({ connectionString: postgresUrl(), options: `-c search_path=${String((await quick.pool.query('SELECT current_schema() AS s')).rows[0]?.s)}` });
        await holder.connect();
        try {
          await holder.query('BEGIN');
          await holder.query("SELECT * FROM budget_counters WHERE scope = 'key' AND scope_id = $1 FOR UPDATE", [id]);
          started = Date.now();
          await expect(quick.reserve([{ scope: 'key', id, period: 'total', limitNano: 100 }], 1, 'blocked')).rejects.toThrow(/statement timeout/);
          expect(Date.now() - started).toBeLessThan(2_000);
          await holder.query('ROLLBACK');
        } finally {
          await holder.end();
        }
        // nothing was charged, and the pool still works
        expect(await quick.spend('key', id, 'total')).toMatchObject({ spentNano: 1, reservedNano: 0 });
        expect((await quick.reserve([{ scope: 'key', id, period: 'total', limitNano: 100 }], 1, 'after')).ok).toBe(true);
      });
    });

    describe('budget alerts', () => {
      it('marks each threshold once per scope and period', async () => {
        const id = uid('key');
        expect(await store.alertsSent('key', id, '2026-11')).toEqual([]);
        expect(await store.markAlertSent('key', id, '2026-11', 80)).toBe(true);
        expect(await store.markAlertSent('key', id, '2026-11', 80)).toBe(false);
        expect(await store.markAlertSent('key', id, '2026-11', 50)).toBe(true);
        const racing = await Promise.all([1, 2, 3].map(() => store.markAlertSent('key', id, '2026-11', 100)));
        expect(racing.filter(Boolean)).toHaveLength(1);
        expect(await store.alertsSent('key', id, '2026-11')).toEqual([50, 80, 100]);
        expect(await store.alertsSent('key', id, '2026-12')).toEqual([]);
        expect(await store.alertsSent('team', id, '2026-11')).toEqual([]);
        expect(await store.markAlertSent('team', id, '2026-11', 80)).toBe(true);
      });
    });

    describe('migrations', () => {
      it('are recorded once; migrating again is a no-op; three instances migrating at once are safe', async () => {
        const fresh = await backend.isolate('migr');
        try {
          const stores = await Promise.all([1, 2, 3].map(() => fresh.open({ migrate: false })));
          expect(await stores[0]!.appliedMigrations()).toEqual([]);
          await Promise.all(stores.map((s) => s.migrate()));
          const applied = await stores[0]!.appliedMigrations();
          expect(applied.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
          await Promise.all(stores.map((s) => s.migrate()));
          await stores[1]!.migrate();
          expect(await stores[2]!.appliedMigrations()).toEqual(applied);
          // the schema works from every instance
          const k = key();
          await stores[1]!.createKey(k);
          expect(await stores[2]!.keyByHash(k.hash)).toStrictEqual(k);
        } finally {
          await fresh.cleanup();
        }
      });
    });

    describe('concurrency', () => {
      it('200 racing reservations of 1,000,000 n$ on three instances against 10,000,000: exactly 10 succeed, never over', async () => {
        const race = await backend.isolate('race');
        try {
          // three replicas: separate stores (separate pools on PostgreSQL, separate connections on SQLite)
          const replicas = await Promise.all([1, 2, 3].map(() => race.open({ timeoutMs: 20_000 })));
          const observer = await race.open({ timeoutMs: 20_000 });
          const LIMIT = 10_000_000;
          const AMOUNT = 1_000_000;
          const keyScope: BudgetScope = { scope: 'key', id: 'key_race', period: '2026-11', limitNano: LIMIT };
          const teamScope: BudgetScope = { scope: 'team', id: 'team_race', period: '2026-11', limitNano: 50_000_000 };

          let racing = true;
          let samples = 0;
          let peak = 0;
          const violations: string[] = [];
          const watch = (async () => {
            while (racing) {
              for (const [scope, id, limit] of [['key', 'key_race', LIMIT], ['team', 'team_race', 50_000_000]] as const) {
                const row = await observer.spend(scope, id, '2026-11');
                const total = row.spentNano + row.reservedNano;
                if (total > limit) violations.push(`${scope}: ${row.spentNano} + ${row.reservedNano} > ${limit}`);
                if (scope === 'key') peak = Math.max(peak, total);
              }
              samples++;
              await sleep(1);
            }
          })();

          const results = await Promise.all(
            Array.from({ length: 200 }, (_, i) => replicas[i % 3]!.reserve(i % 2 ? [keyScope, teamScope] : [teamScope, keyScope], AMOUNT, `race-${i}`)),
          );
          racing = false;
          await watch;

          const won = results.filter((r): r is { ok: true; reservationId: string } => r.ok);
          expect(won).toHaveLength(10);
          for (const r of results) if (!r.ok) expect(r.scope).toBe(keyScope); // the team had room: the key is the full one
          expect(violations).toEqual([]);
          expect(await observer.spend('key', 'key_race', '2026-11')).toMatchObject({ spentNano: 0, reservedNano: LIMIT });
          expect(await observer.spend('team', 'team_race', '2026-11')).toMatchObject({ spentNano: 0, reservedNano: LIMIT });
          expect(samples).toBeGreaterThan(0);
          expect(peak).toBeLessThanOrEqual(LIMIT);

          // settle half at the reserved amount, release the others, concurrently from all replicas
          await Promise.all(
            won.map((r, i) => (i % 2 === 0 ? replicas[i % 3]!.settle(r.reservationId, AMOUNT) : replicas[(i + 1) % 3]!.release(r.reservationId))),
          );
          expect(await observer.spend('key', 'key_race', '2026-11')).toMatchObject({ spentNano: 5_000_000, reservedNano: 0 });
          expect(await observer.spend('team', 'team_race', '2026-11')).toMatchObject({ spentNano: 5_000_000, reservedNano: 0 });

          // room for exactly 5 more now
          const again = await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 3]!.reserve([keyScope, teamScope], AMOUNT, `again-${i}`)));
          expect(again.filter((r) => r.ok)).toHaveLength(5);
        } finally {
          await race.cleanup();
        }
      });
    });
  });
});

describe('openTenancyStore', () => {
  it('chooses the store by URL scheme and migrates', async () => {
    const store = await openTenancyStore('sqlite::memory:');
    try {
      expect(store.kind).toBe('sqlite');
      await store.createTeam(team());
      expect(await store.listTeams()).toHaveLength(1);
    } finally {
      await store.close();
    }
    expect(storeKind('postgres://u:p@h:5432/db')).toBe('postgres');
    expect(storeKind('postgresql://h/db')).toBe('postgres');
    await expect(openTenancyStore('mysql://root:hunter2@h/db')).rejects.toThrow(/sqlite: or postgres/);
    await expect(openTenancyStore('mysql://root:hunter2@h/db')).rejects.not.toThrow(/hunter2/);
  });

  it('reads the file path from a sqlite URL and creates its directory', async () => {
    expect(sqlitePathFromUrl('sqlite::memory:')).toBe(':memory:');
    expect(sqlitePathFromUrl('sqlite://:memory:')).toBe(':memory:');
    expect(sqlitePathFromUrl('sqlite://.switchboard/switchboard.db', '/srv/app')).toBe('/srv/app/.switchboard/switchboard.db');
    expect(sqlitePathFromUrl('sqlite:///var/lib/sb.db', '/srv/app')).toBe('/var/lib/sb.db');
    expect(() => sqlitePathFromUrl('sqlite://')).toThrow();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-open-'));
    try {
      const store = await openTenancyStore('sqlite://a/b/sb.db', { baseDir: dir });
      await store.close();
      expect(existsSync(path.join(dir, 'a', 'b', 'sb.db'))).toBe(true);
      const check = new Database(path.join(dir, 'a', 'b', 'sb.db'));
      expect(check.pragma('journal_mode', { simple: true })).toBe('wal');
      check.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL store against a dead database', () => {
  it('fails fast when the server accepts connections and never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s)); // accepts, says nothing
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const store = new PostgresTenancyStore(`postgres://postgres@127.0.0.1:${port}/test`, { timeoutMs: 300 });
    try {
      const started = Date.now();
      await expect(store.ping()).rejects.toThrow();
      await expect(store.keyByHash('x')).rejects.toThrow();
      await expect(store.reserve([{ scope: 'key', id: 'k', period: 'total', limitNano: 10 }], 1, 'r')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await store.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails fast when nothing listens', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const started = Date.now();
    await expect(openTenancyStore(`postgres://postgres@127.0.0.1:${port}/test`, { timeoutMs: 500 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

/**
 * Transpiles src/store to plain ESM under test-artifacts/ (inside the project, so `pg` and `better-sqlite3`
 * resolve from its node_modules), for child processes: Node 20 cannot load TypeScript itself.
 */
function transpileStore(): { dir: string; sqliteModule: string } {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = path.join(root, 'test-artifacts', `store-proc-${process.pid}-${randomBytes(4).toString('hex')}`);
  const walk = (from: string, to: string): void => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(from, entry.name), path.join(to, entry.name));
      else if (entry.name.endsWith('.ts')) {
        const out = ts.transpileModule(readFileSync(path.join(from, entry.name), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        });
        writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), out.outputText);
      }
    }
  };
  walk(path.join(root, 'src', 'store'), path.join(dir, 'store'));
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  return { dir, sqliteModule: pathToFileURL(path.join(dir, 'store', 'sqlite.js')).href };
}

/** One replica in its own process: waits for the start time, then reserves `count` times in a row. */
const CHILD = `
const { SqliteTenancyStore } = await import(process.env.SB_MODULE);
const store = await SqliteTenancyStore.open(process.env.SB_URL, { timeoutMs: 10000 });
const scopes = JSON.parse(process.env.SB_SCOPES);
while (Date.now() < Number(process.env.SB_START)) await new Promise((r) => setTimeout(r, 1));
const ids = [];
for (let i = 0; i < Number(process.env.SB_COUNT); i++) {
  const r = await store.reserve(i % 2 ? scopes : [...scopes].reverse(), 1000000, 'proc-' + process.pid + '-' + i);
  ids.push(r.ok ? r.reservationId : null);
}
await store.close();
process.stdout.write(JSON.stringify(ids));
`;

describe('SQLite store across processes', () => {
  it('three processes race 200 reservations on one file: exactly 10 succeed, never over the limit', async () => {
    const { dir, sqliteModule } = transpileStore();
    const dbDir = mkdtempSync(path.join(os.tmpdir(), 'sb-proc-'));
    const url = `sqlite://${path.join(dbDir, 'race.db')}`;
    const observer = await SqliteTenancyStore.open(url);
    try {
      const LIMIT = 10_000_000;
      const scopes: BudgetScope[] = [
        { scope: 'key', id: 'key_proc', period: 'total', limitNano: LIMIT },
        { scope: 'team', id: 'team_proc', period: 'total', limitNano: 40_000_000 },
      ];
      const start = Date.now() + 700;
      const children = [67, 67, 66].map(
        (count) =>
          new Promise<(string | null)[]>((resolve, reject) => {
            execFile(
              process.execPath,
              ['--input-type=module', '-e', CHILD],
              { env: { ...process.env, SB_MODULE: sqliteModule, SB_URL: url, SB_SCOPES: JSON.stringify(scopes), SB_START: String(start), SB_COUNT: String(count) }, timeout: 30_000 },
              (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as (string | null)[])),
            );
          }),
      );
      let done = false;
      const over: string[] = [];
      let samples = 0;
      const watch = (async () => {
        while (!done) {
          const row = await observer.spend('key', 'key_proc', 'total');
          if (row.spentNano + row.reservedNano > LIMIT) over.push(`${row.spentNano} + ${row.reservedNano}`);
          samples++;
          await sleep(2);
        }
      })();
      const results = (await Promise.all(children).finally(() => (done = true))).flat();
      await watch;
      const won = results.filter((id): id is string => id !== null);
      expect(results).toHaveLength(200);
      expect(won).toHaveLength(10);
      expect(over).toEqual([]);
      expect(samples).toBeGreaterThan(0);
      expect(await observer.spend('key', 'key_proc', 'total')).toMatchObject({ spentNano: 0, reservedNano: LIMIT });
      for (const [i, id] of won.entries()) await (i % 2 ? observer.release(id) : observer.settle(id, 1_000_000));
      expect(await observer.spend('key', 'key_proc', 'total')).toMatchObject({ spentNano: 5_000_000, reservedNano: 0 });
      expect(await observer.spend('team', 'team_proc', 'total')).toMatchObject({ spentNano: 5_000_000, reservedNano: 0 });
    } finally {
      await observer.close();
      rmSync(dbDir, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
