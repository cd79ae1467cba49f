/**
 * Anthropic Messages wire format: the message body, the named SSE events of a stream, error bodies and the
 * headers Anthropic sends (request id, rate-limit family). Shapes follow Anthropic's public API reference;
 * the tests read them back through the official SDK.
 *
 * Usage follows Anthropic's split of the prompt: input_tokens + cache_read_input_tokens +
 * cache_creation_input_tokens = the whole prompt (the simulator's prompt tokens).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { AnswerPlan } from '../answer.js';
import type { FaultFace, SimContext, SimError } from '../context.js';
import { signatureFor } from '../random.js';

export const JSON_TYPE = 'application/json';
export const SSE_TYPE = 'text/event-stream; charset=utf-8';

const REQUESTS_LIMIT = 4000;
const TOKENS_LIMIT = 2_000_000;
/** The wait a 429 asks for when the scenario names none. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** RFC 3339 without milliseconds, as Anthropic writes its reset times. */
function resetAt(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Headers Anthropic sends on every response: content type, request id and the rate-limit family. */
export function anthropicHeaders(ctx: SimContext, contentType: string, status = 200, retryAfterSeconds?: number): OutgoingHttpHeaders {
  const limited = status === 429;
  const wait = retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  const reset = resetAt(limited ? wait : 1);
  const headers: OutgoingHttpHeaders = {
    'content-type': contentType,
    'request-id': requestId(ctx),
    'anthropic-organization-id': '5a1b0000-0000-4000-8000-000000000001',
    'anthropic-ratelimit-requests-limit': String(REQUESTS_LIMIT),
    'anthropic-ratelimit-requests-remaining': limited ? '0' : String(REQUESTS_LIMIT - 1),
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-tokens-limit': String(TOKENS_LIMIT),
    'anthropic-ratelimit-tokens-remaining': limited ? '0' : String(TOKENS_LIMIT - 1000),
    'anthropic-ratelimit-tokens-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': String(TOKENS_LIMIT),
    'anthropic-ratelimit-input-tokens-remaining': limited ? '0' : String(TOKENS_LIMIT - 1000),
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': String(TOKENS_LIMIT / 5),
    'anthropic-ratelimit-output-tokens-remaining': limited ? '0' : String(TOKENS_LIMIT / 5 - 100),
    'anthropic-ratelimit-output-tokens-reset': reset,
  };
  if (limited) headers['retry-after'] = String(wait);
  if (contentType === SSE_TYPE) headers['cache-control'] = 'no-cache';
  return headers;
}

function requestId(ctx: SimContext): string {
  return `req_sim${ctx.seq.toString(16).padStart(16, '0')}`;
}

/** Anthropic's error type for a status. */
export function errorTypeFor(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** The status Anthropic answers with for an error type (for replayed error bodies). */
export function statusForType(type: unknown): number {
  const table: Record<string, number> = {
    invalid_request_error: 400,
    authentication_error: 401,
    billing_error: 402,
    permission_error: 403,
    not_found_error: 404,
    request_too_large: 413,
    rate_limit_error: 429,
    api_error: 500,
    timeout_error: 504,
    overloaded_error: 529,
  };
  return typeof type === 'string' ? (table[type] ?? 500) : 500;
}

export function sendAnthropicError(ctx: SimContext, error: SimError): void {
  const headers = anthropicHeaders(ctx, JSON_TYPE, error.status, error.retryAfterSeconds);
  const body = JSON.stringify({
    type: 'error',
    error: { type: error.type ?? errorTypeFor(error.status), message: error.message },
    request_id: requestId(ctx),
  });
  ctx.res.writeHead(error.status, headers).end(body);
}

/** The error a `status` fault produces, worded like Anthropic's own. */
export function statusFaultError(status: number, model: string, retryAfterSeconds: number | undefined): SimError {
  switch (status) {
    case 400:
      return { status, message: 'Simulated invalid request.' };
    case 401:
      return { status, message: 'invalid x-api-key' };
    case 402:
      return { status, message: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.' };
    case 403:
      return { status, message: 'Your API key does not have permission to use the specified resource.' };
    case 404:
      return { status, message: `model: ${model}` };
    case 413:
      return { status, message: 'Request exceeds the maximum allowed number of bytes.' };
    case 429:
      return {
        status,
        message: `This request would exceed the rate limit for your organization of ${REQUESTS_LIMIT} requests per minute (simulated). Please try again later.`,
        retryAfterSeconds: retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
      };
    case 504:
      return { status, message: 'Request timed out.' };
    case 529:
      return { status, message: 'Overloaded' };
    default:
      return { status, message: status >= 500 ? 'Internal server error' : `Simulated error ${status}.` };
  }
}

export const CONTEXT_WINDOW = 200_000;

export function contextLengthError(promptTokens: number): SimError {
  return { status: 400, message: `prompt is too long: ${Math.max(promptTokens, CONTEXT_WINDOW + 1)} tokens > ${CONTEXT_WINDOW} maximum` };
}

/** How Anthropic words the faults that strike before any content. */
export const anthropicFaults: FaultFace = {
  sendError: sendAnthropicError,
  statusError: statusFaultError,
  contextLengthError,
  // A request Anthropic cannot serve mid-way is "Overloaded"; without a stream it arrives as a 529.
  errorEventStatus: 529,
  sendMalformed: (ctx) => {
    ctx.res.writeHead(200, anthropicHeaders(ctx, JSON_TYPE)).end('{"id":"msg_sim","type":"message","role":"assistant","content":[{"ty');
  },
};

/** The last frames of the `malformed` and `error_event` stream faults. */
export const ANTHROPIC_FAULT_FRAMES = {
  malformed: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\n\n',
  errorEvent: 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
};

export interface MessageMeta {
  id: string;
  model: string;
  /** `thinking.display: "omitted"`: thinking blocks carry a signature but no text. */
  omitThinking: boolean;
}

/** One content block of the answer, with the pieces a stream sends for it. */
type Block =
  | { type: 'thinking'; units: string[]; signature: string }
  | { type: 'text'; units: string[] }
  | { type: 'tool_use'; id: string; name: string; arguments: string; units: string[] };

/** Anthropic-style tool ids (`toolu_01…`), derived from the planned call id so they stay deterministic. */
function toolUseId(callId: string): string {
  return `toolu_01${callId.replace(/^call_/, '').slice(0, 22)}`;
}

/** Thinking first, then the text, then tool calls; a block only when it has something to say. */
function blocksOf(plan: AnswerPlan, meta: MessageMeta): Block[] {
  const blocks: Block[] = [];
  if (plan.reasoning.length > 0) {
    const units = meta.omitThinking ? [] : plan.reasoning;
    blocks.push({ type: 'thinking', units, signature: signatureFor('anthropic-thinking', plan.reasoning.join('')) });
  }
  if (plan.content.length > 0) blocks.push({ type: 'text', units: plan.content });
  for (const call of plan.toolCalls) {
    blocks.push({ type: 'tool_use', id: toolUseId(call.id), name: call.name, arguments: call.arguments, units: call.fragments });
  }
  return blocks;
}

export function stopReasonOf(plan: AnswerPlan): string {
  if (plan.finishReason === 'tool_calls') return 'tool_use';
  if (plan.finishReason === 'length') return 'max_tokens';
  return plan.stopSequence !== undefined ? 'stop_sequence' : 'end_turn';
}

/** The three parts of the prompt, Anthropic's way. */
function promptUsage(u: AnswerPlan['usage']): { input_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number } {
  return {
    input_tokens: u.promptTokens - u.cachedTokens - u.cacheWriteTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cachedTokens,
  };
}

function usageObject(u: AnswerPlan['usage'], outputTokens: number): Record<string, unknown> {
  return {
    ...promptUsage(u),
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWriteTokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

/** A non-streaming `message` body. */
export function messageBody(meta: MessageMeta, plan: AnswerPlan): string {
  const content = blocksOf(plan, meta).map((b) => {
    switch (b.type) {
      case 'thinking':
        return { type: 'thinking', thinking: b.units.join(''), signature: b.signature };
      case 'text':
        return { type: 'text', text: b.units.join('') };
      case 'tool_use':
        return { type: 'tool_use', id: b.id, name: b.name, input: JSON.parse(b.arguments) as unknown };
    }
  });
  return JSON.stringify({
    id: meta.id,
    type: 'message',
    role: 'assistant',
    model: meta.model,
    content,
    stop_reason: stopReasonOf(plan),
    stop_sequence: plan.stopSequence ?? null,
    usage: usageObject(plan.usage, plan.usage.completionTokens),
  });
}

function event(type: string, data: string): string {
  return `event: ${type}\ndata: ${data}\n\n`;
}

const PING = event('ping', '{"type":"ping"}');

function delta(index: number, deltaJson: string): string {
  return event('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":${deltaJson}}`);
}

function blockStart(index: number, b: Block): string {
  let block: string;
  switch (b.type) {
    case 'thinking':
      block = '{"type":"thinking","thinking":"","signature":""}';
      break;
    case 'text':
      block = '{"type":"text","text":""}';
      break;
    case 'tool_use':
      block = `{"type":"tool_use","id":"${b.id}","name":${JSON.stringify(b.name)},"input":{}}`;
      break;
  }
  return event('content_block_start', `{"type":"content_block_start","index":${index},"content_block":${block}}`);
}

function unitDelta(b: Block, unit: string): string {
  const text = JSON.stringify(unit);
  switch (b.type) {
    case 'thinking':
      return `{"type":"thinking_delta","thinking":${text}}`;
    case 'text':
      return `{"type":"text_delta","text":${text}}`;
    case 'tool_use':
      return `{"type":"input_json_delta","partial_json":${text}}`;
  }
}

/**
 * The events of a streamed message. Every content delta (one token of thinking or text, one fragment of
 * tool input) is one body frame: the unit of pacing and of `afterChunks`. Block boundaries ride with the
 * next delta; `message_start`, the first block's start and the `ping` form the head, and the last block's
 * stop, `message_delta` and `message_stop` (dropped by `no_done`) the tail.
 */
export function messageEvents(meta: MessageMeta, plan: AnswerPlan, withStop: boolean): { head: string; body: string[]; tail: string } {
  const start = {
    type: 'message_start',
    message: {
      id: meta.id,
      type: 'message',
      role: 'assistant',
      model: meta.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usageObject(plan.usage, 1),
    },
  };
  let head = event('message_start', JSON.stringify(start));
  const body: string[] = [];
  let pending = '';
  const blocks = blocksOf(plan, meta);
  blocks.forEach((b, index) => {
    pending += blockStart(index, b);
    if (index === 0) pending += PING;
    // Anthropic opens every tool input with an empty fragment.
    if (b.type === 'tool_use') pending += delta(index, '{"type":"input_json_delta","partial_json":""}');
    if (index === 0) {
      head += pending;
      pending = '';
    }
    for (const unit of b.units) {
      body.push(pending + delta(index, unitDelta(b, unit)));
      pending = '';
    }
    if (b.type === 'thinking') pending += delta(index, `{"type":"signature_delta","signature":"${b.signature}"}`);
    pending += event('content_block_stop', `{"type":"content_block_stop","index":${index}}`);
  });
  if (blocks.length === 0) head += PING;

  const stopSequence = plan.stopSequence === undefined ? 'null' : JSON.stringify(plan.stopSequence);
  const usage = JSON.stringify({ ...promptUsage(plan.usage), output_tokens: plan.usage.completionTokens });
  let tail =
    pending +
    event('message_delta', `{"type":"message_delta","delta":{"stop_reason":"${stopReasonOf(plan)}","stop_sequence":${stopSequence}},"usage":${usage}}`);
  if (withStop) tail += event('message_stop', '{"type":"message_stop"}');
  return { head, body, tail };
}
