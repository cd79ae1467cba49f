/** The simulator's Anthropic face as the official Anthropic SDK sees it: if the SDK is happy, Anthropic clients will be. */
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

let sim: Simulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ profiles: { overloaded: { fault: 'status', status: 529 } } });
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sim.url, maxRetries: 0, logLevel: 'off' });
});
afterAll(() => sim.close());

const MODEL = 'claude-haiku-4-5';

/** The client with one request's scenario in the x-sim-scenario header. */
function withScenario(scenario: object): Anthropic {
  return client.withOptions({ defaultHeaders: { 'x-sim-scenario': JSON.stringify(scenario) } });
}

const ask = (text: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 256,
  messages: [{ role: 'user', content: text }],
  ...extra,
});

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, verbose: { type: 'boolean' } },
    required: ['city', 'days', 'unit'],
  },
};
const timeTool: Anthropic.Tool = { name: 'get_time', input_schema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } };

const textOf = (m: Anthropic.Message): string => m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');

describe('messages through the Anthropic SDK', () => {
  it('answers a non-stream request with a message', async () => {
    const res = await client.messages.create({ ...ask('Hello there'), system: 'Be brief.' });
    expect(res.type).toBe('message');
    expect(res.role).toBe('assistant');
    expect(res.id).toMatch(/^msg_/);
    expect(res.model).toBe(MODEL);
    expect(res.stop_reason).toBe('end_turn');
    expect(res.stop_sequence).toBeNull();
    expect(res.content).toHaveLength(1);
    expect(textOf(res).trim().split(' ')).toHaveLength(16);
    // The system prompt counts as a message: ceil(chars / 4) + 4 per message.
    const prompt = Math.ceil(('Hello there'.length + 'Be brief.'.length) / 4) + 8;
    expect(res.usage).toMatchObject({ input_tokens: prompt, output_tokens: 16, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  });

  it('streams text through the stream helper, one token per text event, with usage', async () => {
    const expected = await client.messages.create(ask('Stream please', { max_tokens: 6 }));
    const stream = client.messages.stream(ask('Stream please', { max_tokens: 6 }));
    const pieces: string[] = [];
    stream.on('text', (delta) => pieces.push(delta));
    const final = await stream.finalMessage();
    expect(pieces).toHaveLength(6);
    expect(pieces.join('')).toBe(textOf(expected));
    expect(textOf(final)).toBe(textOf(expected));
    expect(final.stop_reason).toBe('end_turn'); // the default answer is min(max_tokens, 16) long
    expect(final.usage.output_tokens).toBe(6);
    const cut = await withScenario({ outputTokens: 40 }).messages.stream(ask('Stream please', { max_tokens: 6 })).finalMessage();
    expect(cut.stop_reason).toBe('max_tokens');
    expect(cut.usage.output_tokens).toBe(6);
    expect(final.usage.input_tokens).toBe(expected.usage.input_tokens);
  });

  it('ends at a stop sequence with stop_reason stop_sequence and names it', async () => {
    const full = textOf(await client.messages.create(ask('Stops')));
    const seq = full.split(' ')[2]!; // the third word
    const res = await client.messages.create(ask('Stops', { stop_sequences: ['zzz', seq] }));
    expect(res.stop_reason).toBe('stop_sequence');
    expect(res.stop_sequence).toBe(seq);
    expect(textOf(res)).toBe(full.slice(0, full.indexOf(seq)));
  });

  it('thinks first, with a deterministic signature, when thinking is enabled', async () => {
    const params = ask('Think it over', { max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 } });
    const res = await client.messages.create(params);
    const [thinking, text] = res.content;
    expect(thinking!.type).toBe('thinking');
    expect(text!.type).toBe('text');
    const block = thinking as Anthropic.ThinkingBlock;
    expect(block.thinking.trim().split(' ')).toHaveLength(8);
    expect(block.signature).toMatch(/^[A-Za-z0-9+/]{40,}={0,2}$/);
    expect(res.usage.output_tokens).toBe(8 + 16);

    const stream = client.messages.stream(params);
    let thought = '';
    let signature = '';
    stream.on('thinking', (delta) => (thought += delta));
    stream.on('signature', (s) => (signature = s));
    const final = await stream.finalMessage();
    expect(thought).toBe(block.thinking);
    expect(signature).toBe(block.signature);
    expect(final.content).toEqual(res.content);
  });

  it('thinks for a model named *thinking*, and omits the text (not the signature) with display omitted', async () => {
    const byName = await client.messages.create({ ...ask('Why?'), model: 'claude-sim-thinking' });
    expect(byName.content[0]!.type).toBe('thinking');
    const omitted = await client.messages.create(ask('Why?', { max_tokens: 2048, thinking: { type: 'adaptive', display: 'omitted' } }));
    const block = omitted.content[0] as Anthropic.ThinkingBlock;
    expect(block.type).toBe('thinking');
    expect(block.thinking).toBe('');
    expect(block.signature.length).toBeGreaterThan(40);
    expect(omitted.usage.output_tokens).toBe(8 + 16);
  });

  it('streams a tool use whose input JSON assembles, opening with an empty fragment', async () => {
    const stream = client.messages.stream(ask('Weather in Paris?', { tools: [weatherTool] }));
    const fragments: string[] = [];
    stream.on('inputJson', (partial) => fragments.push(partial));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const use = final.content[0] as Anthropic.ToolUseBlock;
    expect(use.type).toBe('tool_use');
    expect(use.id).toMatch(/^toolu_01/);
    expect(use.name).toBe('get_weather');
    expect(use.input).toEqual({ city: 'sim', days: 1, unit: 'celsius' });
    expect(fragments[0]).toBe('');
    expect(fragments.length).toBeGreaterThan(3);
    expect(JSON.parse(fragments.join(''))).toEqual(use.input);
  });

  it('makes parallel tool calls, or one with disable_parallel_tool_use', async () => {
    const res = await client.messages.create(ask('Weather and time?', { tools: [weatherTool, timeTool] }));
    expect(res.stop_reason).toBe('tool_use');
    const uses = res.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(uses.map((u) => [u.name, u.input])).toEqual([
      ['get_weather', { city: 'sim', days: 1, unit: 'celsius' }],
      ['get_time', { zone: 'sim' }],
    ]);
    expect(new Set(uses.map((u) => u.id)).size).toBe(2);
    const streamed = await client.messages.stream(ask('Weather and time?', { tools: [weatherTool, timeTool] })).finalMessage();
    expect(streamed.content).toEqual(res.content);

    const one = await client.messages.create(ask('x', { tools: [weatherTool, timeTool], tool_choice: { type: 'auto', disable_parallel_tool_use: true } }));
    expect(one.content.filter((b) => b.type === 'tool_use')).toHaveLength(1);
    const named = await client.messages.create(ask('x', { tools: [weatherTool, timeTool], tool_choice: { type: 'tool', name: 'get_time' } }));
    expect(named.content.map((b) => (b.type === 'tool_use' ? b.name : b.type))).toEqual(['get_time']);
    const none = await client.messages.create(ask('x', { tools: [weatherTool], tool_choice: { type: 'none' } }));
    expect(none.stop_reason).toBe('end_turn');
  });

  it('answers with text after a tool result, echoing it', async () => {
    const res = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather? #sim{"outputTokens":6}' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny 21C' }] }] },
      ],
    });
    expect(res.stop_reason).toBe('end_turn');
    expect(textOf(res)).toContain('sunny 21C');
    // The directive of the turn that asked still applies to the tool-result turn.
    expect(res.usage.output_tokens).toBe(6);
  });

  it('reports cache reads and writes, with input_tokens the uncached rest of the prompt', async () => {
    const params = ask('A long cached prefix of the conversation, repeated. '.repeat(8));
    const { input_tokens: prompt } = await client.messages.countTokens({ model: MODEL, messages: params.messages });
    const res = await withScenario({ cachedTokens: 50, cacheWriteTokens: 20 }).messages.create(params);
    expect(res.usage).toMatchObject({ cache_read_input_tokens: 50, cache_creation_input_tokens: 20, input_tokens: prompt - 70 });
    expect(res.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 0 });

    const final = await withScenario({ cachedTokens: 50, cacheWriteTokens: 20 }).messages.stream(params).finalMessage();
    expect(final.usage).toMatchObject({ cache_read_input_tokens: 50, cache_creation_input_tokens: 20, input_tokens: prompt - 70 });
  });

  it('counts tokens with the simulator convention', async () => {
    const count = await client.messages.countTokens({
      model: MODEL,
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [
        { role: 'user', content: 'Count me' },
        { role: 'assistant', content: 'Sure' },
        { role: 'user', content: 'Now' },
      ],
    });
    expect(count.input_tokens).toBe(Math.ceil(('You are terse.' + 'Count me' + 'Sure' + 'Now').length / 4) + 4 * 4);
  });

  it('selects a profile through /p/<name>', async () => {
    const broken = new Anthropic({ apiKey: 'k', baseURL: `${sim.url}/p/overloaded`, maxRetries: 0, logLevel: 'off' });
    const err = await broken.messages.create(ask('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
  });
});

