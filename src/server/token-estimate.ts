import type { ChatRequest } from '../canonical/index.js';
import type { ModelInfo } from '../catalog/types.js';

/**
 * Prompt-token estimate for count_tokens and pre-flight checks. Until the tokenizer module lands this is the
 * documented character heuristic: 4 characters per token plus 4 tokens per message.
 */
export function estimateInputTokens(request: ChatRequest, _model: ModelInfo): number {
  let chars = 0;
  for (const message of request.messages) {
    if (typeof message.content === 'string') chars += message.content.length;
    else if (message.content) for (const part of message.content) chars += part.type === 'text' ? part.text.length : 3000;
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  }
  for (const tool of request.tools ?? []) chars += JSON.stringify(tool).length;
  return Math.ceil(chars / 4) + 4 * request.messages.length;
}
