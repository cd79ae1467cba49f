import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayError } from '../canonical/errors.js';
import type { Ledger } from '../ledger/index.js';
import type { ResponseTap } from '../ledger/tap.js';
import type { Usage } from '../canonical/usage.js';
import type { AttemptRecord } from '../routing/execute.js';
import { DecisionLog, planSummary, type DecisionRecord } from '../routing/decision.js';
import type { RoutePlan } from '../routing/planner.js';
import type { CostReport } from '../surfaces/served.js';
import { isoTimestamp } from '../util/iso-time.js';
import { AccessLog } from './access-log.js';
import { GatewayMetrics } from './metrics.js';
import type { Admission } from '../tenancy/service.js';

/** What became of one request: the single record that logs, metrics (and the ledger) are fed from. */
export interface RequestOutcome {
  route: 'chat' | 'embeddings' | 'messages';
  stream: boolean;
  plan?: RoutePlan;
  /** Canonical id of the model that answered (or was asked for, when none did). */
  model: string;
  provider: string;
  status: number;
  attempts: AttemptRecord[];
  usage?: Usage;
  cost?: CostReport;
  error?: GatewayError;
  /** Parameters the serving host did not support (dropped or changed). */
  warnings?: string[];
  /** The budget reservation to settle (actual cost) or release (nothing billed). */
  admission?: Admission;
  startedAt: number;
}

interface QueuedRecord {
  req: FastifyRequest;
  outcome: RequestOutcome;
  durationMs: number;
  release: (() => void) | undefined;
}

const DECISIONS_WITHOUT_LEDGER = 5_000;
const DECISIONS_WITH_LEDGER = 256;

/** The usage tap: called once per request, after the response ended, off the response's critical path. */
export class Accounting {
  /**
   * Recent decision records in memory. With a ledger, the ledger serves every record, those still on their way to
   * the database included; the log then only bridges the moment before a record is built (a key lookup), so it is
   * kept small: thousands of records held for seconds each were copied out of the young generation and collected
   * again from the old one (a few percent of a busy gateway's CPU, measured side by side).
   */
  readonly decisions: DecisionLog;
  /** The one-line-per-request log (see AccessLog: ids, counts and codes only, written without pino's generic path). */
  private readonly accessLog: AccessLog;

  /** `ledger`: the durable usage ledger (docs/ledger.md); without it only logs, metrics and the in-memory log. */
  constructor(
    readonly metrics: GatewayMetrics,
    readonly ledger: Ledger | undefined,
    logger: Logger,
  ) {
    this.accessLog = new AccessLog(logger);
    this.decisions = new DecisionLog(ledger ? DECISIONS_WITH_LEDGER : DECISIONS_WITHOUT_LEDGER);
  }

  /** Writes the access lines still queued (at shutdown). */
  flushLog(): void {
    this.accessLog.flush();
  }

  /** Where a model response reports what it sends, for the ledger (aborted streams, stored completions). */
  tapFor(req: FastifyRequest): ResponseTap | undefined {
    return this.ledger?.tapFor(req);
  }

  /** A model request refused before routing (budget, rate limit, policy, bad body): recorded in the ledger only. */
  refused(req: FastifyRequest, reply: FastifyReply, error: GatewayError): void {
    this.ledger?.refused(req, error, reply.elapsedTime);
  }

  private decision(req: FastifyRequest, outcome: RequestOutcome): DecisionRecord {
    // Built field by field (no spreads of conditional objects, no array copies): this runs for every request.
    const attempts = outcome.attempts;
    let resumed = false;
    let brokenAfterContent = false;
    let servedAttempt: AttemptRecord | undefined;
    for (let i = attempts.length - 1; i >= 0; i--) {
      const a = attempts[i]!;
      if (a.outcome === 'ok') {
        servedAttempt ??= a;
        if (a.phase === 'resume') resumed = true;
      }
      if (a.deliveredChars !== undefined) brokenAfterContent = true;
    }
    const ok = outcome.status < 400;
    const summary = outcome.plan ? planSummary(outcome.plan) : undefined;
    const record: DecisionRecord = {
      requestId: req.id,
      at: isoTimestamp(),
      route: outcome.route,
      stream: outcome.stream,
      requestedModel: (req.body as { model?: string } | undefined)?.model ?? outcome.model,
      candidates: summary?.candidates ?? 0,
      exclusions: summary?.exclusions ?? [],
      plan: summary?.plan ?? [],
      attempts,
      outcome: outcome.status === 499 ? 'aborted' : ok ? (resumed ? 'resumed' : 'ok') : brokenAfterContent ? 'broken' : 'error',
      status: outcome.status,
    };
    if (servedAttempt) record.served = { provider: servedAttempt.provider, model: servedAttempt.model };
    if (outcome.error) record.errorCode = outcome.error.code;
    if (outcome.warnings && outcome.warnings.length > 0) record.warnings = outcome.warnings;
    return record;
  }

