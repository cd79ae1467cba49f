/**
 * The Gemini face of the simulator: `POST /v1beta/models/{model}:{method}` for generateContent,
 * streamGenerateContent (SSE with `alt=sse`, else Google's streamed JSON array), embedContent,
 * batchEmbedContents and countTokens. `/v1/` and `/v1alpha/` paths are served alike. Requests are decoded
 * into the shared ChatInput and answered by the shared planner. A final `model` turn is a prefill: the answer
 * continues it.
 */
import { planAnswer, promptTokensOf, reasoningModel, type ChatInput } from '../answer.js';
import type { Dialect, RouteHandler, SimContext, SimError } from '../context.js';
import { planPrefill, refusesPrefill } from '../prefill.js';
import type { RecordedInteraction } from '../replay.js';
import { hasBearer } from '../request-log.js';
import type { Scenario } from '../scenario.js';
import { later, pacing, requestFault, streamFault, writeStream } from '../sse.js';
import { embeddingFor } from '../embedding.js';
import {
  batchEmbeddingBody,
  countTokensBody,
  embeddingBody,
  frameOf,
  geminiFaultFrames,
  geminiFaults,
  geminiHeaders,
  JSON_TYPE,
  prettyJson,
  responseBody,
  responseChunks,
  sendGeminiError,
  SSE_TYPE,
  streamHead,
  streamTail,
  type Framing,
  type ResponseMeta,
} from './gemini-wire.js';

const ROUTE = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):([A-Za-z]+)$/;

type Method = (ctx: SimContext, model: string) => void | Promise<void>;

const METHODS: Record<string, Method> = {
  generateContent: (ctx, model) => handleGenerate(ctx, model, false),
  streamGenerateContent: (ctx, model) => handleGenerate(ctx, model, true),
  embedContent: handleEmbed,
  batchEmbedContents: handleBatchEmbed,
  countTokens: handleCountTokens,
};

export const geminiDialect: Dialect = {
  routes: {},
  match(method: string, path: string): RouteHandler | undefined {
    if (method !== 'POST') return undefined;
    const m = ROUTE.exec(path);
    const handler = m ? METHODS[m[3]!] : undefined;
    if (!m || !handler) return undefined;
    let model = m[2]!;
    try {
      model = decodeURIComponent(model);
    } catch {
      // Kept as written; the simulator serves any model name.
    }
    return (ctx) => handler(ctx, model);
  },
  owns: (path) => path.startsWith('/v1beta/') || path.startsWith('/v1alpha/') || (path.startsWith('/v1/models/') && path.includes(':')),
  authError: (ctx) => {
    const header = ctx.req.headers['x-goog-api-key'];
    const key = typeof header === 'string' ? header : ctx.query.get('key');
    if (key === null || key === undefined) {
      if (hasBearer(ctx.req.headers)) return undefined;
      return {
        status: 403,
        message:
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      };
    }
    if (key.trim().length > 0) return undefined;
    return {
      status: 400,
      message: 'API key not valid. Please pass a valid API key.',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
      ],
    };
  },
  invalidJsonMessage: 'Invalid JSON payload received. Unexpected token.',
  sendError: sendGeminiError,
};

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

interface GenerateRequest {
  input: ChatInput;
  /** includeThoughts as sent: true shows thoughts, false hides them, undefined leaves it to the scenario. */
  includeThoughts: boolean | undefined;
}

/** Text of a Content's text parts (thought parts of earlier turns included: they are text the model saw). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  const parts = isObject(content) ? content.parts : undefined;
  if (!Array.isArray(parts)) return '';
  let out = '';
  for (const p of parts) if (isObject(p) && typeof p.text === 'string' && p.thought !== true) out += p.text;
  return out;
}

/** The function responses of a Content as text (their JSON), or undefined when it has none. */
function functionResponsesOf(content: unknown): string | undefined {
  const parts = isObject(content) ? content.parts : undefined;
  if (!Array.isArray(parts)) return undefined;
  const out: string[] = [];
  for (const p of parts) if (isObject(p) && isObject(p.functionResponse)) out.push(JSON.stringify(p.functionResponse.response ?? {}));
  return out.length > 0 ? out.join('\n') : undefined;
}

/** Gemini's OpenAPI-style schemas spell types in capitals (`OBJECT`, `STRING`); the sampler wants JSON Schema. */
function normaliseSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normaliseSchema);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'type' && typeof v === 'string' ? v.toLowerCase() : normaliseSchema(v);
  return out;
}

