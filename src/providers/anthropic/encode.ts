import type { ChatRequest, ReasoningControl, ToolChoice } from '../../canonical/index.js';
import type { HostRoute } from '../../catalog/types.js';
import { encodeCacheControl, encodeMessages, type WireTurn } from './encode-messages.js';

/** Anthropic requires `max_tokens`; used when neither the client nor the catalogue gives one. */
export const DEFAULT_MAX_TOKENS = 4096;
/** Anthropic's smallest thinking budget. */
export const MIN_THINKING_BUDGET = 1024;
/** Room kept for the visible answer when a thinking budget must fit under the model's output limit. */
const MIN_ANSWER_TOKENS = 1024;

/**
 * Reasoning effort as a thinking budget (tokens). Anthropic's own guidance starts at the 1024 minimum and
 * finds most tasks served by a few thousand tokens; `high` leaves room for an answer under a 32k output
 * limit, and `xhigh` is the largest budget Anthropic recommends without batch processing (32k).
 * `reasoning: {}` or `{enabled: true}` without an effort gets `medium`.
 */
export const EFFORT_BUDGET: Readonly<Record<'minimal' | 'low' | 'medium' | 'high' | 'xhigh', number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 24576,
  xhigh: 32000,
};

type Warn = (message: string) => void;

/** The thinking budget a reasoning control asks for, or undefined when it asks for no thinking. */
export function thinkingBudget(reasoning: ReasoningControl | undefined, warn: Warn): number | undefined {
  if (!reasoning || reasoning.enabled === false || reasoning.effort === 'none') return undefined;
  const budget = reasoning.maxTokens ?? EFFORT_BUDGET[reasoning.effort ?? 'medium'];
  if (budget < MIN_THINKING_BUDGET) {
    warn(`a reasoning budget of ${budget} tokens is below Anthropic's minimum; raised to ${MIN_THINKING_BUDGET}`);
    return MIN_THINKING_BUDGET;
  }
  return Math.floor(budget);
}

function encodeToolChoice(choice: ToolChoice | undefined, disableParallel: boolean): Record<string, unknown> | undefined {
  let wire: Record<string, unknown> | undefined;
  if (choice === 'auto') wire = { type: 'auto' };
  else if (choice === 'required') wire = { type: 'any' };
  else if (choice === 'none') return { type: 'none' };
  else if (choice !== undefined) wire = { type: 'tool', name: choice.name };
  if (disableParallel) wire = { type: 'auto', ...wire, disable_parallel_tool_use: true };
  return wire;
}

function isForcedToolChoice(choice: ToolChoice | undefined): boolean {
  return choice === 'required' || (typeof choice === 'object' && choice !== null);
}

/** Why Anthropic would reject thinking on this request, if it would. */
function thinkingConflict(request: ChatRequest, turns: readonly WireTurn[], hasTools: boolean): string | undefined {
  if (hasTools && isForcedToolChoice(request.toolChoice)) return 'tool_choice forces a tool call';
  const last = turns[turns.length - 1];
  if (last?.role === 'assistant') return 'the conversation ends with an assistant prefill';
  // With thinking on, the assistant turn whose tool calls are being answered must start with its thinking
  // block. A client that did not send reasoning_details back has lost it, and thinking must go.
  const lastAssistant = [...turns].reverse().find((t) => t.role === 'assistant');
  if (lastAssistant && lastAssistant.content.some((b) => b.type === 'tool_use')) {
    const first = lastAssistant.content[0]?.type;
    if (first !== 'thinking' && first !== 'redacted_thinking') {
      return 'the last assistant tool call came back without its Anthropic thinking block (reasoning_details)';
    }
  }
  return undefined;
}

/**
 * The body of a Messages API request. Parameters Anthropic lacks are dropped with a warning; parameters it
 * restricts (temperature above 1, sampling with thinking on) are adjusted with a warning.
 */
