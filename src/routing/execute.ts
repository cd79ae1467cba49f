import {
  GatewayError,
  eventBatches,
  isContentEvent,
  type ChatRequest,
  type ChatResponse,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type StreamEvent,
} from '../canonical/index.js';
import type { Dialect } from '../catalog/types.js';
import type { AdapterCall, CancelSignal, ProviderAdapter } from '../providers/types.js';
import { hostKey } from './host-key.js';
import type { AttemptOutcome } from './outcome.js';
import type { PlannedAttempt } from './planner.js';
import { backoffMs, RetryBudget } from './retry-budget.js';
import { resumeStream, type ResumeContext } from './resume.js';

export interface AttemptRecord {
  provider: string;
  model: string;
  outcome: 'ok' | 'error' | 'skipped';
  /** initial: the plan's order; retry: a later round; resume: continuing a broken stream with a prefill. */
  phase: 'initial' | 'retry' | 'resume';
  errorCode?: string;
  upstreamStatus?: number;
  message?: string;
  /** Milliseconds since the request started. */
  startMs: number;
  durationMs: number;
  ttftMs?: number;
  /** For a stream that broke after content: output the host produced (and likely billed), estimated from the text. */
  deliveredChars?: number;
}

/** What the executor reports to host health (implemented by routing/health.ts). */
export interface HealthRecorder {
  /** A slot for an attempt; `force` for a host that is the plan's last resort. Pair with record() or release(). */
  acquire(key: string, options?: { force?: boolean }): boolean;
  release(key: string): void;
  record(key: string, outcome: AttemptOutcome): unknown;
}

export interface ExecutionContext {
  requestId: string;
  signal: CancelSignal;
  /** Collects the warnings of the attempts (x-switchboard-warnings). */
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
  /** The rest of the stream, a batch at a time; continues on another host if the first breaks and resumption is possible. */
  rest: AsyncIterator<StreamEvent[]>;
}

export type AdapterSet = Readonly<Partial<Record<Dialect, ProviderAdapter>>>;

export interface ExecutorOptions {
  health?: HealthRecorder;
  /** Passes over the plan after the first (hosts that failed in a way a retry may fix). */
  retryRounds?: number;
  /** Overall deadline of one request, all attempts and waits included. */
  deadlineMs?: number;
  /** Continue a stream broken after content on a host that accepts a prefill. */
  resumeStreams?: boolean;
  budget?: RetryBudget;
  random?: () => number;
  sleep?: (ms: number, signal: CancelSignal) => Promise<void>;
  now?: () => number;
}

/** Thrown when every attempt failed; carries the attempts for the decision record. */
export class AttemptsExhausted extends GatewayError {
  constructor(
    last: GatewayError,
    readonly attempts: AttemptRecord[],
  ) {
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

export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal_error', 'the gateway failed to handle the upstream exchange', { cause: err });
}

function defaultSleep(ms: number, signal: CancelSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Errors that mean the host said nothing in time: it is not asked again within this request. */
function isSilence(error: GatewayError): boolean {
  return error.code === 'upstream_timeout' || error.code === 'upstream_unavailable';
}

/** One step of a walk: an attempt to make, or a backoff to wait out first. */
type AttemptStep = { attempt: PlannedAttempt; phase: 'initial' | 'retry' } | { wait: number };

/** Bookkeeping for one request's walk through its plan. */
class Walk {
  readonly records: AttemptRecord[] = [];
  last: GatewayError | undefined;
  /** After a context-length error: only hosts with a larger window are worth trying. */
  minContext = 0;
  readonly silent = new Set<string>();
  readonly rateLimited = new Set<string>();
  /** Hosts that failed in a way another try may fix, for the next round. */
  readonly retryable: PlannedAttempt[] = [];
  stop = false;

  constructor(
    readonly started: number,
    readonly deadline: number,
  ) {}
}

/**
 * Runs a plan's attempts: in plan order first, then up to `retryRounds` more passes over the hosts whose failure a
 * retry may fix, with exponential backoff and jitter, all inside one deadline and a shared retry budget. A host
 * that stayed silent is not asked again; a provider that rate-limited is not asked again in this request; an error
 * no host can fix (a bad request) ends the walk; a context-length error moves on only to larger windows. Streams
 * are peeked until their first content, so a host failing before it falls back without the client seeing anything.
 */
export class Executor {
  private readonly budget: RetryBudget;
  private readonly retryRounds: number;
  private readonly deadlineMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal: CancelSignal) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly adapters: AdapterSet,
    private readonly options: ExecutorOptions = {},
  ) {
    this.budget = options.budget ?? new RetryBudget();
    this.retryRounds = options.retryRounds ?? 2;
    this.deadlineMs = options.deadlineMs ?? 600_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? (() => performance.now());
  }

