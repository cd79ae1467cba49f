/**
 * `POST /v1/embeddings` and `GET /v1/models`. Vectors come from the shared embedding.ts (the Gemini face
 * serves the same ones), rounded to float32 so the `float` and `base64` encodings carry identical values.
 */
import type { SimContext } from '../context.js';
import { embeddingFor } from '../embedding.js';
import { JSON_TYPE, openaiHeaders, requestFault, sendOpenAIError } from './openai-wire.js';
import { later } from '../sse.js';

const DEFAULT_DIMENSIONS = 8;
const MAX_DIMENSIONS = 4096;

type Json = Record<string, unknown>;

/** The inputs of one request: strings, or token-id arrays (kept as their JSON text for hashing). */
function inputsOf(input: unknown): { key: string; tokens: number }[] | undefined {
  const one = (x: unknown): { key: string; tokens: number } | undefined => {
    if (typeof x === 'string') return { key: x, tokens: Math.max(1, Math.ceil(x.length / 4)) };
    if (Array.isArray(x) && x.every((n) => typeof n === 'number')) return { key: JSON.stringify(x), tokens: x.length };
    return undefined;
  };
  if (typeof input === 'string') return [one(input)!];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((n) => typeof n === 'number')) return [one(input)!];
  const out: { key: string; tokens: number }[] = [];
  for (const x of input) {
    const item = one(x);
    if (!item) return undefined;
    out.push(item);
  }
  return out;
}

/** OpenAI's base64 encoding: the float32 values, little-endian, whatever the host's byte order. */
export function toBase64(v: number[]): string {
  const view = new DataView(new ArrayBuffer(v.length * 4));
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i]!, true);
  return Buffer.from(view.buffer).toString('base64');
}

export function handleEmbeddings(ctx: SimContext): void {
  const b = (ctx.body ?? {}) as Json;
  if (typeof b.model !== 'string' || b.model === '') {
    sendOpenAIError(ctx, { status: 400, message: 'you must provide a model parameter', param: null, code: null });
    return;
  }
  const inputs = inputsOf(b.input);
  if (!inputs) {
    sendOpenAIError(ctx, { status: 400, message: "'input' must be a string, an array of strings, or an array of token arrays.", param: 'input', code: 'invalid_value' });
    return;
  }
  const dims = typeof b.dimensions === 'number' && Number.isInteger(b.dimensions) && b.dimensions > 0 ? Math.min(b.dimensions, MAX_DIMENSIONS) : DEFAULT_DIMENSIONS;
  const base64 = b.encoding_format === 'base64';
  // A directive may ride in the first string input, as in a chat message.
  const first = typeof b.input === 'string' ? b.input : Array.isArray(b.input) && typeof b.input[0] === 'string' ? b.input[0] : undefined;
  const scenario = ctx.scenario(first);
  if (scenario.fault === 'hang') return;

  let tokens = 0;
  const data = inputs.map((item, index) => {
    tokens += item.tokens;
    const vector = embeddingFor(item.key, dims);
    return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector };
  });
  const body = JSON.stringify({ object: 'list', data, model: b.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  later(ctx.res, scenario.latencyMs, () => {
    if (requestFault(ctx, scenario, b.model as string, false, tokens)) return;
    ctx.res.writeHead(200, openaiHeaders(ctx, JSON_TYPE)).end(body);
  });
}

/** A few familiar names; chat accepts any model name anyway. */
const MODELS = [
  ['gpt-4o-mini', 'openai'],
  ['gpt-4.1', 'openai'],
  ['o4-mini', 'openai'],
  ['text-embedding-3-small', 'openai'],
  ['deepseek-chat', 'deepseek'],
  ['deepseek-reasoner', 'deepseek'],
  ['qwen3-max', 'alibaba'],
  ['kimi-k2', 'moonshotai'],
  ['llama-3.3-70b-versatile', 'meta'],
] as const;

const MODELS_BODY = JSON.stringify({
  object: 'list',
  data: MODELS.map(([id, owner]) => ({ id, object: 'model', created: 1_700_000_000, owned_by: owner })),
});

export function handleModels(ctx: SimContext): void {
  const scenario = ctx.scenario(undefined);
  if (scenario.fault === 'hang') return;
  later(ctx.res, scenario.latencyMs, () => {
    if (requestFault(ctx, scenario, 'models', false, 0)) return;
    ctx.res.writeHead(200, openaiHeaders(ctx, JSON_TYPE)).end(MODELS_BODY);
  });
}
