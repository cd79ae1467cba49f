/**
 * OpenAI Chat Completions wire format: response bodies, stream chunks, error bodies and the headers
 * OpenAI sends on every response. Shapes follow the OpenAPI document's CreateChatCompletionResponse,
 * CreateChatCompletionStreamResponse, CompletionUsage and ErrorResponse (the tests validate against them).
 *
 * Stream chunks are assembled from pre-built string pieces rather than JSON.stringify of whole objects:
 * the simulator is the upstream in throughput benchmarks and must not be the bottleneck.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { AnswerPlan } from '../answer.js';
import type { FaultFace, SimContext, SimError } from '../context.js';
import type { Scenario } from '../scenario.js';
import { requestFault as sharedRequestFault } from '../sse.js';

export const SYSTEM_FINGERPRINT = 'fp_sim0001';

/** Headers OpenAI sends on every response: content type, request id and the rate-limit sextet. */
export function openaiHeaders(ctx: SimContext, contentType: string, status = 200): OutgoingHttpHeaders {
  const limited = status === 429;
  return {
    'content-type': contentType,
    'x-request-id': `req_sim${ctx.seq.toString(16).padStart(12, '0')}`,
    'openai-processing-ms': '1',
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-remaining-requests': limited ? '0' : '9999',
    'x-ratelimit-reset-requests': limited ? '1s' : '6ms',
    'x-ratelimit-limit-tokens': '10000000',
    'x-ratelimit-remaining-tokens': limited ? '0' : '9999000',
    'x-ratelimit-reset-tokens': limited ? '1s' : '6ms',
  };
}

export const JSON_TYPE = 'application/json';
export const SSE_TYPE = 'text/event-stream; charset=utf-8';

/** OpenAI's error type for a status, as its API reports them. */
function errorType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  if (status === 403) return 'permission_error';
  return 'invalid_request_error';
}

export function errorBody(error: SimError): string {
  return JSON.stringify({
    error: {
      message: error.message,
      type: error.type ?? errorType(error.status),
      param: error.param ?? null,
      code: error.code ?? null,
    },
  });
}

export function sendOpenAIError(ctx: SimContext, error: SimError): void {
  const headers = openaiHeaders(ctx, JSON_TYPE, error.status);
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  ctx.res.writeHead(error.status, headers).end(errorBody(error));
}

/** The error a `status` fault produces, worded like OpenAI's own. */
export function statusFaultError(status: number, model: string, retryAfterSeconds: number | undefined): SimError {
  switch (status) {
    case 400:
      return { status, message: 'Simulated bad request.', code: null };
    case 401:
      return { status, message: 'Incorrect API key provided: sk-sim***.', code: 'invalid_api_key' };
    case 403:
      return { status, message: 'Simulated permission error.', code: null };
    case 404:
      return { status, message: `The model \`${model}\` does not exist or you do not have access to it.`, code: 'model_not_found' };
    case 429:
      return { status, message: `Rate limit reached for ${model} (simulated). Please try again later.`, code: 'rate_limit_exceeded', retryAfterSeconds };
    case 503:
      return { status, message: 'The engine is currently overloaded, please try again later.', code: null };
    default:
      if (status >= 500) return { status, message: 'The server had an error while processing your request. Sorry about that!', code: null };
      return { status, message: `Simulated error ${status}.`, code: null };
  }
}

export function contextLengthError(promptTokens: number): SimError {
  return {
    status: 400,
    message: `This model's maximum context length is 128000 tokens. However, your messages resulted in ${Math.max(promptTokens, 128001)} tokens. Please reduce the length of the messages.`,
    param: 'messages',
    code: 'context_length_exceeded',
  };
}

/** How OpenAI words the faults that strike before any content. */
export const openaiFaults: FaultFace = {
  sendError: sendOpenAIError,
  statusError: statusFaultError,
  contextLengthError,
  errorEventStatus: 500,
  sendMalformed: (ctx) => {
    ctx.res.writeHead(200, openaiHeaders(ctx, JSON_TYPE)).end('{"id":"chatcmpl-sim","object":"chat.completion","choices":[{"ind');
  },
};

