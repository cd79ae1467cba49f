import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PostgresTenancyStore } from '../../src/store/postgres.js';
import { SqliteTenancyStore } from '../../src/store/sqlite.js';
import { PostgresLedgerStore } from '../../src/ledger/postgres.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite.js';
import type { LedgerStore } from '../../src/ledger/store.js';
import type { GroupBy, Interval, LedgerRecord } from '../../src/ledger/types.js';
import { freshPgSchema, postgresUrl, type PgSchema } from '../support/services.js';

/** A ledger store on a fresh database of either dialect, with its tenancy store (which ran the migrations). */
export interface OpenLedger {
  kind: 'sqlite' | 'postgres';
  store: LedgerStore;
  tenancy: SqliteTenancyStore | PostgresTenancyStore;
  close(): Promise<void>;
}

export function tempDir(label = 'ledger'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `sb-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function openSqliteLedger(file?: string): Promise<OpenLedger> {
  const tmp = file ? undefined : tempDir('sqlite');
  const tenancy = await SqliteTenancyStore.open(`sqlite://${file ?? path.join(tmp!.dir, 'sb.db')}`);
  return {
    kind: 'sqlite',
    store: new SqliteLedgerStore(tenancy.db),
    tenancy,
    async close() {
      await tenancy.close();
      tmp?.remove();
    },
  };
}

export async function openPostgresLedger(label = 'ledger'): Promise<OpenLedger & { schema: PgSchema; url: string }> {
  const schema = await freshPgSchema(postgresUrl(), label);
  const tenancy = await PostgresTenancyStore.open(postgresUrl(), { schema: schema.schema, timeoutMs: 10_000 });
  return {
    kind: 'postgres',
    store: new PostgresLedgerStore(tenancy.pool),
    tenancy,
    schema,
    url: postgresUrl(),
    async close() {
      await tenancy.close();
      await schema.drop();
    },
  };
}

const MODELS = [
  { model: 'deepseek/deepseek-v3.2', provider: 'deepseek', origin: 'CN', license: 'MIT', openWeights: true, developer: 'DeepSeek', jurisdiction: 'CN' },
  { model: 'deepseek/deepseek-v3.2', provider: 'together', origin: 'CN', license: 'MIT', openWeights: true, developer: 'DeepSeek', jurisdiction: 'US' },
  { model: 'qwen/qwen3-235b-a22b', provider: 'alibaba', origin: 'CN', license: 'Apache-2.0', openWeights: true, developer: 'Qwen', jurisdiction: 'SG' },
  { model: 'mistralai/mistral-large', provider: 'mistral', origin: 'FR', license: 'MRL', openWeights: true, developer: 'Mistral AI', jurisdiction: 'FR' },
  { model: 'openai/gpt-5', provider: 'openai', origin: 'US', license: 'proprietary', openWeights: false, developer: 'OpenAI', jurisdiction: 'US' },
  { model: 'anthropic/claude-sonnet-4.5', provider: 'anthropic', origin: 'US', license: 'proprietary', openWeights: false, developer: 'Anthropic', jurisdiction: 'US' },
  { model: 'local/unknown', provider: 'vllm', openWeights: undefined, jurisdiction: undefined },
] as const;

