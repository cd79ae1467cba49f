import type { ChatResponse, EmbeddingsResponse, FinishReason, ReasoningDetail, StreamEvent } from '../../canonical/index.js';
import { GatewayError } from '../../canonical/errors.js';
import type { CostReport, FinalUsage, ServedBy } from '../served.js';
import type { ChatSurface, StreamEncoder } from '../surface.js';
import { openAIErrorBody } from './errors.js';

function finishReason(reason: FinishReason): string {
  switch (reason) {
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return reason;
    default:
      return 'stop';
  }
}

/** OpenAI's usage object plus OpenRouter's `cost`; unknown counts are left out rather than reported as 0. */
export function encodeUsage({ usage, cost }: FinalUsage): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  if (usage.inputTokens !== undefined) wire.prompt_tokens = usage.inputTokens;
  if (usage.outputTokens !== undefined) wire.completion_tokens = usage.outputTokens;
  if (usage.inputTokens !== undefined && usage.outputTokens !== undefined) wire.total_tokens = usage.inputTokens + usage.outputTokens;
  if (usage.cachedInputTokens !== undefined || usage.cacheWriteTokens !== undefined) {
    wire.prompt_tokens_details = {
      ...(usage.cachedInputTokens !== undefined ? { cached_tokens: usage.cachedInputTokens } : {}),
      ...(usage.cacheWriteTokens !== undefined ? { cache_write_tokens: usage.cacheWriteTokens } : {}),
    };
  }
  if (usage.reasoningTokens !== undefined) wire.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  wire.cost = cost.usd;
  if (cost.status === 'unpriced') wire.cost_status = 'unpriced';
  return wire;
}

export function responseId(served: ServedBy, upstreamId: string | undefined): string {
  return upstreamId ?? `chatcmpl-${served.requestId}`;
}

/** OpenRouter's wire form of a reasoning detail. */
export function encodeReasoningDetail(detail: ReasoningDetail): Record<string, unknown> {
  const wire: Record<string, unknown> = { type: detail.type };
  if (detail.text !== undefined) wire.text = detail.text;
  if (detail.signature !== undefined) wire.signature = detail.signature;
  if (detail.data !== undefined) wire.data = detail.data;
  if (detail.summary !== undefined) wire.summary = detail.summary;
  wire.format = detail.format ?? 'unknown';
  if (detail.id !== undefined) wire.id = detail.id;
  if (detail.index !== undefined) wire.index = detail.index;
  return wire;
}

export interface EncodeOptions {
  /** The client asked for reasoning to be used but not returned (OpenRouter's reasoning.exclude). */
  excludeReasoning?: boolean;
}

export function encodeChatResponse(response: ChatResponse, served: ServedBy, cost: CostReport, options: EncodeOptions = {}): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: response.content, refusal: response.refusal ?? null };
  if (response.reasoning !== undefined && !options.excludeReasoning) {
    // DeepSeek-style clients read reasoning_content, OpenRouter-style ones reasoning.
    message.reasoning_content = response.reasoning;
    message.reasoning = response.reasoning;
  }
  if (response.reasoningDetails && response.reasoningDetails.length > 0) {
    // Signatures travel even when reasoning text is excluded: the next turn needs them.
    message.reasoning_details = response.reasoningDetails.map((d) => (options.excludeReasoning ? encodeReasoningDetail({ ...d, text: undefined }) : encodeReasoningDetail(d)));
  }
  if (response.toolCalls) {
    message.tool_calls = response.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  }
  const body: Record<string, unknown> = {
    id: responseId(served, response.id),
    object: 'chat.completion',
    created: response.created ?? Math.floor(Date.now() / 1000),
    model: served.model,
    choices: [
      {
        index: 0,
        message,
        logprobs: response.logprobs ?? null,
        finish_reason: finishReason(response.finishReason),
        ...(response.rawFinishReason !== undefined ? { native_finish_reason: response.rawFinishReason } : {}),
      },
    ],
    usage: encodeUsage({ usage: response.usage, cost }),
    provider: served.provider,
  };
  if (response.systemFingerprint !== undefined) body.system_fingerprint = response.systemFingerprint;
  return body;
}