  adapterFor(attempt: PlannedAttempt): ProviderAdapter {
    const adapter = this.adapters[attempt.host.provider.type];
    if (!adapter) throw new GatewayError('internal_error', `no adapter for dialect ${attempt.host.provider.type}`);
    return adapter;
  }

  call(attempt: PlannedAttempt, ctx: ExecutionContext): AdapterCall {
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

  private key(attempt: PlannedAttempt): string {
    return hostKey(attempt.host.provider.id, attempt.host.upstreamModel);
  }

  /**
   * Yields the attempts to make, in order, deciding between them whether to go on: the loop body reports each
   * outcome through `walk`. Handles rounds, backoff, the deadline, the retry budget and the breaker's probe slots.
   * A backoff is yielded as `{ wait }` for the loop to sleep: a synchronous generator costs no promise per step,
   * and nearly every request is one attempt with no wait.
   */
  private *attempts(plan: PlannedAttempt[], ctx: ExecutionContext, walk: Walk): Generator<AttemptStep> {
    let round: PlannedAttempt[] = plan;
    for (let r = 0; r <= this.retryRounds && round.length > 0; r++) {
      if (r > 0) {
        const wait = backoffMs(r - 1, this.random);
        if (this.now() + wait >= walk.deadline) return;
        yield { wait };
      }
      const next: PlannedAttempt[] = [];
      walk.retryable.length = 0;
      for (let i = 0; i < round.length; i++) {
        const attempt = round[i]!;
        if (walk.stop || ctx.signal.aborted || this.now() >= walk.deadline) return;
        const key = this.key(attempt);
        const context = attempt.host.contextLength ?? attempt.model.contextLength ?? Number.MAX_SAFE_INTEGER;
        if (walk.silent.has(key) || walk.rateLimited.has(attempt.host.provider.id) || context <= walk.minContext) continue;
        const isRetry = walk.records.some((rec) => rec.outcome === 'error');
        if (isRetry && !this.budget.tryRetry()) {
          walk.records.push(this.skipped(attempt, walk, 'retry budget exhausted'));
          return;
        }
        try {
          const health = this.options.health;
          // The last host of a round is tried even with its breaker open: never every host of a model at once.
          if (health && !health.acquire(key) && !(i === round.length - 1 && !walk.records.some((rec) => rec.outcome === 'ok') && health.acquire(key, { force: true }))) {
            walk.records.push(this.skipped(attempt, walk, 'breaker open, probe already in flight'));
            continue;
          }
          yield { attempt, phase: r === 0 ? 'initial' : 'retry' };
        } finally {
          if (isRetry) this.budget.retryEnded();
        }
      }
      next.push(...walk.retryable);
      round = next;
    }
  }

  private skipped(attempt: PlannedAttempt, walk: Walk, message: string): AttemptRecord {
    const startMs = Math.round(this.now() - walk.started);
    return { provider: attempt.host.provider.id, model: attempt.model.id, outcome: 'skipped', phase: 'retry', message, startMs, durationMs: 0 };
  }

  private succeeded(walk: Walk, attempt: PlannedAttempt, phase: AttemptRecord['phase'], started: number, ttftMs?: number): void {
    walk.records.push({
      provider: attempt.host.provider.id,
      model: attempt.model.id,
      outcome: 'ok',
      phase,
      startMs: Math.round(started - walk.started),
      durationMs: Math.round(this.now() - started),
      ...(ttftMs !== undefined ? { ttftMs } : {}),
    });
  }

  /** Records a failed attempt and decides what the rest of the walk may still try. */
  private failed(walk: Walk, attempt: PlannedAttempt, phase: AttemptRecord['phase'], started: number, error: GatewayError, signal: CancelSignal): void {
    walk.last = error;
    walk.records.push({
      provider: attempt.host.provider.id,
      model: attempt.model.id,
      outcome: 'error',
      phase,
      errorCode: error.code,
      ...(error.upstreamStatus !== undefined ? { upstreamStatus: error.upstreamStatus } : {}),
      message: error.message,
      startMs: Math.round(started - walk.started),
      durationMs: Math.round(this.now() - started),
    });
    const key = this.key(attempt);
    if (signal.aborted) {
      this.options.health?.release(key);
    } else {
      this.options.health?.record(key, {
        ok: false,
        providerId: attempt.host.provider.id,
        errorCode: error.code,
        upstreamStatus: error.upstreamStatus,
        latencyMs: this.now() - started,
        retryAfterSeconds: error.retryAfterSeconds,
      });
    }
    if (signal.aborted) {
      walk.stop = true;
    } else if (error.code === 'context_length_exceeded') {
      walk.minContext = Math.max(walk.minContext, attempt.host.contextLength ?? attempt.model.contextLength ?? Number.MAX_SAFE_INTEGER);
    } else if (!error.retryableUpstream) {
      walk.stop = true;
    } else if (error.code === 'upstream_rate_limited') {
      walk.rateLimited.add(attempt.host.provider.id);
    } else if (isSilence(error)) {
      walk.silent.add(key);
    } else {
      walk.retryable.push(attempt);
    }
  }

  private finish(walk: Walk, signal: CancelSignal): never {
    if (signal.aborted) throw new AttemptsExhausted(new GatewayError('stream_interrupted', 'the client closed the connection', { retryableUpstream: false }), walk.records);
    if (!walk.last && this.now() >= walk.deadline) throw new AttemptsExhausted(new GatewayError('upstream_timeout', 'the request deadline passed before any host answered'), walk.records);
    throw new AttemptsExhausted(walk.last ?? new GatewayError('upstream_unavailable', 'no host could serve the request'), walk.records);
  }

  private newWalk(): Walk {
    const started = this.now();
    return new Walk(started, started + this.deadlineMs);
  }

  async chat(request: ChatRequest, plan: PlannedAttempt[], ctx: ExecutionContext): Promise<ChatOutcome> {
    const walk = this.newWalk();
    this.budget.requestStarted();
    try {
      for (const step of this.attempts(plan, ctx, walk)) {
        if ('wait' in step) {
          await this.sleep(step.wait, ctx.signal);
          continue;
        }
        const { attempt, phase } = step;
        const started = this.now();
        try {
          const response = await this.adapterFor(attempt).chat(request, this.call(attempt, ctx));
          this.succeeded(walk, attempt, phase, started);
          this.options.health?.record(this.key(attempt), {
            ok: true,
            providerId: attempt.host.provider.id,
            latencyMs: this.now() - started,
            outputTokens: response.usage.outputTokens,
          });
          return { response, attempt, attempts: walk.records };
        } catch (err) {
          this.failed(walk, attempt, phase, started, asGatewayError(err), ctx.signal);
        }
      }
      return this.finish(walk, ctx.signal);
    } finally {
      this.budget.requestEnded();
    }
  }

  async chatStream(request: ChatRequest, plan: PlannedAttempt[], ctx: ExecutionContext): Promise<StreamOutcome> {
    const walk = this.newWalk();
    this.budget.requestStarted();
    let handedOff = false;
    try {
      for (const step of this.attempts(plan, ctx, walk)) {
        if ('wait' in step) {
          await this.sleep(step.wait, ctx.signal);
          continue;
        }
        const { attempt, phase } = step;
        const started = this.now();
        const peeked = await this.peek(request, attempt, ctx);
        if ('error' in peeked) {
          this.failed(walk, attempt, phase, started, peeked.error, ctx.signal);
          continue;
        }
        const ttftMs = Math.round(this.now() - started);
        this.succeeded(walk, attempt, phase, started, ttftMs);
        const resume: ResumeContext = {
          executor: this,
          request,
          plan,
          served: attempt,
          ctx,
          records: walk.records,
          walkStarted: walk.started,
          enabled: this.options.resumeStreams ?? true,
          now: this.now,
          health: this.options.health,
          attemptStarted: started,
          ttftMs,
          initialText: peeked.head.map((e) => (e.type === 'text-delta' ? e.text : '')).join(''),
          onEnd: () => this.budget.requestEnded(),
        };
        handedOff = true;
        return { head: peeked.head, rest: resumeStream(peeked.iterator, peeked.pending, resume), attempt, attempts: walk.records };
      }
      return this.finish(walk, ctx.signal);
    } finally {
      if (!handedOff) this.budget.requestEnded();
    }
  }

  /**
   * Opens a stream and reads it up to its first content; an error before that is the attempt's failure. Events read
   * in the same batch after the first content are handed back as `pending`, to be forwarded before the rest.
   */
  async peek(
    request: ChatRequest,
    attempt: PlannedAttempt,
    ctx: ExecutionContext,
  ): Promise<{ head: StreamEvent[]; pending: StreamEvent[]; iterator: AsyncIterator<StreamEvent[]> } | { error: GatewayError }> {
    let iterator: AsyncIterator<StreamEvent[]>;
    try {
      iterator = eventBatches(await this.adapterFor(attempt).chatStream(request, this.call(attempt, ctx)));
    } catch (err) {
      return { error: asGatewayError(err) };
    }
    const head: StreamEvent[] = [];
    for (;;) {
      let next: IteratorResult<StreamEvent[]>;
      try {
        next = await iterator.next();
      } catch (err) {
        return { error: asGatewayError(err) };
      }
      if (next.done) return { head, pending: [], iterator };
      const batch = next.value;
      for (let i = 0; i < batch.length; i++) {
        const event = batch[i]!;
        if (event.type === 'error') {
          await iterator.return?.();
          return { error: event.error };
        }
        head.push(event);
        if (isContentEvent(event) || event.type === 'finish') return { head, pending: batch.slice(i + 1), iterator };
      }
    }
  }

  async embeddings(request: EmbeddingsRequest, plan: PlannedAttempt[], ctx: ExecutionContext): Promise<{ response: EmbeddingsResponse } & Served> {
    const walk = this.newWalk();
    this.budget.requestStarted();
    try {
      for (const step of this.attempts(plan, ctx, walk)) {
        if ('wait' in step) {
          await this.sleep(step.wait, ctx.signal);
          continue;
        }
        const { attempt, phase } = step;
        const adapter = this.adapterFor(attempt);
        if (!adapter.embeddings) {
          this.options.health?.release(this.key(attempt));
          continue;
        }
        const started = this.now();
        try {
          const response = await adapter.embeddings(request, this.call(attempt, ctx));
          this.succeeded(walk, attempt, phase, started);
          this.options.health?.record(this.key(attempt), { ok: true, providerId: attempt.host.provider.id, latencyMs: this.now() - started });
          return { response, attempt, attempts: walk.records };
        } catch (err) {
          this.failed(walk, attempt, phase, started, asGatewayError(err), ctx.signal);
        }
      }
      return this.finish(walk, ctx.signal);
    } finally {
      this.budget.requestEnded();
    }
  }
}
