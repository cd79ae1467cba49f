#!/usr/bin/env node
/**
 * Ledger benchmark: sustained write throughput and analytics query times, on SQLite and PostgreSQL.
 *
 *   npm run build                                   # the benchmark runs the compiled ledger from dist/
 *   node bench/ledger.mjs                           # 1,000,000 records into each database, then the queries
 *   node bench/ledger.mjs --records 10000000        # the 10M run of docs/ledger.md (about 10 minutes per database)
 *   node bench/ledger.mjs --db sqlite --records 200000
 *
 * Options: --records N (default 1000000), --db sqlite|postgres|both (default both), --batch N (writer batch size,
 * default the gateway's: 1000 on SQLite, 5000 on PostgreSQL), --days D (span of the generated traffic, default
 * records / 100,000: about 4,200 records an hour, far sparser than a gateway under 20,000 requests/s, so roll-ups
 * aggregate less per batch than they would live), --keys N (default 200), --teams N
 * (default 20), --pg URL (default $SWITCHBOARD_TEST_PG or postgres://postgres@127.0.0.1:5432/test), --keep (keep the
 * database: prints where), --repeat N (runs per query, default 5; the median is printed).
 *
 * Writes go through the real writer (`LedgerWriter`: bounded queue, batches, one transaction per batch with the
 * roll-ups) exactly as the gateway's; the producer waits while the queue is over half full, so the figure is what
 * the database sustains, and the spooled count must stay 0. Records are generated in time order (as a live gateway
 * produces them) over `--days` days, with `--keys` keys in `--teams` teams, 7 model/host pairs, 0-2 of 5 tags each,
 * 5% failures. PostgreSQL runs in a fresh schema, dropped at the end unless --keep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

const root = new URL('../dist/', import.meta.url);
const load = async (p) => import(new URL(p, root).href).catch((err) => {
  console.error(`bench/ledger: cannot load dist/${p} (${err.message}); run \`npm run build\` at the root first`);
  process.exit(1);
});
const { SqliteTenancyStore } = await load('store/sqlite.js');
const { PostgresTenancyStore } = await load('store/postgres.js');
const { SqliteLedgerStore } = await load('ledger/sqlite.js');
const { PostgresLedgerStore } = await load('ledger/postgres.js');
const { LedgerWriter } = await load('ledger/writer.js');
const { resolveUsageQuery, usageRows, resolveHostQuery, hostUsageRows } = await load('ledger/query.js');

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'both' },
    batch: { type: 'string', default: '' },
    days: { type: 'string', default: '' },
    keys: { type: 'string', default: '200' },
    teams: { type: 'string', default: '20' },
    pg: { type: 'string', default: process.env.SWITCHBOARD_TEST_PG || 'postgres://postgres@127.0.0.1:5432/test' },
    keep: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('node bench/ledger.mjs [--records N] [--db sqlite|postgres|both] [--batch N] [--days D] [--keys N] [--teams N] [--pg URL] [--keep] [--repeat N]');
  process.exit(0);
}
const RECORDS = Number(args.records);
/** Undefined: the writer's default for the dialect (1,000 on SQLite, 5,000 on PostgreSQL), as in the gateway. */
const BATCH = args.batch ? Number(args.batch) : undefined;
/** Default: about 4,200 records an hour (1M records over 10 days, 10M over 100 days). */
const DAYS = args.days ? Number(args.days) : Math.max(1, Math.round(RECORDS / 100_000));
const KEYS = Number(args.keys);
const TEAMS = Number(args.teams);
const REPEAT = Number(args.repeat);

