import type { ChatRequest, ContentPart, Message, ReasoningControl, ReasoningDetail, TextPart, ToolChoice } from '../../canonical/index.js';
import { GatewayError } from '../../canonical/errors.js';
import { fastBodyParser } from '../validation.js';
import { countTokensRequestSchema, KNOWN_MESSAGES_FIELDS, messagesRequestSchema, type AnthropicMessageWire, type MessagesWire } from './schema.js';
import { detailFromThinking } from './signatures.js';

type Block = Exclude<AnthropicMessageWire['content'], string>[number];
type CacheWire = { type: 'ephemeral'; ttl?: '5m' | '1h' } | null | undefined;

function cache(value: CacheWire): Pick<TextPart, 'cacheControl'> {
  return value ? { cacheControl: value.ttl ? { type: 'ephemeral', ttl: value.ttl } : { type: 'ephemeral' } } : {};
}

function part(block: Extract<Block, { type: 'text' | 'image' }>): ContentPart {
  if (block.type === 'text') return { type: 'text', text: block.text, ...cache(block.cache_control) };
  const url = block.source.type === 'base64' ? `data:${block.source.media_type};base64,${block.source.data}` : block.source.url;
  return { type: 'image', url, ...cache(block.cache_control) };
}

/** A user turn: tool results become tool messages (first, as Anthropic requires them first), the rest one user message. */
function decodeUser(content: Block[] | string, out: Message[]): void {
  if (typeof content === 'string') {
    out.push({ role: 'user', content });
    return;
  }
  const parts: ContentPart[] = [];
  for (const block of content) {
    switch (block.type) {
      case 'tool_result': {
        const result: Message = {
          role: 'tool',
          toolCallId: block.tool_use_id,
          content: typeof block.content === 'string' || block.content === undefined ? (block.content ?? '') : block.content.map(part),
        };
        if (block.is_error) result.isError = true;
        out.push(result);
        break;
      }
      case 'text':
      case 'image':
        parts.push(part(block));
        break;
      default:
        throw new GatewayError('invalid_request', `a user turn cannot contain a ${block.type} block`, { param: 'messages' });
    }
  }
  if (parts.length > 0) out.push({ role: 'user', content: parts });
}

function decodeAssistant(content: Block[] | string): Message {
  if (typeof content === 'string') return { role: 'assistant', content };
  const parts: ContentPart[] = [];
  const message: Message = { role: 'assistant', content: null };
  const details: ReasoningDetail[] = [];
  let reasoning = '';
  for (const block of content) {
    switch (block.type) {
      case 'text':
        parts.push(part(block));
        break;
      case 'tool_use':
        (message.toolCalls ??= []).push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
        break;
      case 'thinking': {
        reasoning += block.thinking;
        const detail = detailFromThinking(block.thinking, block.signature, details.length);
        if (detail) details.push(detail);
        break;
      }
      case 'redacted_thinking':
        details.push({ type: 'reasoning.encrypted', data: block.data, format: 'anthropic-claude-v1', index: details.length });
        break;
      default:
        throw new GatewayError('invalid_request', `an assistant turn cannot contain a ${block.type} block`, { param: 'messages' });
    }
  }
  if (parts.length > 0) message.content = parts.every((p) => p.type === 'text' && !p.cacheControl) ? parts.map((p) => (p as TextPart).text).join('') : parts;
  if (reasoning) message.reasoning = reasoning;
  if (details.length > 0) message.reasoningDetails = details;
  return message;
}

function decodeToolChoice(choice: NonNullable<MessagesWire['tool_choice']>): ToolChoice {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', name: choice.name };
  }
}

function decodeThinking(thinking: NonNullable<MessagesWire['thinking']>): ReasoningControl {
  return thinking.type === 'enabled' ? { enabled: true, maxTokens: thinking.budget_tokens } : { enabled: false };
}

export interface DecodedMessages {
  request: ChatRequest;
  /** Fields of the request no host will receive. */
  warnings: string[];
}

function decode(wire: MessagesWire): DecodedMessages {
  const messages: Message[] = [];
  if (wire.system !== undefined) {
    messages.push({ role: 'system', content: typeof wire.system === 'string' ? wire.system : wire.system.map(part) });
  }
  for (const turn of wire.messages) {
    if (turn.role === 'user') decodeUser(turn.content, messages);
    else messages.push(decodeAssistant(turn.content));
  }
  const request: ChatRequest = { model: wire.model, messages, stream: wire.stream === true, includeUsage: true, extra: {} };
  if (wire.max_tokens !== undefined) request.maxTokens = wire.max_tokens;
  if (wire.tools) {
    request.tools = wire.tools.map((t) => ({
      type: 'function',
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.input_schema,
      ...cache(t.cache_control),
    }));
  }
  if (wire.tool_choice) {
    request.toolChoice = decodeToolChoice(wire.tool_choice);
    if ('disable_parallel_tool_use' in wire.tool_choice && wire.tool_choice.disable_parallel_tool_use) request.parallelToolCalls = false;
  }
  if (wire.thinking) request.reasoning = decodeThinking(wire.thinking);
  if (wire.stop_sequences && wire.stop_sequences.length > 0) request.stop = wire.stop_sequences;
  if (wire.temperature !== undefined) request.temperature = wire.temperature;
  if (wire.top_p !== undefined) request.topP = wire.top_p;
  if (wire.top_k !== undefined) request.topK = wire.top_k;
  if (wire.metadata?.user_id) request.user = wire.metadata.user_id;
  const warnings: string[] = [];
  for (const key of Object.keys(wire)) {
    if (!KNOWN_MESSAGES_FIELDS.has(key)) warnings.push(`${key} is not supported by the gateway's Messages endpoint; it was not forwarded`);
  }
  return { request, warnings };
}

const parseMessagesBody = fastBodyParser(messagesRequestSchema);
const parseCountTokensBody = fastBodyParser(countTokensRequestSchema);

/** An Anthropic Messages body to the canonical request; a bad body is a 400 naming the field. */
export function decodeMessagesRequest(body: unknown): DecodedMessages {
  return decode(parseMessagesBody(body));
}

/** The count_tokens body (no max_tokens) to the canonical request. */
export function decodeCountTokensRequest(body: unknown): DecodedMessages {
  return decode(parseCountTokensBody(body));
}
