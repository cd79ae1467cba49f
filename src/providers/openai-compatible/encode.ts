import type { ChatRequest, ContentPart, EmbeddingsRequest, Message, ToolChoice } from '../../canonical/index.js';
import type { OpenAICompatibleQuirks } from './quirks.js';

type WireContent = string | null | ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } })[];

function encodeContent(content: string | ContentPart[] | null): WireContent {
  if (content === null || typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'text'
      ? { type: 'text' as const, text: part.text }
      : { type: 'image_url' as const, image_url: part.detail ? { url: part.url, detail: part.detail } : { url: part.url } },
  );
}

function encodeMessage(message: Message, quirks: OpenAICompatibleQuirks): Record<string, unknown> {
  const role = message.role === 'developer' && !quirks.developerRole ? 'system' : message.role;
  const wire: Record<string, unknown> = { role, content: encodeContent(message.content) };
  if (message.name !== undefined) wire.name = message.name;
  if (message.toolCalls && message.toolCalls.length > 0) {
    wire.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  if (message.toolCallId !== undefined) wire.tool_call_id = message.toolCallId;
  return wire;
}

function encodeToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/** The JSON body of a chat completion request for an OpenAI-compatible host. */
export function encodeChatRequest(request: ChatRequest, upstreamModel: string, quirks: OpenAICompatibleQuirks): Record<string, unknown> {
  // Unknown client fields go first, so that a field the gateway models can never be overridden by them.
  const body: Record<string, unknown> = { ...request.extra };
  body.model = upstreamModel;
  body.messages = request.messages.map((m) => encodeMessage(m, quirks));
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
  if (request.maxTokens !== undefined) body[quirks.tokenLimitField] = request.maxTokens;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.user !== undefined) body.user = request.user;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.logprobs !== undefined) body.logprobs = request.logprobs;
  if (request.topLogprobs !== undefined) body.top_logprobs = request.topLogprobs;
  if (request.reasoningEffort !== undefined) body.reasoning_effort = request.reasoningEffort;
  if (request.stream) {
    body.stream = true;
    // Usage is always asked for where the host can report it: the ledger needs it even when the client does not.
    if (quirks.streamUsageOption) body.stream_options = { include_usage: true };
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
