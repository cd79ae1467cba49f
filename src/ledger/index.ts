import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayError } from '../canonical/errors.js';
import type { Catalogue } from '../catalog/catalogue.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { DecisionRecord } from '../routing/decision.js';
import type { RequestOutcome } from '../server/accounting.js';
import { presentedKey, safeEqual } from '../server/auth.js';
import { secretHash } from '../tenancy/secrets.js';
import type { KeyRecord, TeamRecord } from '../tenancy/types.js';
import type { Redactor } from '../util/redact.js';
import { resolveBaseline, type Baseline } from './baseline.js';
import { LedgerMetrics } from './metrics.js';
import { hostUsageRows, resolveHostQuery, resolveUsageQuery, usageRows, type QueryString } from './query.js';
import { buildRecord, type Attribution, type FinishedRequest, type RecordContext } from './record.js';
import type { LedgerStore } from './store.js';
import { ResponseTap } from './tap.js';
import { GenAiTracer } from './telemetry.js';
import type { HostUsageRow, LedgerRecord, RequestListQuery, UsageRow } from './types.js';
import { LedgerWriter, type WriterOptions } from './writer.js';

export type { LedgerStore } from './store.js';
export type { GroupBy, HostUsageRow, Interval, LedgerAttempt, LedgerRecord, UsageQuery, UsageRow } from './types.js';

export interface LedgerOptions {
  store: LedgerStore;
  registry: ModelRegistry;
  catalogue?: Catalogue;
  /** `ledger.baseline`, `ledger.storePrompts`, `ledger.retentionDays`. */
  baselineModel: string;
  storePrompts: boolean;
  retentionDays: number;
  defaultPolicy?: string | null;
  redactor: Redactor;
  logger?: Logger;
  /** The gateway's Prometheus registry; the ledger adds its metrics to it. */
  metricsRegistry?: Registry;
  /** Model requests need no key (open mode): nothing to attribute. */
  openModelAccess?: boolean;
  adminKey?: string;
  /** Looks a virtual key up by its hash (the tenancy store's `keyByHash` and `team`). */
  lookupKey?: (hash: string) => Promise<{ key: KeyRecord; team?: TeamRecord } | undefined>;
  spoolDir: string;
  writer?: Pick<WriterOptions, 'batchSize' | 'flushMs' | 'capacity' | 'retryMs'>;
  /** OTLP/HTTP endpoint for GenAI spans; off when unset. */
  otlpEndpoint?: string;
  serviceName?: string;
  now?: () => number;
}

const MODEL_ROUTES = new Set(['/v1/chat/completions', '/v1/messages', '/v1/embeddings']);
const KEY_CACHE_MS = 10_000;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const PURGE_CHUNK = 5_000;

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** What the ledger notes on a request while its record is on its way. */
interface LedgerMark {
  tap?: ResponseTap;
  /** Its record was made (or refused): never a second one. */
  recorded?: boolean;
  /** Held for `record` (see `hold`): the error handler's `refused` must not record it. */
  held?: boolean;
}

/**
 * The request's mark, a field of the request object: cheaper than weak maps keyed by requests (each entry of those
 * is an ephemeron every garbage collection has to visit). The app declares the field (`LEDGER_MARK_FIELD`) so that
 * every request object has it from the start.
 */
export const LEDGER_MARK_FIELD = 'switchboardLedgerMark';

function markOf(req: FastifyRequest): LedgerMark {
  const r = req as FastifyRequest & { [LEDGER_MARK_FIELD]?: LedgerMark | null };
  return (r[LEDGER_MARK_FIELD] ??= {});
}

/**
 * The usage ledger: one record per model request, built when the response is over and written off the request
 * path (docs/ledger.md). `record` is called by the accounting with every request that reached routing; `refused`
 * with those refused before it (a spent budget, a rate limit, a policy, an invalid body). A refusal of a request
 * without a valid credential (401, or the brute-force guard's 429) is not recorded: it belongs to no tenant.
 */