const MODELS = [
  { model: 'deepseek/deepseek-v3.2', provider: 'deepseek', origin: 'CN', license: 'MIT', openWeights: true, developer: 'DeepSeek', jurisdiction: 'CN', price: [280, 420] },
  { model: 'deepseek/deepseek-v3.2', provider: 'together', origin: 'CN', license: 'MIT', openWeights: true, developer: 'DeepSeek', jurisdiction: 'US', price: [600, 1700] },
  { model: 'qwen/qwen3-235b-a22b', provider: 'alibaba', origin: 'CN', license: 'Apache-2.0', openWeights: true, developer: 'Qwen', jurisdiction: 'SG', price: [220, 880] },
  { model: 'mistralai/mistral-large', provider: 'mistral', origin: 'FR', license: 'MRL', openWeights: true, developer: 'Mistral AI', jurisdiction: 'FR', price: [2000, 6000] },
  { model: 'openai/gpt-oss-120b', provider: 'groq', origin: 'US', license: 'Apache-2.0', openWeights: true, developer: 'OpenAI', jurisdiction: 'US', price: [150, 750] },
  { model: 'openai/gpt-5', provider: 'openai', origin: 'US', license: 'proprietary', openWeights: false, developer: 'OpenAI', jurisdiction: 'US', price: [1250, 10000] },
  { model: 'anthropic/claude-sonnet-4.5', provider: 'anthropic', origin: 'US', license: 'proprietary', openWeights: false, developer: 'Anthropic', jurisdiction: 'US', price: [3000, 15000] },
];
const TAGS = ['search', 'chat', 'batch', 'eval', 'support'];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPAN_MS = DAYS * 86_400_000;
const START = Date.UTC(2026, 0, 5);

