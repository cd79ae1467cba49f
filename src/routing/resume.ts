import { GatewayError, type ChatRequest, type StreamEvent } from '../canonical/index.js';
import type { PrefillMode } from '../catalog/types.js';
import type { AttemptRecord, ExecutionContext, Executor, HealthRecorder } from './execute.js';
import { hostKey } from './host-key.js';
import type { PlannedAttempt } from './planner.js';

/** Prefill mechanisms a resumption can use (a host marked `none`, or of unknown ability, is never asked). */
const RESUMABLE: ReadonlySet<PrefillMode> = new Set(['prefix', 'partial', 'continue_final_message', 'trailing_assistant']);

export interface ResumeContext {
  executor: Executor;
  request: ChatRequest;
  plan: PlannedAttempt[];
  served: PlannedAttempt;
  ctx: ExecutionContext;
  records: AttemptRecord[];
  walkStarted: number;
  enabled: boolean;
  now: () => number;
  health?: HealthRecorder;
  attemptStarted: number;
  ttftMs: number;
  /** Text already delivered in the peeked head. */
  initialText?: string;
  onEnd: () => void;
}

/** The request that asks another host to continue `delivered` as the assistant's own words. */
export function continuationRequest(request: ChatRequest, delivered: string): ChatRequest {
  return {
    ...request,
    stream: true,
    messages: [...request.messages, { role: 'assistant', content: delivered, prefix: true }],
  };
}

/**
 * Forwards a committed stream and, if it breaks after content reached the client, continues it on another host
 * that accepts an assistant prefill: that host gets the conversation plus the text already delivered and streams the
 * rest into the same response. Only text can be continued — a break inside a tool call's arguments, or a stream
 * with no host able to continue it, ends with the original error (never with the prefill's refusal, which would hide
 * the real failure). The continuation's reasoning is not forwarded: the client already saw the first host's.
 */
export async function* resumeStream(first: AsyncIterator<StreamEvent[]>, pending: StreamEvent[], rc: ResumeContext): AsyncGenerator<StreamEvent[]> {
  let current = first;
  let queued: StreamEvent[] | undefined = pending.length > 0 ? pending : undefined;
  let attempt = rc.served;
  let started = rc.attemptStarted;
  let ttftMs = rc.ttftMs;
  // The delivered text is kept only when some other host of the plan could continue it: held for the whole stream,
  // its pieces (slices of the network reads) kept every read alive through each garbage collection.
  const servedKey = hostKey(rc.served.host.provider.id, rc.served.host.upstreamModel);
  const keepText = rc.enabled && rc.plan.some((c) => canContinue(c, servedKey));
  let delivered = keepText ? (rc.initialText ?? '') : '';
  let deliveredChars = rc.initialText?.length ?? 0;
  let toolCalls = false;
  let resumed = false;
  let outputTokens: number | undefined;
  let done = false;
  /** Whitespace already delivered that a host receiving a trimmed prefill will write again. */
  let repeatWhitespace = '';
  const dropRepeated = (text: string): string => {
    let i = 0;
    while (i < text.length && i < repeatWhitespace.length && text[i] === repeatWhitespace[i]) i++;
    repeatWhitespace = i === text.length ? repeatWhitespace.slice(i) : '';
    return text.slice(i);
  };
  try {
    for (;;) {
      let batch: StreamEvent[];
      if (queued) {
        batch = queued;
        queued = undefined;
      } else {
        const next = await current.next();
        if (next.done) {
          done = true;
          rc.health?.record(hostKey(attempt.host.provider.id, attempt.host.upstreamModel), {
            ok: true,
            providerId: attempt.host.provider.id,
            latencyMs: rc.now() - started,
            ttftMs,
            outputTokens,
          });
          return;
        }
        batch = next.value;
      }
      // The batch goes on as it came unless an event must be dropped or changed: then `kept` is built.
      let kept: StreamEvent[] | undefined;
      let broken: GatewayError | undefined;
      for (let i = 0; i < batch.length; i++) {
        const event = batch[i]!;
        switch (event.type) {
          case 'text-delta':
            if (repeatWhitespace) {
              const text = dropRepeated(event.text);
              if (text !== event.text) {
                kept ??= batch.slice(0, i);
                if (text) {
                  delivered += text;
                  deliveredChars += text.length;
                  kept.push({ ...event, text });
                }
                continue;
              }
            }
            if (keepText) delivered += event.text;
            deliveredChars += event.text.length;
            break;
          case 'tool-call-delta':
            toolCalls = true;
            break;
          case 'usage':
            outputTokens = event.usage.outputTokens;
            break;
          case 'start':
          case 'reasoning-delta':
          case 'reasoning-detail':
            if (resumed) {
              kept ??= batch.slice(0, i);
              continue;
            }
            break;
          case 'error':
            broken = event.error;
            kept ??= batch.slice(0, i);
            break;
        }
        if (broken) break;
        kept?.push(event);
      }
      const forward = kept ?? batch;
      if (forward.length > 0) yield forward;
      if (!broken) continue;

      markBroken(rc, attempt, started, broken, deliveredChars);
      const eligible = keepText && !toolCalls && broken.retryableUpstream && !rc.ctx.signal.aborted && deliveredChars > 0;
      const next2 = eligible ? await continueElsewhere(rc, attempt, delivered) : undefined;
      if (!next2) {
        done = true;
        yield [{ type: 'error', error: annotate(broken, rc.enabled, toolCalls) }];
        return;
      }
      current = next2.iterator;
      attempt = next2.attempt;
      started = next2.started;
      ttftMs = next2.ttftMs;
      resumed = true;
      // Anthropic-style prefills are sent without trailing whitespace (the API rejects it), so the continuation
      // starts by writing that whitespace again: it was delivered already.
      repeatWhitespace = attempt.host.prefill === 'trailing_assistant' ? delivered.slice(delivered.trimEnd().length) : '';
      // The continuation's head goes through the same filter as every later batch (its start and reasoning are
      // dropped, repeated whitespace trimmed, its text counted).
      queued = next2.head.concat(next2.pending);
    }
  } finally {
    if (!done) {
      // The client went away mid-stream: the host did nothing wrong, and its probe slot (if any) is freed.
      rc.health?.release(hostKey(attempt.host.provider.id, attempt.host.upstreamModel));
      await current.return?.();
    }
    rc.onEnd();
  }
}