export function encodeChatRequest(request: ChatRequest, route: HostRoute, warn: Warn): Record<string, unknown> {
  const { system, messages } = encodeMessages(request.messages, warn);
  const body: Record<string, unknown> = { model: route.upstreamModel };

  const tools = request.tools ?? [];
  let strictDropped = false;
  const wireTools = tools.map((tool) => {
    if (tool.strict === true) strictDropped = true;
    const wire: Record<string, unknown> = { name: tool.name };
    if (tool.description !== undefined) wire.description = tool.description;
    wire.input_schema = tool.parameters ?? { type: 'object' };
    const cache = encodeCacheControl(tool.cacheControl);
    if (cache) wire.cache_control = cache;
    return wire;
  });
  if (strictDropped) warn('strict tool schemas are not supported by this Anthropic adapter; tools were sent without strict');

  let budget = thinkingBudget(request.reasoning, warn);
  if (budget !== undefined) {
    const conflict = thinkingConflict(request, messages, wireTools.length > 0);
    if (conflict) {
      warn(`reasoning was turned off: ${conflict}, which Anthropic does not allow with extended thinking`);
      budget = undefined;
    }
  }

  // max_tokens is required and, with thinking on, counts the thinking too, so it must exceed the budget.
  const cap = route.maxOutput;
  let maxTokens = request.maxTokens ?? cap ?? DEFAULT_MAX_TOKENS;
  if (budget !== undefined && cap !== undefined && budget > cap - MIN_ANSWER_TOKENS) {
    const lowered = cap - MIN_ANSWER_TOKENS;
    if (lowered < MIN_THINKING_BUDGET) {
      warn(`reasoning was turned off: the model's output limit of ${cap} tokens leaves no room for a thinking budget`);
      budget = undefined;
    } else {
      warn(`the reasoning budget of ${budget} tokens was lowered to ${lowered} to fit the model's output limit of ${cap} tokens`);
      budget = lowered;
    }
  }
  if (budget !== undefined && maxTokens <= budget) {
    const raised = cap !== undefined ? Math.min(budget + maxTokens, cap) : budget + maxTokens;
    if (request.maxTokens !== undefined) {
      warn(`max_tokens ${request.maxTokens} does not exceed the reasoning budget of ${budget} tokens, which Anthropic counts in max_tokens; raised to ${raised}`);
    }
    maxTokens = raised;
  }
  body.max_tokens = maxTokens;
  if (system.length > 0) body.system = system;
  body.messages = messages;

  if (wireTools.length > 0) {
    body.tools = wireTools;
    const choice = encodeToolChoice(request.toolChoice, request.parallelToolCalls === false);
    if (choice) body.tool_choice = choice;
  } else if (isForcedToolChoice(request.toolChoice)) {
    warn('tool_choice requires a tool call but the request defines no tools; dropped');
  }

  if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget };

  let temperature = request.temperature;
  if (temperature !== undefined && budget !== undefined && temperature !== 1) {
    warn('temperature cannot be changed while Anthropic extended thinking is on; dropped');
    temperature = undefined;
  } else if (temperature !== undefined && temperature > 1) {
    warn(`temperature ${temperature} is above Anthropic's maximum of 1; sent as 1`);
    temperature = 1;
  }
  if (temperature !== undefined) body.temperature = temperature;
  if (request.topP !== undefined) {
    if (budget !== undefined && request.topP < 0.95) warn('top_p below 0.95 is not allowed with Anthropic extended thinking; dropped');
    else body.top_p = request.topP;
  }
  if (request.topK !== undefined) {
    if (budget !== undefined) warn('top_k cannot be set while Anthropic extended thinking is on; dropped');
    else body.top_k = request.topK;
  }
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  if (request.stream) body.stream = true;

  if (request.responseFormat && request.responseFormat.type !== 'text') {
    warn(`response_format ${request.responseFormat.type} is not supported by Anthropic; dropped (the answer is not constrained to JSON)`);
  }
  if (request.seed !== undefined) warn('seed is not supported by Anthropic; dropped');
  if (request.frequencyPenalty !== undefined) warn('frequency_penalty is not supported by Anthropic; dropped');
  if (request.presencePenalty !== undefined) warn('presence_penalty is not supported by Anthropic; dropped');
  if (request.logprobs === true || request.topLogprobs !== undefined) warn('logprobs are not supported by Anthropic; dropped');
  const extra = Object.keys(request.extra);
  if (extra.length > 0) warn(`fields not forwarded to Anthropic (it rejects unknown fields): ${extra.join(', ')}`);
  return body;
}
