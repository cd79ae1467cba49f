/**
 * The Anthropic face of the simulator: `POST /v1/messages` (JSON and named-event SSE) and
 * `POST /v1/messages/count_tokens`. Requests are decoded into the shared ChatInput and answered by the
 * shared planner; anything Anthropic would reject structurally (no `max_tokens`, no `anthropic-version`,
 * a thinking budget it refuses, a final assistant turn ending in whitespace) is rejected the same way. A final
 * assistant turn is a prefill: the answer continues it.
 */
import { planAnswer, promptTokensOf, type ChatInput } from '../answer.js';
import type { Dialect, SimContext } from '../context.js';
import { planPrefill, refusesPrefill } from '../prefill.js';
import { hasBearer } from '../request-log.js';
import type { Scenario } from '../scenario.js';
import { later, pacing, requestFault, streamFault, writeStream } from '../sse.js';
import {
  ANTHROPIC_FAULT_FRAMES,
  anthropicFaults,
  anthropicHeaders,
  JSON_TYPE,
  messageBody,
  messageEvents,
  sendAnthropicError,
  SSE_TYPE,
  statusForType,
  type MessageMeta,
} from './anthropic-wire.js';

export const anthropicDialect: Dialect = {
  routes: {
    'POST /v1/messages': handleMessages,
    'POST /v1/messages/count_tokens': handleCountTokens,
  },
  owns: (path) => path === '/v1/messages' || path.startsWith('/v1/messages/'),
  authError: (ctx) => {
    const key = ctx.req.headers['x-api-key'];
    if ((typeof key === 'string' && key.length > 0) || hasBearer(ctx.req.headers)) return undefined;
    return { status: 401, message: 'x-api-key header is required' };
  },
  headerError: (ctx) => {
    const version = ctx.req.headers['anthropic-version'];
    if (typeof version === 'string' && version.length > 0) return undefined;
    return { status: 400, message: 'anthropic-version: header is required' };
  },
  invalidJsonMessage: 'There was an error parsing the body of your request: it is not valid JSON.',
  sendError: sendAnthropicError,
};

type Json = Record<string, unknown>;

/** What a model without prefill support says to a conversation that ends with an assistant turn. */
const PREFILL_REFUSAL = 'This model does not support assistant message prefill. The conversation must end with a user message.';

interface MessagesRequest {
  input: ChatInput;
  stream: boolean;
  /** `thinking.display: "omitted"` */
  omitThinking: boolean;
}

interface DecodeError {
  error: string;
}

function isObject(x: unknown): x is Json {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Text of string content or of the `text` blocks of a block list. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const block of content) if (isObject(block) && block.type === 'text' && typeof block.text === 'string') out += block.text;
  return out;
}

/** Text of the tool results in a user message (string or text-block content each), or undefined if none. */
function toolResultsOf(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined;
  const parts: string[] = [];
  for (const block of content) if (isObject(block) && block.type === 'tool_result') parts.push(textOf(block.content));
  return parts.length > 0 ? parts.join('\n') : undefined;
}

/**
 * Decodes a Messages (or count_tokens) body; returns the error message Anthropic would give when it
 * refuses the body. Validation messages follow Anthropic's `field: problem` style.
 */
