import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../src/canonical/index.js';
import type { HostRoute } from '../../../src/catalog/types.js';
import { encodeChatRequest } from '../../../src/providers/anthropic/encode.js';
import { chatRequest, fixtureJson, harness, jsonHandler, provider, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
  h.upstream.handler = jsonHandler(200, fixtureJson('anthropic-text'));
});
afterAll(async () => {
  await h.close();
});

const route: HostRoute = { provider: provider('http://127.0.0.1:1'), upstreamModel: 'claude-test-model' };

function encode(overrides: Partial<ChatRequest>, r: Partial<HostRoute> = {}) {
  const warnings: string[] = [];
  const body = encodeChatRequest(chatRequest(overrides), { ...route, ...r }, (m) => warnings.push(m));
  return { body, warnings };
}

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const conversation: ChatRequest = chatRequest({
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You are terse.', cacheControl: { type: 'ephemeral' } }] },
    { role: 'developer', content: 'Answer in English.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in these images?' },
        { type: 'image', url: `data:image/png;base64,${PNG}`, detail: 'high' },
        { type: 'image', url: 'https://example.com/cat.jpg', cacheControl: { type: 'ephemeral', ttl: '1h' } },
      ],
    },
    {
      role: 'assistant',
      content: 'Let me look them up.',
      reasoning: 'I should call both tools.',
      reasoningDetails: [
        { type: 'reasoning.text', text: 'I should call both tools.', signature: 'sig-abc', format: 'anthropic-claude-v1', index: 0 },
        { type: 'reasoning.encrypted', data: 'REDACTED==', format: 'anthropic-claude-v1', index: 1 },
        { type: 'reasoning.encrypted', data: 'gemini-sig', format: 'google-gemini-v1', id: 'call_1' },
        { type: 'reasoning.summary', summary: 'openai summary', format: 'openai-responses-v1' },
      ],
      toolCalls: [
        { id: 'toolu_1', name: 'lookup', arguments: '{"q":"cat"}' },
        { id: 'toolu_2', name: 'classify', arguments: '' },
      ],
    },
    { role: 'tool', toolCallId: 'toolu_1', content: 'a cat' },
    { role: 'tool', toolCallId: 'toolu_2', content: [{ type: 'text', text: 'classifier down', cacheControl: { type: 'ephemeral' } }], isError: true },
    { role: 'user', content: 'Thanks. Summarise.' },
  ],
  tools: [
    { type: 'function', name: 'lookup', description: 'Looks things up', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
    { type: 'function', name: 'classify', cacheControl: { type: 'ephemeral' } },
  ],
  toolChoice: 'auto',
  parallelToolCalls: false,
  stop: ['###'],
  user: 'user-42',
  maxTokens: 16000,
  reasoning: { effort: 'high' },
});