const TAGS = ['search', 'chat', 'batch', 'eval', 'support'];

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` records spread over `hours` hours from `start`, across 7 model/host pairs, `keys` keys in `teams` teams,
 * some tags, some failures, some unpriced and some estimated.
 */
export function generateRecords(count: number, options: { start?: number; hours?: number; keys?: number; teams?: number; seed?: number; idPrefix?: string } = {}): LedgerRecord[] {
  const start = options.start ?? Date.UTC(2026, 0, 5, 0, 0, 0); // a Monday
  const hours = options.hours ?? 24 * 21;
  const keys = options.keys ?? 20;
  const teams = options.teams ?? 4;
  const random = rng(options.seed ?? 1);
  const out: LedgerRecord[] = [];
  for (let i = 0; i < count; i++) {
    out.push(generateRecord(i, random, start, hours, keys, teams, options.idPrefix ?? 'req'));
  }
  return out;
}

export function generateRecord(i: number, random: () => number, start: number, hours: number, keys: number, teams: number, idPrefix = 'req'): LedgerRecord {
  const m = MODELS[Math.floor(random() * MODELS.length)]!;
  const key = Math.floor(random() * keys);
  const at = new Date(start + Math.floor(random() * hours * 3_600_000)).toISOString();
  const failed = random() < 0.05;
  const input = 100 + Math.floor(random() * 4000);
  const output = failed ? undefined : 10 + Math.floor(random() * 1500);
  const unpriced = m.provider === 'vllm';
  const tagCount = Math.floor(random() * 3);
  const tags = [...new Set(Array.from({ length: tagCount }, () => TAGS[Math.floor(random() * TAGS.length)]!))];
  const duration = 50 + Math.floor(random() * 8000);
  const record: LedgerRecord = {
    id: `${idPrefix}-${i}`,
    at,
    route: 'chat',
    stream: random() < 0.5,
    keyId: `key_${key}`,
    ...(key % 5 === 4 ? {} : { teamId: `team_${key % teams}` }),
    requestedModel: m.model,
    model: m.model,
    provider: m.provider,
    ...('origin' in m ? { origin: m.origin, license: m.license, developer: m.developer } : {}),
    ...(m.openWeights !== undefined ? { openWeights: m.openWeights } : {}),
    ...(m.jurisdiction ? { jurisdiction: m.jurisdiction } : {}),
    attempts: [
      ...(failed || random() < 0.1 ? [{ provider: m.provider, model: m.model, outcome: 'error' as const, phase: 'initial' as const, errorCode: 'upstream_error', durationMs: 20 + Math.floor(random() * 300) }] : []),
      ...(failed ? [] : [{ provider: m.provider, model: m.model, outcome: 'ok' as const, phase: 'initial' as const, durationMs: duration, ttftMs: 30 + Math.floor(random() * 2000) }]),
    ],
    inputTokens: input,
    ...(output !== undefined ? { outputTokens: output, reasoningTokens: Math.floor(output / 4) } : {}),
    cachedInputTokens: Math.floor(input / 3),
    ...(output !== undefined && !unpriced ? { costNano: input * 300 + output * 1200 } : {}),
    ...(output !== undefined ? { baselineCostNano: input * 3000 + output * 15000 } : {}),
    baselineModel: 'anthropic/claude-sonnet-4.5',
    latencyMs: duration + 5,
    ...(failed ? {} : { ttftMs: 40 }),
    status: failed ? 502 : 200,
    outcome: failed ? 'error' : 'ok',
    ...(failed ? { errorCode: 'upstream_error' } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(random() < 0.02 ? { tokensEstimated: true } : {}),
  };
  return record;
}

/** The expected analytics, computed the obvious way from records (independent of the roll-ups and SQL). */
export function expectedUsage(records: readonly LedgerRecord[], groupBy: GroupBy | undefined, interval: Interval, fromMs: number, toMs: number, scope: { keyId?: string; teamId?: string } = {}) {
  const rows = new Map<string, { bucket: string; group: string | null; requests: number; inputTokens: number; outputTokens: number; costNano: number; baselineNano: number }>();
  const hourFrom = Math.floor(fromMs / 3_600_000);
  const hourTo = Math.ceil(toMs / 3_600_000);
  for (const r of records) {
    if (scope.keyId !== undefined && r.keyId !== scope.keyId) continue;
    if (scope.teamId !== undefined && r.teamId !== scope.teamId) continue;
    const t = Date.parse(r.at);
    const hour = Math.floor(t / 3_600_000);
    if (hour < hourFrom || hour >= hourTo) continue;
    const d = new Date(hour * 3_600_000);
    let bucket: string;
    if (interval === 'hour') bucket = d.toISOString();
    else if (interval === 'day') bucket = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())).toISOString();
    else if (interval === 'week') {
      const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
      const back = (day.getUTCDay() + 6) % 7; // days since Monday
      bucket = new Date(day.getTime() - back * 86_400_000).toISOString();
    } else bucket = new Date(hourFrom * 3_600_000).toISOString();
    const groups: (string | null)[] =
      groupBy === undefined
        ? [null]
        : groupBy === 'tag'
          ? r.tags && r.tags.length > 0
            ? r.tags
            : [null]
          : [
              (() => {
                const v = { origin: r.origin, model: r.model, provider: r.provider, key: r.keyId, team: r.teamId, license: r.license, jurisdiction: r.jurisdiction, developer: r.developer, openWeights: r.openWeights === undefined ? undefined : String(r.openWeights) }[groupBy];
                return v === undefined || v === '' ? null : v;
              })(),
            ];
    for (const group of groups) {
      const k = `${bucket}|${group}`;
      const row = rows.get(k) ?? { bucket, group, requests: 0, inputTokens: 0, outputTokens: 0, costNano: 0, baselineNano: 0 };
      row.requests++;
      row.inputTokens += r.inputTokens ?? 0;
      row.outputTokens += r.outputTokens ?? 0;
      const cost = r.costNano === undefined && r.attemptsCostNano === undefined ? 0 : (r.costNano ?? 0) + (r.attemptsCostNano ?? 0);
      row.costNano += cost;
      if (r.costNano !== undefined && r.baselineCostNano !== undefined) row.baselineNano += r.baselineCostNano;
      rows.set(k, row);
    }
  }
  return [...rows.values()]
    .map((r) => ({ bucket: r.bucket, group: r.group, requests: r.requests, inputTokens: r.inputTokens, outputTokens: r.outputTokens, costUsd: r.costNano / 1e9, baselineCostUsd: r.baselineNano / 1e9 }))
    .sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : String(a.group ?? '') < String(b.group ?? '') ? -1 : String(a.group ?? '') > String(b.group ?? '') ? 1 : 0));
}
