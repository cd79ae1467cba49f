import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { canonicalJson, nextRow, verifyChain, type AuditRow } from '../../src/policy/audit.js';
import { SovereigntyService, verifyAuditStore } from '../../src/policy/service.js';
import { sovereigntyStoreFor, type SovereigntyStore } from '../../src/policy/store.js';
import { PostgresTenancyStore } from '../../src/store/postgres.js';
import { SqliteTenancyStore } from '../../src/store/sqlite.js';
import type { TenancyStore } from '../../src/tenancy/types.js';
import { freshPgSchema, postgresUrl, probePostgres, requireService, serviceLabel, type PgSchema } from '../support/services.js';

const KEY = 'test-audit-key-0123456789abcdef0123';
const pgService = await requireService('PostgreSQL', () => probePostgres(postgresUrl()));

describe('the audit chain, in memory', () => {
  const entries = ['a', 'b', 'c', 'd'].map((id, i) => ({ actor: 'admin-key', action: 'policy.put', target: { type: 'policy' as const, id }, after: { denyOrigins: [`C${i}`] } }));
  function chain(key: string | undefined): AuditRow[] {
    const rows: AuditRow[] = [];
    let head = { seq: 0, mac: '' };
    for (const e of entries) {
      const row = nextRow(head, e, `2026-01-0${rows.length + 1}T00:00:00.000Z`, key);
      rows.push(row);
      head = { seq: row.seq, mac: row.mac };
    }
    return rows;
  }
  const headOf = (rows: AuditRow[]) => ({ seq: rows.at(-1)!.seq, mac: rows.at(-1)!.mac });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
  });

  it('verifies an intact chain, and names the first broken row otherwise', () => {
    const rows = chain(KEY);
    expect(verifyChain(rows, headOf(rows), KEY)).toEqual({ status: 'ok', rows: 4, lastSeq: 4 });
    const edited = rows.map((r) => (r.seq === 2 ? { ...r, after: '{"denyOrigins":["XX"]}' } : r));
    expect(verifyChain(edited, headOf(rows), KEY)).toMatchObject({ status: 'broken', seq: 2, reason: expect.stringContaining('MAC does not match') });
    expect(verifyChain(rows.filter((r) => r.seq !== 3), headOf(rows), KEY)).toMatchObject({ status: 'broken', seq: 3, reason: expect.stringContaining('missing') });
    expect(verifyChain(rows.slice(0, 3), headOf(rows), KEY)).toMatchObject({ status: 'broken', seq: 4 });
    // Re-chaining after an edit without the key cannot produce valid MACs.
    const forged = nextRow({ seq: 1, mac: rows[0]!.mac }, { ...entries[1]!, after: { denyOrigins: [] } }, rows[1]!.at, 'guessed-key');
    expect(verifyChain([rows[0]!, { ...forged, keyId: rows[1]!.keyId }, ...rows.slice(2)], headOf(rows), KEY)).toMatchObject({ status: 'broken', seq: 2 });
  });

  it('rows written without a key, with another key, or checked without one, are unverifiable, never OK', () => {
    const unkeyed = chain(undefined);
    expect(verifyChain(unkeyed, headOf(unkeyed), KEY)).toMatchObject({ status: 'unverifiable', seq: 1, reason: expect.stringContaining('without SWITCHBOARD_AUDIT_KEY') });
    // An accidental edit of an unkeyed row is still caught by its digest.
    expect(verifyChain(unkeyed.map((r) => (r.seq === 3 ? { ...r, actor: 'x' } : r)), headOf(unkeyed), KEY)).toMatchObject({ status: 'broken', seq: 3 });
    const keyed = chain(KEY);
    expect(verifyChain(keyed, headOf(keyed), 'another-key')).toMatchObject({ status: 'unverifiable', reason: expect.stringContaining('another audit key') });
    expect(verifyChain(keyed, headOf(keyed), undefined)).toMatchObject({ status: 'unverifiable', reason: expect.stringContaining('is not set') });
  });
});

/** Writes a few changes of each kind through the service. */
async function writeChanges(service: SovereigntyService): Promise<void> {
  await service.putPolicy('no-cn', { denyOrigins: ['CN'] }, 'admin-key');
  await service.putPolicy('no-cn', { denyOrigins: ['CN', 'RU'] }, 'tok_alice');
  const block = await service.createBlock({ selector: { kind: 'provider', value: 'deepseek' }, reason: 'incident' }, 'tok_alice');
  await service.removeBlock(block.id, 'admin-key');
  await service.audit({ actor: 'admin-key', action: 'key.create', target: { type: 'key', id: 'key_1' }, after: { id: 'key_1', name: 'app' } });
  await service.deletePolicy('no-cn', 'admin-key');
}

function serviceOn(store: SovereigntyStore, auditKey: string | undefined): SovereigntyService {
  const config = parseConfig({}, 'test');
  return new SovereigntyService({ config, store, logger: pino({ level: 'silent' }), auditKey, pollMs: 60_000 });
}

