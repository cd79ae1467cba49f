import { createHash } from 'node:crypto';
import type { ChatRequest, ContentPart, EmbeddingsRequest, Message, ReasoningControl, ToolChoice } from '../../canonical/index.js';
import type { PrefillMode } from '../../catalog/types.js';
import { modelRejects, type OpenAICompatibleQuirks } from './quirks.js';

type WireContent = string | null | ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } })[];
type Warn = (message: string) => void;

function encodeContent(content: string | ContentPart[] | null): WireContent {
  if (content === null || typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'text'
      ? { type: 'text' as const, text: part.text }
      : { type: 'image_url' as const, image_url: part.detail ? { url: part.url, detail: part.detail } : { url: part.url } },
  );
}

/** Mistral accepts only 9-character alphanumeric tool-call ids; others are rewritten the same way everywhere. */
function mistralId(id: string): string {
  if (/^[A-Za-z0-9]{9}$/.test(id)) return id;
  return createHash('sha256').update(id).digest('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 9).padEnd(9, '0');
}

function encodeMessage(message: Message, quirks: OpenAICompatibleQuirks, toolId: (id: string) => string): Record<string, unknown> {
  const role = message.role === 'developer' && !quirks.developerRole ? 'system' : message.role;
  const wire: Record<string, unknown> = { role, content: encodeContent(message.content) };
  if (message.name !== undefined) wire.name = message.name;
  if (message.toolCalls && message.toolCalls.length > 0) {
    wire.tool_calls = message.toolCalls.map((call) => ({
      id: toolId(call.id),
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  if (message.toolCallId !== undefined) wire.tool_call_id = toolId(message.toolCallId);
  if (quirks.reasoningContentInHistory && message.role === 'assistant' && message.reasoning) wire.reasoning_content = message.reasoning;
  return wire;
}

function encodeToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

const QWEN_BUDGET: Record<string, number> = { minimal: 512, low: 2048, medium: 8192, high: 24576, xhigh: 38912 };

function reasoningOff(r: ReasoningControl): boolean {
  return r.enabled === false || r.effort === 'none';
}

/** Reasoning controls in the host's own terms (docs/providers.md lists each mapping). */
function encodeReasoning(body: Record<string, unknown>, r: ReasoningControl, quirks: OpenAICompatibleQuirks, warn: Warn): void {
  switch (quirks.reasoningStyle) {
    case 'openai':
      if (r.effort !== undefined) body.reasoning_effort = r.effort;
      else if (r.enabled === false) body.reasoning_effort = 'minimal';
      if (r.maxTokens !== undefined) warn('reasoning.max_tokens is not supported by this host; reasoning_effort was used');
      return;
    case 'openrouter':
      body.reasoning = {
        ...(r.effort !== undefined ? { effort: r.effort } : {}),
        ...(r.maxTokens !== undefined ? { max_tokens: r.maxTokens } : {}),
        ...(r.exclude !== undefined ? { exclude: r.exclude } : {}),
        ...(r.enabled !== undefined ? { enabled: r.enabled } : {}),
      };
      return;
    case 'qwen':
      if (body.enable_thinking === undefined) body.enable_thinking = !reasoningOff(r);
      if (!reasoningOff(r) && body.thinking_budget === undefined) {
        const budget = r.maxTokens ?? (r.effort ? QWEN_BUDGET[r.effort] : undefined);
        if (budget !== undefined) body.thinking_budget = budget;
      }
      return;
    case 'zai':
      if (body.thinking === undefined) body.thinking = { type: reasoningOff(r) ? 'disabled' : 'enabled' };
      return;
    case 'none':
      warn('reasoning controls are not supported by this host; the model reasons (or not) as it always does');
  }
}

function dropRejected(body: Record<string, unknown>, fields: readonly string[], warn: Warn, why: string): void {
  for (const field of fields) {
    if (body[field] !== undefined) {
      delete body[field];
      warn(`${field} is not supported ${why}; it was not sent`);
    }
  }
}

/**
 * A final assistant message marked `prefix` asks the host to continue it. Each host has its own flag: DeepSeek and
 * Mistral `prefix: true` on the message, Moonshot `partial: true`, vLLM `continue_final_message` on the request.
 */
function encodePrefill(body: Record<string, unknown>, request: ChatRequest, prefill: PrefillMode | undefined): void {
  const last = request.messages.at(-1);
  if (!last?.prefix || last.role !== 'assistant') return;
  const wire = (body.messages as Record<string, unknown>[]).at(-1)!;
  switch (prefill) {
    case 'prefix':
      wire.prefix = true;
      break;
    case 'partial':
      wire.partial = true;
      break;
    case 'continue_final_message':
      body.continue_final_message = true;
      body.add_generation_prompt = false;
      break;
    default:
      // trailing_assistant: a plain final assistant message is the whole mechanism.
      break;
  }
}

/** The JSON body of a chat completion request for an OpenAI-compatible host. */
export function encodeChatRequest(
  request: ChatRequest,
  upstreamModel: string,
  quirks: OpenAICompatibleQuirks,
  warn: Warn = () => undefined,
  prefill?: PrefillMode,
): Record<string, unknown> {
  // Unknown client fields go first, so that a field the gateway models can never be overridden by them.
  const body: Record<string, unknown> = { ...request.extra };
  const toolId = quirks.toolCallIds === 'mistral' ? mistralId : (id: string) => id;
  body.model = upstreamModel;
  body.messages = request.messages.map((m) => encodeMessage(m, quirks, toolId));
  encodePrefill(body, request, prefill);
  if (request.tools) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {}),
        ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
      },
    }));
  }
  if (request.toolChoice !== undefined) body.tool_choice = encodeToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat) {
    const format = request.responseFormat;
    body.response_format = format.type === 'json_schema'
      ? {
          type: 'json_schema',
          json_schema: {
            name: format.name,
            ...(format.description !== undefined ? { description: format.description } : {}),
            ...(format.schema !== undefined ? { schema: format.schema } : {}),
            ...(format.strict !== undefined ? { strict: format.strict } : {}),
          },
        }
      : { type: format.type };
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) {
    if (quirks.topK) body.top_k = request.topK;
    else warn('top_k is not supported by this host; it was not sent');
  }
  if (request.maxTokens !== undefined) body[quirks.tokenLimitField] = request.maxTokens;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.seed !== undefined) body[quirks.seedField] = request.seed;
  if (request.user !== undefined) body.user = request.user;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.logprobs !== undefined) body.logprobs = request.logprobs;
  if (request.topLogprobs !== undefined) body.top_logprobs = request.topLogprobs;
  if (request.reasoning) encodeReasoning(body, request.reasoning, quirks, warn);
  if (quirks.nonStreamingNeedsThinkingOff && !request.stream && /^qwen3-\d+(\.\d+)?b(-a\d+b)?$/i.test(upstreamModel) && body.enable_thinking !== false) {
    if (body.enable_thinking === true) warn('this host reasons only in streaming mode; thinking was switched off for this non-streaming request');
    body.enable_thinking = false;
  }
  dropRejected(body, quirks.rejects, warn, 'by this host');
  dropRejected(body, modelRejects(upstreamModel), warn, `by ${upstreamModel}`);
  if (request.stream) {
    body.stream = true;
    // Usage is always asked for where the host can report it: the ledger needs it even when the client does not.
    if (quirks.streamUsageOption) body.stream_options = { include_usage: true };
    else delete body.stream_options;
  } else {
    delete body.stream_options;
  }
  return body;
}

export function encodeEmbeddingsRequest(request: EmbeddingsRequest, upstreamModel: string): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request.extra, model: upstreamModel, input: request.input };
  if (request.encodingFormat !== undefined) body.encoding_format = request.encodingFormat;
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user !== undefined) body.user = request.user;
  return body;
}
