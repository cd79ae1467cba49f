import type { CacheControl, ChatRequest, ContentPart, EmbeddingsRequest, Message, ProviderHints, ReasoningControl, ReasoningDetail, ResponseFormat, ToolChoice } from '../../canonical/index.js';
import { fastBodyParser } from '../validation.js';
import {
  chatCompletionRequestSchema,
  embeddingsRequestSchema,
  KNOWN_CHAT_FIELDS,
  KNOWN_EMBEDDING_FIELDS,
  type ChatCompletionWire,
} from './schema.js';

type WireMessage = ChatCompletionWire['messages'][number];

function cache(value: { type: 'ephemeral'; ttl?: '5m' | '1h' } | undefined): { cacheControl?: CacheControl } {
  return value ? { cacheControl: value.ttl ? { type: 'ephemeral', ttl: value.ttl } : { type: 'ephemeral' } } : {};
}

function decodeContent(content: WireMessage['content']): string | ContentPart[] | null {
  if (content === undefined || content === null) return null;
  if (typeof content === 'string') return content;
  return content.map((part): ContentPart =>
    part.type === 'text'
      ? { type: 'text', text: part.text, ...cache(part.cache_control) }
      : { type: 'image', url: part.image_url.url, ...(part.image_url.detail ? { detail: part.image_url.detail } : {}), ...cache(part.cache_control) },
  );
}

function decodeReasoningDetails(details: NonNullable<WireMessage['reasoning_details']>): ReasoningDetail[] {
  return details.map((d) => {
    const out: ReasoningDetail = { type: d.type };
    if (d.text != null) out.text = d.text;
    if (d.signature != null) out.signature = d.signature;
    if (d.data != null) out.data = d.data;
    if (d.summary != null) out.summary = d.summary;
    if (d.format != null) out.format = d.format;
    if (d.id != null) out.id = d.id;
    if (d.index != null) out.index = d.index;
    return out;
  });
}

function decodeReasoning(wire: ChatCompletionWire): ReasoningControl | undefined {
  const r = wire.reasoning;
  if (!r && wire.reasoning_effort == null) return undefined;
  const control: ReasoningControl = {};
  const effort = r?.effort ?? wire.reasoning_effort ?? undefined;
  if (effort !== undefined) control.effort = effort;
  if (r?.max_tokens !== undefined) control.maxTokens = r.max_tokens;
  if (r?.exclude !== undefined) control.exclude = r.exclude;
  if (r?.enabled !== undefined) control.enabled = r.enabled;
  else if (effort === 'none') control.enabled = false;
  return control;
}

function decodeMessage(wire: WireMessage): Message {
  const message: Message = { role: wire.role, content: decodeContent(wire.content) };
  if (wire.name !== undefined) message.name = wire.name;
  if (wire.tool_calls && wire.tool_calls.length > 0) {
    message.toolCalls = wire.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }));
  }
  if (wire.tool_call_id !== undefined) message.toolCallId = wire.tool_call_id;
  const reasoning = wire.reasoning_content ?? wire.reasoning;
  if (typeof reasoning === 'string' && reasoning.length > 0) message.reasoning = reasoning;
  if (wire.reasoning_details && wire.reasoning_details.length > 0) message.reasoningDetails = decodeReasoningDetails(wire.reasoning_details);
  if (wire.prefix === true) message.prefix = true;
  return message;
}

function decodeToolChoice(choice: NonNullable<ChatCompletionWire['tool_choice']>): ToolChoice {
  return typeof choice === 'string' ? choice : { type: 'function', name: choice.function.name };
}

function decodeResponseFormat(format: NonNullable<ChatCompletionWire['response_format']>): ResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  const spec = format.json_schema;
  return {
    type: 'json_schema',
    name: spec.name,
    ...(spec.schema !== undefined ? { schema: spec.schema } : {}),
    ...(spec.strict != null ? { strict: spec.strict } : {}),
    ...(spec.description !== undefined ? { description: spec.description } : {}),
  };
}

function decodeProviderHints(hints: NonNullable<ChatCompletionWire['provider']>): ProviderHints {
  return {
    order: hints.order,
    only: hints.only,
    ignore: hints.ignore,
    allowFallbacks: hints.allow_fallbacks,
    sort: hints.sort,
    maxPrice: hints.max_price ? { prompt: hints.max_price.prompt, completion: hints.max_price.completion } : undefined,
    dataCollection: hints.data_collection,
    zdr: hints.zdr,
    requireParameters: hints.require_parameters,
    quantizations: hints.quantizations,
  };
}

function unknownFields(body: Record<string, unknown>, known: Set<string>): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const key in body) {
    if (!known.has(key)) extra[key] = body[key];
  }
  return extra;
}

const parseChatBody = fastBodyParser(chatCompletionRequestSchema);
const parseEmbeddingsBody = fastBodyParser(embeddingsRequestSchema);

/** An OpenAI Chat Completions body to the canonical request; a bad body is a 400 naming the field. */
export function decodeChatRequest(body: unknown): ChatRequest {
  const wire = parseChatBody(body);
  const request: ChatRequest = {
    model: wire.model,
    messages: wire.messages.map(decodeMessage),
    stream: wire.stream === true,
    includeUsage: wire.stream_options?.include_usage === true,
    extra: unknownFields(wire, KNOWN_CHAT_FIELDS),
  };
  if (wire.models) request.fallbackModels = wire.models;
  if (wire.provider) request.provider = decodeProviderHints(wire.provider);
  if (wire.tools) {
    request.tools = wire.tools.map((t) => ({
      type: 'function',
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      ...(t.function.parameters !== undefined ? { parameters: t.function.parameters } : {}),
      ...(t.function.strict != null ? { strict: t.function.strict } : {}),
      ...cache(t.cache_control),
    }));
  }
  if (wire.tool_choice !== undefined) request.toolChoice = decodeToolChoice(wire.tool_choice);
  if (wire.parallel_tool_calls !== undefined) request.parallelToolCalls = wire.parallel_tool_calls;
  if (wire.response_format) request.responseFormat = decodeResponseFormat(wire.response_format);
  if (wire.temperature != null) request.temperature = wire.temperature;
  if (wire.top_p != null) request.topP = wire.top_p;
  if (wire.top_k != null) request.topK = wire.top_k;
  const maxTokens = wire.max_completion_tokens ?? wire.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;
  if (wire.stop != null) request.stop = typeof wire.stop === 'string' ? [wire.stop] : wire.stop;
  if (wire.seed != null) request.seed = wire.seed;
  if (wire.user !== undefined) request.user = wire.user;
  if (wire.frequency_penalty != null) request.frequencyPenalty = wire.frequency_penalty;
  if (wire.presence_penalty != null) request.presencePenalty = wire.presence_penalty;
  if (wire.logprobs != null) request.logprobs = wire.logprobs;
  if (wire.top_logprobs != null) request.topLogprobs = wire.top_logprobs;
  const reasoning = decodeReasoning(wire);
  if (reasoning) request.reasoning = reasoning;
  return request;
}

export function decodeEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  const wire = parseEmbeddingsBody(body);
  const request: EmbeddingsRequest = { model: wire.model, input: wire.input, extra: unknownFields(wire, KNOWN_EMBEDDING_FIELDS) };
  if (wire.encoding_format !== undefined) request.encodingFormat = wire.encoding_format;
  if (wire.dimensions !== undefined) request.dimensions = wire.dimensions;
  if (wire.user !== undefined) request.user = wire.user;
  return request;
}