/** Decodes a GenerateContentRequest; returns the message Google would refuse it with. */
function decodeGenerate(body: unknown, model: string): GenerateRequest | { error: string } {
  if (!isObject(body)) return { error: 'Invalid JSON payload received. Expected an object.' };
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) return { error: '* GenerateContentRequest.contents: contents is not specified\n' };

  let promptChars = 0;
  let messageCount = contents.length;
  if (body.systemInstruction !== undefined && body.systemInstruction !== null) {
    promptChars += textOf(body.systemInstruction).length;
    messageCount++;
  }
  let lastUserText = '';
  let sawUser = false;
  for (let i = 0; i < contents.length; i++) {
    const c = contents[i] as unknown;
    if (!isObject(c)) return { error: `Invalid value at 'contents[${i}]': expected an object.` };
    const role = c.role ?? 'user';
    if (role !== 'user' && role !== 'model' && role !== 'function') return { error: 'Please use a valid role: user, model.' };
    if (!Array.isArray(c.parts) || c.parts.length === 0) return { error: `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n` };
    const text = textOf(c);
    promptChars += text.length + (functionResponsesOf(c)?.length ?? 0);
    if (role === 'user') {
      // A turn of function responses only keeps the directive and seed of the turn that asked.
      if (text.length > 0 || !sawUser) lastUserText = text;
      sawUser = true;
    }
  }
  // A final model turn is a prefill: the answer continues it, and is the one the conversation before it gets.
  const last = contents[contents.length - 1] as Json;
  const prefill: ChatInput['prefill'] = last.role === 'model' ? { text: textOf(last), mode: 'trailing_assistant' } : undefined;
  const toolResultText = functionResponsesOf(contents[contents.length - (prefill ? 2 : 1)]);

  const tools: ChatInput['tools'] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools as unknown[]) {
      if (!isObject(t) || !Array.isArray(t.functionDeclarations)) continue;
      for (const fd of t.functionDeclarations as unknown[]) {
        if (!isObject(fd) || typeof fd.name !== 'string') continue;
        const parameters = fd.parametersJsonSchema ?? normaliseSchema(fd.parameters);
        tools.push({ name: fd.name, parameters });
      }
    }
  }

  const fcc = isObject(body.toolConfig) && isObject(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : {};
  let toolChoice: ChatInput['toolChoice'] = 'auto';
  let offered = tools;
  if (fcc.mode === 'NONE') toolChoice = 'none';
  else if (fcc.mode === 'ANY' || fcc.mode === 'VALIDATED') {
    const allowed = Array.isArray(fcc.allowedFunctionNames) ? fcc.allowedFunctionNames.filter((n): n is string => typeof n === 'string') : [];
    if (allowed.length > 0) offered = tools.filter((t) => allowed.includes(t.name));
    if (allowed.length === 1) toolChoice = { name: allowed[0]! };
    else if (fcc.mode === 'ANY') toolChoice = 'required';
  }

  const gc = isObject(body.generationConfig) ? body.generationConfig : {};
  const tc = isObject(gc.thinkingConfig) ? gc.thinkingConfig : {};
  const includeThoughts = typeof tc.includeThoughts === 'boolean' ? tc.includeThoughts : undefined;
  let reasoning: boolean | undefined;
  if (tc.thinkingBudget === 0) reasoning = false;
  else if (includeThoughts === true || (typeof tc.thinkingBudget === 'number' && tc.thinkingBudget > 0) || typeof tc.thinkingLevel === 'string') reasoning = true;

  let responseFormat: ChatInput['responseFormat'];
  if (gc.responseMimeType === 'application/json') {
    const schema = gc.responseJsonSchema ?? gc._responseJsonSchema ?? (gc.responseSchema !== undefined ? normaliseSchema(gc.responseSchema) : undefined);
    responseFormat = schema !== undefined ? { type: 'json_schema', schema } : { type: 'json_object' };
  }

  const maxTokens = gc.maxOutputTokens;
  return {
    input: {
      model,
      lastUserText,
      toolResultText,
      tools: offered,
      toolChoice,
      parallelToolCalls: true,
      responseFormat,
      maxTokens: typeof maxTokens === 'number' && maxTokens >= 0 ? Math.floor(maxTokens) : undefined,
      stop: Array.isArray(gc.stopSequences) ? gc.stopSequences.filter((s): s is string => typeof s === 'string') : [],
      reasoning,
      prefill,
      promptChars,
      messageCount,
    },
    includeThoughts,
  };
}

function framingOf(ctx: SimContext): Framing {
  return { sse: ctx.query.get('alt') === 'sse' };
}