export function encodeEmbeddingsResponse(response: EmbeddingsResponse, served: ServedBy, cost: CostReport): Record<string, unknown> {
  const usage: Record<string, unknown> = {};
  if (response.usage.inputTokens !== undefined) {
    usage.prompt_tokens = response.usage.inputTokens;
    usage.total_tokens = response.usage.inputTokens;
  }
  usage.cost = cost.usd;
  if (cost.status === 'unpriced') usage.cost_status = 'unpriced';
  return {
    object: 'list',
    data: response.data.map((item) => ({ object: 'embedding', index: item.index, embedding: item.embedding })),
    model: served.model,
    usage,
    provider: served.provider,
  };
}

/**
 * Encodes canonical stream events as OpenAI `chat.completion.chunk` SSE frames. One instance per response;
 * every chunk shares the response's id, creation time and model.
 */
export class OpenAIStreamEncoder implements StreamEncoder {
  private readonly prefix: string;
  private finished = false;

  constructor(
    private readonly id: string,
    created: number,
    model: string,
    private readonly includeUsage: boolean,
    private readonly options: EncodeOptions = {},
  ) {
    // The constant head of every chunk, serialised once.
    this.prefix = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},`;
  }

  private chunk(delta: Record<string, unknown>, finish: string | null = null, extra = ''): string {
    return `${this.prefix}"choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}${extra}}]}\n\n`;
  }

  /** The first frame: OpenAI opens every stream with the assistant role and empty content. */
  start(): string {
    return this.chunk({ role: 'assistant', content: '' });
  }

  encode(event: StreamEvent): string {
    switch (event.type) {
      case 'text-delta':
        if (event.logprobs !== undefined) {
          return `${this.prefix}"choices":[{"index":0,"delta":${JSON.stringify({ content: event.text })},"logprobs":${JSON.stringify(event.logprobs)},"finish_reason":null}]}\n\n`;
        }
        // The most frequent frame of all, written without building a delta object.
        return `${this.prefix}"choices":[{"index":0,"delta":{"content":${JSON.stringify(event.text)}},"logprobs":null,"finish_reason":null}]}\n\n`;
      case 'reasoning-delta':
        if (this.options.excludeReasoning) return '';
        return this.chunk({ reasoning_content: event.text, reasoning: event.text });
      case 'reasoning-detail':
        return this.chunk({ reasoning_details: [encodeReasoningDetail(event.detail)] });
      case 'refusal-delta':
        return this.chunk({ refusal: event.text });
      case 'tool-call-delta': {
        const call: Record<string, unknown> = { index: event.index };
        if (event.id !== undefined) {
          call.id = event.id;
          call.type = 'function';
        }
        call.function = event.name !== undefined ? { name: event.name, arguments: event.argumentsDelta } : { arguments: event.argumentsDelta };
        return this.chunk({ tool_calls: [call] });
      }
      case 'finish':
        if (this.finished) return '';
        this.finished = true;
        return this.chunk({}, finishReason(event.reason), event.raw !== undefined ? `,"native_finish_reason":${JSON.stringify(event.raw)}` : '');
      case 'error':
        return this.error(event.error);
      default:
        return '';
    }
  }

  /** The closing frames of a complete stream: the usage chunk when the client asked for it, then [DONE]. */
  end(final: FinalUsage): string {
    let out = '';
    if (!this.finished) out += this.encode({ type: 'finish', reason: 'stop' });
    if (this.includeUsage) out += `${this.prefix}"choices":[],"usage":${JSON.stringify(encodeUsage(final))}}\n\n`;
    return `${out}data: [DONE]\n\n`;
  }

  /** An error inside the stream; the stream then closes without [DONE] (the contract's in-stream form). */
  error(error: GatewayError): string {
    return `data: ${JSON.stringify(openAIErrorBody(error))}\n\n`;
  }

  keepAlive(): string {
    return ': keep-alive\n\n';
  }

  get responseId(): string {
    return this.id;
  }
}

/** The OpenAI Chat Completions dialect. */
export const openAIChatSurface: ChatSurface = {
  name: 'chat',
  encodeResponse: (response, served, cost, request) => encodeChatResponse(response, served, cost, { excludeReasoning: request.reasoning?.exclude === true }),
  streamEncoder: ({ served, upstreamId, created, request }) =>
    new OpenAIStreamEncoder(responseId(served, upstreamId), created ?? Math.floor(Date.now() / 1000), served.model, request.includeUsage, {
      excludeReasoning: request.reasoning?.exclude === true,
    }),
  errorBody: (error) => openAIErrorBody(error),
  keepAliveFrame: () => ': keep-alive\n\n',
};
