import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { SIM_KEY, simSays, startStack, type Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city', 'unit'] },
  },
};
const timeTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
};

describe('OpenAI SDK through the gateway', () => {
  it('answers a non-streaming request with usage, cost and the route header', async () => {
    const { data, response } = await stack.client.chat.completions
      .create({ model: 'test/priced', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello' }], max_tokens: 5 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('test/priced');
    expect(data.choices[0]!.message.role).toBe('assistant');
    expect(data.choices[0]!.message.content!.trim().split(/\s+/)).toHaveLength(5);
    expect(data.usage!.completion_tokens).toBe(5);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + 5);
    // 0.2 $/M input and 0.8 $/M output: cost follows from the reported usage.
    const expected = (data.usage!.prompt_tokens * 0.2 + 5 * 0.8) / 1e6;
    expect((data.usage as unknown as { cost: number }).cost).toBeCloseTo(expected, 12);
    expect(response.headers.get('x-switchboard-route')).toBe('provider=sim; model=test/priced; attempts=1');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports an unknown price as null and unpriced, never as 0', async () => {
    const data = await stack.client.chat.completions.create({ model: 'test/model', messages: [{ role: 'user', content: 'hi' }] });
    const usage = data.usage as unknown as { cost: unknown; cost_status: string };
    expect(usage.cost).toBeNull();
    expect(usage.cost_status).toBe('unpriced');
  });

  it('accepts a host model name as an alias of the canonical id', async () => {
    const data = await stack.client.chat.completions.create({ model: 'sim-priced', messages: [{ role: 'user', content: 'hi' }] });
    expect(data.model).toBe('test/priced');
  });

  it('streams text with the usage chunk when asked', async () => {
    const stream = await stack.client.chat.completions.create({
      model: 'test/priced',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: simSays('stream please', { outputTokens: 12 }) }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.model).toBe('test/priced');
      if (chunk.choices[0]?.delta.content) text += chunk.choices[0].delta.content;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.trim().split(/\s+/)).toHaveLength(12);
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBe(12);
    expect((usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
    expect(chunks).toBeGreaterThanOrEqual(14);
  });

  it('always asks the host for stream usage, even when the client does not', async () => {
    stack.sim.clearRequests();
    const stream = await stack.client.chat.completions.create({ model: 'test/model', stream: true, messages: [{ role: 'user', content: 'x' }] });
    for await (const chunk of stream) expect(chunk.usage ?? undefined).toBeUndefined();
    const sent = stack.sim.requests().at(-1)!.body as Record<string, unknown>;
    expect(sent.stream_options).toEqual({ include_usage: true });
  });

  it('streams tool-call arguments that reassemble into valid JSON', async () => {
    const runner = stack.client.chat.completions.stream({
      model: 'test/model',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [weatherTool],
    });
    let argumentDeltas = 0;
    runner.on('chunk', (chunk) => {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) if (call.function?.arguments) argumentDeltas++;
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('unreachable');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'sim', unit: 'c' });
    expect(call.id).toMatch(/^call_/);
    expect(argumentDeltas).toBeGreaterThan(1);
  });

  it('streams parallel tool calls and passes tool results back', async () => {
    const final = await stack.client.chat.completions
      .stream({ model: 'test/model', messages: [{ role: 'user', content: 'both please' }], tools: [weatherTool, timeTool] })
      .finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['get_weather', 'get_time']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);

    stack.sim.clearRequests();
    const answer = await stack.client.chat.completions.create({
      model: 'test/model',
      tools: [weatherTool, timeTool],
      messages: [
        { role: 'user', content: 'both please' },
        final.choices[0]!.message as OpenAI.Chat.Completions.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: calls[0]!.id, content: '{"temp": 21}' },
        { role: 'tool', tool_call_id: calls[1]!.id, content: '{"time": "12:00"}' },
      ],
    });
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    const sent = stack.sim.requests().at(-1)!.body as { messages: Record<string, unknown>[] };
    expect(sent.messages[1]!.tool_calls).toEqual(
      calls.map((c) => ({ id: c.id, type: 'function', function: c.type === 'function' ? c.function : undefined })),
    );
    expect(sent.messages[2]).toEqual({ role: 'tool', content: '{"temp": 21}', tool_call_id: calls[0]!.id });
  });

  it('carries reasoning_content as reasoning, streaming and not', async () => {
    const data = await stack.client.chat.completions.create({ model: 'test/reasoner', messages: [{ role: 'user', content: 'think' }] });
    const message = data.choices[0]!.message as unknown as { reasoning_content?: string; content: string };
    expect(message.reasoning_content!.length).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0);

    const stream = await stack.client.chat.completions.create({ model: 'test/reasoner', stream: true, messages: [{ role: 'user', content: 'think' }] });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string; content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    expect(reasoning).toBe(message.reasoning_content);
    expect(content).toBe(message.content);
  });

  it('passes structured-output and vendor fields through to the host', async () => {
    stack.sim.clearRequests();
    const body = {
      model: 'test/model',
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'json' }, { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' as const } }] }],
      response_format: { type: 'json_schema' as const, json_schema: { name: 'r', schema: { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] }, strict: true } },
      temperature: 0.3,
      top_p: 0.9,
      max_completion_tokens: 50,
      stop: ['END'],
      seed: 7,
      user: 'u-1',
      top_k: 20,
      enable_thinking: false,
      chat_template_kwargs: { thinking: false },
    };
    const data = await stack.client.chat.completions.create(body as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    expect(JSON.parse(data.choices[0]!.message.content!)).toEqual({ a: 1 });
    const sent = stack.sim.requests().at(-1)!;
    expect(sent.hasAuth).toBe(true);
    expect(sent.body).toMatchObject({
      model: 'sim-model',
      response_format: body.response_format,
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 50,
      stop: ['END'],
      seed: 7,
      user: 'u-1',
      top_k: 20,
      enable_thinking: false,
      chat_template_kwargs: { thinking: false },
      messages: body.messages,
    });
  });

  it('serves embeddings, float and base64', async () => {
    const floats = await stack.client.embeddings.create({ model: 'test/embed', input: ['a', 'b'], encoding_format: 'float' });
    expect(floats.data).toHaveLength(2);
    expect(floats.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(floats.model).toBe('test/embed');
    const again = await stack.client.embeddings.create({ model: 'test/embed', input: ['a', 'b'] });
    // The SDK asks for base64 by default and decodes it: the numbers must survive the trip.
    expect(again.data[0]!.embedding).toEqual(floats.data[0]!.embedding.map((x) => Math.fround(x)));
  });

  it('lists the configured models in OpenRouter shape', async () => {
    const res = await fetch(`${stack.url}/v1/models`);
    const body = (await res.json()) as { data: Record<string, unknown>[] };
    const priced = body.data.find((m) => m.id === 'test/priced')!;
    expect(priced.pricing).toEqual({ prompt: '0.0000002', completion: '0.0000008', input_cache_read: '0.00000005' });
    expect(priced.origin).toBeNull();
    expect(priced.hosts).toEqual([
      {
        provider: 'sim',
        model: 'sim-priced',
        jurisdiction: 'US',
        self_hosted: false,
        configured: true,
        pricing: { prompt: '0.0000002', completion: '0.0000008', input_cache_read: '0.00000005' },
        context_length: null,
      },
    ]);
    const models = await stack.client.models.list();
    expect(models.data.map((m) => m.id)).toContain('test/model');
  });

  it('lists the whole catalogue with ?all=1, marking unconfigured hosts', async () => {
    const body = (await (await fetch(`${stack.url}/v1/models?all=1`)).json()) as { data: Record<string, any>[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const sonnet = body.data.find((m) => m.id === 'anthropic/claude-sonnet-4.5')!;
    expect(sonnet).toMatchObject({ origin: 'US', license: 'Proprietary', open_weights: false, context_length: 200000 });
    expect(sonnet.pricing).toMatchObject({ prompt: '0.000003', completion: '0.000015' });
    expect(sonnet.hosts.map((h: { provider: string; configured: boolean }) => [h.provider, h.configured])).toEqual([
      ['anthropic', false],
      ['bedrock', false],
    ]);
    const deepseek = body.data.find((m) => m.id === 'deepseek/deepseek-v3.2')!;
    expect(deepseek).toMatchObject({ origin: 'CN', license: 'MIT', open_weights: true });
    expect(body.data.some((m) => m.id === 'test/priced')).toBe(true);
  });

  it('never lets the upstream key reach a response or a log line', async () => {
    await stack.client.chat.completions.create({ model: 'test/model', messages: [{ role: 'user', content: 'hi' }] });
    await expect(
      stack.client.chat.completions.create({ model: 'test/model', messages: [{ role: 'user', content: simSays('x', { fault: 'status', status: 401 }) }] }),
    ).rejects.toThrow();
    expect(stack.logs.join('\n')).not.toContain(SIM_KEY);
  });

  it('answers health and readiness', async () => {
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
    const ready = await fetch(`${stack.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get('x-request-id')).toBeTruthy();
  });
});

describe('metrics', () => {
  it('exposes Prometheus metrics with bounded labels and counts unpriced responses', async () => {
    await stack.client.chat.completions.create({ model: 'test/model', messages: [{ role: 'user', content: 'count me' }] });
    const res = await fetch(`${stack.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/switchboard_requests_total\{route="chat",model="test\/model",provider="sim",status="2xx"\} \d+/);
    expect(text).toMatch(/switchboard_unpriced_responses_total\{provider="sim",model="test\/model"\} \d+/);
    expect(text).toMatch(/switchboard_tokens_total\{provider="sim",model="test\/priced",kind="input"\} \d+/);
    expect(text).not.toContain(SIM_KEY);
    expect(text).not.toMatch(/request_?id/i);
  });
});
