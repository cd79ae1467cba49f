/**
 * Backfilled history, so the dashboard's charts show trends the moment the demo starts: `days` days of synthetic
 * ledger records shaped like the live traffic (the same apps, keys, teams, models, hosts and policies), with a
 * working-hours and weekday rhythm and an open-weight share that grows over the period. Written through the
 * ledger store's batch insert, which builds the roll-ups the analytics API reads. Every record is tagged
 * `demo:history`: it is simulated, and says so.
 */
import { computeCost } from '../catalog/cost.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { HostPricing, HostRoute, ModelInfo } from '../catalog/types.js';
import type { Usage } from '../canonical/usage.js';
import type { LedgerStore } from '../ledger/store.js';
import type { LedgerAttempt, LedgerRecord } from '../ledger/types.js';
import { effectiveDataClass, ON_PREM_CLASS, policyLayers, type DemoApp, type DemoKey, type ModelChoice } from './apps.js';
import { fleetHost, type HostFault } from './fleet.js';
import { candidateRoutes, pickHost } from './hosts.js';
import { pickWeighted, seeded, skewedInt, type Random } from './random.js';

export const HISTORY_TAG = 'demo:history';

const HOUR_MS = 3_600_000;
const BATCH = 1000;
/** Tokens per prompt word, and the system prompt's and task line's share, roughly as the simulator counts them. */
const TOKENS_PER_WORD = 1.35;
const PROMPT_OVERHEAD_TOKENS = 45;

export interface HistoryOptions {
  days: number;
  /** Where the backfill ends (exclusive): the top of the hour the demo started in, so live and history never share an hour. */
  endMs: number;
  apps: readonly DemoApp[];
  keys: readonly DemoKey[];
  registry: ModelRegistry;
  baselineModel: string;
  baselinePricing?: HostPricing;
  /** Whether the fleet's hosts fail now and then (as with live traffic). */
  faults: boolean;
  /** Mean requests per day (default 1800): a scaled-down sample of a busy company, so the backfill takes seconds. */
  requestsPerDay?: number;
  seed?: number;
}

export interface HistoryProgress {
  written: number;
  total: number;
}

/** Relative activity by UTC hour: quiet nights, a working-day plateau peaking early afternoon (mean 1). */
const DIURNAL = (() => {
  const raw = Array.from({ length: 24 }, (_, h) => 0.12 + Math.exp(-(((h - 13) / 4.5) ** 2)));
  const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
  return raw.map((v) => v / mean);
})();

/** Weekends are quiet (Sunday = 0). */
const WEEKDAY = [0.3, 1.15, 1.15, 1.15, 1.15, 1.1, 0.35];

export interface HourPlan {
  startMs: number;
  count: number;
  /** 0 at the start of the history, 1 at its end. */
  progress: number;
}

/** How many records each hour of the history gets. */
export function hourlyPlan(days: number, endMs: number, requestsPerDay: number, random: Random): HourPlan[] {
  const hours = Math.max(0, Math.round(days * 24));
  const plan: HourPlan[] = [];
  for (let i = 0; i < hours; i++) {
    const startMs = endMs - (hours - i) * HOUR_MS;
    const date = new Date(startMs);
    const progress = hours <= 1 ? 1 : i / (hours - 1);
    // Adoption grows: the first day of the history carries three quarters of the last day's traffic.
    const growth = 0.75 + 0.25 * progress;
    const expected = (requestsPerDay / 24) * DIURNAL[date.getUTCHours()]! * WEEKDAY[date.getUTCDay()]! * growth;
    plan.push({ startMs, count: Math.floor(expected * (0.85 + 0.3 * random()) + random()), progress });
  }
  return plan;
}

/** Open-weight models gain share over the history: half their weight at its start, all of it at its end. */
function trendWeight(choice: ModelChoice, model: ModelInfo | undefined, progress: number): number {
  const factor = model?.openWeights ? 0.5 + 0.5 * progress : 1.5 - 0.5 * progress;
  return choice.weight * factor;
}

function faultCode(fault: HostFault): { code: string; status: number } {
  if (fault.fault === 'cut') return { code: 'upstream_error', status: 502 };
  if (fault.status === 429) return { code: 'upstream_rate_limited', status: 429 };
  if (fault.status === 503) return { code: 'upstream_unavailable', status: 503 };
  return { code: 'upstream_error', status: 502 };
}

