/**
 * Deterministic answers. Every dialect decodes its request into a ChatInput and renders the AnswerPlan
 * this module returns, so the OpenAI, Anthropic and Gemini faces of the simulator answer alike.
 *
 * Conventions (documented for tests and benchmarks; no real tokenizer is involved):
 * - One token = one stream chunk = one vocabulary word plus a trailing space ("lorem ").
 * - prompt tokens = ceil(characters of all message text / 4) + 4 per message (a system prompt counts as a
 *   message in every dialect, so the same conversation costs the same through OpenAI, Anthropic and Gemini).
 * - completion tokens = content tokens + reasoning tokens + ceil(characters of each tool call's arguments / 4).
 * - The natural answer has `outputTokens` content tokens (default min(max_tokens, 16)). When it is longer
 *   than max_tokens it is cut at max_tokens with finish_reason "length"; reasoning and tool calls are not
 *   counted against max_tokens.
 * - A stop sequence ends the content just before its first occurrence, with finish_reason "stop" (the plan
 *   names the sequence, for dialects that report it).
 * - Cache: `cachedTokens` (cache reads) and `cacheWriteTokens` (cache writes) are parts of the prompt, capped
 *   so that together they never exceed it; each dialect reports them its provider's way.
 * - Prefill (a request to continue a final assistant turn): the natural answer is the one the conversation
 *   without that turn gets; when the prefill (as received, or with its trailing whitespace trimmed) begins it,
 *   the answer is the rest, so prefill + continuation = natural answer. The continuation's tokens are the natural
 *   tokens the prefill does not wholly cover, the first one shortened to its uncovered part. Otherwise the whole
 *   natural answer comes back (`matched: false`). The prefill counts in the prompt like any message.
 */
import { hash32, hex, prng } from './random.js';
import { sampleFromSchema } from './schema-sample.js';
import type { Scenario } from './scenario.js';

export interface ChatInput {
  model: string;
  /** Text of the last user message ('' when there is none). */
  lastUserText: string;
  /** Text of the last message when that message is a tool result; undefined otherwise. */
  toolResultText?: string;
  tools: { name: string; parameters?: unknown }[];
  toolChoice: 'auto' | 'none' | 'required' | { name: string };
  parallelToolCalls: boolean;
  responseFormat?: { type: 'json_object' } | { type: 'json_schema'; schema?: unknown };
  maxTokens?: number;
  stop: string[];
  /**
   * The request turned reasoning on (true: Anthropic `thinking`, Gemini `includeThoughts`/`thinkingBudget`) or
   * off (false). Undefined leaves it to the model name (`reasoner`/`thinking`) and the scenario.
   */
  reasoning?: boolean;
  /**
   * The final assistant turn the request asks the model to continue (OpenAI dialect: flagged `prefix`, `partial`
   * or `continue_final_message`; Anthropic and Gemini: any final assistant/model turn). The other fields describe
   * the conversation without it, except the prompt size, which includes it.
   */
  prefill?: { text: string; mode: PrefillMode };
  /** Characters of text across all messages, and the number of messages (for prompt_tokens). */
  promptChars: number;
  messageCount: number;
}

/**
 * How a request marked its final assistant turn as a prefill, named like the gateway catalog's prefill modes:
 * DeepSeek/Mistral `prefix: true`, Moonshot `partial: true`, vLLM `continue_final_message: true`, or a trailing
 * assistant turn that Anthropic and Gemini always continue.
 */
export type PrefillMode = 'prefix' | 'partial' | 'continue_final_message' | 'trailing_assistant';

export interface PlannedToolCall {
  id: string;
  name: string;
  arguments: string;
  /** The arguments split into the small pieces a stream sends (4–8 characters each). */
  fragments: string[];
}