function decode(body: unknown, countOnly: boolean): MessagesRequest | DecodeError {
  if (!isObject(body)) return { error: 'body: Input should be a valid dictionary' };
  if (typeof body.model !== 'string' || body.model === '') return { error: 'model: Field required' };
  if (!Array.isArray(body.messages)) return { error: 'messages: Field required' };
  let maxTokens: number | undefined;
  if (!countOnly) {
    if (body.max_tokens === undefined || body.max_tokens === null) return { error: 'max_tokens: Field required' };
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) return { error: 'max_tokens: Input should be a valid integer' };
    if (body.max_tokens < 1) return { error: 'max_tokens: Input should be greater than or equal to 1' };
    maxTokens = body.max_tokens;
  }
  if (body.messages.length === 0) return { error: 'messages: at least one message is required' };

  let promptChars = 0;
  let messageCount = body.messages.length;
  if (body.system !== undefined && body.system !== null) {
    if (typeof body.system !== 'string' && !Array.isArray(body.system)) return { error: 'system: Input should be a valid string or a list of text blocks' };
    promptChars += textOf(body.system).length;
    messageCount++;
  }
  let lastUserText = '';
  let lastUserIndex = -1;
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i] as unknown;
    if (!isObject(m)) return { error: `messages.${i}: Input should be a valid dictionary` };
    if (m.role !== 'user' && m.role !== 'assistant' && m.role !== 'system') return { error: `messages.${i}.role: Input should be 'user' or 'assistant'` };
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) return { error: `messages.${i}.content: Field required` };
    const text = textOf(m.content);
    promptChars += text.length + (toolResultsOf(m.content)?.length ?? 0);
    if (m.role === 'user') {
      // A user turn of tool results only keeps the directive and seed of the turn that asked.
      if (text.length > 0 || lastUserIndex < 0) lastUserText = text;
      lastUserIndex = i;
    }
  }
  const last = body.messages[body.messages.length - 1] as Json;
  // A final assistant turn is a prefill: the answer continues it, and is the one the conversation before it gets.
  let prefill: ChatInput['prefill'];
  if (last.role === 'assistant') {
    const text = textOf(last.content);
    if (/\s$/.test(text)) return { error: 'messages: final assistant content cannot end with trailing whitespace' };
    prefill = { text, mode: 'trailing_assistant' };
  }
  const answered = prefill ? (body.messages[body.messages.length - 2] as Json | undefined) : last;
  const toolResultText = answered?.role === 'user' ? toolResultsOf(answered.content) : undefined;

  const tools: ChatInput['tools'] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools as unknown[]) {
      // Custom tools carry an input_schema; server tools (web_search_…, bash_…) are Anthropic's to run.
      if (isObject(t) && typeof t.name === 'string' && isObject(t.input_schema)) tools.push({ name: t.name, parameters: t.input_schema });
    }
  }

  const choice = isObject(body.tool_choice) ? body.tool_choice : {};
  let toolChoice: ChatInput['toolChoice'] = 'auto';
  if (choice.type === 'any') toolChoice = 'required';
  else if (choice.type === 'none') toolChoice = 'none';
  else if (choice.type === 'tool') {
    if (typeof choice.name !== 'string') return { error: 'tool_choice.tool.name: Field required' };
    toolChoice = { name: choice.name };
  }

  let reasoning: boolean | undefined;
  let omitThinking = false;
  if (isObject(body.thinking)) {
    const thinking = body.thinking;
    if (thinking.type === 'enabled') {
      const budget = thinking.budget_tokens;
      if (typeof budget !== 'number' || !Number.isInteger(budget)) return { error: 'thinking.enabled.budget_tokens: Field required' };
      if (budget < 1024) return { error: 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024' };
      if (maxTokens !== undefined && maxTokens <= budget) {
        return {
          error:
            '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size',
        };
      }
      reasoning = true;
    } else if (thinking.type === 'adaptive' || thinking.type === 'between_tools') reasoning = true;
    else if (thinking.type === 'disabled') reasoning = false;
    else return { error: "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'" };
    omitThinking = thinking.display === 'omitted';
    if (reasoning && (toolChoice === 'required' || typeof toolChoice === 'object')) {
      return { error: 'Thinking may not be enabled when tool_choice forces tool use.' };
    }
    if (reasoning && typeof body.temperature === 'number' && body.temperature !== 1) {
      return { error: '`temperature` may only be set to 1 when thinking is enabled or in adaptive mode.' };
    }
  }
  if (typeof body.temperature === 'number') {
    if (body.temperature < 0) return { error: 'temperature: Input should be greater than or equal to 0' };
    if (body.temperature > 1) return { error: 'temperature: Input should be less than or equal to 1' };
  }

  return {
    input: {
      model: body.model,
      lastUserText,
      toolResultText,
      tools,
      toolChoice,
      parallelToolCalls: choice.disable_parallel_tool_use !== true,
      maxTokens,
      stop: Array.isArray(body.stop_sequences) ? body.stop_sequences.filter((s): s is string => typeof s === 'string') : [],
      reasoning,
      prefill,
      promptChars,
      messageCount,
    },
    stream: body.stream === true,
    omitThinking,
  };
}