function jitter(random: Random): number {
  return 0.85 + 0.3 * random();
}

/** Builds records, one at a time, for the hours of a plan. */
export class HistoryBuilder {
  private readonly random: Random;
  private seq = 0;
  /** Host filtering runs every policy rule; a history has only a few dozen distinct questions to ask it. */
  private readonly routeCache = new Map<string, { model: ModelInfo; hosts: HostRoute[] }[]>();

  constructor(private readonly options: HistoryOptions) {
    this.random = seeded(options.seed ?? 20251129);
  }

  record(hour: HourPlan): LedgerRecord {
    const { apps, keys, registry } = this.options;
    const random = this.random;
    const app = pickWeighted(random, apps, (a) => a.share);
    const key = pickWeighted(random, keys.filter((k) => k.app === app.name), (k) => k.spec.share);
    const onPrem = app.onPrem !== undefined && random() < app.onPrem.share;
    const dataClass = effectiveDataClass(key.spec, onPrem ? ON_PREM_CLASS : undefined);
    const choice: ModelChoice = onPrem
      ? { model: app.onPrem!.models[Math.floor(random() * app.onPrem!.models.length)]!, weight: 1 }
      : pickWeighted(random, app.models, (m) => trendWeight(m, registry.resolve(m.model), hour.progress));
    const stream = random() < app.streamShare;
    const words = skewedInt(random, app.promptWords[0], app.promptWords[1]);
    const inputTokens = Math.round(words * TOKENS_PER_WORD) + PROMPT_OVERHEAD_TOKENS;
    const outputTokens = Math.min(app.maxTokens, skewedInt(random, app.outputTokens[0], app.outputTokens[1]));
    const feature = app.features[Math.floor(random() * app.features.length)]!;

    const policy = key.spec.policy ?? app.team.policy;
    const base: LedgerRecord = {
      id: `demo-history-${String(++this.seq).padStart(7, '0')}`,
      at: new Date(hour.startMs + Math.floor(random() * HOUR_MS)).toISOString(),
      route: app.route,
      stream,
      keyId: key.id,
      teamId: key.teamId,
      requestedModel: choice.model,
      attempts: [],
      latencyMs: 0,
      status: 200,
      outcome: 'ok',
      ...(dataClass ? { dataClass } : {}),
      ...(policy ? { policy } : {}),
      tags: [feature, key.spec.envTag, HISTORY_TAG],
      baselineModel: this.options.baselineModel,
    };

    const models = [choice.model, ...(app.route === 'chat' && !onPrem ? (choice.fallbacks ?? []) : [])];
    const candidates = this.routes(app, key, dataClass, models);
    if (candidates.length === 0) {
      return { ...base, inputTokens, status: 403, outcome: 'error', errorCode: 'policy_denied', blocked: ['policy_denied'], latencyMs: 2 };
    }
    return this.serve(base, candidates, { inputTokens, outputTokens }, stream);
  }

  private routes(app: DemoApp, key: DemoKey, dataClass: string | undefined, models: string[]): { model: ModelInfo; hosts: HostRoute[] }[] {
    const cacheKey = `${key.id}|${dataClass ?? ''}|${models.join(',')}`;
    let routes = this.routeCache.get(cacheKey);
    if (!routes) {
      routes = candidateRoutes(this.options.registry, models, policyLayers(app, key.spec, dataClass));
      this.routeCache.set(cacheKey, routes);
    }
    return routes;
  }