export class Ledger {
  readonly writer: LedgerWriter;
  readonly baseline: Baseline;
  readonly metrics?: LedgerMetrics;
  readonly tracer?: GenAiTracer;
  private readonly context: RecordContext;
  /** Records being built whose attribution or response was not known yet (`finish`'s slow path). */
  private readonly pending = new Set<Promise<void>>();
  /** Requests whose record is on its way (`hold`) and not handed to `record` yet; `flush` waits for them. */
  private holds = 0;
  private holdWaiters: (() => void)[] = [];
  private readonly keyCache = new Map<string, { value: Attribution | undefined; until: number }>();
  private readonly purgeTimer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(readonly options: LedgerOptions) {
    this.now = options.now ?? Date.now;
    this.metrics = options.metricsRegistry ? LedgerMetrics.for(options.metricsRegistry) : undefined;
    this.baseline = resolveBaseline(options.baselineModel, options.catalogue ?? options.registry.catalogue, options.registry);
    if (!this.baseline.pricing) options.logger?.warn({ baseline: options.baselineModel }, 'ledger: the baseline model has no known price; records carry no baseline cost');
    this.context = {
      registry: options.registry,
      baseline: this.baseline,
      redactor: options.redactor,
      storePrompts: options.storePrompts,
      defaultPolicy: options.defaultPolicy,
    };
    this.writer = new LedgerWriter({ store: options.store, spoolDir: options.spoolDir, logger: options.logger, metrics: this.metrics, ...options.writer });
    if (options.otlpEndpoint) this.tracer = new GenAiTracer({ otlpEndpoint: options.otlpEndpoint, serviceName: options.serviceName, logger: options.logger });
    this.purgeTimer = setInterval(() => void this.purge().catch((err: unknown) => options.logger?.warn({ err: (err as Error).message }, 'ledger: retention purge failed')), PURGE_EVERY_MS);
    this.purgeTimer.unref();
  }

  get store(): LedgerStore {
    return this.options.store;
  }

  /** Replays what an earlier run left in the spool, and applies retention once. Does not wait for either. */
  start(): void {
    void this.writer.replay();
    void this.purge().catch((err: unknown) => this.options.logger?.warn({ err: (err as Error).message }, 'ledger: retention purge failed'));
  }

  /** Where a model response reports what it sends (chat and messages), for the request's record. */
  tapFor(req: FastifyRequest): ResponseTap {
    const m = markOf(req);
    return (m.tap ??= new ResponseTap());
  }

  /** Who a request belongs to; synchronous when no lookup is needed (open access, the admin key, a cached key). */
  private attribution(req: FastifyRequest): Attribution | Promise<Attribution> {
    const { options } = this;
    if (options.openModelAccess || !options.lookupKey) return {};
    const secret = presentedKey(req.headers);
    if (!secret) return { unknown: true };
    if (options.adminKey && safeEqual(secret, options.adminKey)) return {};
    const hash = secretHash(secret);
    const now = this.now();
    const cached = this.keyCache.get(hash);
    if (cached && cached.until > now) return cached.value ?? { unknown: true };
    return options.lookupKey(hash).then(
      (found) => {
        const value: Attribution | undefined = found && {
          keyId: found.key.id,
          teamId: found.key.teamId,
          storePrompts: found.key.storePrompts,
          minDataClass: found.key.minDataClass,
          policy: found.key.policy ?? found.team?.policy,
        };
        this.keyCache.set(hash, { value, until: this.now() + KEY_CACHE_MS });
        if (this.keyCache.size > 10_000) this.keyCache.delete(this.keyCache.keys().next().value!);
        return value ?? { unknown: true };
      },
      // The database is down: the record is kept, without its key.
      () => ({}),
    );
  }