async function handleGenerate(ctx: SimContext, model: string, stream: boolean): Promise<void> {
  const decoded = decodeGenerate(ctx.body, model);
  if ('error' in decoded) {
    sendGeminiError(ctx, { status: 400, message: decoded.error });
    return;
  }
  const { input } = decoded;
  const scenario = ctx.scenario(input.lastUserText);
  const continued = planPrefill(ctx, input, scenario);
  if (refusesPrefill(input, scenario)) {
    sendGeminiError(ctx, { status: 400, message: 'Please ensure that multiturn requests end with a user role or a function response.' });
    return;
  }
  if (scenario.fault === 'hang') return; // accept the request and never answer
  if (scenario.replay !== undefined) {
    await replay(ctx, input, stream, scenario);
    return;
  }
  const showThoughts =
    decoded.includeThoughts ?? (scenario.reasoningTokens !== undefined || (input.reasoning !== false && reasoningModel(model)));
  const meta: ResponseMeta = { model, responseId: `sim${ctx.seq.toString(36).padStart(19, '0')}`, showThoughts };
  // Planned before the latency wait so a request Google would refuse fails at once (AnswerError → 400).
  const plan = scenario.fault === 'context_length' ? undefined : (continued ?? planAnswer(input, scenario));
  later(ctx.res, scenario.latencyMs, () => {
    if (requestFault(ctx, scenario, geminiFaults, model, stream, promptTokensOf(input))) return;
    if (!plan) return;
    if (!stream) {
      ctx.res.writeHead(200, geminiHeaders(JSON_TYPE)).end(responseBody(meta, plan));
      return;
    }
    const framing = framingOf(ctx);
    const body = responseChunks(meta, plan, framing);
    sendStream(ctx, scenario, framing, body);
  });
}

/** Writes chunks in the request's framing. Gemini has no terminator, so `no_done` ends the stream normally. */
function sendStream(ctx: SimContext, s: Scenario, framing: Framing, body: string[]): void {
  const sent = Math.min(s.afterChunks ?? 0, body.length);
  ctx.res.writeHead(200, geminiHeaders(framing.sse ? SSE_TYPE : JSON_TYPE));
  writeStream(ctx.res, {
    head: streamHead(framing),
    body,
    tail: streamTail(framing),
    ...pacing(s),
    fault: streamFault(s, geminiFaultFrames(framing, sent)),
  });
}

/**
 * Serves a js-genai recording: the first interaction of the requested kind (streaming or not; any
 * interaction when none matches). A recorded error is served with its status; a non-stream request for a
 * streamed recording gets the segments merged into one response.
 */
async function replay(ctx: SimContext, input: ChatInput, stream: boolean, s: Scenario): Promise<void> {
  const name = s.replay!;
  const interactions = await ctx.fixtures.recording(name);
  later(ctx.res, s.latencyMs, () => {
    if (requestFault(ctx, s, geminiFaults, input.model, stream, promptTokensOf(input))) return;
    const kind = stream ? ':streamGenerateContent' : ':generateContent';
    const chosen = interactions?.find((i) => i.url.includes(kind)) ?? interactions?.[0];
    if (!chosen) {
      sendGeminiError(ctx, { status: 404, message: `Replay recording '${name}' not found.` });
      return;
    }
    if (chosen.status !== 200) {
      ctx.res.writeHead(chosen.status, geminiHeaders(JSON_TYPE)).end(prettyJson(chosen.segments[0] ?? {}));
      return;
    }
    if (!stream) {
      ctx.res.writeHead(200, geminiHeaders(JSON_TYPE)).end(prettyJson(mergeSegments(chosen)));
      return;
    }
    const framing = framingOf(ctx);
    sendStream(ctx, s, framing, chosen.segments.map((seg, i) => frameOf(framing, JSON.stringify(seg), i)));
  });
}

/** One response from streamed segments: the last segment's metadata, every segment's parts, text runs joined. */
function mergeSegments(interaction: RecordedInteraction): unknown {
  const segments = interaction.segments.filter(isObject);
  if (segments.length <= 1) return segments[0] ?? {};
  const parts: Json[] = [];
  for (const seg of segments) {
    const candidate = Array.isArray(seg.candidates) && isObject(seg.candidates[0]) ? seg.candidates[0] : undefined;
    const content = candidate && isObject(candidate.content) ? candidate.content : undefined;
    for (const p of Array.isArray(content?.parts) ? content.parts : []) {
      if (!isObject(p)) continue;
      const prev = parts[parts.length - 1];
      const plain = (x: Json): boolean => typeof x.text === 'string' && Object.keys(x).every((k) => k === 'text' || k === 'thought');
      if (prev && plain(prev) && plain(p) && prev.thought === p.thought) prev.text = (prev.text as string) + (p.text as string);
      else parts.push({ ...p });
    }
  }
  const last = segments[segments.length - 1]!;
  const lastCandidate = Array.isArray(last.candidates) && isObject(last.candidates[0]) ? last.candidates[0] : {};
  const lastContent = isObject(lastCandidate.content) ? lastCandidate.content : { role: 'model' };
  return { ...last, candidates: [{ ...lastCandidate, content: { ...lastContent, parts } }] };
}