describe('the audit log on SQLite', () => {
  let dir: string;
  let tenancy: SqliteTenancyStore;
  let store: SovereigntyStore;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-audit-'));
    tenancy = await SqliteTenancyStore.open(`sqlite://${path.join(dir, 'audit.db')}`);
    store = sovereigntyStoreFor(tenancy);
    const service = serviceOn(store, KEY);
    await service.start();
    await writeChanges(service);
    await service.close();
  });
  afterAll(async () => {
    await tenancy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records every change with who, when, what, before and after', async () => {
    const rows = await store.auditRows(0, 100);
    expect(rows.map((r) => `${r.action} ${r.targetId} by ${r.actor}`)).toEqual([
      'policy.put no-cn by admin-key',
      'policy.put no-cn by tok_alice',
      expect.stringMatching(/^block\.create blk_\w+ by tok_alice$/),
      expect.stringMatching(/^block\.remove blk_\w+ by admin-key$/),
      'key.create key_1 by admin-key',
      'policy.delete no-cn by admin-key',
    ]);
    expect(JSON.parse(rows[1]!.before!)).toEqual({ denyOrigins: ['CN'] });
    expect(JSON.parse(rows[1]!.after!)).toEqual({ denyOrigins: ['CN', 'RU'] });
    expect(await verifyAuditStore(store, KEY)).toEqual({ status: 'ok', rows: 6, lastSeq: 6 });
  });

  it('refuses UPDATE and DELETE on the log', () => {
    expect(() => tenancy.db.prepare("UPDATE audit_log SET actor = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => tenancy.db.prepare('DELETE FROM audit_log WHERE seq = 1').run()).toThrow(/append-only/);
  });

  it('detects a row edited directly in the database', async () => {
    tenancy.db.exec('DROP TRIGGER audit_log_no_update');
    tenancy.db.prepare(`UPDATE audit_log SET after = '{"denyOrigins":[]}' WHERE seq = 2`).run();
    expect(await verifyAuditStore(store, KEY)).toMatchObject({ status: 'broken', seq: 2, reason: 'row 2 was altered (its MAC does not match its content)' });
  });
});

describe('switchboard audit verify (the CLI, offline)', () => {
  // The CLI runs from dist/: `npm test` builds first; run `npm run build` before running this file alone.
  const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
  const built = existsSync(fileURLToPath(new URL('../../dist/cli/audit.js', import.meta.url)));
  let dir: string;
  let config: string;
  let tenancy: SqliteTenancyStore;

  beforeAll(async () => {
    if (!built) return;
    dir = mkdtempSync(path.join(tmpdir(), 'sb-audit-cli-'));
    const db = path.join(dir, 'sb.db');
    config = path.join(dir, 'switchboard.yaml');
    writeFileSync(config, `storage: { database: "sqlite://${db}" }\n`);
    tenancy = await SqliteTenancyStore.open(`sqlite://${db}`);
    const service = serviceOn(sovereigntyStoreFor(tenancy), KEY);
    await service.start();
    await writeChanges(service);
    await service.close();
  });
  afterAll(async () => {
    await tenancy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const verify = (env: Record<string, string>) =>
    spawnSync(process.execPath, [BIN, 'audit', 'verify', '--config', config], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, timeout: 15_000 });

  it.skipIf(!built)('reports OK (exit 0), unverifiable without the key (exit 3), and the first broken row (exit 1)', () => {
    const ok = verify({ SWITCHBOARD_AUDIT_KEY: KEY });
    expect(ok.stdout).toContain('audit chain OK: 6 rows');
    expect(ok.status).toBe(0);
    const noKey = verify({});
    expect(noKey.status).toBe(3);
    expect(noKey.stdout).toContain('UNVERIFIABLE');
    tenancy.db.exec('DROP TRIGGER audit_log_no_update');
    tenancy.db.prepare(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 4`).run();
    const broken = verify({ SWITCHBOARD_AUDIT_KEY: KEY });
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain('audit chain BROKEN at row 4');
  });
});

describe.skipIf(!pgService.available)(serviceLabel('the audit log on PostgreSQL', pgService), () => {
  let schema: PgSchema;
  let tenancy: TenancyStore;
  let store: SovereigntyStore;
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: postgresUrl(), options: `-c search_path=${schema.schema}` } as pg.ClientConfig);
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  beforeAll(async () => {
    schema = await freshPgSchema(postgresUrl(), 'audit');
    tenancy = await PostgresTenancyStore.open(postgresUrl(), { schema: schema.schema });
    store = sovereigntyStoreFor(tenancy);
  });
  afterAll(async () => {
    await tenancy?.close();
    await schema?.drop();
  });

  it('serialises concurrent writers into one chain, and detects a row edited directly', async () => {
    const writers = [serviceOn(store, KEY), serviceOn(store, KEY), serviceOn(store, KEY)];
    await Promise.all(writers.map((w) => w.start()));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => writers[i % 3]!.audit({ actor: `tok_${i}`, action: 'key.update', target: { type: 'key', id: `key_${i}` }, after: { n: i } })),
    );
    await Promise.all(writers.map((w) => w.close()));
    expect(await verifyAuditStore(store, KEY)).toEqual({ status: 'ok', rows: 30, lastSeq: 30 });
    await expect(sql(`UPDATE audit_log SET actor = 'x' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await sql('DROP TRIGGER audit_log_no_change ON audit_log');
    await sql(`UPDATE audit_log SET after = '{"n":999}' WHERE seq = 17`);
    expect(await verifyAuditStore(store, KEY)).toMatchObject({ status: 'broken', seq: 17 });
    await sql('DELETE FROM audit_log WHERE seq = 12');
    expect(await verifyAuditStore(store, KEY)).toMatchObject({ status: 'broken', seq: 12, reason: expect.stringContaining('missing') });
  });
});