describe('faults as the Anthropic SDK reports them', () => {
  const fail = (scenario: object, params = ask('hi')) => withScenario(scenario).messages.create(params).catch((e: unknown) => e);

  it('429 carries rate_limit_error, retry-after and the anthropic-ratelimit headers', async () => {
    const err = await fail({ fault: 'status', status: 429, retryAfterSeconds: 7 });
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.type).toBe('rate_limit_error');
    expect(e.headers?.get('retry-after')).toBe('7');
    expect(e.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(e.headers?.get('anthropic-ratelimit-requests-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(e.requestID).toMatch(/^req_/);
    // Anthropic always says how long to wait.
    const plain = (await fail({ fault: 'status', status: 429 })) as InstanceType<typeof Anthropic.RateLimitError>;
    expect(plain.headers?.get('retry-after')).toBe('1');
  });

  it('maps each status to its error type and SDK class', async () => {
    const cases: [number, string, new (...args: never[]) => unknown][] = [
      [400, 'invalid_request_error', Anthropic.BadRequestError],
      [401, 'authentication_error', Anthropic.AuthenticationError],
      [403, 'permission_error', Anthropic.PermissionDeniedError],
      [404, 'not_found_error', Anthropic.NotFoundError],
      [413, 'request_too_large', Anthropic.ContentTooLargeError],
      [500, 'api_error', Anthropic.InternalServerError],
      [529, 'overloaded_error', Anthropic.InternalServerError],
    ];
    for (const [status, type, cls] of cases) {
      const err = await fail({ fault: 'status', status });
      expect(err, String(status)).toBeInstanceOf(cls);
      expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
      expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe(type);
      expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type } });
    }
  });

  it('context_length is a 400 invalid_request_error "prompt is too long"', async () => {
    const err = await fail({ fault: 'context_length' });
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toMatch(/prompt is too long: \d+ tokens > 200000 maximum/);
  });

  async function drain(c: Anthropic, params = ask('hi')): Promise<string> {
    const stream = c.messages.stream(params);
    let text = '';
    stream.on('text', (d) => (text += d));
    await stream.finalMessage();
    return text;
  }

  it('error_event raises an overloaded_error from the stream', async () => {
    const err = await drain(withScenario({ fault: 'error_event', afterChunks: 3 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
    expect((err as Error).message).toMatch(/Overloaded/);
    // Without a stream to carry it, the same fault is a 529.
    expect(await fail({ fault: 'error_event' })).toMatchObject({ status: 529 });
  });

  it('cut and malformed make the stream throw', async () => {
    await expect(drain(withScenario({ fault: 'cut', afterChunks: 3 }))).rejects.toThrow();
    await expect(drain(withScenario({ fault: 'malformed', afterChunks: 2 }))).rejects.toThrow();
  });

  it('hang times out on the client; stall stops after afterChunks', async () => {
    await expect(withScenario({ fault: 'hang' }).messages.create(ask('hi'), { timeout: 300 })).rejects.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const stream = withScenario({ fault: 'stall', afterChunks: 2 }).messages.stream(ask('hi'));
    let seen = 0;
    stream.on('text', () => seen++);
    const timer = setTimeout(() => stream.abort(), 250);
    await expect(stream.finalMessage()).rejects.toThrow();
    clearTimeout(timer);
    expect(seen).toBe(2);
  });

  it('requireAuth answers 401 authentication_error without x-api-key', async () => {
    const guarded = await startSimulator({ requireAuth: true });
    try {
      // The SDK refuses to send a request without credentials, so the anonymous one goes out raw.
      const anonymous = await fetch(`${guarded.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(ask('x')),
      });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
      const keyed = new Anthropic({ apiKey: 'sk-ant-secret', baseURL: guarded.url, maxRetries: 0, logLevel: 'off' });
      expect((await keyed.messages.create(ask('x'))).type).toBe('message');
      // This SDK sends its key as a bearer token; raw clients send x-api-key. Both count, both are masked.
      const raw = await fetch(`${guarded.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-secret' },
        body: JSON.stringify(ask('x')),
      });
      expect(raw.status).toBe(200);
      expect(guarded.requests().map((r) => r.hasAuth)).toEqual([false, true, true]);
      expect(guarded.requests()[2]!.headers['x-api-key']).toBe('***');
      expect(JSON.stringify(guarded.requests())).not.toContain('sk-ant-secret');
    } finally {
      await guarded.close();
    }
  });
});

describe('replay through the Anthropic SDK', () => {
  const fixture = (name: string) => readFileSync(new URL(`../fixtures/conformance/anthropic/${name}`, import.meta.url), 'utf8');

  it('replays anthropic/anthropic-json-tool.1 as a stream with the recorded tool input', async () => {
    let recorded = '';
    for (const line of fixture('anthropic-json-tool.1.chunks.txt').split('\n').filter(Boolean)) {
      const event = JSON.parse(line) as { type: string; delta?: { type: string; partial_json?: string } };
      if (event.delta?.type === 'input_json_delta') recorded += event.delta.partial_json;
    }
    const final = await client.messages.stream(ask('#sim{"replay":"anthropic/anthropic-json-tool.1"}')).finalMessage();
    const use = final.content[0] as Anthropic.ToolUseBlock;
    expect(use.type).toBe('tool_use');
    expect(use.name).toBe('json');
    expect(use.input).toEqual(JSON.parse(recorded));
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage.output_tokens).toBe(47);
  });

  it('replays the recorded non-stream body', async () => {
    const expected = JSON.parse(fixture('anthropic-json-tool.1.json')) as Anthropic.Message;
    const res = await withScenario({ replay: 'anthropic/anthropic-json-tool.1' }).messages.create(ask('x'));
    expect(res.content).toEqual(expected.content);
    expect(res.id).toBe(expected.id);
  });

  it('replays thinking with its signature, and 404s an unknown fixture', async () => {
    const final = await client.messages.stream(ask('#sim{"replay":"anthropic/anthropic-clear-thinking.1"}')).finalMessage();
    const thinking = final.content[0] as Anthropic.ThinkingBlock;
    expect(thinking.type).toBe('thinking');
    expect(thinking.signature.length).toBeGreaterThan(50);
    await expect(withScenario({ replay: 'anthropic/nope' }).messages.create(ask('x'))).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});
