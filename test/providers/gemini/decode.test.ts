import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/canonical/index.js';
import { GeminiChunkDecoder, decodeChatResponse, decodeUsage } from '../../../src/providers/gemini/decode.js';
import { applyPartialArgs } from '../../../src/providers/gemini/partial-args.js';
import { FakeGemini, ask, call, collect, fold, json, jsGenaiRecordings, makeAdapter, provider, sse, vercelChunks, vercelJson } from './support.js';

const fake = new FakeGemini();
const { adapter, http } = makeAdapter();

beforeAll(() => fake.start());
afterAll(async () => {
  await http.close();
  await fake.close();
});

async function stream(chunks: unknown[], model = 'gemini-3-flash-preview') {
  fake.reply(sse(chunks));
  return fold(await collect(await adapter.chatStream(ask('hi', { stream: true }), call(provider(fake.url), model))));
}

const noError = () => new GatewayError('upstream_error', 'unexpected');

describe('streams recorded by vercel/ai', () => {
  it('reads text, a thought signature on an empty final part, and usage with thoughts', async () => {
    const got = await stream(vercelChunks('google-reasoning-gemini3.chunks.txt'), 'gemini-3-pro-preview');
    expect(got.text).toBe('There are **3** "r"s in strawberry.\n\nSt**r**awbe**rr**y');
    expect(got.details).toHaveLength(1);
    expect(got.details[0]).toMatchObject({ type: 'reasoning.encrypted', format: 'google-gemini-v1', index: 0 });
    expect(got.details[0]!.id).toBeUndefined();
    expect(got.details[0]!.data).toMatch(/^EpAICo0IAb4/);
    expect(got.finish).toEqual([{ type: 'finish', reason: 'stop', raw: 'STOP' }]);
    // candidatesTokenCount 23 does not include the 302 thought tokens; canonical output does.
    expect(got.usage).toEqual({ inputTokens: 9, outputTokens: 325, reasoningTokens: 302 });
  });

  it('assembles Vertex streamed function-call arguments, thoughts and signatures (no-args call first)', async () => {
    const got = await stream(vercelChunks('google-stream-no-args-tool-call.chunks.txt'));
    expect(got.reasoning).toMatch(/^\*\*Processing User Requests\*\*/);
    expect(got.text).toBe('');
    expect(got.calls.map((c) => [c.name, JSON.parse(c.arguments) as unknown])).toEqual([
      ['read_theme', {}],
      ['read_screen', { id: 'A' }],
      ['read_screen', { id: 'B' }],
      ['read_screen', { id: 'C' }],
    ]);
    expect(new Set(got.calls.map((c) => c.id)).size).toBe(4);
    expect(got.details).toHaveLength(1);
    expect(got.details[0]!.id).toBe(got.calls[0]!.id);
    expect(got.finish).toEqual([{ type: 'finish', reason: 'tool_calls', raw: 'STOP' }]);
    expect(got.usage).toEqual({ inputTokens: 249, outputTokens: 58 + 183, reasoningTokens: 183 });
  });

  it('opens a streamed call with its id and name, and sends the arguments when it closes', async () => {
    fake.reply(sse(vercelChunks('google-stream-tool-call-arguments.chunks.txt')));
    const events = await collect(await adapter.chatStream(ask('hi', { stream: true }), call(provider(fake.url), 'gemini-3.1-pro-preview')));
    const deltas = events.filter((e) => e.type === 'tool-call-delta');
    expect(deltas).toEqual([
      { type: 'tool-call-delta', index: 0, id: expect.stringMatching(/^call_gm_/), name: 'getWeather', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"location":"Boston"}' },
      { type: 'tool-call-delta', index: 1, id: expect.stringMatching(/^call_gm_/), name: 'getWeather', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"location":"San Francisco"}' },
    ]);
    // The start event names the response, and the deterministic ids derive from it.
    expect(events[0]).toEqual({ type: 'start', id: 'dqHOab6xGLzWodAPkPuViA4', created: 1775149430, upstreamModel: 'gemini-3.1-pro-preview' });
  });

  it('builds array-valued arguments and closes a call that lacks its terminator', async () => {
    const got = await stream(vercelChunks('google-stream-tool-call-array-arguments-missing-terminal-function-call.chunks.txt'));
    expect(got.calls).toHaveLength(1);
    expect(JSON.parse(got.calls[0]!.arguments)).toEqual({
      operations: [
        { action: 'add', description: 'Fresh red apple', itemid: 'apple_001', price: 0.5 },
        { action: 'add', description: 'Ripe yellow banana', itemid: 'banana_001', price: 0.3 },
      ],
    });
    expect(got.finish[0]).toMatchObject({ reason: 'tool_calls' });
  });
});

describe('streamed arguments recorded by js-genai (Vertex)', () => {
  const find = (prefix: string) => jsGenaiRecordings().find((r) => r.file.startsWith(prefix))!.recording.interactions[0]!.response.bodySegments!;

  it('streamFunctionCallArguments: one call assembled from partialArgs', async () => {
    const got = await stream(find('Client_Tests_generateContentStream_partial_function_calling_Vertex_AI_should_stream_generate_content_enabled'));
    expect(got.calls).toHaveLength(1);
    expect(got.calls[0]!.name).toBe('getCurrentWeather');
    expect(JSON.parse(got.calls[0]!.arguments)).toEqual({ country: 'USA', location: 'NewYorkCity', purpose: 'to know what to wear today', unit: 'C' });
    expect(got.details[0]!.id).toBe(got.calls[0]!.id);
    expect(got.usage).toEqual({ inputTokens: 36, outputTokens: 33 + 93, reasoningTokens: 93 });
  });

  it('a whole call whose arguments come as partialArgs in the same part', async () => {
    const got = await stream(find('Chats_Tests_chats_function_calling_Vertex_AI_with_streaming_function_calling_arguments'));
    expect(got.calls.map((c) => [c.name, JSON.parse(c.arguments) as unknown])).toEqual([['customDivide', { denominator: 2, numerator: 100 }]]);
  });
});

