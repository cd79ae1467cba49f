import type { ChatRequest, ToolChoice } from '../../canonical/index.js';
import { encodeMessages } from './messages.js';
import { encodeThinking } from './thinking.js';

type Json = Record<string, unknown>;
type Warn = (message: string) => void;

/** Gemini takes at most five stop sequences. */
const MAX_STOP_SEQUENCES = 5;

/**
 * Tool parameters and response schemas go out as JSON Schema, in `parametersJsonSchema` and
 * `responseJsonSchema` (Google's newer fields, mutually exclusive with the OpenAPI-subset `parameters` and
 * `responseSchema`, and what the official js-genai SDK sends). They take JSON Schema as is, including `$ref`/`$defs`,
 * `anyOf`, `additionalProperties` and `propertyOrdering`; keywords Google does not support are ignored by the host,
 * not rejected. Only `$schema`, a declaration rather than a constraint, is removed from the root.
 */
export function jsonSchema(schema: Record<string, unknown>): Json {
  if (!('$schema' in schema)) return schema;
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

function toolConfig(choice: ToolChoice): Json {
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
}

function generationConfig(request: ChatRequest, model: string, warn: Warn): Json {
  const config: Json = {};
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.stop !== undefined && request.stop.length > 0) {
    if (request.stop.length > MAX_STOP_SEQUENCES) warn(`Gemini takes at most ${MAX_STOP_SEQUENCES} stop sequences; the rest were dropped`);
    config.stopSequences = request.stop.slice(0, MAX_STOP_SEQUENCES);
  }
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;
  const format = request.responseFormat;
  if (format && format.type !== 'text') {
    config.responseMimeType = 'application/json';
    if (format.type === 'json_schema' && format.schema !== undefined) config.responseJsonSchema = jsonSchema(format.schema);
  }
  const thinking = encodeThinking(request.reasoning, model, warn);
  if (thinking) config.thinkingConfig = thinking;
  return config;
}

function warnUnsupported(request: ChatRequest, warn: Warn): void {
  if (request.logprobs || request.topLogprobs !== undefined) warn('logprobs are not supported by the Gemini adapter; dropped');
  if (request.parallelToolCalls === false) warn('parallel_tool_calls=false is not supported by Gemini; ignored');
  if (request.user !== undefined) warn('user is not supported by Gemini; dropped');
  if (request.tools?.some((tool) => tool.strict)) warn('strict tool schemas are not enforced by Gemini; sent as ordinary schemas');
  const extra = Object.keys(request.extra);
  if (extra.length > 0) warn(`parameters not supported by Gemini were not forwarded: ${extra.sort().join(', ')}`);
}

/** The JSON body of a `generateContent` / `streamGenerateContent` request. */
export function encodeChatRequest(request: ChatRequest, model: string, warn: Warn): Json {
  const { systemInstruction, contents } = encodeMessages(request.messages, model, warn);
  const body: Json = { contents };
  if (systemInstruction) body.systemInstruction = systemInstruction;
  if (request.tools && request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          ...(tool.parameters !== undefined ? { parametersJsonSchema: jsonSchema(tool.parameters) } : {}),
        })),
      },
    ];
    if (request.toolChoice !== undefined) body.toolConfig = toolConfig(request.toolChoice);
  } else if (request.toolChoice === 'required' || typeof request.toolChoice === 'object') {
    warn('tool_choice without tools is ignored by Gemini');
  }
  const config = generationConfig(request, model, warn);
  if (Object.keys(config).length > 0) body.generationConfig = config;
  warnUnsupported(request, warn);
  return body;
}
