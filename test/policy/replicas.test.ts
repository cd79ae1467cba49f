import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { miniCatalogue } from '../support/catalogue.js';
import { freshPgSchema, postgresUrl, probePostgres, probeRedis, redisUrl, requireService, serviceLabel, type PgSchema, type ServiceCheck } from '../support/services.js';

/**
 * A block created on one replica is in force on the others within a second: two gateways sharing one SQLite file
 * (no Redis: each has its own in-memory bus, so only the database poll carries the change), and two gateways on
 * PostgreSQL and Redis (the bus carries it at once; the poll is the backstop).
 */

const ADMIN = 'sk-admin-policy-replicas-00000001';
const SIM_KEY = 'sk-sim-upstream-policy-replicas-01';

const pgService = await requireService('PostgreSQL', () => probePostgres(postgresUrl()));
const redisService = await requireService('Redis', () => probeRedis(redisUrl()));
const clusterServices: ServiceCheck =
  pgService.available && redisService.available ? { available: true } : { available: false, reason: [pgService.reason, redisService.reason].filter(Boolean).join('; ') };

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ requireAuth: true, logRequests: 0 });
});
afterAll(async () => {
  await sim?.close();
});

function yaml(storage: string): string {
  return `providers:
  only:
    type: openai-compatible
    baseURL: "${sim.url}/p/only/v1"
    apiKeyEnv: SIM_API_KEY
    models:
      r/model: { name: sim-only }
${storage}
`;
}

async function startReplicas(storage: string, count: number): Promise<Gateway[]> {
  const env = { SIM_API_KEY: SIM_KEY, SWITCHBOARD_ADMIN_KEY: ADMIN, SWITCHBOARD_AUDIT_KEY: 'replica-audit-key' };
  const config = parseConfigText(yaml(storage), 'replicas', env);
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const gateways: Gateway[] = [];
  for (let i = 0; i < count; i++) gateways.push(await startGateway({ config, env, port: 0, host: '127.0.0.1', logger: createLogger('warn', quiet), catalogue: miniCatalogue() }));
  return gateways;
}

async function status(g: Gateway): Promise<number> {
  const res = await fetch(`${g.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'r/model', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  return res.status;
}

async function adminCall(g: Gateway, method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${g.url}${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Milliseconds until `g` answers with `expected`, polling every 20 ms (fails past `limitMs`). */
async function timeUntil(g: Gateway, expected: number, limitMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    if ((await status(g)) === expected) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`no ${expected} within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function propagation(gateways: Gateway[]): Promise<{ block: number; unblock: number }> {
  const [a, b] = gateways as [Gateway, Gateway];
  expect(await status(b)).toBe(200);
  const block = await adminCall(a, 'POST', '/admin/blocks', { provider: 'only', reason: 'propagation' });
  expect(await status(a)).toBe(503);
  const blockMs = await timeUntil(b, 503, 3000);
  await adminCall(a, 'DELETE', `/admin/blocks/${String(block.id)}`);
  const unblockMs = await timeUntil(b, 200, 3000);
  return { block: blockMs, unblock: unblockMs };
}

describe('cross-replica block propagation, two gateways on one SQLite file (database poll only)', () => {
  let dir: string;
  let gateways: Gateway[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-policy-replicas-'));
    gateways = await startReplicas(`storage: { database: "sqlite://${path.join(dir, 'shared.db')}" }`, 2);
  });
  afterAll(async () => {
    await Promise.allSettled(gateways.map((g) => g.close(500)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is in force on the other replica within 1 s, and so is lifting it', async () => {
    const { block, unblock } = await propagation(gateways);
    expect(block).toBeLessThan(1000);
    expect(unblock).toBeLessThan(1000);
    // Both replicas wrote into one audit chain, which still verifies.
    const verdict = await adminCall(gateways[1]!, 'GET', '/admin/audit/verify');
    expect(verdict).toMatchObject({ status: 'ok' });
  });
});

describe.skipIf(!clusterServices.available)(serviceLabel('cross-replica block propagation on PostgreSQL and Redis', clusterServices), () => {
  let schema: PgSchema;
  let gateways: Gateway[] = [];
  beforeAll(async () => {
    schema = await freshPgSchema(postgresUrl(), 'policy');
    const url = new URL(postgresUrl());
    url.searchParams.set('options', `-c search_path=${schema.schema}`);
    gateways = await startReplicas(`storage: { database: "${url.toString()}", redis: "${redisUrl()}" }`, 2);
  });
  afterAll(async () => {
    await Promise.allSettled(gateways.map((g) => g.close(500)));
    await schema?.drop();
  });

  it('is in force on the other replica within 1 s (the bus carries it at once)', async () => {
    const { block, unblock } = await propagation(gateways);
    expect(block).toBeLessThan(1000);
    expect(unblock).toBeLessThan(1000);
  });

  it('concurrent changes on both replicas append to one unforked audit chain', async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => adminCall(i % 2 === 0 ? a : b, 'PUT', `/admin/policies/p${i}`, { maxPricePerMillion: { prompt: i + 1 } })),
    );
    const verdict = await adminCall(b, 'GET', '/admin/audit/verify');
    expect(verdict).toMatchObject({ status: 'ok' });
    const rows = (await adminCall(a, 'GET', '/admin/audit?limit=1000')).data as { seq: number; prevMac: string; mac: string }[];
    expect(rows.filter((r) => r.seq > 0).length).toBeGreaterThanOrEqual(20);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevMac).toBe(rows[i - 1]!.mac);
  });
});
