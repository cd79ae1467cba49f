import { GatewayError, isContentEvent, type ChatRequest, type ChatResponse, type EmbeddingsRequest, type EmbeddingsResponse, type StreamEvent } from '../canonical/index.js';
import type { Dialect } from '../catalog/types.js';
import type { AdapterCall, ProviderAdapter } from '../providers/types.js';
import type { PlannedAttempt } from './plan.js';

export interface AttemptRecord {
  provider: string;
  model: string;
  outcome: 'ok' | 'error';
  errorCode?: string;
  upstreamStatus?: number;
  durationMs: number;
}

export interface ExecutionContext {
  requestId: string;
  signal: AbortSignal;
  /** Collects the warnings of the attempt that answers (x-switchboard-warnings). */
  warnings?: string[];
}

export interface Served {
  attempt: PlannedAttempt;
  attempts: AttemptRecord[];
}

export interface ChatOutcome extends Served {
  response: ChatResponse;
}

export interface StreamOutcome extends Served {
  /** The events read while peeking, to be sent first. */
  head: StreamEvent[];
  /** The rest of the stream. */
  rest: AsyncIterator<StreamEvent>;
}

export type AdapterSet = Readonly<Partial<Record<Dialect, ProviderAdapter>>>;

/** Thrown when every attempt failed; carries the attempts for the decision record. */
export class AttemptsExhausted extends GatewayError {
  constructor(last: GatewayError, readonly attempts: AttemptRecord[]) {
    super(last.code, last.message, {
      provider: last.provider,
      status: last.status,
      retryAfterSeconds: last.retryAfterSeconds,
      upstreamStatus: last.upstreamStatus,
      param: last.param,
      retryableUpstream: last.retryableUpstream,
    });
  }
}

/**
 * Runs a plan's attempts in order. A failure that another host might not have (5xx, 429, timeouts) moves on
 * to the next attempt; one that no host can fix (a bad request) ends at once. Streams are peeked until their
 * first content, so that a host failing before it falls back without the client seeing anything.
 */
export class Executor {
  constructor(private readonly adapters: AdapterSet) {}

  private adapterFor(attempt: PlannedAttempt): ProviderAdapter {
    const adapter = this.adapters[attempt.host.provider.type];
    if (!adapter) throw new GatewayError('internal_error', `no adapter for dialect ${attempt.host.provider.type}`);
    return adapter;
  }

  private call(attempt: PlannedAttempt, ctx: ExecutionContext): AdapterCall {
    const warnings = ctx.warnings;
    return {
      route: attempt.host,
      signal: ctx.signal,
      requestId: ctx.requestId,
      warn: (message) => {
        if (warnings && !warnings.includes(message)) warnings.push(message);
      },
    };
  }

  private record(records: AttemptRecord[], attempt: PlannedAttempt, started: number, error?: GatewayError): void {
    records.push({
      provider: attempt.host.provider.id,
      model: attempt.model.id,
      outcome: error ? 'error' : 'ok',
      ...(error ? { errorCode: error.code, upstreamStatus: error.upstreamStatus } : {}),
      durationMs: Math.round(performance.now() - started),
    });
  }

  private giveUp(last: GatewayError | undefined, records: AttemptRecord[], signal: AbortSignal): never {
    if (signal.aborted) throw new AttemptsExhausted(new GatewayError('stream_interrupted', 'the client closed the connection', { retryableUpstream: false }), records);
    throw new AttemptsExhausted(last ?? new GatewayError('upstream_unavailable', 'no host could serve the request'), records);
  }

  private shouldMoveOn(error: GatewayError, signal: AbortSignal): boolean {
    return error.retryableUpstream && !signal.aborted;
  }

  async chat(request: ChatRequest, plan: PlannedAttempt[], ctx: ExecutionContext): Promise<ChatOutcome> {
    const records: AttemptRecord[] = [];
    let last: GatewayError | undefined;
    for (const attempt of plan) {
      const started = performance.now();
      try {
        const response = await this.adapterFor(attempt).chat(request, this.call(attempt, ctx));
        this.record(records, attempt, started);
        return { response, attempt, attempts: records };
      } catch (err) {
        last = asGatewayError(err);
        this.record(records, attempt, started, last);
        if (!this.shouldMoveOn(last, ctx.signal)) break;
      }
    }
    return this.giveUp(last, records, ctx.signal);
  }

  async chatStream(request: ChatRequest, plan: PlannedAttempt[], ctx: ExecutionContext): Promise<StreamOutcome> {
    const records: AttemptRecord[] = [];
    let last: GatewayError | undefined;
    for (const attempt of plan) {
      const started = performance.now();
      let iterator: AsyncIterator<StreamEvent>;
      try {
        const events = await this.adapterFor(attempt).chatStream(request, this.call(attempt, ctx));
        iterator = events[Symbol.asyncIterator]();
      } catch (err) {
        last = asGatewayError(err);
        this.record(records, attempt, started, last);
        if (!this.shouldMoveOn(last, ctx.signal)) break;
        continue;
      }
      const head: StreamEvent[] = [];
      let failed: GatewayError | undefined;
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const event = next.value;
        if (event.type === 'error') {
          failed = event.error;
          break;
        }
        head.push(event);
        if (isContentEvent(event) || event.type === 'finish') break;
      }
      if (failed) {
        last = failed;
        this.record(records, attempt, started, failed);
        await iterator.return?.();
        if (!this.shouldMoveOn(failed, ctx.signal)) break;
        continue;
      }
      this.record(records, attempt, started);
      return { head, rest: iterator, attempt, attempts: records };
    }
    return this.giveUp(last, records, ctx.signal);
  }

  async embeddings(request: EmbeddingsRequest, plan: PlannedAttempt[], ctx: ExecutionContext): Promise<{ response: EmbeddingsResponse } & Served> {
    const records: AttemptRecord[] = [];
    let last: GatewayError | undefined;
    for (const attempt of plan) {
      const adapter = this.adapterFor(attempt);
      if (!adapter.embeddings) continue;
      const started = performance.now();
      try {
        const response = await adapter.embeddings(request, this.call(attempt, ctx));
        this.record(records, attempt, started);
        return { response, attempt, attempts: records };
      } catch (err) {
        last = asGatewayError(err);
        this.record(records, attempt, started, last);
        if (!this.shouldMoveOn(last, ctx.signal)) break;
      }
    }
    return this.giveUp(last, records, ctx.signal);
  }
}

export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal_error', 'the gateway failed to handle the upstream exchange', { cause: err });
}