  /**
   * Records a request: decision log, ledger, budget settlement, log line and metrics. The work runs right after the
   * current I/O callbacks (setImmediate), so that the answer reaches the socket first; it still runs before the
   * gateway reads the client's next request, and the ledger's `flush` waits for it.
   */
  record(req: FastifyRequest, outcome: RequestOutcome): void {
    const durationMs = performance.now() - outcome.startedAt;
    const release = this.ledger?.hold(req);
    // One callback per event-loop turn for all the requests that ended in it, not one each.
    if (this.queued.length === 0) setImmediate(this.recordQueued);
    this.queued.push({ req, outcome, durationMs, release });
  }

  private queued: QueuedRecord[] = [];

  private readonly recordQueued = (): void => {
    const items = this.queued;
    this.queued = [];
    for (const { req, outcome, durationMs, release } of items) {
      try {
        this.recordNow(req, outcome, durationMs);
      } catch (err) {
        req.log.error({ err: (err as Error).message }, 'could not record the request');
      } finally {
        release?.();
      }
    }
  };

  private recordNow(req: FastifyRequest, outcome: RequestOutcome, durationMs: number): void {
    const decision = this.decision(req, outcome);
    this.decisions.add(decision);
    this.ledger?.record(req, outcome, decision, durationMs);
    if (outcome.admission) {
      const nano = outcome.cost?.status === 'priced' ? outcome.cost.nano : undefined;
      outcome.admission.finish(nano, outcome.usage?.outputTokens).catch((err: unknown) => {
        req.log.error({ err: (err as Error).message }, 'could not settle the budget reservation');
      });
    }
    this.logAndCount(req, outcome, durationMs);
  }

  private logAndCount(req: FastifyRequest, outcome: RequestOutcome, durationMs: number): void {
    const { usage, cost } = outcome;
    // The line is only built when it will be written.
    const log = this.accessLog;
    if (log.enabled) {
      log.write({
        requestId: req.id,
        route: outcome.route,
        model: outcome.model,
        provider: outcome.provider,
        attempts: outcome.attempts.length,
        status: outcome.status,
        durationMs: Math.round(durationMs),
        inputTokens: usage?.inputTokens,
        outputTokens: usage?.outputTokens,
        costUsd: cost?.usd,
        errorCode: outcome.error?.code,
        warnings: outcome.warnings && outcome.warnings.length > 0 ? outcome.warnings : undefined,
      });
    }
    const m = this.metrics;
    m.requests.inc([outcome.route, outcome.model, outcome.provider, GatewayMetrics.statusClass(outcome.status)]);
    m.requestDuration.observe([outcome.route, outcome.stream ? 'true' : 'false'], durationMs / 1000);
    for (const attempt of outcome.attempts) {
      if (attempt.outcome === 'error') m.upstreamErrors.inc([attempt.provider, attempt.errorCode ?? 'unknown']);
    }
    if (cost?.status === 'unpriced' && outcome.status < 400) m.unpriced.inc([outcome.provider, outcome.model]);
    if (usage && outcome.provider) {
      const { provider, model } = outcome;
      if (usage.inputTokens) m.tokens.inc([provider, model, 'input'], usage.inputTokens);
      if (usage.cachedInputTokens) m.tokens.inc([provider, model, 'cached_input'], usage.cachedInputTokens);
      if (usage.outputTokens) m.tokens.inc([provider, model, 'output'], usage.outputTokens);
      if (usage.reasoningTokens) m.tokens.inc([provider, model, 'reasoning'], usage.reasoningTokens);
    }
  }
}
