import { GatewayError, type EmbeddingsRequest, type EmbeddingsResponse, type Usage } from '../../canonical/index.js';

type Json = Record<string, unknown>;

export interface EmbeddingsCall {
  /** `embedContent` for one string, `batchEmbedContents` for a list. */
  method: 'embedContent' | 'batchEmbedContents';
  body: Json;
  count: number;
}

/**
 * `embedContent {content: {parts: [{text}]}, outputDimensionality}` for a string, `batchEmbedContents
 * {requests: [{model: "models/…", content, outputDimensionality}]}` for a list. Gemini embeds text, not token
 * ids, so token arrays are refused.
 */
export function encodeEmbeddingsRequest(request: EmbeddingsRequest, model: string, warn: (message: string) => void): EmbeddingsCall {
  const input = request.input;
  const texts = typeof input === 'string' ? [input] : input;
  if (texts.length === 0) throw new GatewayError('invalid_request', 'input must not be empty', { param: 'input' });
  if (!texts.every((item): item is string => typeof item === 'string')) {
    throw new GatewayError('invalid_request', 'Gemini embeddings take text, not token arrays', { param: 'input' });
  }
  if (request.user !== undefined) warn('user is not supported by Gemini; dropped');
  const extra = Object.keys(request.extra);
  if (extra.length > 0) warn(`parameters not supported by Gemini were not forwarded: ${extra.sort().join(', ')}`);
  const dims = request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {};
  const one = (text: string): Json => ({ content: { parts: [{ text }] }, ...dims });
  if (typeof input === 'string') return { method: 'embedContent', body: one(input), count: 1 };
  return { method: 'batchEmbedContents', body: { requests: texts.map((text) => ({ model: `models/${model}`, ...one(text) })) }, count: texts.length };
}

function floatsToBase64(values: number[]): string {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
  return buffer.toString('base64');
}

function valuesOf(entry: unknown): number[] | undefined {
  const values = entry && typeof entry === 'object' ? (entry as Json).values : undefined;
  return Array.isArray(values) && values.every((v) => typeof v === 'number') ? (values as number[]) : undefined;
}

/** `{embedding: {values}}` or `{embeddings: [{values}]}`. Gemini reports no token counts: usage stays unknown. */
export function decodeEmbeddingsResponse(body: unknown, call: EmbeddingsCall, format: EmbeddingsRequest['encodingFormat'], providerId: string): EmbeddingsResponse {
  const root = body && typeof body === 'object' ? (body as Json) : {};
  const entries = call.method === 'embedContent' ? [root.embedding] : Array.isArray(root.embeddings) ? root.embeddings : [];
  const vectors = entries.map(valuesOf);
  if (vectors.length !== call.count || vectors.some((v) => v === undefined)) {
    throw new GatewayError('upstream_malformed', `provider ${providerId} returned embeddings that do not match the input`, { provider: providerId });
  }
  const usage: Usage = {};
  const prompt = (root.usageMetadata as Json | undefined)?.promptTokenCount;
  if (typeof prompt === 'number') {
    usage.inputTokens = prompt;
    usage.outputTokens = 0;
  }
  return {
    data: (vectors as number[][]).map((values, index) => ({ index, embedding: format === 'base64' ? floatsToBase64(values) : values })),
    usage,
  };
}
