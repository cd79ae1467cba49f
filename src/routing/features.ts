import type { ChatRequest } from '../canonical/index.js';

/** What a request needs from a host, computed once per request (the planner runs on every request). */
export interface RequestFeatures {
  tools: boolean;
  jsonSchema: boolean;
  images: boolean;
  reasoning: boolean;
  /** Estimated prompt tokens (see src/tokens). */
  promptTokens: number;
  /** Output tokens the client asked for at most, if it said. */
  maxTokens?: number;
  /** OpenRouter-style names of the parameters the request sets, for `require_parameters`. */
  parameters: string[];
}

export function requestFeatures(request: ChatRequest, promptTokens: number): RequestFeatures {
  let images = false;
  for (const message of request.messages) {
    if (Array.isArray(message.content) && message.content.some((p) => p.type === 'image')) {
      images = true;
      break;
    }
  }
  const parameters: string[] = [];
  if (request.tools && request.tools.length > 0) parameters.push('tools');
  if (request.toolChoice !== undefined) parameters.push('tool_choice');
  if (request.responseFormat) parameters.push(request.responseFormat.type === 'json_schema' ? 'structured_outputs' : 'response_format');
  if (request.temperature !== undefined) parameters.push('temperature');
  if (request.topP !== undefined) parameters.push('top_p');
  if (request.topK !== undefined) parameters.push('top_k');
  if (request.stop !== undefined) parameters.push('stop');
  if (request.seed !== undefined) parameters.push('seed');
  if (request.frequencyPenalty !== undefined) parameters.push('frequency_penalty');
  if (request.presencePenalty !== undefined) parameters.push('presence_penalty');
  if (request.logprobs) parameters.push('logprobs');
  if (request.reasoning) parameters.push('reasoning');
  if (request.maxTokens !== undefined) parameters.push('max_tokens');
  return {
    tools: (request.tools?.length ?? 0) > 0 && request.toolChoice !== 'none',
    jsonSchema: request.responseFormat?.type === 'json_schema',
    images,
    reasoning: request.reasoning !== undefined && request.reasoning.enabled !== false && request.reasoning.effort !== 'none',
    promptTokens,
    maxTokens: request.maxTokens,
    parameters,
  };
}