export interface AnswerPlan {
  reasoning: string[];
  /** Content tokens; empty when the answer is tool calls. */
  content: string[];
  toolCalls: PlannedToolCall[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  /** The stop sequence that ended the content, when one did. */
  stopSequence?: string;
  /** For a prefill request: whether the prefill began the natural answer (so `content` is its continuation). */
  prefill?: { matched: boolean };
  usage: { promptTokens: number; completionTokens: number; cachedTokens: number; cacheWriteTokens: number; reasoningTokens: number };
}

/** A request the simulator refuses the way a provider would (HTTP 400). */
export class AnswerError extends Error {
  override name = 'AnswerError';
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

const VOCABULARY = [
  'lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit', 'sed', 'do', 'eiusmod', 'tempor',
  'incididunt', 'ut', 'labore', 'et', 'dolore', 'magna', 'aliqua', 'enim', 'ad', 'minim', 'veniam', 'quis',
  'nostrud', 'exercitation', 'ullamco', 'laboris', 'nisi', 'aliquip', 'ex', 'ea',
].map((w) => `${w} `);

const DEFAULT_OUTPUT_TOKENS = 16;
const DEFAULT_REASONING_TOKENS = 8;

/** The prompt's size by the convention above: the same for answers and for token-count endpoints. */
export function promptTokensOf(input: Pick<ChatInput, 'promptChars' | 'messageCount'>): number {
  return Math.ceil(input.promptChars / 4) + 4 * input.messageCount;
}

/** True when the model name alone asks for reasoning (deepseek-reasoner, *-thinking). */
export function reasoningModel(model: string): boolean {
  return /reasoner|thinking/i.test(model);
}

export function planAnswer(input: ChatInput, scenario: Scenario): AnswerPlan {
  const seed = hash32(input.lastUserText);
  const reasons = input.reasoning ?? reasoningModel(input.model);
  const reasoningCount = scenario.reasoningTokens ?? (reasons ? DEFAULT_REASONING_TOKENS : 0);
  const reasoning = words(prng(seed ^ 0x5eed), reasoningCount);

  const toolCalls = planToolCalls(input, scenario, seed);
  let content: string[] = [];
  let finishReason: AnswerPlan['finishReason'] = 'tool_calls';
  let stopSequence: string | undefined;
  if (toolCalls.length === 0) {
    const natural = scenario.outputTokens ?? Math.min(input.maxTokens ?? DEFAULT_OUTPUT_TOKENS, DEFAULT_OUTPUT_TOKENS);
    const capped = capAndStop(naturalContent(input, natural, seed), input.maxTokens, input.stop);
    content = capped.tokens;
    finishReason = capped.finishReason;
    stopSequence = capped.stopSequence;
  }
  let matched: boolean | undefined;
  if (input.prefill !== undefined) {
    const rest = continuationOf(content, input.prefill.text);
    matched = rest !== undefined;
    if (rest !== undefined) content = rest;
  }

  const promptTokens = promptTokensOf(input);
  let toolTokens = 0;
  for (const call of toolCalls) toolTokens += Math.ceil(call.arguments.length / 4);
  const cachedTokens = Math.min(scenario.cachedTokens ?? 0, promptTokens);
  const plan: AnswerPlan = {
    reasoning,
    content,
    toolCalls,
    finishReason,
    usage: {
      promptTokens,
      completionTokens: content.length + reasoning.length + toolTokens,
      cachedTokens,
      cacheWriteTokens: Math.min(scenario.cacheWriteTokens ?? 0, promptTokens - cachedTokens),
      reasoningTokens: reasoning.length,
    },
  };
  if (stopSequence !== undefined) plan.stopSequence = stopSequence;
  if (matched !== undefined) plan.prefill = { matched };
  return plan;
}

/**
 * What follows the prefill in the natural answer's tokens, or undefined when the prefill does not begin it.
 * The prefill is compared with its trailing whitespace trimmed (the gateway's Anthropic adapter trims it, as
 * Anthropic demands), and the continuation starts right after the prefill as received: after the whole
 * prefill when it begins the answer verbatim, else after its trimmed text (so the continuation then opens with
 * the whitespace that was trimmed).
 */
export function continuationOf(tokens: string[], prefill: string): string[] | undefined {
  const text = tokens.join('');
  const trimmed = prefill.trimEnd();
  if (!text.startsWith(trimmed)) return undefined;
  const cut = text.startsWith(prefill) ? prefill.length : trimmed.length;
  const out: string[] = [];
  let used = 0;
  for (const t of tokens) {
    const end = used + t.length;
    if (end > cut) out.push(used >= cut ? t : t.slice(cut - used));
    used = end;
  }
  return out;
}

function words(next: () => number, count: number): string[] {
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = VOCABULARY[next() & 31]!;
  return out;
}

/** The answer before max_tokens and stop sequences: plain words, a tool-result echo, or JSON. */
function naturalContent(input: ChatInput, count: number, seed: number): string[] {
  const next = prng(seed);
  if (input.responseFormat) {
    const value =
      input.responseFormat.type === 'json_schema'
        ? sampleFromSchema(input.responseFormat.schema)
        : { answer: words(next, count).join('').trimEnd() };
    return fragments(JSON.stringify(value), next);
  }
  if (input.toolResultText !== undefined) {
    // Mention the tool result so a multi-turn test can see it reached the model.
    const echoed = input.toolResultText.split(/\s+/).filter(Boolean).slice(0, 8).map((w) => `${w} `);
    const tokens = ['Tool ', 'result: ', ...echoed];
    while (tokens.length < count) tokens.push(VOCABULARY[next() & 31]!);
    return tokens.slice(0, count);
  }
  return words(next, count);
}

function capAndStop(
  tokens: string[],
  maxTokens: number | undefined,
  stop: string[],
): { tokens: string[]; finishReason: 'stop' | 'length'; stopSequence?: string } {
  let finishReason: 'stop' | 'length' = 'stop';
  if (maxTokens !== undefined && tokens.length > maxTokens) {
    tokens = tokens.slice(0, maxTokens);
    finishReason = 'length';
  }
  if (stop.length === 0) return { tokens, finishReason };
  const text = tokens.join('');
  let cut = -1;
  let matched = '';
  for (const s of stop) {
    const at = s.length > 0 ? text.indexOf(s) : -1;
    if (at >= 0 && (cut < 0 || at < cut)) {
      cut = at;
      matched = s;
    }
  }
  if (cut < 0) return { tokens, finishReason };
  // Keep whole tokens before the stop sequence and the part of the token it starts in.
  const kept: string[] = [];
  let used = 0;
  for (const t of tokens) {
    if (used + t.length <= cut) kept.push(t);
    else {
      if (cut > used) kept.push(t.slice(0, cut - used));
      break;
    }
    used += t.length;
  }
  return { tokens: kept, finishReason: 'stop', stopSequence: matched };
}

function planToolCalls(input: ChatInput, scenario: Scenario, seed: number): PlannedToolCall[] {
  if (input.tools.length === 0 || input.toolChoice === 'none' || input.toolResultText !== undefined) return [];
  const choice = input.toolChoice;
  let named: { name: string; parameters?: unknown } | undefined;
  if (typeof choice === 'object') {
    named = input.tools.find((t) => t.name === choice.name);
    if (!named) throw new AnswerError(`Tool choice '${choice.name}' is not one of the provided tools.`, 'tool_choice');
  }
  const count = scenario.toolCalls ?? (!named && input.tools.length >= 2 && input.parallelToolCalls ? 2 : 1);
  const next = prng(seed ^ 0x7001);
  const calls: PlannedToolCall[] = [];
  for (let i = 0; i < count; i++) {
    const tool = named ?? input.tools[i % input.tools.length]!;
    const args = JSON.stringify(sampleFromSchema(tool.parameters));
    calls.push({ id: `call_${hex(next, 24)}`, name: tool.name, arguments: args, fragments: fragments(args, next) });
  }
  return calls;
}

/** Splits text into 4–8 character pieces, sizes drawn from the generator so they are irregular yet repeatable. */
export function fragments(text: string, next: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const size = 4 + (next() % 5);
    out.push(text.slice(i, i + size));
    i += size;
  }
  return out;
}