function annotate(error: GatewayError, enabled: boolean, toolCalls: boolean): GatewayError {
  if (!enabled) return error;
  const why = toolCalls ? 'it broke inside a tool call, which cannot be continued' : 'no host able to continue it was available';
  return new GatewayError(error.code, `${error.message} (the stream was not resumed: ${why})`, {
    provider: error.provider,
    upstreamStatus: error.upstreamStatus,
    retryableUpstream: error.retryableUpstream,
  });
}

function markBroken(rc: ResumeContext, attempt: PlannedAttempt, started: number, error: GatewayError, deliveredChars: number): void {
  const record = rc.records.findLast((r) => r.provider === attempt.host.provider.id && r.model === attempt.model.id && r.outcome === 'ok');
  if (record) {
    record.outcome = 'error';
    record.errorCode = error.code;
    record.message = `broke after content: ${error.message}`;
    record.durationMs = Math.round(rc.now() - started);
    record.deliveredChars = deliveredChars;
  }
  const key = hostKey(attempt.host.provider.id, attempt.host.upstreamModel);
  if (rc.ctx.signal.aborted) rc.health?.release(key);
  else rc.health?.record(key, { ok: false, providerId: attempt.host.provider.id, errorCode: error.code, upstreamStatus: error.upstreamStatus, latencyMs: rc.now() - started });
}

/** Whether `candidate` could continue a stream that broke on the host `brokenKey`: another host that takes a prefill. */
function canContinue(candidate: PlannedAttempt, brokenKey: string): boolean {
  const prefill = candidate.host.prefill;
  return prefill !== undefined && RESUMABLE.has(prefill) && hostKey(candidate.host.provider.id, candidate.host.upstreamModel) !== brokenKey;
}

async function continueElsewhere(
  rc: ResumeContext,
  broken: PlannedAttempt,
  delivered: string,
): Promise<{ iterator: AsyncIterator<StreamEvent[]>; head: StreamEvent[]; pending: StreamEvent[]; attempt: PlannedAttempt; started: number; ttftMs: number } | undefined> {
  const brokenKey = hostKey(broken.host.provider.id, broken.host.upstreamModel);
  const request = continuationRequest(rc.request, delivered);
  for (const candidate of rc.plan) {
    if (!canContinue(candidate, brokenKey)) continue;
    const key = hostKey(candidate.host.provider.id, candidate.host.upstreamModel);
    if (rc.ctx.signal.aborted) return undefined;
    if (rc.health && !rc.health.acquire(key)) continue;
    const started = rc.now();
    const peeked = await rc.executor.peek(request, candidate, rc.ctx);
    const startMs = Math.round(started - rc.walkStarted);
    if ('error' in peeked) {
      rc.records.push({
        provider: candidate.host.provider.id,
        model: candidate.model.id,
        outcome: 'error',
        phase: 'resume',
        errorCode: peeked.error.code,
        message: `resumption refused: ${peeked.error.message}`,
        startMs,
        durationMs: Math.round(rc.now() - started),
      });
      rc.health?.record(key, { ok: false, providerId: candidate.host.provider.id, errorCode: peeked.error.code, upstreamStatus: peeked.error.upstreamStatus });
      continue;
    }
    const ttftMs = Math.round(rc.now() - started);
    rc.records.push({ provider: candidate.host.provider.id, model: candidate.model.id, outcome: 'ok', phase: 'resume', startMs, durationMs: 0, ttftMs });
    return { ...peeked, attempt: candidate, started, ttftMs };
  }
  return undefined;
}