async function handleMessages(ctx: SimContext): Promise<void> {
  const decoded = decode(ctx.body, false);
  if ('error' in decoded) {
    sendAnthropicError(ctx, { status: 400, message: decoded.error });
    return;
  }
  const { input } = decoded;
  const scenario = ctx.scenario(input.lastUserText);
  const continued = planPrefill(ctx, input, scenario);
  if (refusesPrefill(input, scenario)) {
    sendAnthropicError(ctx, { status: 400, message: PREFILL_REFUSAL });
    return;
  }
  if (scenario.fault === 'hang') return; // accept the request and never answer
  if (scenario.replay !== undefined) {
    await replay(ctx, decoded, scenario);
    return;
  }
  const meta: MessageMeta = { id: `msg_sim${ctx.seq.toString(36).padStart(20, '0')}`, model: input.model, omitThinking: decoded.omitThinking };
  // Planned before the latency wait so a request Anthropic would refuse fails at once (AnswerError → 400).
  const plan = scenario.fault === 'context_length' ? undefined : (continued ?? planAnswer(input, scenario));
  later(ctx.res, scenario.latencyMs, () => {
    if (requestFault(ctx, scenario, anthropicFaults, input.model, decoded.stream, promptTokensOf(input))) return;
    if (!plan) return;
    if (!decoded.stream) {
      ctx.res.writeHead(200, anthropicHeaders(ctx, JSON_TYPE)).end(messageBody(meta, plan));
      return;
    }
    const events = messageEvents(meta, plan, scenario.fault !== 'no_done');
    ctx.res.writeHead(200, anthropicHeaders(ctx, SSE_TYPE));
    writeStream(ctx.res, { ...events, ...pacing(scenario), fault: streamFault(scenario, ANTHROPIC_FAULT_FRAMES) });
  });
}

/** `{input_tokens}` by the simulator's convention: the whole prompt, as the Messages answer would count it. */
function handleCountTokens(ctx: SimContext): void {
  const decoded = decode(ctx.body, true);
  if ('error' in decoded) {
    sendAnthropicError(ctx, { status: 400, message: decoded.error });
    return;
  }
  const { input } = decoded;
  const scenario = ctx.scenario(input.lastUserText);
  if (scenario.fault === 'hang') return;
  const tokens = promptTokensOf(input);
  later(ctx.res, scenario.latencyMs, () => {
    // Counting a long prompt is what count_tokens is for: context_length does not apply here.
    if (scenario.fault !== 'context_length' && requestFault(ctx, scenario, anthropicFaults, input.model, false, tokens)) return;
    ctx.res.writeHead(200, anthropicHeaders(ctx, JSON_TYPE)).end(`{"input_tokens":${tokens}}`);
  });
}

/**
 * Serves a recorded Anthropic fixture: its events with `event:` names derived from their types (without
 * `message_stop` under `no_done`), or its non-streaming body (a recorded error body with its status).
 */
async function replay(ctx: SimContext, req: MessagesRequest, s: Scenario): Promise<void> {
  const name = s.replay!;
  const notFound = (): void => sendAnthropicError(ctx, { status: 404, message: `Replay fixture '${name}' not found.` });
  const prompt = promptTokensOf(req.input);
  if (!req.stream) {
    const body = await ctx.fixtures.json(name);
    later(ctx.res, s.latencyMs, () => {
      if (requestFault(ctx, s, anthropicFaults, req.input.model, false, prompt)) return;
      if (body === undefined) return notFound();
      const status = recordedErrorStatus(body);
      ctx.res.writeHead(status, anthropicHeaders(ctx, JSON_TYPE, status)).end(body);
    });
    return;
  }
  const recorded = await ctx.fixtures.stream(name, { namedEvents: true });
  later(ctx.res, s.latencyMs, () => {
    if (requestFault(ctx, s, anthropicFaults, req.input.model, true, prompt)) return;
    if (!recorded) return notFound();
    const events = s.fault === 'no_done' ? recorded.events.filter((e) => !e.startsWith('event: message_stop\n')) : recorded.events;
    ctx.res.writeHead(200, anthropicHeaders(ctx, SSE_TYPE));
    writeStream(ctx.res, { head: '', body: events, tail: '', ...pacing(s), fault: streamFault(s, ANTHROPIC_FAULT_FRAMES) });
  });
}

/** 200 for a recorded message; the status matching its error type for a recorded error body. */
function recordedErrorStatus(body: string): number {
  if (!/^\s*\{\s*"type"\s*:\s*"error"/.test(body)) return 200;
  try {
    return statusForType((JSON.parse(body) as { error?: { type?: unknown } }).error?.type);
  } catch {
    return 500;
  }
}