/** Text of an embedding request's content, for the vector's seed and the directive. */
function embedKey(content: unknown): string | undefined {
  if (!isObject(content) || !Array.isArray(content.parts)) return undefined;
  return textOf(content);
}

const DEFAULT_DIMENSIONS = 8;
const MAX_DIMENSIONS = 3072;

function dimensionsOf(raw: unknown): number {
  return typeof raw === 'number' && Number.isInteger(raw) && raw > 0 ? Math.min(raw, MAX_DIMENSIONS) : DEFAULT_DIMENSIONS;
}

/** Serves an embedding answer after the scenario's latency and faults (the same vectors as OpenAI's face). */
function answerEmbedding(ctx: SimContext, model: string, firstText: string, tokens: number, body: () => string): void {
  const scenario = ctx.scenario(firstText);
  if (scenario.fault === 'hang') return;
  later(ctx.res, scenario.latencyMs, () => {
    if (requestFault(ctx, scenario, geminiFaults, model, false, tokens)) return;
    ctx.res.writeHead(200, geminiHeaders(JSON_TYPE)).end(body());
  });
}

function handleEmbed(ctx: SimContext, model: string): void {
  const b = isObject(ctx.body) ? ctx.body : {};
  const key = embedKey(b.content);
  if (key === undefined) {
    sendGeminiError(ctx, { status: 400, message: '* EmbedContentRequest.content: content is not specified\n' });
    return;
  }
  const dims = dimensionsOf(b.outputDimensionality);
  answerEmbedding(ctx, model, key, Math.ceil(key.length / 4), () => embeddingBody(embeddingFor(key, dims)));
}

function handleBatchEmbed(ctx: SimContext, model: string): void {
  const b = isObject(ctx.body) ? ctx.body : {};
  const requests = Array.isArray(b.requests) ? b.requests : [];
  const items: { key: string; dims: number }[] = [];
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i] as unknown;
    const key = isObject(r) ? embedKey(r.content) : undefined;
    if (key === undefined) {
      sendGeminiError(ctx, { status: 400, message: `* BatchEmbedContentsRequest.requests[${i}].content: content is not specified\n` });
      return;
    }
    items.push({ key, dims: dimensionsOf((r as Json).outputDimensionality) });
  }
  if (items.length === 0) {
    sendGeminiError(ctx, { status: 400, message: '* BatchEmbedContentsRequest.requests: requests is not specified\n' });
    return;
  }
  let tokens = 0;
  for (const item of items) tokens += Math.ceil(item.key.length / 4);
  answerEmbedding(ctx, model, items[0]!.key, tokens, () => batchEmbeddingBody(items.map((item) => embeddingFor(item.key, item.dims))));
}

/** `{totalTokens}` by the simulator's convention, for `{contents}` or `{generateContentRequest}`. */
function handleCountTokens(ctx: SimContext, model: string): void {
  const b = isObject(ctx.body) ? ctx.body : {};
  const inner = isObject(b.generateContentRequest) ? b.generateContentRequest : b;
  const decoded = decodeGenerate(inner, model);
  if ('error' in decoded) {
    const error: SimError = { status: 400, message: decoded.error.replace('GenerateContentRequest', isObject(b.generateContentRequest) ? 'CountTokensRequest.generate_content_request' : 'CountTokensRequest') };
    sendGeminiError(ctx, error);
    return;
  }
  const { input } = decoded;
  const scenario = ctx.scenario(input.lastUserText);
  if (scenario.fault === 'hang') return;
  const tokens = promptTokensOf(input);
  later(ctx.res, scenario.latencyMs, () => {
    // Counting a long prompt is what countTokens is for: context_length does not apply here.
    if (scenario.fault !== 'context_length' && requestFault(ctx, scenario, geminiFaults, model, false, tokens)) return;
    ctx.res.writeHead(200, geminiHeaders(JSON_TYPE)).end(countTokensBody(tokens, Math.min(scenario.cachedTokens ?? 0, tokens)));
  });
}
