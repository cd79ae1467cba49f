/**
 * The OpenAI face of the simulator: `POST /v1/chat/completions` (also `/beta/chat/completions`, DeepSeek's
 * prefix-completion base path; decoding, faults, replay, answers),
 * with embeddings and model listing from openai-embeddings.ts. Anything the OpenAI API would reject
 * structurally is rejected the same way, so the gateway's error paths meet realistic bodies.
 */
import { planAnswer, promptTokensOf, type ChatInput } from '../answer.js';
import type { Dialect, SimContext } from '../context.js';
import { planPrefill, refusesPrefill } from '../prefill.js';
import { hasBearer } from '../request-log.js';
import type { Scenario } from '../scenario.js';
import { later, pacing, streamFault as sharedStreamFault, writeStream, type StreamFault } from '../sse.js';
import { handleEmbeddings, handleModels } from './openai-embeddings.js';
import {
  answerChunks,
  ChunkRenderer,
  completionBody,
  DONE,
  JSON_TYPE,
  openaiHeaders,
  requestFault,
  sendOpenAIError,
  SSE_TYPE,
  type CompletionMeta,
} from './openai-wire.js';

export const openaiDialect: Dialect = {
  routes: {
    'POST /v1/chat/completions': handleChat,
    // DeepSeek serves prefix completion (`prefix: true`) on its `/beta` base path only.
    'POST /beta/chat/completions': handleChat,
    'POST /v1/embeddings': handleEmbeddings,
    'GET /v1/models': handleModels,
  },
  authError: (ctx) =>
    hasBearer(ctx.req.headers)
      ? undefined
      : {
          status: 401,
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          type: 'invalid_request_error',
        },
  invalidJsonMessage: "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
  sendError: sendOpenAIError,
};

type Json = Record<string, unknown>;

interface ChatRequest {
  input: ChatInput;
  stream: boolean;
  includeUsage: boolean;
  obfuscation: boolean;
}

/** Text of a message's content: a string, or the text parts of a part list. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content) {
    if (part && typeof part === 'object' && typeof (part as Json).text === 'string') out += (part as Json).text as string;
  }
  return out;
}

/** Decodes the request body; returns an error message (with its param) when OpenAI would reject it. */
function decode(body: unknown): ChatRequest | { error: string; param: string | null; code: string | null } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { error: 'The request body must be a JSON object.', param: null, code: null };
  }
  const b = body as Json;
  if (typeof b.model !== 'string' || b.model === '') return { error: 'you must provide a model parameter', param: null, code: null };
  if (!Array.isArray(b.messages)) {
    return { error: "Missing required parameter: 'messages'.", param: 'messages', code: 'missing_required_parameter' };
  }
  if (b.messages.length === 0) {
    return { error: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: 'messages', code: 'empty_array' };
  }

  if (b.continue_final_message === true && b.add_generation_prompt === true) {
    return { error: 'Cannot set both `continue_final_message` and `add_generation_prompt` to True.', param: null, code: null };
  }

  let promptChars = 0;
  let lastUserText = '';
  for (const m of b.messages as Json[]) {
    const text = textOf(m?.content);
    promptChars += text.length;
    if (m?.role === 'user') lastUserText = text;
  }
  const messages = b.messages as (Json | undefined)[];
  const prefill = prefillOf(messages[messages.length - 1], b);
  // A prefill is continued: the answer is the one the conversation before it gets.
  const answered = messages[messages.length - (prefill ? 2 : 1)];
  const toolResultText = answered?.role === 'tool' ? textOf(answered.content) : undefined;

  const tools: ChatInput['tools'] = [];
  if (Array.isArray(b.tools)) {
    for (const t of b.tools as Json[]) {
      const fn = t?.function as Json | undefined;
      if (t?.type === 'function' && fn && typeof fn.name === 'string') tools.push({ name: fn.name, parameters: fn.parameters });
    }
  }

  const streamOptions = (b.stream_options ?? {}) as Json;
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  return {
    input: {
      model: b.model,
      lastUserText,
      toolResultText,
      tools,
      toolChoice: toolChoiceOf(b.tool_choice),
      parallelToolCalls: b.parallel_tool_calls !== false,
      responseFormat: responseFormatOf(b.response_format),
      maxTokens: typeof maxTokens === 'number' && maxTokens >= 0 ? Math.floor(maxTokens) : undefined,
      stop: typeof b.stop === 'string' ? [b.stop] : Array.isArray(b.stop) ? b.stop.filter((s): s is string => typeof s === 'string') : [],
      prefill,
      promptChars,
      messageCount: b.messages.length,
    },
    stream: b.stream === true,
    includeUsage: streamOptions.include_usage === true,
    obfuscation: streamOptions.include_obfuscation !== false,
  };
}

/**
 * The final assistant message as a prefill, when the request flags it: DeepSeek (`/beta`) and Mistral
 * `prefix: true`, Moonshot `partial: true`, vLLM `continue_final_message: true` on the body. A final assistant
 * message without a flag is an ordinary turn.
 */
