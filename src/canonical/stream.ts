import type { ReasoningDetail } from './request.js';
import type { FinishReason } from './response.js';
import type { Usage } from './usage.js';
import type { GatewayError } from './errors.js';

/**
 * Stream events: what every adapter yields and every surface encodes.
 * Tool-call deltas carry the call's position (`index`); `id` and `name` arrive once, on the first delta.
 */
export type StreamEvent =
  | { type: 'start'; id?: string; created?: number; upstreamModel?: string; systemFingerprint?: string }
  | { type: 'text-delta'; text: string; logprobs?: unknown }
  | { type: 'reasoning-delta'; text: string }
  /** A signature, encrypted reasoning or summary: state the client must hand back on its next turn. */
  | { type: 'reasoning-detail'; detail: ReasoningDetail }
  | { type: 'refusal-delta'; text: string }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'finish'; reason: FinishReason; raw?: string; stopSequence?: string }
  | { type: 'usage'; usage: Usage }
  | { type: 'error'; error: GatewayError };

/** True for events that carry something the client will see as content (not a role-only or bookkeeping event). */
export function isContentEvent(event: StreamEvent): boolean {
  switch (event.type) {
    case 'text-delta':
    case 'reasoning-delta':
    case 'refusal-delta':
      return event.text.length > 0;
    case 'tool-call-delta':
      return true;
    default:
      return false;
  }
}

/**
 * A stream of events that can also be read a batch at a time (one batch per network read). Iterating it yields the
 * events one by one; the gateway's own stream path reads batches, so that a 100-event answer read in one packet
 * pays one step of each async stage rather than a hundred.
 */
export interface BatchedEventStream extends AsyncIterable<StreamEvent> {
  batches(): AsyncIterator<StreamEvent[]>;
}

/** Wraps a generator of event batches (empty batches allowed) as a stream readable either way. */
export function batchedEventStream(batches: AsyncGenerator<StreamEvent[]>): BatchedEventStream {
  return {
    batches: () => batches,
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches) yield* batch;
    },
  };
}

/** Reads any event stream a batch at a time: its own batches when it has them, else one event per batch. */
export function eventBatches(stream: AsyncIterable<StreamEvent>): AsyncIterator<StreamEvent[]> {
  if ('batches' in stream && typeof (stream as BatchedEventStream).batches === 'function') return (stream as BatchedEventStream).batches();
  const events = stream[Symbol.asyncIterator]();
  return {
    async next() {
      const next = await events.next();
      return next.done ? { done: true, value: undefined } : { done: false, value: [next.value] };
    },
    async return() {
      await events.return?.();
      return { done: true, value: undefined };
    },
  };
}