/** The shared pre-content faults (sse.ts) in OpenAI's words; true when the response has been dealt with. */
export function requestFault(ctx: SimContext, s: Scenario, model: string, stream: boolean, promptTokens: number): boolean {
  return sharedRequestFault(ctx, s, openaiFaults, model, stream, promptTokens);
}

export function usageObject(u: AnswerPlan['usage']): Record<string, unknown> {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

/** A non-streaming `chat.completion` body. */
export function completionBody(meta: CompletionMeta, plan: AnswerPlan): string {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: plan.toolCalls.length > 0 && plan.content.length === 0 ? null : plan.content.join(''),
    refusal: null,
    annotations: [],
  };
  if (plan.reasoning.length > 0) message.reasoning_content = plan.reasoning.join('');
  if (plan.toolCalls.length > 0) {
    message.tool_calls = plan.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  return JSON.stringify({
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
    usage: usageObject(plan.usage),
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  });
}

/**
 * OpenAI pads each chunk with an `obfuscation` string (unless include_obfuscation is false) to blur
 * payload sizes; a fixed rotation keeps the simulator deterministic while keeping chunk sizes realistic.
 */
const OBFUSCATION = ['Qup1BsQ3', 'yhjoJbEF', 'dTh', 'yoKFv', 'aZ0', 'k3Yp9Q', 'Lm', 'X8vTqR2'];

/** Renders `chat.completion.chunk` events for one response. */
export class ChunkRenderer {
  private readonly head: string;
  private readonly tail: string;
  private n = 0;

  constructor(
    private readonly meta: CompletionMeta,
    private readonly includeUsage: boolean,
    private readonly obfuscation: boolean,
  ) {
    this.head =
      `data: {"id":"${meta.id}","object":"chat.completion.chunk","created":${meta.created},` +
      `"model":${JSON.stringify(meta.model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","choices":[{"index":0,"delta":`;
    this.tail = includeUsage ? ',"usage":null' : '';
  }

  /** One chunk whose delta is the given JSON text. */
  delta(deltaJson: string, finishReason = 'null'): string {
    return `${this.head}${deltaJson},"logprobs":null,"finish_reason":${finishReason}}]${this.tail}${this.obf()}}\n\n`;
  }

  /** The closing usage chunk sent with stream_options.include_usage: no choices, usage filled. */
  usage(u: AnswerPlan['usage']): string {
    const m = this.meta;
    return (
      `data: {"id":"${m.id}","object":"chat.completion.chunk","created":${m.created},"model":${JSON.stringify(m.model)},` +
      `"system_fingerprint":"${SYSTEM_FINGERPRINT}","choices":[],"usage":${JSON.stringify(usageObject(u))}${this.obf()}}\n\n`
    );
  }

  get usageRequested(): boolean {
    return this.includeUsage;
  }

  private obf(): string {
    return this.obfuscation ? `,"obfuscation":"${OBFUSCATION[this.n++ & 7]}"` : '';
  }
}

export const ROLE_DELTA = '{"role":"assistant","content":"","refusal":null}';
export const DONE = 'data: [DONE]\n\n';

/** The chunks of a generated answer: role chunk, content chunks (one token each), then the ending. */
export function answerChunks(r: ChunkRenderer, plan: AnswerPlan, withDone: boolean): { head: string; body: string[]; tail: string } {
  const head = r.delta(ROLE_DELTA);
  const body: string[] = [];
  for (const t of plan.reasoning) body.push(r.delta(`{"reasoning_content":${JSON.stringify(t)}}`));
  for (const t of plan.content) body.push(r.delta(`{"content":${JSON.stringify(t)}}`));
  plan.toolCalls.forEach((call, i) => {
    // As OpenAI streams them: id, type and name once with empty arguments, then argument fragments.
    body.push(
      r.delta(`{"tool_calls":[{"index":${i},"id":"${call.id}","type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":""}}]}`),
    );
    for (const f of call.fragments) body.push(r.delta(`{"tool_calls":[{"index":${i},"function":{"arguments":${JSON.stringify(f)}}}]}`));
  });
  let tail = r.delta('{}', `"${plan.finishReason}"`);
  if (r.usageRequested) tail += r.usage(plan.usage);
  if (withDone) tail += DONE;
  return { head, body, tail };
}
