/**
 * Several gateway replicas sharing one PostgreSQL database and one Redis, in this process, on loopback: a budget
 * race over three replicas, an RPM limit counted across two, a revocation reaching the others, and readiness.
 *
 * Each run gets a fresh PostgreSQL schema (named in the database URL as `?options=-c search_path=<schema>`, which is
 * what the replicas' `storage.database` holds), dropped at the end. The rate limiter's Redis key prefix is not
 * configurable from the config, so nothing in Redis is flushed: every key id is new, so its counters are too.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { miniCatalogue } from '../support/catalogue.js';
import { freshPgSchema, postgresUrl, probePostgres, probeRedis, redisUrl, requireService, serviceLabel, type PgSchema, type ServiceCheck } from '../support/services.js';

const pgService = await requireService('PostgreSQL', () => probePostgres(postgresUrl()));
const redisService = await requireService('Redis', () => probeRedis(redisUrl()));
const services: ServiceCheck =
  pgService.available && redisService.available
    ? { available: true }
    : { available: false, reason: [pgService.reason, redisService.reason].filter(Boolean).join('; ') };

const ADMIN = 'sk-admin-cluster-test-0000000001';
const SIM_KEY = 'sk-sim-upstream-cluster-0123456789';
const REPLICAS = 3;
const MODEL = 'c/m';
/** USD per token, as the config writes them; as integers: pico-dollars per token (= µ$ per million tokens). */
const PROMPT_USD = 0.000001;
const COMPLETION_USD = 0.000002;
const PROMPT_PICO = 1_000_000;
const COMPLETION_PICO = 2_000_000;
const MAX_TOKENS = 20;
/** The simulator answers with this many tokens (≤ MAX_TOKENS), so a request costs less than it reserved. */
const OUTPUT_TOKENS = 12;
const PROMPT = `race #sim{"outputTokens":${OUTPUT_TOKENS}}`;

/**
 * What one request reserves, as `maxCostNano` (src/server/principal.ts) computes it: the prompt's ceiling
 * (src/server/plan-request.ts `promptTokenCeiling`: one token per character plus 16 per message — a bound no
 * tokenizer exceeds) plus `max_tokens` output, at the host's prices, in pico-dollars, rounded up to nano-dollars.
 * The budget test checks this figure against the gateway: a budget of exactly this much admits one request, one
 * nano-dollar less admits none.
 */
const PROMPT_ESTIMATE = PROMPT.length + 16;
const MAX_COST_NANO = Math.ceil((PROMPT_ESTIMATE * PROMPT_PICO + MAX_TOKENS * COMPLETION_PICO) / 1000);

interface Replica {
  gateway: Gateway;
  logs: string[];
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  replica: number;
}

let sim: Simulator;
let schema: PgSchema;
let databaseUrl: string;
const replicas: Replica[] = [];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function call(replica: number, method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${replicas[replica]!.gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { unparsed: text };
  }
  return { status: res.status, headers: res.headers, body: parsed, replica };
}

const admin = (replica: number, method: string, path: string, body?: unknown) => call(replica, method, path, ADMIN, body);

const chat = (replica: number, key: string) =>
  call(replica, 'POST', '/v1/chat/completions', key, { model: MODEL, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: PROMPT }] });

async function createKey(spec: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const created = await admin(0, 'POST', '/admin/keys', spec);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { id: created.body.id as string, key: created.body.key as string };
}

/** Raw SQL on this run's schema, outside any replica. */
async function sql(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => {});
  }
}

