import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simSays, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack();
  client = new Anthropic({ baseURL: stack.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
});
afterAll(async () => {
  await stack?.close();
});

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const clock: Anthropic.Tool = { name: 'get_time', input_schema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } };

describe('Anthropic Messages endpoint over an OpenAI-compatible host', () => {
  it('answers a non-streaming request in Anthropic shape with usage and cost', async () => {
    const { data, response } = await client.messages
      .create({ model: 'test/priced', max_tokens: 6, system: 'be brief', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.model).toBe('test/priced');
    expect(data.id).toMatch(/^msg_/);
    const text = data.content.find((b) => b.type === 'text');
    expect(text && text.type === 'text' && text.text.trim().split(/\s+/)).toHaveLength(6);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage.output_tokens).toBe(6);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect((data.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
    expect(response.headers.get('x-switchboard-route')).toBe('provider=sim; model=test/priced; attempts=1');
    const sent = stack.sim.requests().at(-1)!.body as { messages: { role: string; content: unknown }[]; max_tokens: number };
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'be brief' });
    expect(sent.max_tokens).toBe(6);
  });

  it('streams text through the SDK stream helper', async () => {
    const stream = client.messages.stream({ model: 'test/model', max_tokens: 100, messages: [{ role: 'user', content: simSays('go', { outputTokens: 9 }) }] });
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    const text = final.content.find((b) => b.type === 'text');
    expect(text && text.type === 'text' && text.text.trim().split(/\s+/)).toHaveLength(9);
    expect(final.usage.output_tokens).toBe(9);
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events).toContain('content_block_start');
    expect(events).toContain('message_delta');
  });

  it('streams tool calls whose input JSON assembles, including parallel calls', async () => {
    const final = await client.messages
      .stream({ model: 'test/model', max_tokens: 200, tools: [weather, clock], messages: [{ role: 'user', content: 'both' }] })
      .finalMessage();
    const uses = final.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(uses.map((u) => u.name)).toEqual(['get_weather', 'get_time']);
    expect(uses[0]!.input).toEqual({ city: 'sim' });
    expect(uses[1]!.input).toEqual({ zone: 'sim' });
    expect(final.stop_reason).toBe('tool_use');

    stack.sim.clearRequests();
    const next = await client.messages.create({
      model: 'test/model',
      max_tokens: 50,
      tools: [weather, clock],
      messages: [
        { role: 'user', content: 'both' },
        { role: 'assistant', content: final.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: uses[0]!.id, content: 'sunny' },
            { type: 'tool_result', tool_use_id: uses[1]!.id, content: [{ type: 'text', text: 'noon' }], is_error: false },
          ],
        },
      ],
    });
    expect(next.stop_reason).toBe('end_turn');
    const sent = stack.sim.requests().at(-1)!.body as { messages: Record<string, unknown>[] };
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(sent.messages[1]!.tool_calls).toEqual(uses.map((u) => ({ id: u.id, type: 'function', function: { name: u.name, arguments: JSON.stringify(u.input) } })));
    expect(sent.messages[2]).toEqual({ role: 'tool', content: 'sunny', tool_call_id: uses[0]!.id });
  });

  it('maps reasoning_content to thinking blocks, streaming and not', async () => {
    const message = await client.messages.create({ model: 'test/reasoner', max_tokens: 100, messages: [{ role: 'user', content: 'think' }] });
    const thinking = message.content.find((b) => b.type === 'thinking');
    expect(thinking && thinking.type === 'thinking' && thinking.thinking.length).toBeGreaterThan(0);
    expect(message.content.findIndex((b) => b.type === 'thinking')).toBeLessThan(message.content.findIndex((b) => b.type === 'text'));
    const streamed = await client.messages.stream({ model: 'test/reasoner', max_tokens: 100, messages: [{ role: 'user', content: 'think' }] }).finalMessage();
    const streamedThinking = streamed.content.find((b) => b.type === 'thinking');
    expect(streamedThinking && streamedThinking.type === 'thinking' && streamedThinking.thinking).toBe(thinking && thinking.type === 'thinking' && thinking.thinking);
  });

  it('maps thinking budgets and stop sequences to the host', async () => {
    stack.sim.clearRequests();
    await client.messages.create({
      model: 'test/model',
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      stop_sequences: ['END'],
      top_k: 5,
      metadata: { user_id: 'u-9' },
      messages: [{ role: 'user', content: 'x' }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    const sent = stack.sim.requests().at(-1)!.body as Record<string, unknown>;
    expect(sent).toMatchObject({ stop: ['END'], top_k: 5, user: 'u-9', max_tokens: 2000 });
  });

  it('answers errors in Anthropic shape', async () => {
    const missing = await fetch(`${stack.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/model', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: "missing required field 'max_tokens'" } });

    const err = await client.messages.create({ model: 'nobody/nothing', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    const upstream = await client.messages
      .create({ model: 'test/model', max_tokens: 5, messages: [{ role: 'user', content: simSays('x', { fault: 'status', status: 429, retryAfterSeconds: 3 }) }] })
      .catch((e: unknown) => e);
    expect(upstream).toBeInstanceOf(Anthropic.RateLimitError);
    expect((upstream as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe('3');
  });

  it('raises an in-stream error in the Anthropic form, which the SDK throws', async () => {
    const stream = client.messages.stream({ model: 'test/model', max_tokens: 100, messages: [{ role: 'user', content: simSays('x', { fault: 'cut', afterChunks: 3, outputTokens: 10 }) }] });
    await expect(stream.finalMessage()).rejects.toThrow(/closed the connection|ended the stream/);
  });

  it('counts tokens', async () => {
    const count = await client.messages.countTokens({ model: 'test/model', messages: [{ role: 'user', content: 'count these words please' }] });
    expect(count.input_tokens).toBeGreaterThan(0);
  });

  it('reports fields no host will receive in x-switchboard-warnings', async () => {
    const res = await fetch(`${stack.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/model', max_tokens: 5, container: 'c-1', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.headers.get('x-switchboard-warnings')!)).toEqual(["container is not supported by the gateway's Messages endpoint; it was not forwarded"]);
  });
});