describe('whole responses recorded by vercel/ai', () => {
  it('a function call with its signature, and usage with thoughts', () => {
    const r = decodeChatResponse(vercelJson('google-tool-call-gemini3.json'), 'google', 'req-1', noError);
    expect(r.content).toBeNull();
    expect(r.toolCalls).toEqual([{ id: expect.stringMatching(/^call_gm_[0-9a-f]{16}$/), name: 'weather', arguments: '{"location":"San Francisco"}' }]);
    expect(r.reasoningDetails).toEqual([{ type: 'reasoning.encrypted', data: expect.stringMatching(/^Eqo\+/), format: 'google-gemini-v1', index: 0, id: r.toolCalls![0]!.id }]);
    expect(r).toMatchObject({ finishReason: 'tool_calls', rawFinishReason: 'STOP', id: 'JniLacKqGqH0xs0P0O776As', upstreamModel: 'gemini-3-pro-preview' });
    expect(r.usage).toEqual({ inputTokens: 29, outputTokens: 15 + 1801, reasoningTokens: 1801 });
    // Deterministic: the same response gives the same ids.
    expect(decodeChatResponse(vercelJson('google-tool-call-gemini3.json'), 'google', 'other', noError).toolCalls![0]!.id).toBe(r.toolCalls![0]!.id);
  });

  it('text with a signature on the text part', () => {
    const r = decodeChatResponse(vercelJson('google-text.json'), 'google', 'req-1', noError);
    expect(r.content).toMatch(/^There are \*\*3\*\* r's/);
    expect(r.reasoningDetails).toHaveLength(1);
    expect(r.reasoningDetails![0]!.id).toBeUndefined();
    expect(r.finishReason).toBe('stop');
  });
});

describe('decoding details', () => {
  it('usage: cached and tool-use prompt tokens, omitted zeros, and readings without counts', () => {
    expect(decodeUsage({ promptTokenCount: 100, cachedContentTokenCount: 60, toolUsePromptTokenCount: 5, candidatesTokenCount: 7, totalTokenCount: 112 })).toEqual({
      inputTokens: 105,
      cachedInputTokens: 60,
      outputTokens: 7,
    });
    expect(decodeUsage({ promptTokenCount: 7, totalTokenCount: 7 })).toEqual({ inputTokens: 7, outputTokens: 0 });
    expect(decodeUsage({ trafficType: 'ON_DEMAND', billablePromptUsage: { textCount: 3 } })).toBeUndefined();
    expect(decodeUsage(undefined)).toBeUndefined();
  });

  it('finish reasons', () => {
    const finish = (reason: string) => {
      const d = new GeminiChunkDecoder('google', 's', noError);
      const out: Parameters<GeminiChunkDecoder['decode']>[1] = [];
      d.decode({ candidates: [{ content: { parts: [] }, finishReason: reason }] }, out);
      return out.find((e) => e.type === 'finish');
    };
    expect(finish('MAX_TOKENS')).toMatchObject({ reason: 'length', raw: 'MAX_TOKENS' });
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) expect(finish(r)).toMatchObject({ reason: 'content_filter', raw: r });
    expect(finish('MALFORMED_FUNCTION_CALL')).toMatchObject({ reason: 'error' });
    expect(finish('LANGUAGE')).toMatchObject({ reason: 'other', raw: 'LANGUAGE' });
    expect(finish('OTHER')).toMatchObject({ reason: 'other', raw: 'OTHER' });
  });

  it('a blocked prompt (promptFeedback, no candidates) finishes as content_filter, streamed or not', async () => {
    const blocked = { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 }, modelVersion: 'gemini-2.5-flash' };
    const got = await stream([blocked]);
    expect(got).toMatchObject({ text: '', finish: [{ reason: 'content_filter', raw: 'PROHIBITED_CONTENT' }], usage: { inputTokens: 12, outputTokens: 0 }, error: undefined });
    fake.reply(json(200, blocked));
    const r = await adapter.chat(ask('hi'), call(provider(fake.url), 'gemini-2.5-flash'));
    expect(r).toMatchObject({ content: null, finishReason: 'content_filter', rawFinishReason: 'PROHIBITED_CONTENT', usage: { inputTokens: 12, outputTokens: 0 } });
  });

  it('partial args: appends string pieces, creates arrays, ignores unsafe keys and bad paths', () => {
    const args: Record<string, unknown> = {};
    applyPartialArgs(args, [
      { jsonPath: '$.a', stringValue: 'he' },
      { jsonPath: '$.a', stringValue: 'llo' },
      { jsonPath: '$.list[1].ok', boolValue: true },
      { jsonPath: "$['odd key']", nullValue: 'NULL_VALUE' },
      { jsonPath: '$.__proto__.polluted', stringValue: 'x' },
      { jsonPath: 'nope', numberValue: 1 },
      { jsonPath: '$.n' },
    ]);
    expect(args).toEqual({ a: 'hello', list: [undefined, { ok: true }], 'odd key': null });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