/** Histogram of statuses, for messages. */
function statuses(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

/** Warnings and errors the replicas logged, for failure messages. */
function replicaLogs(): string {
  return replicas.flatMap((r, i) => r.logs.map((l) => `replica ${i + 1}: ${l.trim()}`)).slice(-20).join('\n');
}

describe.skipIf(!services.available)(serviceLabel('three gateway replicas on one PostgreSQL and one Redis', services), () => {
  beforeAll(async () => {
    schema = await freshPgSchema(postgresUrl(), 'cluster');
    const url = new URL(postgresUrl());
    url.searchParams.set('options', `-c search_path=${schema.schema}`);
    databaseUrl = url.toString();
    sim = await startSimulator({ requireAuth: true, logRequests: 0 });
    const yaml = `providers:
  sim:
    type: openai-compatible
    baseURL: "${sim.url}/v1"
    apiKeyEnv: SIM_API_KEY
    timeouts: { connectMs: 1000, firstTokenMs: 5000, idleMs: 5000, totalMs: 15000 }
    models:
      ${MODEL}: { name: sim-cluster, pricing: { prompt: ${PROMPT_USD}, completion: ${COMPLETION_USD} } }
storage: { database: "${databaseUrl}", redis: "${redisUrl()}" }
`;
    const env = { SIM_API_KEY: SIM_KEY, SWITCHBOARD_ADMIN_KEY: ADMIN };
    const config = parseConfigText(yaml, 'cluster-test', env);
    // All three start together, so they also race to migrate the fresh schema (an advisory lock serialises them).
    const started = await Promise.allSettled(
      Array.from({ length: REPLICAS }, async () => {
        const logs: string[] = [];
        const sink = new Writable({
          write(chunk: Buffer, _enc, done) {
            logs.push(chunk.toString('utf8'));
            done();
          },
        });
        const gateway = await startGateway({ config, env, port: 0, host: '127.0.0.1', logger: createLogger('warn', sink), catalogue: miniCatalogue() });
        return { gateway, logs };
      }),
    );
    for (const s of started) if (s.status === 'fulfilled') replicas.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  });

  afterAll(async () => {
    await Promise.allSettled(replicas.map((r) => r.gateway.close(1000)));
    await sim?.close();
    await schema?.drop();
  });

  it('is ready on every replica, with the database and Redis healthy', async () => {
    for (let i = 0; i < REPLICAS; i++) {
      const res = await fetch(`${replicas[i]!.gateway.url}/ready`);
      const body = (await res.json()) as { status: string; stores?: { name: string; status: string }[] };
      expect(res.status, `replica ${i + 1}: ${JSON.stringify(body)}`).toBe(200);
      expect(body.status).toBe('ready');
      expect(body.stores?.map((s) => s.name).sort()).toEqual(['database', 'redis']);
    }
  });

  it('reserves exactly maxCostNano per request (prompt estimate + max_tokens at the host’s prices)', async () => {
    const exact = await createKey({ name: 'exact', budget: { usd: MAX_COST_NANO / 1e9, period: 'total' } });
    const first = await chat(1, exact.key);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const short = await createKey({ name: 'one-short', budget: { usd: (MAX_COST_NANO - 1) / 1e9, period: 'total' } });
    const refused = await chat(2, short.key);
    expect(refused.status, JSON.stringify(refused.body)).toBe(402);
  });

  it('never lets 200 concurrent requests over three replicas spend past the budget', { timeout: 60_000 }, async () => {
    const budgetNano = 10 * MAX_COST_NANO;
    const name = 'race';
    const { id, key } = await createKey({ name, budget: { usd: budgetNano / 1e9, period: 'total' } });
    const TOTAL = 210;
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: TOTAL }, (_, i) => chat(i % REPLICAS, key)));
    const elapsed = performance.now() - started;

    const served = answers.filter((a) => a.status === 200);
    const others = answers.filter((a) => a.status !== 200);
    const context = `statuses ${JSON.stringify(statuses(answers))}\n${replicaLogs()}`;
    for (const a of others) {
      expect(a.status, `${JSON.stringify(a.body)}\n${context}`).toBe(402);
      expect(a.body).toEqual({ error: { message: expect.any(String), type: 'insufficient_quota', param: null, code: 'budget_exhausted' } });
      expect(a.body.error.message).toContain(`budget exhausted: key '${name}' may spend`);
      expect(a.body.error.message).toContain('in total');
    }
    expect(served.length, context).toBeGreaterThanOrEqual(1);
    // Identical requests, identical answers: the simulator's prompt count (ceil(chars / 4) + 4 per message) and
    // OUTPUT_TOKENS output tokens, so each costs the same, and less than it reserved.
    const costsUsd = served.map((a) => a.body.usage?.cost as number);
    const actualNano = Math.round(costsUsd[0]! * 1e9);
    for (const c of costsUsd) expect(Math.round(c * 1e9)).toBe(actualNano);
    expect(actualNano).toBeGreaterThan(0);
    expect(actualNano, 'each request must cost less than it reserved').toBeLessThan(MAX_COST_NANO);
    // The first ten reservations always fit (each takes MAX_COST_NANO of 10 × that); later ones only fit in the room
    // that settled spend left: the last one admitted found spent + reserved ≤ budget − MAX_COST_NANO.
    const fits = Math.floor((budgetNano - MAX_COST_NANO) / actualNano) + 1;
    expect(served.length, context).toBeGreaterThanOrEqual(10);
    expect(served.length, context).toBeLessThanOrEqual(fits);

    // Settlement runs after each answer is sent: wait (bounded) until nothing is reserved any more.
    let after: Answer | undefined;
    const deadline = Date.now() + 5000;
    do {
      after = await admin(0, 'GET', `/admin/keys/${id}`);
      if (after.body.reservedUsd === 0) break;
      await sleep(50);
    } while (Date.now() < deadline);
    expect(after.status).toBe(200);
    expect(after.body.reservedUsd, JSON.stringify(after.body)).toBe(0);
    const spentUsd = after.body.spentUsd as number;
    const sumUsd = costsUsd.reduce((s, c) => s + c, 0);
    expect(spentUsd).toBeLessThanOrEqual((budgetNano + MAX_COST_NANO) / 1e9);
    expect(Math.abs(spentUsd - sumUsd)).toBeLessThan(1e-9);
    // Each replica reads the same counters.
    for (let r = 1; r < REPLICAS; r++) expect((await admin(r, 'GET', `/admin/keys/${id}`)).body).toMatchObject({ spentUsd, reservedUsd: 0 });

    // And the database agrees: no reservation is left behind, nothing is reserved on the counter.
    const counters = await sql('SELECT spent_nano::text AS spent, reserved_nano::text AS reserved FROM budget_counters WHERE scope = $1 AND scope_id = $2', ['key', id]);
    expect(counters).toEqual([{ spent: String(served.length * actualNano), reserved: '0' }]);
    const left = await sql('SELECT count(*)::int AS n FROM reservations WHERE swept_at IS NULL AND scopes @> $1::jsonb', [JSON.stringify([{ id }])]);
    expect(left).toEqual([{ n: 0 }]);

    console.log(
      `[cluster] budget race: ${TOTAL} requests over ${REPLICAS} replicas in ${Math.round(elapsed)} ms: ${JSON.stringify(statuses(answers))}; ` +
        `served per replica ${JSON.stringify([0, 1, 2].map((r) => served.filter((a) => a.replica === r).length))}; ` +
        `reserved ${MAX_COST_NANO} n$/request, actual ${actualNano} n$/request; budget ${budgetNano} n$, spent ${Math.round(spentUsd * 1e9)} n$ ` +
        `(at most ${fits} could fit)`,
    );
  });

  it('counts an RPM limit across replicas in Redis', { timeout: 30_000 }, async () => {
    const name = 'rpm-30';
    const { key } = await createKey({ name, limits: { rpm: 30 } });
    const answers = await Promise.all(Array.from({ length: 90 }, (_, i) => chat(i % 2, key)));
    const context = `statuses ${JSON.stringify(statuses(answers))}\n${replicaLogs()}`;
    const served = answers.filter((a) => a.status === 200);
    expect(served.length, context).toBe(30);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status, `${JSON.stringify(a.body)}\n${context}`).toBe(429);
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(a.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
      expect(a.body.error.message).toContain(`key '${name}' allows 30 requests per minute`);
    }
    console.log(
      `[cluster] rpm 30: 90 requests over 2 replicas: ${JSON.stringify(statuses(answers))}; served per replica ` +
        `${JSON.stringify([0, 1].map((r) => served.filter((a) => a.replica === r).length))}`,
    );
  });

  it('refuses a key revoked on one replica on the others within 2 s', { timeout: 30_000 }, async () => {
    const { id, key } = await createKey({ name: 'to-revoke' });
    // Used on replicas 2 and 3, so each holds it in its key cache.
    for (const r of [1, 2]) expect((await chat(r, key)).status).toBe(200);
    const revoked = await admin(0, 'DELETE', `/admin/keys/${id}`);
    expect(revoked.status).toBe(200);
    const revokedAt = performance.now();
    const waits = await Promise.all(
      [1, 2].map(async (r) => {
        for (;;) {
          const answer = await chat(r, key);
          const ms = performance.now() - revokedAt;
          if (answer.status === 401) {
            expect(answer.body.error).toMatchObject({ type: 'authentication_error', code: 'unauthorized' });
            return ms;
          }
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          if (ms > 3000) return ms;
          await sleep(20);
        }
      }),
    );
    for (const ms of waits) expect(ms).toBeLessThan(2000);
    // And it stays refused.
    for (const r of [0, 1, 2]) expect((await chat(r, key)).status).toBe(401);
    console.log(`[cluster] revocation on replica 1 refused on replica 2 after ${waits[0]!.toFixed(1)} ms, on replica 3 after ${waits[1]!.toFixed(1)} ms`);
  });
});