function prefillOf(last: Json | undefined, body: Json): ChatInput['prefill'] {
  if (last?.role !== 'assistant') return undefined;
  const text = textOf(last.content);
  if (last.prefix === true) return { text, mode: 'prefix' };
  if (last.partial === true) return { text, mode: 'partial' };
  if (body.continue_final_message === true) return { text, mode: 'continue_final_message' };
  return undefined;
}

function toolChoiceOf(raw: unknown): ChatInput['toolChoice'] {
  if (raw === 'none' || raw === 'required' || raw === 'auto') return raw;
  if (raw && typeof raw === 'object') {
    const fn = (raw as Json).function as Json | undefined;
    if (fn && typeof fn.name === 'string') return { name: fn.name };
  }
  return 'auto';
}

function responseFormatOf(raw: unknown): ChatInput['responseFormat'] {
  if (!raw || typeof raw !== 'object') return undefined;
  const rf = raw as Json;
  if (rf.type === 'json_object') return { type: 'json_object' };
  if (rf.type === 'json_schema') return { type: 'json_schema', schema: ((rf.json_schema ?? {}) as Json).schema };
  return undefined;
}

async function handleChat(ctx: SimContext): Promise<void> {
  const decoded = decode(ctx.body);
  if ('error' in decoded) {
    sendOpenAIError(ctx, { status: 400, message: decoded.error, param: decoded.param, code: decoded.code });
    return;
  }
  const { input } = decoded;
  const scenario = ctx.scenario(input.lastUserText);
  const continued = planPrefill(ctx, input, scenario);
  if (refusesPrefill(input, scenario)) {
    sendOpenAIError(ctx, { status: 400, message: 'prefix completion is not supported', type: 'invalid_request_error', param: 'messages', code: null });
    return;
  }
  if (scenario.fault === 'hang') return; // accept the request and never answer

  const meta: CompletionMeta = { id: `chatcmpl-sim${ctx.seq.toString(36).padStart(8, '0')}`, created: Math.floor(Date.now() / 1000), model: input.model };
  if (scenario.replay !== undefined) {
    await replay(ctx, decoded, scenario);
    return;
  }
  // Planned before the latency wait so a request OpenAI would refuse fails at once (AnswerError → 400).
  const plan = scenario.fault === 'context_length' ? undefined : (continued ?? planAnswer(input, scenario));
  later(ctx.res, scenario.latencyMs, () => {
    if (requestFault(ctx, scenario, decoded.input.model, decoded.stream, promptTokensOf(decoded.input))) return;
    if (!plan) return;
    if (!decoded.stream) {
      ctx.res.writeHead(200, openaiHeaders(ctx, JSON_TYPE)).end(completionBody(meta, plan));
      return;
    }
    const renderer = new ChunkRenderer(meta, decoded.includeUsage, decoded.obfuscation);
    const chunks = answerChunks(renderer, plan, scenario.fault !== 'no_done');
    ctx.res.writeHead(200, openaiHeaders(ctx, SSE_TYPE));
    writeStream(ctx.res, { ...chunks, ...pacing(scenario), fault: streamFault(scenario, meta) });
  });
}

/** Where a stream fault breaks the stream off, and the last frame it leaves behind. */
function streamFault(s: Scenario, meta: CompletionMeta): StreamFault | undefined {
  return sharedStreamFault(s, {
    malformed: `data: {"id":"${meta.id}","object":"chat.completion.chunk","choices":[{"delta":{"content":"\n\n`,
    errorEvent:
      'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":"internal_error"}}\n\n',
  });
}

/** Serves a recorded fixture: its stream (with [DONE] appended) or its non-streaming body. */
async function replay(ctx: SimContext, req: ChatRequest, s: Scenario): Promise<void> {
  const name = s.replay!;
  const notFound = (): void => sendOpenAIError(ctx, { status: 404, message: `Replay fixture '${name}' not found.`, param: null, code: 'fixture_not_found' });
  if (!req.stream) {
    const body = await ctx.fixtures.json(name);
    later(ctx.res, s.latencyMs, () => {
      if (requestFault(ctx, s, req.input.model, req.stream, promptTokensOf(req.input))) return;
      if (body === undefined) return notFound();
      // A recorded error body is served as the error it is.
      const status = /^\s*\{\s*"error"\s*:/.test(body) ? (s.status ?? 400) : 200;
      ctx.res.writeHead(status, openaiHeaders(ctx, JSON_TYPE, status)).end(body);
    });
    return;
  }
  const recorded = await ctx.fixtures.stream(name);
  later(ctx.res, s.latencyMs, () => {
    if (requestFault(ctx, s, req.input.model, req.stream, promptTokensOf(req.input))) return;
    if (!recorded) return notFound();
    const meta = { id: 'chatcmpl-replay', created: 0, model: req.input.model };
    const fault = streamFault(s, meta);
    const tail = recorded.complete || s.fault === 'no_done' ? '' : DONE;
    ctx.res.writeHead(200, openaiHeaders(ctx, SSE_TYPE));
    writeStream(ctx.res, { head: '', body: recorded.events, tail, ...pacing(s), fault });
  });
}
