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