  /** Tries the candidates as the executor's first pass would: a failed host moves on to the next host, then the next model. */
  private serve(record: LedgerRecord, candidates: { model: ModelInfo; hosts: HostRoute[] }[], tokens: { inputTokens: number; outputTokens: number }, stream: boolean): LedgerRecord {
    const random = this.random;
    const attempts: LedgerAttempt[] = [];
    let elapsed = 0;
    let lastError = { code: 'upstream_error', status: 502 };
    for (const { model, hosts } of candidates) {
      const remaining = [...hosts];
      while (remaining.length > 0 && attempts.length < 4) {
        const host = pickHost(remaining, random)!;
        remaining.splice(remaining.indexOf(host), 1);
        const fleet = fleetHost(host.provider.id);
        const pace = fleet?.pace ?? { latencyMs: 200, ttftMs: 500, tokensPerSecond: 50 };
        const latency = pace.latencyMs * jitter(random);
        const fault = this.options.faults ? fleet?.fault : undefined;
        if (fault && random() < fault.faultRate) {
          lastError = faultCode(fault);
          attempts.push({ provider: host.provider.id, model: model.id, outcome: 'error', phase: 'initial', errorCode: lastError.code, upstreamStatus: fault.fault === 'status' ? fault.status : undefined, startMs: Math.round(elapsed), durationMs: Math.round(latency) });
          elapsed += latency;
          continue;
        }
        // As the simulator answers: a stream is paced from its first token; a plain answer comes whole after the latency.
        const ttft = stream ? latency + pace.ttftMs * jitter(random) : undefined;
        const duration = stream ? ttft! + (tokens.outputTokens / pace.tokensPerSecond) * 1000 * jitter(random) : latency;
        attempts.push({ provider: host.provider.id, model: model.id, outcome: 'ok', phase: 'initial', startMs: Math.round(elapsed), durationMs: Math.round(duration), ...(ttft !== undefined ? { ttftMs: Math.round(ttft) } : {}) });
        return this.answered(record, model, host, attempts, tokens, elapsed, duration, ttft);
      }
    }
    return { ...record, attempts, inputTokens: tokens.inputTokens, status: lastError.status, outcome: 'error', errorCode: lastError.code, latencyMs: Math.round(elapsed) };
  }

  private answered(record: LedgerRecord, model: ModelInfo, host: HostRoute, attempts: LedgerAttempt[], tokens: { inputTokens: number; outputTokens: number }, before: number, duration: number, ttft: number | undefined): LedgerRecord {
    // Hosts with a cache price serve part of a repeated prompt from cache now and then.
    const cachedInputTokens = host.pricing?.cachedInput !== undefined && this.random() < 0.3 ? Math.floor(tokens.inputTokens * 0.5) : 0;
    const usage: Usage = { ...tokens, cachedInputTokens };
    const cost = computeCost(usage, host.pricing);
    const baseline = this.options.baselinePricing ? computeCost(usage, this.options.baselinePricing) : undefined;
    return {
      ...record,
      model: model.id,
      provider: host.provider.id,
      ...(model.origin ? { origin: model.origin } : {}),
      ...(host.provider.jurisdiction ? { jurisdiction: host.provider.jurisdiction } : {}),
      ...(model.license ? { license: model.license } : {}),
      ...(model.openWeights !== undefined ? { openWeights: model.openWeights } : {}),
      ...(model.developer ? { developer: model.developer } : {}),
      attempts,
      ...usage,
      ...(cost.status === 'priced' ? { costNano: cost.nanoUsd } : {}),
      ...(baseline?.status === 'priced' ? { baselineCostNano: baseline.nanoUsd } : {}),
      latencyMs: Math.round(before + duration),
      ...(ttft !== undefined ? { ttftMs: Math.round(before + ttft) } : {}),
    };
  }
}

/** Writes the history in batches (each one transaction that also builds its roll-ups), reporting progress. */
export async function writeHistory(store: LedgerStore, options: HistoryOptions, onProgress?: (p: HistoryProgress) => void): Promise<HistoryProgress> {
  const builder = new HistoryBuilder(options);
  const plan = hourlyPlan(options.days, options.endMs, options.requestsPerDay ?? 1800, seeded((options.seed ?? 20251129) ^ 0x5eed));
  const total = plan.reduce((sum, hour) => sum + hour.count, 0);
  let written = 0;
  let batch: LedgerRecord[] = [];
  const flush = async (): Promise<void> => {
    written += await store.insertBatch(batch);
    batch = [];
    onProgress?.({ written, total });
    // SQLite writes synchronously: let signals and timers through between batches.
    await new Promise((resolve) => setImmediate(resolve));
  };
  for (const hour of plan) {
    for (let i = 0; i < hour.count; i++) {
      batch.push(builder.record(hour));
      if (batch.length >= BATCH) await flush();
    }
  }
  if (batch.length > 0) await flush();
  return { written, total };
}