/** Record i of N, in time order over the span. */
function makeRecord(i, random, runId) {
  const m = MODELS[Math.floor(random() * MODELS.length)];
  const key = Math.floor(random() * KEYS);
  const failed = random() < 0.05;
  const input = 100 + Math.floor(random() * 4000);
  const output = failed ? undefined : 10 + Math.floor(random() * 1500);
  const tags = [];
  for (let t = Math.floor(random() * 3); t > 0; t--) {
    const tag = TAGS[Math.floor(random() * TAGS.length)];
    if (!tags.includes(tag)) tags.push(tag);
  }
  const duration = 50 + Math.floor(random() * 8000);
  const at = new Date(START + Math.floor((i / RECORDS) * SPAN_MS)).toISOString();
  const costNano = output === undefined ? undefined : Math.round((input * m.price[0] + output * m.price[1]) / 1000);
  return {
    id: `bench-${runId}-${i}`,
    at,
    route: 'chat',
    stream: random() < 0.6,
    keyId: `key_${key}`,
    teamId: `team_${key % TEAMS}`,
    requestedModel: m.model,
    model: m.model,
    provider: m.provider,
    origin: m.origin,
    jurisdiction: m.jurisdiction,
    license: m.license,
    openWeights: m.openWeights,
    developer: m.developer,
    attempts: failed
      ? [{ provider: m.provider, model: m.model, outcome: 'error', phase: 'initial', errorCode: 'upstream_error', startMs: 0, durationMs: 30 + Math.floor(random() * 500) }]
      : [{ provider: m.provider, model: m.model, outcome: 'ok', phase: 'initial', startMs: 0, durationMs: duration, ttftMs: 100 + Math.floor(random() * 1500) }],
    inputTokens: input,
    cachedInputTokens: Math.floor(input / 4),
    ...(output === undefined ? {} : { outputTokens: output, reasoningTokens: Math.floor(output / 5), costNano, baselineCostNano: Math.round((input * 3000 + output * 15000) / 1000) }),
    baselineModel: 'anthropic/claude-sonnet-4.5',
    latencyMs: duration + 3,
    status: failed ? 502 : 200,
    outcome: failed ? 'error' : 'ok',
    ...(failed ? { errorCode: 'upstream_error' } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    decision: { candidates: 3, exclusions: [], plan: [{ provider: m.provider, model: m.model }] },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function writeAll(name, store) {
  const spool = mkdtempSync(path.join(tmpdir(), 'sb-bench-spool-'));
  let spooled = 0;
  let failures = 0;
  const metrics = {
    sources: new Set(),
    written: { inc() {} },
    spooled: { inc: (_l, n) => (spooled += n) },
    replayed: { inc() {} },
    dropped: { inc() {} },
    batchDuration: { observe() {} },
  };
  const logger = { warn: (o, m) => (failures++, console.warn(m, o.err)), error: (o, m) => console.error(m, o), info() {} };
  const capacity = Math.max(20_000, (BATCH ?? 5000) * 8);
  const writer = new LedgerWriter({ store, spoolDir: spool, ...(BATCH ? { batchSize: BATCH } : {}), capacity, metrics, logger });
  const random = mulberry32(42);
  const runId = randomBytes(3).toString('hex');
  const started = performance.now();
  let lastReport = started;
  for (let i = 0; i < RECORDS; i++) {
    writer.enqueue(makeRecord(i, random, runId));
    if ((i & 255) === 255) {
      while (writer.depth > capacity / 2) await sleep(1);
      const now = performance.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        console.log(`  ${name}: ${i + 1} records, ${Math.round((i + 1) / ((now - started) / 1000))} records/s so far`);
      }
    }
  }
  await writer.flush();
  const seconds = (performance.now() - started) / 1000;
  await writer.close();
  rmSync(spool, { recursive: true, force: true });
  return { seconds, rate: RECORDS / seconds, spooled, failures };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeQueries(name, store) {
  const now = START + SPAN_MS;
  const iso = (ms) => new Date(ms).toISOString();
  const whole = { from: iso(START), to: iso(START + SPAN_MS) };
  const month = { from: iso(START + SPAN_MS - 30 * 86_400_000), to: iso(START + SPAN_MS) };
  const cases = [
    ['all, by day, whole range', { ...whole, interval: 'day' }, {}],
    ['groupBy=model, by week, whole range', { ...whole, interval: 'week', groupBy: 'model' }, {}],
    ['groupBy=origin, by week (token share), whole range', { ...whole, interval: 'week', groupBy: 'origin' }, {}],
    ['groupBy=openWeights, by day, whole range', { ...whole, interval: 'day', groupBy: 'openWeights' }, {}],
    ['groupBy=key, by day, whole range', { ...whole, interval: 'day', groupBy: 'key' }, {}],
    ['groupBy=key, total (spend per key), whole range', { ...whole, interval: 'total', groupBy: 'key' }, {}],
    ['groupBy=team, by hour, last 30 days', { ...month, interval: 'hour', groupBy: 'team' }, {}],
    ['groupBy=tag, by day, whole range', { ...whole, interval: 'day', groupBy: 'tag' }, {}],
    ['groupBy=provider, by hour, whole range', { ...whole, interval: 'hour', groupBy: 'provider' }, {}],
    ['one key (GET /v1/usage), groupBy=model, by day, whole range', { ...whole, interval: 'day', groupBy: 'model' }, { keyId: 'key_7' }],
    ['one team, groupBy=key, by week, whole range', { ...whole, interval: 'week', groupBy: 'key' }, { teamId: 'team_3' }],
  ];
  const out = [];
  for (const [label, q, scope] of cases) {
    const times = [];
    let rows = 0;
    for (let r = 0; r < REPEAT; r++) {
      const t0 = performance.now();
      const resolved = resolveUsageQuery(q, scope, now);
      rows = usageRows(await store.usage(resolved), resolved).length;
      times.push(performance.now() - t0);
    }
    out.push({ label, ms: median(times), rows });
  }
  {
    const times = [];
    let rows = 0;
    for (let r = 0; r < REPEAT; r++) {
      const t0 = performance.now();
      const resolved = resolveHostQuery({ ...whole, interval: 'total' }, now);
      rows = hostUsageRows(await store.hosts(resolved), resolved).length;
      times.push(performance.now() - t0);
    }
    out.push({ label: 'hosts: latency/TTFT percentiles, error rates, whole range', ms: median(times), rows });
  }
  {
    const times = [];
    for (let r = 0; r < REPEAT; r++) {
      const t0 = performance.now();
      await store.list({ limit: 100 });
      times.push(performance.now() - t0);
    }
    out.push({ label: 'GET /admin/requests (newest 100)', ms: median(times), rows: 100 });
  }
  console.log(`\n  ${name}: query times over ${RECORDS.toLocaleString('en')} records (median of ${REPEAT})`);
  for (const q of out) console.log(`    ${q.ms.toFixed(1).padStart(8)} ms  ${String(q.rows).padStart(6)} rows  ${q.label}`);
  return out;
}

const results = [];

if (args.db === 'sqlite' || args.db === 'both') {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-bench-ledger-'));
  const file = path.join(dir, 'ledger.db');
  const tenancy = await SqliteTenancyStore.open(`sqlite://${file}`);
  const store = new SqliteLedgerStore(tenancy.db);
  console.log(`SQLite (${file}): writing ${RECORDS.toLocaleString('en')} records, batches of ${BATCH ?? 'the default size'}, ${DAYS} days of traffic`);
  const w = await writeAll('SQLite', store);
  console.log(`  SQLite: ${RECORDS.toLocaleString('en')} records in ${w.seconds.toFixed(1)} s = ${Math.round(w.rate).toLocaleString('en')} records/s sustained (spooled: ${w.spooled}, failed batches: ${w.failures})`);
  const count = await store.count();
  const rollups = ['ledger_rollup', 'ledger_tenant_rollup', 'ledger_tenant_tags', 'ledger_host_rollup'].reduce((n, t) => n + Number(tenancy.db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get()), 0);
  console.log(`  SQLite: ${count.toLocaleString('en')} records stored, ${rollups.toLocaleString('en')} roll-up rows`);
  const q = await timeQueries('SQLite', store);
  results.push({ db: 'sqlite', ...w, queries: q });
  await tenancy.close();
  if (args.keep) console.log(`  kept: ${file}`);
  else rmSync(dir, { recursive: true, force: true });
}

if (args.db === 'postgres' || args.db === 'both') {
  const schema = `sb_bench_ledger_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: args.pg, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (err) {
    console.error(`PostgreSQL unreachable (${err.message}): skipped`);
    process.exit(results.length > 0 ? 0 : 1);
  }
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const tenancy = await PostgresTenancyStore.open(args.pg, { schema, timeoutMs: 30_000 });
  const store = new PostgresLedgerStore(tenancy.pool);
  console.log(`\nPostgreSQL (schema ${schema}): writing ${RECORDS.toLocaleString('en')} records, batches of ${BATCH ?? 'the default size'}, ${DAYS} days of traffic`);
  const w = await writeAll('PostgreSQL', store);
  console.log(`  PostgreSQL: ${RECORDS.toLocaleString('en')} records in ${w.seconds.toFixed(1)} s = ${Math.round(w.rate).toLocaleString('en')} records/s sustained (spooled: ${w.spooled}, failed batches: ${w.failures})`);
  await tenancy.pool.query('ANALYZE');
  const count = await store.count();
  const { rows } = await tenancy.pool.query(
    'SELECT (SELECT COUNT(*) FROM ledger_rollup) + (SELECT COUNT(*) FROM ledger_tenant_rollup) + (SELECT COUNT(*) FROM ledger_tenant_tags) + (SELECT COUNT(*) FROM ledger_host_rollup) AS c',
  );
  console.log(`  PostgreSQL: ${count.toLocaleString('en')} records stored, ${Number(rows[0].c).toLocaleString('en')} roll-up rows`);
  const q = await timeQueries('PostgreSQL', store);
  results.push({ db: 'postgres', ...w, queries: q });
  await tenancy.close();
  if (args.keep) console.log(`  kept: schema ${schema}`);
  else await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
  await admin.end();
}

console.log('\nsummary');
for (const r of results) {
  const slowest = Math.max(...r.queries.map((q) => q.ms));
  console.log(`  ${r.db.padEnd(10)} ${Math.round(r.rate).toLocaleString('en').padStart(8)} records/s   slowest analytics query ${slowest.toFixed(1)} ms   spooled ${r.spooled}`);
}
