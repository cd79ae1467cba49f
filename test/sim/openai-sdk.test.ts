/** The simulator as the official OpenAI SDK sees it: if the SDK is happy, OpenAI clients will be. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator();
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0, logLevel: 'off' });
});
afterAll(() => sim.close());

/** The client with one request's scenario in the x-sim-scenario header. */
function withScenario(scenario: object): OpenAI {
  return client.withOptions({ defaultHeaders: { 'x-sim-scenario': JSON.stringify(scenario) } });
}

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, verbose: { type: 'boolean' } },
      required: ['city', 'days', 'unit'],
    },
  },
};
const timeTool = {
  type: 'function' as const,
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
};

describe('chat completions through the OpenAI SDK', () => {
  it('answers a non-stream request with a chat.completion', async () => {
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] });
    expect(res.object).toBe('chat.completion');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.model).toBe('gpt-4o-mini');
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content?.trim().split(' ')).toHaveLength(16);
    expect(res.usage).toMatchObject({ completion_tokens: 16, prompt_tokens: Math.ceil('Hello there'.length / 4) + 4, total_tokens: 16 + 7 });
  });

  it('streams one token per chunk and a usage chunk with stream_options.include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5,
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant', content: '' });
    const contents = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).filter(Boolean);
    expect(contents).toHaveLength(5);
    const finish = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean);
    expect(finish).toEqual(['stop']);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 5, total_tokens: last.usage!.prompt_tokens + 5 });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
  });

  it('cuts at max_tokens with finish_reason length when outputTokens is larger', async () => {
    const res = await withScenario({ outputTokens: 40 }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'long' }], max_completion_tokens: 7 });
    expect(res.choices[0]!.finish_reason).toBe('length');
    expect(res.usage!.completion_tokens).toBe(7);
  });

  it('streams a tool call whose argument fragments reassemble into valid JSON', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool], stream: true });
    let args = '';
    let name = '';
    let id = '';
    let fragments = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      for (const call of choice.delta.tool_calls ?? []) {
        expect(call.index).toBe(0);
        if (call.id) id = call.id;
        if (call.function?.name) name = call.function.name;
        if (call.function?.arguments) {
          args += call.function.arguments;
          fragments++;
        }
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(name).toBe('get_weather');
    expect(fragments).toBeGreaterThan(2);
    expect(JSON.parse(args)).toEqual({ city: 'sim', days: 1, unit: 'celsius' });
    expect(finish).toBe('tool_calls');
  });

  it('makes parallel tool calls that the SDK stream helper assembles', async () => {
    const runner = client.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Weather and time?' }], tools: [weatherTool, timeTool] });
    const final = await runner.finalChatCompletion();
    const msg = final.choices[0]!.message;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(msg.content).toBeNull();
    const calls = (msg.tool_calls ?? []).map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : []));
    expect(calls).toEqual([
      ['get_weather', { city: 'sim', days: 1, unit: 'celsius' }],
      ['get_time', { zone: 'sim' }],
    ]);
  });

  it('makes a single call when parallel_tool_calls is false, and answers text after a tool result', async () => {
    const one = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [weatherTool, timeTool], parallel_tool_calls: false });
    expect(one.choices[0]!.message.tool_calls).toHaveLength(1);
    const after = await client.chat.completions.create({
      model: 'm',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny 21C' },
      ],
    });
    expect(after.choices[0]!.finish_reason).toBe('stop');
    expect(after.choices[0]!.message.content).toContain('sunny');
  });

  it('emits reasoning_content before the answer for a deepseek-reasoner model', async () => {
    const res = await client.chat.completions.create({ model: 'deepseek-reasoner', messages: [{ role: 'user', content: 'Think' }] });
    const message = res.choices[0]!.message as { reasoning_content?: string; content: string | null };
    expect(message.reasoning_content?.trim().split(' ')).toHaveLength(8);
    expect(res.usage!.completion_tokens_details?.reasoning_tokens).toBe(8);

    const stream = await client.chat.completions.create({ model: 'deepseek-reasoner', messages: [{ role: 'user', content: 'Think' }], stream: true });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = (chunk.choices[0]?.delta ?? {}) as { reasoning_content?: string; content?: string | null };
      if (delta.reasoning_content) {
        expect(content).toBe(''); // reasoning comes first
        reasoning += delta.reasoning_content;
      }
      content += delta.content ?? '';
    }
    expect(reasoning).toBe(message.reasoning_content);
    expect(content).toBe(message.content);
  });

  it('answers json_schema response formats with schema-shaped JSON', async () => {
    const res = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'json' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'r', schema: { type: 'object', properties: { ok: { type: 'boolean' }, n: { type: 'number' } }, required: ['ok', 'n'] } },
      },
    });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ ok: true, n: 1 });
  });
});

