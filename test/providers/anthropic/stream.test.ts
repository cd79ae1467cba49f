import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble, chatRequest, collect, fixtureLines, harness, sseHandler, sseOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

async function replay(name: string) {
  h.upstream.handler = sseHandler(sseOf(fixtureLines(name)));
  const events = await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call()));
  return { events, ...assemble(events) };
}

describe('Anthropic adapter: recorded streams', () => {
  it('streams text with start, finish and usage', async () => {
    const r = await replay('anthropic-text');
    expect(r.events[0]).toEqual({ type: 'start', id: 'msg_01QC4g3HwBThD4BaNtBckFDJ', upstreamModel: 'claude-sonnet-4-5-20250929' });
    expect(r.text).toBe("Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?");
    expect(r.finish).toEqual({ type: 'finish', reason: 'stop', raw: 'end_turn' });
    expect(r.usage).toEqual({ type: 'usage', usage: { inputTokens: 12, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 30 } });
    expect(r.errors).toEqual([]);
    // finish, then usage, close the stream
    expect(r.events.slice(-2).map((e) => e.type)).toEqual(['finish', 'usage']);
    const req = h.upstream.requests.at(-1)!;
    expect(req.url).toBe('/v1/messages');
    expect((req.body as { stream?: boolean }).stream).toBe(true);
    expect(req.headers.accept).toBe('text/event-stream');
  });

  it('streams thinking as reasoning deltas, and the signature with the whole text as a reasoning detail', async () => {
    const r = await replay('anthropic-clear-thinking.1');
    expect(r.reasoning).toBe('The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185');
    expect(r.text).toBe('925 ÷ 5 = 185');
    expect(r.details).toEqual([
      {
        type: 'reasoning.text',
        text: 'The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185',
        signature: expect.stringMatching(/^EvQBCkYICxgCKkAxhD4N.*BgB$/) as string,
        format: 'anthropic-claude-v1',
        index: 0,
      },
    ]);
    // the signature arrives after all the thinking and before the answer text
    const types = r.events.map((e) => e.type);
    expect(types.indexOf('reasoning-detail')).toBeGreaterThan(types.lastIndexOf('reasoning-delta'));
    expect(types.indexOf('reasoning-detail')).toBeLessThan(types.indexOf('text-delta'));
    expect(r.usage).toEqual({ type: 'usage', usage: { inputTokens: 69, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 53 } });
  });

  it('streams a tool call with its JSON arguments in pieces', async () => {
    const r = await replay('anthropic-json-tool.1');
    expect(r.tools).toEqual([{ id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA', name: 'json', arguments: '{"elements": [{"location": "San Francisco", "temperature": 58, "condition": "sunny"}]}' }]);
    const first = r.events.find((e) => e.type === 'tool-call-delta');
    expect(first).toEqual({ type: 'tool-call-delta', index: 0, id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA', name: 'json', argumentsDelta: '' });
    expect(r.finish).toEqual({ type: 'finish', reason: 'tool_calls', raw: 'tool_use' });
    expect(r.text).toBe('');
  });

  it('numbers tool calls among tool_use blocks, not among all blocks', async () => {
    const r = await replay('anthropic-json-tool.2');
    expect(r.text).toBe("I'll invoke the JSON response tool.");
    expect(r.events.filter((e) => e.type === 'tool-call-delta').every((e) => e.type === 'tool-call-delta' && e.index === 0)).toBe(true);
    expect(JSON.parse(r.tools[0]!.arguments)).toEqual({ elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] });
  });

  it('streams another tool call between pings', async () => {
    const r = await replay('anthropic-json-other-tool.1');
    expect(r.tools).toEqual([{ id: 'toolu_019Zvehfe1XQWweT1pm7okyt', name: 'weather', arguments: '{"location": "San Francisco"}' }]);
    expect(r.usage).toEqual({ type: 'usage', usage: { inputTokens: 843, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 28 } });
  });

  it('gives a tool call without arguments "{}" as its arguments', async () => {
    const r = await replay('anthropic-tool-no-args');
    expect(r.text).toBe("I'll update the issue list for you.");
    expect(r.tools).toEqual([{ id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP', name: 'updateIssueList', arguments: '{}' }]);
    expect(r.finish).toEqual({ type: 'finish', reason: 'tool_calls', raw: 'tool_use' });
  });

  it('maps a refusal to content_filter and offers the explanation as the refusal', async () => {
    const r = await replay('anthropic-refusal');
    expect(r.finish).toEqual({ type: 'finish', reason: 'content_filter', raw: 'refusal' });
    expect(r.refusal).toContain('violative cyber content');
    expect(r.text).toBe('');
    expect(r.usage).toEqual({ type: 'usage', usage: { inputTokens: 18, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 5 } });
  });

  it('takes input_tokens restated in message_delta over message_start', async () => {
    const r = await replay('anthropic-message-delta-input-tokens');
    expect(r.text).toBe('pong');
    // no cache fields were reported: they stay unknown, not 0
    expect(r.usage).toEqual({ type: 'usage', usage: { inputTokens: 61, outputTokens: 2 } });
  });

  it('skips content blocks of unknown types (fallback)', async () => {
    const r = await replay('anthropic-fallback');
    expect(r.text).toBe('The printing press was invented by Johannes Gutenberg around 1440.');
    expect(r.errors).toEqual([]);
    expect(r.usage).toEqual({ type: 'usage', usage: { inputTokens: 412, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 264 } });
  });

  it.each(['duplicate-message-start', 'spliced-message-start'])('refuses a second message_start (%s)', async (name) => {
    const r = await replay(name);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.code).toBe('upstream_malformed');
    expect(r.events.at(-1)!.type).toBe('error');
    expect(r.events.filter((e) => e.type === 'start')).toHaveLength(1);
    expect(r.finish).toBeUndefined();
  });

  it('keeps the first message of a spliced stream apart from the second', async () => {
    const r = await replay('spliced-message-start');
    expect(r.reasoning).toBe('I will call the tool.');
    expect(r.tools).toEqual([{ id: 'toolu_first', name: 'test-tool', arguments: '{"value":"Spark' }]);
  });

  it('reports the stop sequence that ended the answer', async () => {
    const lines = fixtureLines('anthropic-text').map((l) => l.replace('"stop_reason":"end_turn","stop_sequence":null', '"stop_reason":"stop_sequence","stop_sequence":"###"'));
    h.upstream.handler = sseHandler(sseOf(lines));
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.finish).toEqual({ type: 'finish', reason: 'stop', raw: 'stop_sequence', stopSequence: '###' });
  });

  it('streams redacted thinking as an encrypted reasoning detail and counts cache reads and writes as input', async () => {
    const body = sseOf([
      '{"type":"message_start","message":{"id":"msg_r","model":"claude-x","usage":{"input_tokens":10,"cache_read_input_tokens":1000,"cache_creation_input_tokens":200,"output_tokens":1}}}',
      '{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"ENCRYPTED=="}}',
      '{"type":"content_block_stop","index":0}',
      '{"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":""}}',
      '{"type":"content_block_delta","index":1,"delta":{"type":"thinking_delta","thinking":"hmm"}}',
      '{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"sig-2"}}',
      '{"type":"content_block_stop","index":1}',
      '{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}',
      '{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"ok"}}',
      '{"type":"content_block_stop","index":2}',
      '{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":7}}',
      '{"type":"message_stop"}',
    ]);
    h.upstream.handler = sseHandler(body);
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.details).toEqual([
      { type: 'reasoning.encrypted', data: 'ENCRYPTED==', format: 'anthropic-claude-v1', index: 0 },
      { type: 'reasoning.text', text: 'hmm', signature: 'sig-2', format: 'anthropic-claude-v1', index: 1 },
    ]);
    expect(r.finish).toEqual({ type: 'finish', reason: 'length', raw: 'max_tokens' });
    expect(r.usage).toEqual({ type: 'usage', usage: { inputTokens: 1210, cachedInputTokens: 1000, cacheWriteTokens: 200, outputTokens: 7 } });
  });

  it('finalises a stream that ends after a stop_reason without message_stop', async () => {
    const lines = fixtureLines('anthropic-text').filter((l) => !l.includes('"message_stop"'));
    h.upstream.handler = sseHandler(sseOf(lines));
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.errors).toEqual([]);
    expect(r.finish?.type).toBe('finish');
  });

  it('ignores whatever follows message_stop', async () => {
    const lines = [...fixtureLines('anthropic-text'), '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"LATE"}}'];
    h.upstream.handler = sseHandler(sseOf(lines));
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.text).not.toContain('LATE');
    expect(r.errors).toEqual([]);
  });
});
