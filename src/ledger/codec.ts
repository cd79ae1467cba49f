import { toSafeNumber } from '../store/common.js';
import { hourOf } from './rollup.js';
import type { LedgerAttempt, LedgerRecord } from './types.js';

/** Records ⇄ `ledger_records` rows, the same columns in both dialects (JSON as text on SQLite, JSONB on PostgreSQL). */

export const RECORD_COLUMNS = [
  'id',
  'at',
  'hour',
  'route',
  'stream',
  'key_id',
  'team_id',
  'requested_model',
  'model',
  'provider',
  'origin',
  'jurisdiction',
  'license',
  'open_weights',
  'developer',
  'input_tokens',
  'cached_input_tokens',
  'output_tokens',
  'reasoning_tokens',
  'tokens_estimated',
  'cost_nano',
  'attempts_cost_nano',
  'baseline_cost_nano',
  'baseline_model',
  'latency_ms',
  'ttft_ms',
  'status',
  'outcome',
  'error_code',
  'data_class',
  'policy',
  'blocked',
  'tags',
  'attempts',
  'prompt',
  'completion',
  'decision',
] as const;

export type RecordColumn = (typeof RECORD_COLUMNS)[number];

/** Column kinds, for PostgreSQL's array casts and SQLite's binding. */
export const COLUMN_KIND: Record<RecordColumn, 'text' | 'int' | 'bool' | 'json'> = {
  id: 'text',
  at: 'text',
  hour: 'int',
  route: 'text',
  stream: 'bool',
  key_id: 'text',
  team_id: 'text',
  requested_model: 'text',
  model: 'text',
  provider: 'text',
  origin: 'text',
  jurisdiction: 'text',
  license: 'text',
  open_weights: 'bool',
  developer: 'text',
  input_tokens: 'int',
  cached_input_tokens: 'int',
  output_tokens: 'int',
  reasoning_tokens: 'int',
  tokens_estimated: 'bool',
  cost_nano: 'int',
  attempts_cost_nano: 'int',
  baseline_cost_nano: 'int',
  baseline_model: 'text',
  latency_ms: 'int',
  ttft_ms: 'int',
  status: 'int',
  outcome: 'text',
  error_code: 'text',
  data_class: 'text',
  policy: 'text',
  blocked: 'json',
  tags: 'json',
  attempts: 'json',
  prompt: 'text',
  completion: 'text',
  decision: 'json',
};

/** PostgreSQL cannot hold NUL in text or JSONB: it is replaced (U+FFFD) in both dialects alike. */
function clean(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\ufffd') : text;
}

function json(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  if (!text.includes('\\u0000')) return text;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? clean(v) : v));
}

function int(value: number | undefined): number | null {
  if (value === undefined || value === null || !Number.isFinite(value)) return null;
  return Math.round(value);
}

function text(value: string | undefined): string | null {
  return value === undefined || value === null ? null : clean(value);
}

const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The record's time as `toISOString()` writes it (the form range queries compare as text). */
function canonicalTime(r: LedgerRecord): string {
  // The gateway's own records are in that form already; parsing and printing each again cost more than the check.
  if (ISO_UTC_MS.test(r.at) && !Number.isNaN(Date.parse(r.at))) return r.at;
  const at = new Date(Date.parse(r.at));
  if (Number.isNaN(at.getTime())) throw new RangeError(`ledger record ${r.id} has no valid time`);
  return at.toISOString();
}

/** One record as column values in `RECORD_COLUMNS` order. */
export function recordValues(r: LedgerRecord): (string | number | boolean | null)[] {
  return [
    clean(r.id),
    canonicalTime(r),
    hourOf(r.at),
    r.route,
    r.stream,
    text(r.keyId),
    text(r.teamId),
    clean(r.requestedModel),
    text(r.model),
    text(r.provider),
    text(r.origin),
    text(r.jurisdiction),
    text(r.license),
    r.openWeights ?? null,
    text(r.developer),
    int(r.inputTokens),
    int(r.cachedInputTokens),
    int(r.outputTokens),
    int(r.reasoningTokens),
    r.tokensEstimated ?? false,
    int(r.costNano),
    int(r.attemptsCostNano),
    int(r.baselineCostNano),
    text(r.baselineModel),
    Math.max(0, Math.round(r.latencyMs)),
    int(r.ttftMs),
    r.status,
    r.outcome,
    text(r.errorCode),
    text(r.dataClass),
    text(r.policy),
    json(r.blocked && r.blocked.length > 0 ? r.blocked : undefined),
    json(r.tags && r.tags.length > 0 ? r.tags : undefined),
    json(r.attempts) ?? '[]',
    text(r.prompt),
    text(r.completion),
    json(r.decision),
  ];
}

type Row = Record<string, unknown>;

function readJson(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function str(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

function num(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : toSafeNumber(value);
}

function bool(value: unknown): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'boolean' ? value : Number(value) !== 0;
}

/** A row back to a record, with only the fields that have values. */
export function recordFromRow(row: Row): LedgerRecord {
  const out: Record<string, unknown> = {
    id: String(row.id),
    at: String(row.at),
    route: String(row.route),
    stream: bool(row.stream) ?? false,
    keyId: str(row.key_id),
    teamId: str(row.team_id),
    requestedModel: String(row.requested_model),
    model: str(row.model),
    provider: str(row.provider),
    origin: str(row.origin),
    jurisdiction: str(row.jurisdiction),
    license: str(row.license),
    openWeights: bool(row.open_weights),
    developer: str(row.developer),
    attempts: (readJson(row.attempts) as LedgerAttempt[] | undefined) ?? [],
    inputTokens: num(row.input_tokens),
    cachedInputTokens: num(row.cached_input_tokens),
    outputTokens: num(row.output_tokens),
    reasoningTokens: num(row.reasoning_tokens),
    tokensEstimated: bool(row.tokens_estimated) || undefined,
    costNano: num(row.cost_nano),
    attemptsCostNano: num(row.attempts_cost_nano),
    baselineCostNano: num(row.baseline_cost_nano),
    baselineModel: str(row.baseline_model),
    latencyMs: num(row.latency_ms) ?? 0,
    ttftMs: num(row.ttft_ms),
    status: num(row.status) ?? 0,
    outcome: String(row.outcome),
    errorCode: str(row.error_code),
    dataClass: str(row.data_class),
    policy: str(row.policy),
    blocked: readJson(row.blocked),
    tags: readJson(row.tags),
    prompt: str(row.prompt),
    completion: str(row.completion),
    decision: readJson(row.decision),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as LedgerRecord;
}