  /**
   * Marks a record as on its way before `record` is called (the accounting defers it until the answer is written):
   * `flush` and `close` wait until the returned function is called.
   */
  hold(req: FastifyRequest): () => void {
    markOf(req).held = true;
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0) for (const wake of this.holdWaiters.splice(0)) wake();
    };
  }

  /** Until every held request was recorded and every record being built is built. */
  private async settled(): Promise<void> {
    while (this.holds > 0 || this.pending.size > 0) {
      if (this.holds > 0) await new Promise<void>((resolve) => this.holdWaiters.push(resolve));
      if (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    }
  }

  /** A request that reached routing has ended (or is ending): its record is built once the response is over. */
  record(req: FastifyRequest, outcome: RequestOutcome, decision: DecisionRecord, durationMs: number): void {
    const m = markOf(req);
    if (m.recorded) return;
    m.recorded = true;
    const finished: FinishedRequest = {
      id: req.id,
      startedAtMs: this.now() - durationMs,
      latencyMs: durationMs,
      route: outcome.route,
      stream: outcome.stream,
      requestedModel: decision.requestedModel,
      model: outcome.model,
      provider: outcome.provider,
      status: outcome.status,
      attempts: outcome.attempts,
      usage: outcome.usage,
      costNano: outcome.cost?.status === 'priced' ? (outcome.cost.nano ?? (outcome.cost.usd === null ? undefined : Math.round(outcome.cost.usd * 1e9))) : undefined,
      errorCode: outcome.error?.code,
      decision,
      outcome: decision.outcome,
      body: req.body,
      headers: req.headers,
    };
    this.finish(req, finished);
  }

  /** A model request refused before routing (budget, rate limit, policy, invalid body, draining). */
  refused(req: FastifyRequest, error: GatewayError, elapsedMs: number): void {
    const m = markOf(req);
    if (req.method !== 'POST' || !MODEL_ROUTES.has(pathOf(req.url)) || m.recorded || m.held) return;
    if (error.status === 401) return;
    m.recorded = true;
    const path = pathOf(req.url);
    const body = req.body as { model?: unknown } | undefined;
    const requested = typeof body?.model === 'string' ? body.model.slice(0, 200) : '';
    const finished: FinishedRequest = {
      id: req.id,
      startedAtMs: this.now() - elapsedMs,
      latencyMs: elapsedMs,
      route: path === '/v1/messages' ? 'messages' : path === '/v1/embeddings' ? 'embeddings' : 'chat',
      stream: Boolean((body as { stream?: unknown } | undefined)?.stream),
      requestedModel: requested,
      model: this.options.registry.resolve(requested)?.id ?? requested,
      provider: '',
      status: error.status,
      attempts: [],
      errorCode: error.code,
      outcome: 'error',
      body: req.body,
      headers: req.headers,
    };
    this.finish(req, finished, [error.code]);
  }

  private finish(req: FastifyRequest, finished: FinishedRequest, blocked?: string[]): void {
    const tap = markOf(req).tap;
    // Looked up when the record is built (never for a 401, which is not recorded), cached for KEY_CACHE_MS.
    const who = this.attribution(req);
    // The usual case — attribution known, response over — is built at once, without a promise per request.
    if (!(who instanceof Promise) && (!tap || tap.ended)) {
      this.complete(req, finished, who, tap, blocked);
      return;
    }
    const done = Promise.all([who, tap?.whenEnded()])
      .then(([attribution]) => this.complete(req, finished, attribution, tap, blocked))
      .catch((err: unknown) => this.buildFailed(finished, err))
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private complete(req: FastifyRequest, finished: FinishedRequest, attribution: Attribution, tap: ResponseTap | undefined, blocked?: string[]): void {
    // The request object outlives its response (a keep-alive connection holds its last one): the tap must not.
    markOf(req).tap = undefined;
    try {
      // A refusal of a request that named no existing key (a 429 of the brute-force guard, say) is nobody's usage.
      if (blocked && attribution.unknown) return;
      const record = buildRecord(this.context, finished, attribution, tap ? () => tap.delivered() : undefined);
      if (blocked) record.blocked = [...blocked, ...(record.blocked ?? [])];
      if (record.ttftMs !== undefined) this.metrics?.ttft.observe({ route: record.route }, record.ttftMs / 1000);
      this.writer.enqueue(record);
      this.tracer?.record(record, req.headers.traceparent);
    } catch (err) {
      this.buildFailed(finished, err);
    }
  }

  private buildFailed(finished: FinishedRequest, err: unknown): void {
    this.options.logger?.error({ err: (err as Error).message, requestId: finished.id }, 'ledger: could not build the record of a request');
  }

  async usage(query: QueryString, scope: { keyId?: string; teamId?: string } = {}): Promise<UsageRow[]> {
    const resolved = resolveUsageQuery(query, scope, this.now());
    return usageRows(await this.options.store.usage(resolved), resolved);
  }

  async hosts(query: QueryString): Promise<HostUsageRow[]> {
    const resolved = resolveHostQuery(query, this.now());
    return hostUsageRows(await this.options.store.hosts(resolved), resolved);
  }

  list(query: RequestListQuery): Promise<LedgerRecord[]> {
    return this.options.store.list(query);
  }

  get(id: string): Promise<LedgerRecord | undefined> {
    return this.options.store.get(id);
  }

  /** A record built but not yet written to the store (the writer's queue, or a batch in flight). */
  unwritten(id: string): LedgerRecord | undefined {
    return this.writer.find(id);
  }

  /** Up to `limit` records built but not yet written, newest first. */
  unwrittenRecent(limit: number): LedgerRecord[] {
    return this.writer.pending(limit);
  }

  /** Deletes records older than `retentionDays` (roll-ups are kept), in chunks. Returns how many went. */
  async purge(): Promise<number> {
    const before = new Date(this.now() - this.options.retentionDays * 24 * 3_600_000).toISOString();
    let total = 0;
    for (;;) {
      const n = await this.options.store.purge(before, PURGE_CHUNK);
      total += n;
      if (n < PURGE_CHUNK) break;
    }
    if (total > 0) this.options.logger?.info({ records: total, before }, 'ledger: records past retention deleted (roll-ups kept)');
    return total;
  }

  /** Waits for the records being built and writes everything queued (tests; also part of close). */
  async flush(): Promise<void> {
    await this.settled();
    await this.writer.flush();
  }

  /** SIGTERM: builds the records of requests that ended, writes them (or spools them), stops the timers. */
  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.settled();
    await this.writer.close();
    await this.tracer?.close();
  }
}