describe('embeddings through the OpenAI SDK', () => {
  it('returns deterministic float vectors honouring dimensions', async () => {
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float', dimensions: 12 });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]!.embedding).toHaveLength(12);
    const norm = Math.hypot(...res.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 5);
    // ceil(5/4) + ceil(4/4): the simulator's 4-characters-per-token convention.
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const again = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', encoding_format: 'float', dimensions: 12 });
    expect(again.data[0]!.embedding).toEqual(res.data[0]!.embedding);
  });

  it('returns little-endian float32 base64 that decodes to the same vector', async () => {
    const float = await client.embeddings.create({ model: 'e', input: 'gamma', encoding_format: 'float' });
    const b64 = await client.embeddings.create({ model: 'e', input: 'gamma', encoding_format: 'base64' });
    const raw = Buffer.from(b64.data[0]!.embedding as unknown as string, 'base64');
    const decoded = Array.from({ length: raw.length / 4 }, (_, i) => raw.readFloatLE(i * 4));
    expect(decoded).toEqual(float.data[0]!.embedding);
    // Without an encoding_format the SDK asks for base64 and decodes it itself.
    const implicit = await client.embeddings.create({ model: 'e', input: 'gamma' });
    expect(implicit.data[0]!.embedding).toEqual(float.data[0]!.embedding);
    expect(implicit.data[0]!.embedding).toHaveLength(8);
  });
});

describe('faults as the OpenAI SDK reports them', () => {
  const ask = (c: OpenAI) => c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

  it('429 with retry-after surfaces as RateLimitError', async () => {
    const err = await ask(withScenario({ fault: 'status', status: 429, retryAfterSeconds: 7 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.headers.get('retry-after')).toBe('7');
    expect(e.code).toBe('rate_limit_exceeded');
  });

  it('500 surfaces as InternalServerError', async () => {
    await expect(ask(withScenario({ fault: 'status', status: 500 }))).rejects.toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('context_length surfaces as BadRequestError with code context_length_exceeded', async () => {
    const err = await ask(withScenario({ fault: 'context_length' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
  });

  async function drain(c: OpenAI): Promise<string> {
    const stream = await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return text;
  }

  it('cut makes the SDK stream throw after the chunks it did send', async () => {
    await expect(drain(withScenario({ fault: 'cut', afterChunks: 3 }))).rejects.toThrow();
  });

  it('error_event makes the SDK stream throw an APIError carrying the message', async () => {
    const err = await drain(withScenario({ fault: 'error_event', afterChunks: 2 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String((err as Error).message)).toMatch(/server had an error/);
  });

  it('malformed makes the SDK stream throw a parse error', async () => {
    await expect(drain(withScenario({ fault: 'malformed', afterChunks: 1 }))).rejects.toThrow();
  });

  it('hang times out on the client', async () => {
    const impatient = withScenario({ fault: 'hang' }).withOptions({ timeout: 300 });
    await expect(ask(impatient)).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('stall sends the first chunks, then nothing while keeping the stream open', async () => {
    const stream = await withScenario({ fault: 'stall', afterChunks: 2 }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const timer = setTimeout(() => stream.controller.abort(), 250);
    let seen = 0;
    let finished = false;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) seen++;
      if (chunk.choices[0]?.finish_reason) finished = true;
    }
    clearTimeout(timer);
    expect(seen).toBe(2);
    expect(finished).toBe(false);
  });
});
