import {
  GatewayError,
  type ChatResponse,
  type ErrorCode,
  type FinishReason,
  type ReasoningDetail,
  type ToolCall,
  type Usage,
} from '../../canonical/index.js';
import { ANTHROPIC_REASONING_FORMAT } from './encode-messages.js';

export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Anthropic's usage fields, as far as they were reported (null and absent are both "not reported"). */
export interface RawUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

const USAGE_FIELDS = ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const;

/** Reads a usage object, merged over an earlier reading: the later one wins field by field. */
export function readUsage(raw: unknown, earlier: RawUsage = {}): RawUsage {
  const u = asObject(raw);
  const out: RawUsage = { ...earlier };
  if (!u) return out;
  for (const field of USAGE_FIELDS) {
    const value = num(u[field]);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/**
 * Anthropic's usage in canonical terms. Anthropic's `input_tokens` counts only the tokens after the last
 * cache breakpoint; cache reads and cache writes are reported beside it, so the canonical input is their
 * sum. `output_tokens` includes thinking, which Anthropic does not count separately (reasoningTokens stays
 * unknown).
 */
export function toUsage(raw: RawUsage): Usage {
  const usage: Usage = {};
  if (raw.input_tokens !== undefined) {
    usage.inputTokens = raw.input_tokens + (raw.cache_read_input_tokens ?? 0) + (raw.cache_creation_input_tokens ?? 0);
  }
  if (raw.cache_read_input_tokens !== undefined) usage.cachedInputTokens = raw.cache_read_input_tokens;
  if (raw.cache_creation_input_tokens !== undefined) usage.cacheWriteTokens = raw.cache_creation_input_tokens;
  if (raw.output_tokens !== undefined) usage.outputTokens = raw.output_tokens;
  return usage;
}

export function decodeStopReason(raw: string | undefined): FinishReason {
  switch (raw) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // pause_turn (a server tool loop paused) and anything newer
      return 'other';
  }
}

/** Anthropic's explanation of a refusal (`stop_details.explanation`), offered to clients as the refusal text. */
export function refusalExplanation(stopReason: string | undefined, stopDetails: unknown): string | undefined {
  if (stopReason !== 'refusal') return undefined;
  const explanation = asObject(stopDetails)?.explanation;
  return typeof explanation === 'string' && explanation.length > 0 ? explanation : undefined;
}

const STREAM_ERROR_CODES: Record<string, ErrorCode> = {
  overloaded_error: 'upstream_unavailable',
  rate_limit_error: 'upstream_rate_limited',
  timeout_error: 'upstream_timeout',
  api_error: 'upstream_error',
};

/** An `error` event inside a stream (`{type:'error', error:{type, message}}`). */
export function streamError(providerId: string, root: Json, redact: (text: string) => string, requestId?: string): GatewayError {
  const err = asObject(root.error);
  const type = str(err?.type) ?? 'unknown_error';
  const message = redact(str(err?.message) ?? 'no message').slice(0, 300);
  const suffix = requestId ? ` (request-id ${requestId})` : '';
  return new GatewayError(STREAM_ERROR_CODES[type] ?? 'upstream_error', `provider ${providerId} reported ${type} mid-stream: ${message}${suffix}`, {
    provider: providerId,
  });
}

export function reasoningTextDetail(index: number, text: string | undefined, signature: string | undefined): ReasoningDetail {
  const detail: ReasoningDetail = { type: 'reasoning.text' };
  if (text !== undefined) detail.text = text;
  if (signature) detail.signature = signature;
  detail.format = ANTHROPIC_REASONING_FORMAT;
  detail.index = index;
  return detail;
}

export function encryptedDetail(index: number, data: string): ReasoningDetail {
  return { type: 'reasoning.encrypted', data, format: ANTHROPIC_REASONING_FORMAT, index };
}

/**
 * A Messages API response in canonical terms. Block types the gateway does not model (server tool blocks,
 * `fallback`, anything newer) are skipped.
 */
export function decodeChatResponse(body: unknown, providerId: string): ChatResponse {
  const root = asObject(body);
  if (!root || !Array.isArray(root.content)) {
    throw new GatewayError('upstream_malformed', `provider ${providerId} returned a response without content`, { provider: providerId });
  }
  const text: string[] = [];
  const reasoning: string[] = [];
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];
  for (const entry of root.content) {
    const block = asObject(entry);
    switch (block?.type) {
      case 'text':
        if (typeof block.text === 'string') text.push(block.text);
        break;
      case 'thinking': {
        const thinking = str(block.thinking) ?? '';
        reasoning.push(thinking);
        details.push(reasoningTextDetail(details.length, thinking, str(block.signature)));
        break;
      }
      case 'redacted_thinking':
        if (typeof block.data === 'string') details.push(encryptedDetail(details.length, block.data));
        break;
      case 'tool_use':
        toolCalls.push({ id: str(block.id) ?? '', name: str(block.name) ?? '', arguments: JSON.stringify(block.input ?? {}) });
        break;
      default:
        break;
    }
  }
  const stopReason = str(root.stop_reason);
  const stopSequence = str(root.stop_sequence);
  const response: ChatResponse = {
    id: str(root.id),
    upstreamModel: str(root.model),
    content: text.length > 0 ? text.join('') : null,
    refusal: refusalExplanation(stopReason, root.stop_details) ?? null,
    finishReason: decodeStopReason(stopReason),
    rawFinishReason: stopReason,
    usage: toUsage(readUsage(root.usage)),
  };
  if (reasoning.length > 0) response.reasoning = reasoning.join('');
  if (details.length > 0) response.reasoningDetails = details;
  if (toolCalls.length > 0) response.toolCalls = toolCalls;
  if (stopSequence) response.stopSequence = stopSequence;
  return response;
}