const expectedBody = {
  model: 'claude-test-model',
  max_tokens: 16000 + 24576,
  system: [
    { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
    { type: 'text', text: 'Answer in English.' },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in these images?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' }, cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I should call both tools.', signature: 'sig-abc' },
        { type: 'redacted_thinking', data: 'REDACTED==' },
        { type: 'text', text: 'Let me look them up.' },
        { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'cat' } },
        { type: 'tool_use', id: 'toolu_2', name: 'classify', input: {} },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: 'a cat' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'classifier down', cache_control: { type: 'ephemeral' } }], is_error: true },
        { type: 'text', text: 'Thanks. Summarise.' },
      ],
    },
  ],
  tools: [
    { name: 'lookup', description: 'Looks things up', input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
    { name: 'classify', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
  ],
  tool_choice: { type: 'auto', disable_parallel_tool_use: true },
  thinking: { type: 'enabled', budget_tokens: 24576 },
  stop_sequences: ['###'],
  metadata: { user_id: 'user-42' },
};

describe('Anthropic adapter: request encoding', () => {
  it('sends the exact Messages body for a full conversation', async () => {
    await h.adapter.chat(conversation, h.call());
    expect(h.upstream.requests.at(-1)!.body).toEqual(expectedBody);
    expect(h.warnings).toEqual([`max_tokens 16000 does not exceed the reasoning budget of 24576 tokens, which Anthropic counts in max_tokens; raised to ${16000 + 24576}`]);
  });

  it('sends stream: true when streaming', async () => {
    const { body } = encode({ ...conversation, stream: true });
    expect(body).toEqual({ ...expectedBody, stream: true });
  });

  it('warns about, and drops, what Anthropic does not take', async () => {
    h.warnings.length = 0;
    await h.adapter.chat(
      chatRequest({
        messages: [{ role: 'user', content: 'hi', name: 'alice' }],
        temperature: 1.7,
        topP: 0.9,
        topK: 40,
        seed: 7,
        frequencyPenalty: 0.5,
        presencePenalty: 0.5,
        logprobs: true,
        topLogprobs: 3,
        responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } },
        extra: { repetition_penalty: 1.1, min_p: 0.1 },
      }),
      h.call(),
    );
    expect(h.upstream.requests.at(-1)!.body).toEqual({
      model: 'claude-test-model',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
    });
    expect(h.warnings).toEqual([
      'message names are not supported by Anthropic; dropped',
      "temperature 1.7 is above Anthropic's maximum of 1; sent as 1",
      'response_format json_schema is not supported by Anthropic; dropped (the answer is not constrained to JSON)',
      'seed is not supported by Anthropic; dropped',
      'frequency_penalty is not supported by Anthropic; dropped',
      'presence_penalty is not supported by Anthropic; dropped',
      'logprobs are not supported by Anthropic; dropped',
      'fields not forwarded to Anthropic (it rejects unknown fields): repetition_penalty, min_p',
    ]);
  });

  it('drops sampling parameters Anthropic forbids with thinking, and keeps temperature 1 and top_p >= 0.95', () => {
    const dropped = encode({ reasoning: { effort: 'low' }, temperature: 0.2, topK: 5, topP: 0.5 });
    expect(dropped.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(dropped.body).not.toHaveProperty('temperature');
    expect(dropped.body).not.toHaveProperty('top_k');
    expect(dropped.body).not.toHaveProperty('top_p');
    expect(dropped.warnings).toEqual([
      'temperature cannot be changed while Anthropic extended thinking is on; dropped',
      'top_p below 0.95 is not allowed with Anthropic extended thinking; dropped',
      'top_k cannot be set while Anthropic extended thinking is on; dropped',
    ]);
    const kept = encode({ reasoning: { effort: 'low' }, temperature: 1, topP: 0.97 });
    expect(kept.body).toMatchObject({ temperature: 1, top_p: 0.97 });
    expect(kept.warnings).toEqual([]);
  });

  it('maps effort and explicit budgets to budget_tokens and keeps max_tokens above them', () => {
    const budgets = (['minimal', 'low', 'medium', 'high', 'xhigh'] as const).map((effort) => encode({ reasoning: { effort } }).body.thinking);
    expect(budgets).toEqual([1024, 2048, 8192, 24576, 32000].map((b) => ({ type: 'enabled', budget_tokens: b })));
    expect(encode({ reasoning: {} }).body.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(encode({ reasoning: { maxTokens: 3000, effort: 'high' } }).body.thinking).toEqual({ type: 'enabled', budget_tokens: 3000 });
    for (const off of [{ enabled: false }, { effort: 'none' as const }]) expect(encode({ reasoning: off }).body).not.toHaveProperty('thinking');

    const small = encode({ reasoning: { maxTokens: 100 } });
    expect(small.body.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(small.warnings).toEqual(["a reasoning budget of 100 tokens is below Anthropic's minimum; raised to 1024"]);

    // No client max_tokens: the catalogue's output limit is used, and the budget must fit under it.
    expect(encode({ reasoning: { effort: 'medium' } }, { maxOutput: 64000 }).body).toMatchObject({ max_tokens: 64000, thinking: { budget_tokens: 8192 } });
    const tight = encode({ reasoning: { effort: 'xhigh' } }, { maxOutput: 8192 });
    expect(tight.body).toMatchObject({ max_tokens: 8192, thinking: { budget_tokens: 7168 } });
    expect(tight.warnings).toEqual(["the reasoning budget of 32000 tokens was lowered to 7168 to fit the model's output limit of 8192 tokens"]);
    // Without a catalogue limit, the default 4096 is raised silently (the client set nothing).
    const raised = encode({ reasoning: { effort: 'medium' } });
    expect(raised.body.max_tokens).toBe(8192 + 4096);
    expect(raised.warnings).toEqual([]);
  });

  it('maps tool_choice', () => {
    const tools = [{ type: 'function' as const, name: 'f' }];
    expect(encode({ tools, toolChoice: 'auto' }).body.tool_choice).toEqual({ type: 'auto' });
    expect(encode({ tools, toolChoice: 'required' }).body.tool_choice).toEqual({ type: 'any' });
    expect(encode({ tools, toolChoice: 'none' }).body.tool_choice).toEqual({ type: 'none' });
    expect(encode({ tools, toolChoice: { type: 'function', name: 'f' } }).body.tool_choice).toEqual({ type: 'tool', name: 'f' });
    expect(encode({ tools, toolChoice: 'required', parallelToolCalls: false }).body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(encode({ tools }).body).not.toHaveProperty('tool_choice');
    const noTools = encode({ toolChoice: 'required' });
    expect(noTools.body).not.toHaveProperty('tool_choice');
    expect(noTools.warnings).toEqual(['tool_choice requires a tool call but the request defines no tools; dropped']);
    expect(encode({ tools: [{ type: 'function', name: 'f', strict: true }] }).warnings).toEqual([
      'strict tool schemas are not supported by this Anthropic adapter; tools were sent without strict',
    ]);
  });

  it('turns thinking off where Anthropic would reject it', () => {
    const tools = [{ type: 'function' as const, name: 'f' }];
    const forced = encode({ tools, toolChoice: 'required', reasoning: { effort: 'low' } });
    expect(forced.body).not.toHaveProperty('thinking');
    expect(forced.warnings[0]).toMatch(/^reasoning was turned off: tool_choice forces a tool call/);

    const prefill = encode({ messages: [{ role: 'user', content: 'Write JSON' }, { role: 'assistant', content: '{"a": ', prefix: true }], reasoning: { effort: 'low' } });
    expect(prefill.body).not.toHaveProperty('thinking');
    // a prefill must not end in whitespace
    expect((prefill.body.messages as { content: unknown }[])[1]!.content).toEqual([{ type: 'text', text: '{"a":' }]);

    const lostThinking = encode({
      tools,
      reasoning: { effort: 'low' },
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: null, toolCalls: [{ id: 't1', name: 'f', arguments: '{}' }] },
        { role: 'tool', toolCallId: 't1', content: 'done' },
      ],
    });
    expect(lostThinking.body).not.toHaveProperty('thinking');
    expect(lostThinking.warnings[0]).toMatch(/without its Anthropic thinking block/);
  });

  it('rebuilds a signed thinking block from streamed pieces and the plain reasoning text', () => {
    const { body } = encode({
      reasoning: { effort: 'low' },
      tools: [{ type: 'function', name: 'f' }],
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          reasoning: 'streamed thought',
          reasoningDetails: [{ type: 'reasoning.text', signature: 'sig', format: 'anthropic-claude-v1', index: 0 }],
          toolCalls: [{ id: 't1', name: 'f', arguments: '{"x":1}' }],
        },
        { role: 'tool', toolCallId: 't1', content: 'done' },
        {
          role: 'assistant',
          content: 'ok',
          reasoningDetails: [
            { type: 'reasoning.text', text: 'part one, ', index: 0 },
            { type: 'reasoning.text', text: 'part two', index: 0 },
            { type: 'reasoning.text', signature: 'sig2', index: 0 },
            { type: 'reasoning.text', text: 'unsigned: cannot go back' },
          ],
        },
        { role: 'user', content: 'and?' },
      ],
    });
    const messages = body.messages as { role: string; content: Record<string, unknown>[] }[];
    expect(messages[1]!.content.slice(0, 2)).toEqual([
      { type: 'thinking', thinking: 'streamed thought', signature: 'sig' },
      { type: 'tool_use', id: 't1', name: 'f', input: { x: 1 } },
    ]);
    expect(messages[3]!.content).toEqual([{ type: 'thinking', thinking: 'part one, part two', signature: 'sig2' }, { type: 'text', text: 'ok' }]);
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });

  it('merges same-role turns, puts tool results first, hoists late system messages, and repairs bad arguments', () => {
    const { body, warnings } = encode({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'user', content: '' },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
        { role: 'assistant', content: null, toolCalls: [{ id: 't1', name: 'f', arguments: '{not json' }] },
        { role: 'user', content: 'interjection' },
        { role: 'tool', toolCallId: 't1', content: [{ type: 'image', url: `data:image/png;base64,${PNG}` }] },
        { role: 'system', content: 'late rule' },
        { role: 'user', content: [{ type: 'image', url: 'ftp://example.com/x.png' }] },
      ],
    });
    expect(body.system).toEqual([{ type: 'text', text: 'late rule' }]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
          { type: 'text', text: 'interjection' },
        ],
      },
    ]);
    expect(warnings).toEqual([
      'the arguments of an earlier call to tool "f" are not a JSON object; they were sent to Anthropic as {}',
      "a system or developer message inside the conversation was moved to Anthropic's top-level system prompt",
      'an image URL that is neither http(s) nor a data: URL is not supported by Anthropic; the image was dropped',
    ]);
  });

  it('uses /messages under a base URL that already ends in /v1, and lets the operator pin anthropic-version', async () => {
    const v1 = await harness({ headers: { 'anthropic-version': '2099-01-01', 'anthropic-beta': 'some-beta' } });
    try {
      v1.upstream.handler = jsonHandler(200, fixtureJson('anthropic-text'));
      const call = v1.call();
      call.route = { ...call.route, provider: { ...call.route.provider, baseURL: `${v1.upstream.url}/v1` } };
      await v1.adapter.chat(chatRequest(), call);
      const req = v1.upstream.requests.at(-1)!;
      expect(req.url).toBe('/v1/messages');
      expect(req.headers['anthropic-version']).toBe('2099-01-01');
      expect(req.headers['anthropic-beta']).toBe('some-beta');
    } finally {
      await v1.close();
    }
  });
});
