import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HostRoute, ModelInfo } from '../../catalog/types.js';
import type { Ledger } from '../../ledger/index.js';
import { queryString, resolveHostQuery, type QueryString } from '../../ledger/query.js';
import { histogramQuantile } from '../../ledger/rollup.js';
import type { RawHostRow } from '../../ledger/store.js';
import { selectorMatches } from '../../policy/blocks.js';
import { parseSince } from '../../policy/drill.js';
import type { Block } from '../../policy/types.js';
import { HostHealth, type BreakerState, type HostSnapshot } from '../../routing/health.js';
import { hostKey } from '../../routing/host-key.js';
import type { GatewayContext } from '../context.js';
import { requireAdmin } from './auth.js';

/**
 * `GET /admin/providers[?since=24h]`: one row per host (a provider serving a model), joining what the registry
 * knows (prices, jurisdiction), what host health sees now (breaker, moving averages), what the ledger recorded over
 * the window, and the blocks in force. A fact with no source is null, never a guess.
 */

const DEFAULT_WINDOW = '24h';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface ProviderRow {
  host: string;
  provider: string;
  company: string | null;
  model: string;
  upstreamModel: string;
  origin: string | null;
  jurisdiction: string | null;
  selfHosted: boolean;
  priceInPerM: number | null;
  priceOutPerM: number | null;
  breaker: BreakerState;
  healthy: boolean;
  live: { latencyMs: number | null; ttftMs: number | null; errorRate: number | null };
  window: HostWindow | null;
  blocked: boolean;
  blockedBy: string[];
}

export interface HostWindow {
  requests: number;
  errorRate: number | null;
  latencyMs: Percentiles | null;
  ttftMs: Percentiles | null;
}

/** What the ledger's hourly roll-ups say of one host over the window: histograms summed across hours. */
interface HostTotals {
  attempts: number;
  errors: number;
  lat: number[];
  ttft: number[];
}

const ledgerKey = (provider: string, model: string): string => `${provider}\u0000${model}`;

function addInto(sum: number[], counts: readonly number[]): void {
  counts.forEach((c, i) => (sum[i] = (sum[i] ?? 0) + c));
}

function totalsByHost(rows: readonly RawHostRow[]): Map<string, HostTotals> {
  const out = new Map<string, HostTotals>();
  for (const r of rows) {
    const key = ledgerKey(r.provider, r.model);
    const t = out.get(key) ?? { attempts: 0, errors: 0, lat: [], ttft: [] };
    t.attempts += r.attempts;
    t.errors += r.errors;
    addInto(t.lat, r.lat);
    addInto(t.ttft, r.ttft);
    out.set(key, t);
  }
  return out;
}

function percentiles(counts: readonly number[]): Percentiles | null {
  const p50 = histogramQuantile(counts, 0.5);
  const p95 = histogramQuantile(counts, 0.95);
  const p99 = histogramQuantile(counts, 0.99);
  return p50 === null || p95 === null || p99 === null ? null : { p50, p95, p99 };
}

function windowOf(totals: HostTotals | undefined): HostWindow {
  if (!totals || totals.attempts === 0) return { requests: 0, errorRate: null, latencyMs: null, ttftMs: null };
  return { requests: totals.attempts, errorRate: totals.errors / totals.attempts, latencyMs: percentiles(totals.lat), ttftMs: percentiles(totals.ttft) };
}

/** The ledger's per-host totals over the last `windowMs`; undefined when there is no ledger or it cannot answer. */
async function ledgerTotals(req: FastifyRequest, ledger: Ledger | undefined, windowMs: number): Promise<Map<string, HostTotals> | undefined> {
  if (!ledger) return undefined;
  const now = Date.now();
  const query = resolveHostQuery({ interval: 'total', from: new Date(now - windowMs).toISOString(), to: new Date(now).toISOString() }, now);
  try {
    return totalsByHost(await ledger.store.hosts(query));
  } catch (err) {
    // The live half of the page is still worth showing while the database is away.
    req.log.warn({ err: (err as Error).message }, 'ledger unavailable: providers listed without their window');
    return undefined;
  }
}

/** Micro-dollars per million tokens (the registry's unit) to dollars per million. */
const perMillionUsd = (micro: number | undefined): number | null => (micro === undefined ? null : micro / 1e6);

function liveOf(snapshot: HostSnapshot | undefined): ProviderRow['live'] {
  return { latencyMs: snapshot?.latencyMs ?? null, ttftMs: snapshot?.ttftMs ?? null, errorRate: snapshot?.errorRate ?? null };
}

function row(model: ModelInfo, host: HostRoute, health: HostHealth | undefined, totals: Map<string, HostTotals> | undefined, blocks: readonly Block[]): ProviderRow {
  const provider = host.provider;
  const key = hostKey(provider.id, host.upstreamModel);
  // A host health has never seen reads as closed, with no averages.
  const snapshot = health?.snapshot(key);
  const breaker = snapshot?.state ?? 'closed';
  const blockedBy = blocks.filter((b) => selectorMatches(b.selector, model, provider.id)).map((b) => b.id);
  return {
    host: key,
    provider: provider.id,
    company: provider.company ?? null,
    model: model.id,
    upstreamModel: host.upstreamModel,
    origin: model.origin ?? null,
    jurisdiction: provider.jurisdiction ?? null,
    selfHosted: provider.selfHosted,
    priceInPerM: perMillionUsd(host.pricing?.input),
    priceOutPerM: perMillionUsd(host.pricing?.output),
    breaker,
    healthy: breaker === 'closed' && snapshot?.cooldownUntil === undefined,
    live: liveOf(snapshot),
    window: totals ? windowOf(totals.get(ledgerKey(provider.id, model.id))) : null,
    blocked: blockedBy.length > 0,
    blockedBy,
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareRows(a: ProviderRow, b: ProviderRow): number {
  return cmp(a.provider, b.provider) || cmp(a.model, b.model) || cmp(a.upstreamModel, b.upstreamModel);
}

export function registerProvidersRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/admin/providers', async (req) => {
    await requireAdmin(ctx, req);
    const windowMs = parseSince(queryString(req.query as QueryString, 'since') ?? DEFAULT_WINDOW);
    const totals = await ledgerTotals(req, ctx.accounting.ledger, windowMs);
    // The breaker and averages exist only on the real health tracker; a planner-only view has neither.
    const health = ctx.health instanceof HostHealth ? ctx.health : undefined;
    const blocks = ctx.sovereignty?.activeBlocks() ?? [];
    const rows = ctx.registry.list().flatMap((model) => model.hosts.map((host) => row(model, host, health, totals, blocks)));
    return { data: rows.sort(compareRows) };
  });
}
