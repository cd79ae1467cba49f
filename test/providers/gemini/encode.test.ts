import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../src/canonical/index.js';
import { encodeChatRequest } from '../../../src/providers/gemini/encode.js';
import { encodeThinking } from '../../../src/providers/gemini/thinking.js';
import { FakeGemini, ask, call, collect, json, makeAdapter, provider, sse } from './support.js';

const fake = new FakeGemini();
const { adapter, http } = makeAdapter();

beforeAll(() => fake.start());
afterAll(async () => {
  await http.close();
  await fake.close();
});

const weatherSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { city: { type: 'string' }, unit: { $ref: '#/$defs/unit' } },
  required: ['city'],
  additionalProperties: false,
  $defs: { unit: { type: 'string', enum: ['C', 'F'] } },
};

/** Everything at once: system + developer, images, multi-turn tool use, signatures, json_schema, effort. */
const request: ChatRequest = {
  model: 'google/gemini-2.5-flash',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'developer', content: [{ type: 'text', text: 'Answer in JSON.' }] },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather in both?' },
        { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
        { type: 'image', url: 'https://example.com/photos/paris.webp?size=large', detail: 'high' },
        { type: 'image', url: 'https://example.com/no-extension' },
      ],
    },
    {
      role: 'assistant',
      content: '',
      toolCalls: [
        { id: 'call_gm_0123456789abcdef', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'fc-upstream-7', name: 'get_time', arguments: '{"city":"Rome"}' },
      ],
      reasoningDetails: [
        { type: 'reasoning.encrypted', data: 'SIG-CALL-1', format: 'google-gemini-v1', id: 'call_gm_0123456789abcdef' },
        { type: 'reasoning.text', text: 'thinking…', signature: 'anthropic-sig', format: 'anthropic-claude-v1' },
      ],
    },
    { role: 'tool', toolCallId: 'call_gm_0123456789abcdef', content: '{"temp":21,"unit":"C"}' },
    { role: 'tool', toolCallId: 'fc-upstream-7', content: 'It is noon.' },
    { role: 'assistant', content: 'Paris 21°C, Rome noon.', reasoningDetails: [{ type: 'reasoning.encrypted', data: 'SIG-TEXT', format: 'google-gemini-v1' }] },
    { role: 'user', content: 'And Oslo?' },
    { role: 'assistant', content: null, toolCalls: [{ id: 'call_x', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
    { role: 'tool', toolCallId: 'call_x', content: 'service down', isError: true },
  ],
  tools: [
    { type: 'function', name: 'get_weather', description: 'Current weather', parameters: weatherSchema, strict: true },
    { type: 'function', name: 'get_time' },
  ],
  toolChoice: { type: 'function', name: 'get_weather' },
  responseFormat: { type: 'json_schema', name: 'answer', schema: { $schema: 'x', type: 'object', properties: { summary: { type: 'string' } } }, strict: true },
  temperature: 0.2,
  topP: 0.9,
  topK: 40,
  maxTokens: 2048,
  stop: ['END'],
  seed: 7,
  presencePenalty: 0.1,
  frequencyPenalty: 0.3,
  logprobs: true,
  topLogprobs: 3,
  reasoning: { effort: 'medium' },
  stream: true,
  includeUsage: true,
  extra: { safety_settings: [], cached_content: 'x' },
};

const expectedBody = {
  systemInstruction: { parts: [{ text: 'You are terse.' }, { text: 'Answer in JSON.' }] },
  contents: [
    {
      role: 'user',
      parts: [
        { text: 'Weather in both?' },
        { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
        { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/photos/paris.webp?size=large' } },
        { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/no-extension' } },
      ],
    },
    {
      role: 'model',
      parts: [
        // The made-up id is not sent back; Gemini's own id is.
        { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'SIG-CALL-1' },
        { functionCall: { name: 'get_time', args: { city: 'Rome' }, id: 'fc-upstream-7' } },
      ],
    },
    {
      role: 'user',
      parts: [
        { functionResponse: { name: 'get_weather', response: { temp: 21, unit: 'C' } } },
        { functionResponse: { name: 'get_time', response: { result: 'It is noon.' }, id: 'fc-upstream-7' } },
      ],
    },
    { role: 'model', parts: [{ text: 'Paris 21°C, Rome noon.', thoughtSignature: 'SIG-TEXT' }] },
    { role: 'user', parts: [{ text: 'And Oslo?' }] },
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' }, id: 'call_x' } }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { error: 'service down' }, id: 'call_x' } }] },
  ],
  tools: [
    {
      functionDeclarations: [
        {
          name: 'get_weather',
          description: 'Current weather',
          parametersJsonSchema: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { $ref: '#/$defs/unit' } },
            required: ['city'],
            additionalProperties: false,
            $defs: { unit: { type: 'string', enum: ['C', 'F'] } },
          },
        },
        { name: 'get_time' },
      ],
    },
  ],
  toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
  generationConfig: {
    temperature: 0.2,
    topP: 0.9,
    topK: 40,
    maxOutputTokens: 2048,
    stopSequences: ['END'],
    seed: 7,
    presencePenalty: 0.1,
    frequencyPenalty: 0.3,
    responseMimeType: 'application/json',
    responseJsonSchema: { type: 'object', properties: { summary: { type: 'string' } } },
    thinkingConfig: { thinkingBudget: 8192, includeThoughts: true },
  },
};

describe('the request the adapter sends', () => {
  it('encodes a full canonical conversation exactly, and says what it dropped', async () => {
    fake.reply(sse([{ candidates: [{ content: { role: 'model', parts: [{ text: '{}' }] }, finishReason: 'STOP' }] }]));
    const c = call(provider(fake.url), 'gemini-2.5-flash');
    await collect(await adapter.chatStream(request, c));
    expect(fake.seen.at(-1)!.body).toEqual(expectedBody);
    expect(c.warnings).toEqual([
      'image detail is not supported by Gemini; ignored',
      'logprobs are not supported by the Gemini adapter; dropped',
      'strict tool schemas are not enforced by Gemini; sent as ordinary schemas',
      'parameters not supported by Gemini were not forwarded: cached_content, safety_settings',
    ]);
  });

  it('sends the same body without streaming, to :generateContent', async () => {
    fake.reply(json(200, { candidates: [{ content: { role: 'model', parts: [{ text: '{}' }] }, finishReason: 'STOP' }] }));
    const response = await adapter.chat({ ...request, stream: false }, call(provider(fake.url), 'gemini-2.5-flash'));
    expect(response.content).toBe('{}');
    expect(fake.seen.at(-1)!.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(fake.seen.at(-1)!.body).toEqual(expectedBody);
  });

  it('uses a base URL that already names the API version as is', async () => {
    fake.reply(json(200, { candidates: [{ content: { parts: [{ text: 'ok' }] }, finishReason: 'STOP' }] }));
    await adapter.chat(ask('hi'), call(provider(`${fake.url}/v1beta/`), 'models/gemini-2.5-pro'));
    expect(fake.seen.at(-1)!.url).toBe('/v1beta/models/gemini-2.5-pro:generateContent');
  });

  it('refuses a tool result whose call no earlier assistant message made', () => {
    const bad = ask('', { messages: [{ role: 'user', content: 'hi' }, { role: 'tool', toolCallId: 'nope', content: '1' }] });
    expect(() => encodeChatRequest(bad, 'gemini-2.5-flash', () => {})).toThrow(expect.objectContaining({ code: 'invalid_request', param: 'messages[1].tool_call_id' }));
  });

  it('signs unsigned function calls for Gemini 3, and maps the other tool choices and json_object', () => {
    const warnings: string[] = [];
    const body = encodeChatRequest(
      ask('', {
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: null, toolCalls: [{ id: 'toolu_1', name: 'f', arguments: '' }, { id: 'toolu_2', name: 'f', arguments: 'not json' }] },
          { role: 'tool', toolCallId: 'toolu_1', content: '[1,2]' },
          { role: 'tool', toolCallId: 'toolu_2', content: '{"ok":true}', isError: true },
        ],
        tools: [{ type: 'function', name: 'f' }],
        toolChoice: 'required',
        responseFormat: { type: 'json_object' },
        stop: ['1', '2', '3', '4', '5', '6'],
        user: 'u-1',
        parallelToolCalls: false,
      }),
      'gemini-3-pro-preview',
      (m) => warnings.push(m),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'hi' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'f', args: {}, id: 'toolu_1' }, thoughtSignature: 'skip_thought_signature_validator' },
          { functionCall: { name: 'f', args: {}, id: 'toolu_2' } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'f', response: { result: '[1,2]' }, id: 'toolu_1' } },
          { functionResponse: { name: 'f', response: { error: { ok: true } }, id: 'toolu_2' } },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(body.generationConfig).toEqual({ responseMimeType: 'application/json', stopSequences: ['1', '2', '3', '4', '5'] });
    expect(warnings).toEqual([
      'the arguments of tool call toolu_2 are not a JSON object; sent to Gemini as {}',
      'Gemini takes at most 5 stop sequences; the rest were dropped',
      'parallel_tool_calls=false is not supported by Gemini; ignored',
      'user is not supported by Gemini; dropped',
    ]);
    const none = encodeChatRequest(ask('x', { tools: [{ type: 'function', name: 'f' }], toolChoice: 'none' }), 'gemini-2.5-flash', () => {});
    expect(none.toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    const auto = encodeChatRequest(ask('x', { tools: [{ type: 'function', name: 'f' }], toolChoice: 'auto' }), 'gemini-2.5-flash', () => {});
    expect(auto.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
  });
});

describe('thinking budget', () => {
  const run = (reasoning: Parameters<typeof encodeThinking>[0], model = 'gemini-2.5-flash') => {
    const warnings: string[] = [];
    return { config: encodeThinking(reasoning, model, (m) => warnings.push(m)), warnings };
  };

  it('maps effort, budgets and on/off per model', () => {
    expect(run(undefined).config).toBeUndefined();
    expect(run({ enabled: true }).config).toEqual({ thinkingBudget: -1, includeThoughts: true });
    expect(run({ effort: 'low' }).config).toEqual({ thinkingBudget: 1024, includeThoughts: true });
    expect(run({ effort: 'high', exclude: true }).config).toEqual({ thinkingBudget: 24576 });
    expect(run({ effort: 'xhigh' }).config).toEqual({ thinkingBudget: 24576, includeThoughts: true });
    expect(run({ effort: 'xhigh' }, 'gemini-2.5-pro').config).toEqual({ thinkingBudget: 32768, includeThoughts: true });
    expect(run({ effort: 'minimal' }, 'gemini-2.5-flash-lite').config).toEqual({ thinkingBudget: 512, includeThoughts: true });
    expect(run({ maxTokens: 4000 }).config).toEqual({ thinkingBudget: 4000, includeThoughts: true });
    expect(run({ effort: 'none' })).toEqual({ config: { thinkingBudget: 0 }, warnings: [] });
    expect(run({ enabled: false }, 'gemini-2.5-pro')).toEqual({
      config: { thinkingBudget: 128, includeThoughts: true },
      warnings: ['reasoning cannot be turned off on gemini-2.5-pro; the smallest thinking budget (128) was used'],
    });
    expect(run({ maxTokens: 100000 })).toEqual({
      config: { thinkingBudget: 24576, includeThoughts: true },
      warnings: ["reasoning.max_tokens 100000 is outside gemini-2.5-flash's thinking budget range; 24576 was used"],
    });
  });
});
