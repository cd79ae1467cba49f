import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, chatRequest, fixtureJson, harness, jsonHandler, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

async function answer(name: string) {
  h.upstream.handler = jsonHandler(200, fixtureJson(name));
  return h.adapter.chat(chatRequest(), h.call());
}

describe('Anthropic adapter: recorded responses', () => {
  it('decodes text, sends the Anthropic headers to /v1/messages', async () => {
    const r = await answer('anthropic-text');
    expect(r).toEqual({
      id: 'msg_01VdEjxAP5ahtHKrrRdNBteQ',
      upstreamModel: 'claude-sonnet-4-5-20250929',
      content: "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?",
      refusal: null,
      finishReason: 'stop',
      rawFinishReason: 'end_turn',
      usage: { inputTokens: 12, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 29 },
    });
    const req = h.upstream.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe(API_KEY);
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers['anthropic-beta']).toBeUndefined();
    expect(req.body).toEqual({ model: 'claude-test-model', max_tokens: 4096, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] });
  });

  it('decodes thinking into reasoning and a signed reasoning detail', async () => {
    const r = await answer('anthropic-clear-thinking.1');
    expect(r.content).toBe('925 ÷ 5 = 185');
    expect(r.reasoning).toBe('925 divided by 5 = 185');
    expect(r.reasoningDetails).toEqual([
      { type: 'reasoning.text', text: '925 divided by 5 = 185', signature: expect.stringMatching(/^Er4BCkYI.*qxRgB$/) as string, format: 'anthropic-claude-v1', index: 0 },
    ]);
    expect(r.usage).toEqual({ inputTokens: 69, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 33 });
    expect(r.usage.reasoningTokens).toBeUndefined();
  });

  it('decodes tool calls with their input as JSON text', async () => {
    const r = await answer('anthropic-json-tool.1');
    expect(r.content).toBeNull();
    expect(r.finishReason).toBe('tool_calls');
    expect(r.toolCalls).toHaveLength(1);
    expect(r.toolCalls![0]!.id).toBe('toolu_01Q9ExVZnzZj7E2QQYHYtNUa');
    expect(r.toolCalls![0]!.name).toBe('json');
    expect(JSON.parse(r.toolCalls![0]!.arguments)).toMatchObject({ elements: [{ location: 'San Francisco', temperature: -5, condition: 'snowy' }, {}, {}, {}] });
    const other = await answer('anthropic-json-other-tool.1');
    expect(other.toolCalls).toEqual([{ id: 'toolu_01PQjhxo3eirCdKNvCJrKc8f', name: 'weather', arguments: '{"location":"San Francisco"}' }]);
  });

  it('gives a tool call without arguments "{}"', async () => {
    const r = await answer('anthropic-tool-no-args');
    expect(r.content).toContain('Okay, I will update the current issue list:');
    expect(r.toolCalls).toEqual([{ id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', arguments: '{}' }]);
  });

  it('maps refusals to content_filter, with and without an explanation', async () => {
    const r = await answer('anthropic-refusal');
    expect(r.content).toBeNull();
    expect(r.finishReason).toBe('content_filter');
    expect(r.rawFinishReason).toBe('refusal');
    expect(r.refusal).toContain("Anthropic's Usage Policy");
    const bare = await answer('anthropic-refusal-no-details');
    expect(bare.finishReason).toBe('content_filter');
    expect(bare.refusal).toBeNull();
  });

  it('skips content blocks of unknown types (fallback)', async () => {
    const r = await answer('anthropic-fallback');
    expect(r.content).toBe('The printing press was invented by Johannes Gutenberg around 1440.');
    expect(r.upstreamModel).toBe('claude-opus-4-8');
    expect(r.usage).toEqual({ inputTokens: 412, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 264 });
  });

  it('decodes redacted thinking, stop sequences, pause_turn and cache usage', async () => {
    h.upstream.handler = jsonHandler(200, JSON.stringify({
      id: 'msg_x',
      model: 'claude-x',
      content: [
        { type: 'redacted_thinking', data: 'ENC' },
        { type: 'thinking', thinking: 'a', signature: 's1' },
        { type: 'server_tool_use', id: 'srv', name: 'web_search', input: {} },
        { type: 'text', text: 'one ' },
        { type: 'text', text: 'two' },
      ],
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
      usage: { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: null, output_tokens: 9 },
    }));
    const r = await h.adapter.chat(chatRequest(), h.call());
    expect(r.content).toBe('one two');
    expect(r.reasoningDetails).toEqual([
      { type: 'reasoning.encrypted', data: 'ENC', format: 'anthropic-claude-v1', index: 0 },
      { type: 'reasoning.text', text: 'a', signature: 's1', format: 'anthropic-claude-v1', index: 1 },
    ]);
    expect(r.finishReason).toBe('stop');
    expect(r.stopSequence).toBe('END');
    // cache_creation_input_tokens null: unknown, not 0
    expect(r.usage).toEqual({ inputTokens: 105, cachedInputTokens: 100, outputTokens: 9 });

    h.upstream.handler = jsonHandler(200, JSON.stringify({ id: 'm', content: [], stop_reason: 'pause_turn', usage: {} }));
    const paused = await h.adapter.chat(chatRequest(), h.call());
    expect(paused.finishReason).toBe('other');
    expect(paused.rawFinishReason).toBe('pause_turn');
    expect(paused.usage).toEqual({});
  });

  it('rejects a body that is not a message', async () => {
    h.upstream.handler = jsonHandler(200, 'not json');
    await expect(h.adapter.chat(chatRequest(), h.call())).rejects.toMatchObject({ code: 'upstream_malformed' });
    h.upstream.handler = jsonHandler(200, '{"type":"message"}');
    await expect(h.adapter.chat(chatRequest(), h.call())).rejects.toMatchObject({ code: 'upstream_malformed' });
  });
});
