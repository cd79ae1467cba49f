/**
 * One conformance suite for the three provider adapters: each is pointed at the simulator's matching dialect
 * and must give the same canonical answer (ChatResponse / StreamEvents / GatewayError) for the same request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, type StreamEvent } from '../../src/canonical/index.js';
import type { ResolvedProvider } from '../../src/catalog/types.js';
import { UpstreamHttp } from '../../src/providers/shared/http.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { Redactor } from '../../src/util/redact.js';
import {
  ADAPTER_CASES,
  TIME_ARGS,
  TIME_TOOL,
  WEATHER_ARGS,
  WEATHER_TOOL,
  chatRequest,
  collect,
  makeCall,
  provider,
  rejection,
  textOf,
  toolArgsOf,
  userText,
} from './conformance/harness.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ requireAuth: true });
});
afterAll(async () => {
  await sim.close();
});

describe.each(ADAPTER_CASES)('conformance: $dialect adapter', (c) => {
  let http: UpstreamHttp;
  let adapter: ProviderAdapter;
  let p: ResolvedProvider;

  beforeAll(() => {
    http = new UpstreamHttp();
    adapter = c.make(http, new Redactor(['sk-test']));
    p = provider(c, sim.url);
  });
  afterAll(async () => {
    await http.close();
  });

  const call = () => makeCall(p, c.upstreamModel).call;
  const PROMPT = 'Tell me something about lighthouses.';

  it('(1) text, non-stream: content, finish stop, numeric usage', async () => {
    const r = await adapter.chat(chatRequest([userText(PROMPT)]), call());
    expect(typeof r.content).toBe('string');
    expect(r.content!.length).toBeGreaterThan(0);
    expect(r.finishReason).toBe('stop');
    expect(r.toolCalls ?? []).toEqual([]);
    expect(r.usage.inputTokens).toEqual(expect.any(Number));
    expect(r.usage.outputTokens).toEqual(expect.any(Number));
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
  });

  it('(2) streamed text joins to the non-stream answer, with a finish and a usage event', async () => {
    const whole = await adapter.chat(chatRequest([userText(PROMPT)]), call());
    const events = await collect(await adapter.chatStream(chatRequest([userText(PROMPT)], { stream: true }), call()));
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(events.filter((e) => e.type === 'text-delta').length).toBeGreaterThan(1);
    expect(textOf(events)).toBe(whole.content);
    const finishes = events.filter((e) => e.type === 'finish');
    expect(finishes).toHaveLength(1);
    expect(finishes[0]).toMatchObject({ reason: 'stop' });
    const usage = events.filter((e): e is Extract<StreamEvent, { type: 'usage' }> => e.type === 'usage').at(-1);
    expect(usage).toBeDefined();
    expect(usage!.usage.inputTokens).toBe(whole.usage.inputTokens);
    expect(usage!.usage.outputTokens).toBe(whole.usage.outputTokens);
  });

  it('(3) a tool call, non-stream: arguments parse to the schema-derived values', async () => {
    const r = await adapter.chat(chatRequest([userText('What is the weather in Paris?')], { tools: [WEATHER_TOOL] }), call());
    expect(r.toolCalls).toHaveLength(1);
    const tc = r.toolCalls![0]!;
    expect(tc.name).toBe('get_weather');
    expect(tc.id).toEqual(expect.any(String));
    expect(tc.id.length).toBeGreaterThan(0);
    expect(JSON.parse(tc.arguments)).toEqual(WEATHER_ARGS);
  });

  it('(4) streamed tool arguments assemble to the same JSON as the non-stream call', async () => {
    const req = chatRequest([userText('What is the weather in Paris?')], { tools: [WEATHER_TOOL] });
    const whole = await adapter.chat(req, call());
    const events = await collect(await adapter.chatStream({ ...req, stream: true }, call()));
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    const deltas = events.filter((e): e is Extract<StreamEvent, { type: 'tool-call-delta' }> => e.type === 'tool-call-delta' && e.index === 0);
    expect(deltas.length).toBeGreaterThan(0);
    // id and name arrive once, on the first delta.
    expect(deltas[0]!.name).toBe('get_weather');
    expect(deltas[0]!.id).toEqual(expect.any(String));
    expect(deltas.slice(1).every((d) => d.name === undefined)).toBe(true);
    const args = toolArgsOf(events, 0);
    expect(JSON.parse(args)).toEqual(JSON.parse(whole.toolCalls![0]!.arguments));
    expect(JSON.parse(args)).toEqual(WEATHER_ARGS);
    expect(events.filter((e) => e.type === 'finish')).toEqual([expect.objectContaining({ reason: 'tool_calls' })]);
  });

  it('(5) parallel tools: two tools offered → two calls with distinct ids and the right names', async () => {
    const req = chatRequest([userText('Weather in Paris and the time there?')], { tools: [WEATHER_TOOL, TIME_TOOL] });
    const r = await adapter.chat(req, call());
    expect(r.toolCalls).toHaveLength(2);
    const [a, b] = r.toolCalls!;
    expect(a!.name).toBe('get_weather');
    expect(b!.name).toBe('get_time');
    expect(a!.id).not.toBe(b!.id);
    expect(JSON.parse(a!.arguments)).toEqual(WEATHER_ARGS);
    expect(JSON.parse(b!.arguments)).toEqual(TIME_ARGS);
    expect(r.finishReason).toBe('tool_calls');

    // The stream keeps them apart by index.
    const events = await collect(await adapter.chatStream({ ...req, stream: true }, call()));
    expect(JSON.parse(toolArgsOf(events, 0))).toEqual(WEATHER_ARGS);
    expect(JSON.parse(toolArgsOf(events, 1))).toEqual(TIME_ARGS);
    const firsts = events.filter((e): e is Extract<StreamEvent, { type: 'tool-call-delta' }> => e.type === 'tool-call-delta' && e.name !== undefined);
    expect(firsts.map((e) => [e.index, e.name])).toEqual([
      [0, 'get_weather'],
      [1, 'get_time'],
    ]);
    expect(new Set(firsts.map((e) => e.id)).size).toBe(2);
  });

  it('(6) usage with cache reads: cachedInputTokens = N and inputTokens includes them', async () => {
    const long = 'Please summarise the following notes about coastal navigation. '.repeat(8);
    const req = chatRequest([userText(long, { cachedTokens: 40 })]);
    const r = await adapter.chat(req, call());
    expect(r.usage.cachedInputTokens).toBe(40);
    expect(r.usage.inputTokens).toBeGreaterThanOrEqual(40);
    // Same prompt without the cache: the canonical input count must be the same whole prompt.
    const plain = await adapter.chat(chatRequest([userText(long, { cachedTokens: 0 })]), call());
    expect(r.usage.inputTokens).toBe(plain.usage.inputTokens);

    const events = await collect(await adapter.chatStream({ ...req, stream: true }, call()));
    const usage = events.filter((e): e is Extract<StreamEvent, { type: 'usage' }> => e.type === 'usage').at(-1);
    expect(usage?.usage.cachedInputTokens).toBe(40);
    expect(usage?.usage.inputTokens).toBe(r.usage.inputTokens);
  });

  it('(7) finish-reason mapping: max_tokens cut → length; tools → tool_calls', async () => {
    const req = chatRequest([userText(PROMPT, { outputTokens: 20 })], { maxTokens: 5 });
    const r = await adapter.chat(req, call());
    expect(r.finishReason).toBe('length');
    expect(r.usage.outputTokens).toBe(5);
    const events = await collect(await adapter.chatStream({ ...req, stream: true }, call()));
    expect(events.filter((e) => e.type === 'finish')).toEqual([expect.objectContaining({ reason: 'length' })]);

    const tools = await adapter.chat(chatRequest([userText('Weather?')], { tools: [WEATHER_TOOL] }), call());
    expect(tools.finishReason).toBe('tool_calls');
  });

  describe('(8) upstream HTTP errors', () => {
    for (const stream of [false, true]) {
      const run = (directive: Record<string, unknown>) => {
        const req = chatRequest([userText(PROMPT, directive)], { stream });
        return stream ? adapter.chatStream(req, call()) : adapter.chat(req, call());
      };

      it(`429 → upstream_rate_limited with retryAfterSeconds (stream: ${stream})`, async () => {
        const err = await rejection(run({ fault: 'status', status: 429, retryAfterSeconds: 7 }));
        expect(err).toBeInstanceOf(GatewayError);
        expect(err).toMatchObject({ code: 'upstream_rate_limited', retryAfterSeconds: 7, upstreamStatus: 429, provider: p.id });
      });

      it(`500 → upstream_error, 503 → upstream_unavailable (stream: ${stream})`, async () => {
        const e500 = await rejection(run({ fault: 'status', status: 500 }));
        expect(e500).toBeInstanceOf(GatewayError);
        expect(e500).toMatchObject({ code: 'upstream_error', upstreamStatus: 500 });
        const e503 = await rejection(run({ fault: 'status', status: 503 }));
        expect(e503).toBeInstanceOf(GatewayError);
        expect(e503).toMatchObject({ code: 'upstream_unavailable', upstreamStatus: 503 });
        // Never leaks the key.
        expect((e500 as Error).message).not.toContain('sk-test');
      });
    }
  });

  it('(9) an error mid-stream is yielded as an error event after some text, never thrown', async () => {
    const iterable = await adapter.chatStream(chatRequest([userText(PROMPT, { fault: 'error_event', afterChunks: 2, outputTokens: 12 })], { stream: true }), call());
    const events = await collect(iterable); // must not throw
    const texts = events.filter((e) => e.type === 'text-delta');
    expect(texts.length).toBeGreaterThanOrEqual(1);
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    const error = (last as Extract<StreamEvent, { type: 'error' }>).error;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe(c.midStreamErrorCode);
    expect(error.provider).toBe(p.id);
    expect(events.findIndex((e) => e.type === 'error')).toBeGreaterThan(events.findIndex((e) => e.type === 'text-delta'));
    expect(events.filter((e) => e.type === 'finish' && e.reason === 'stop')).toEqual([]);
  });

  it('(10) client abort after the first text event ends the iteration promptly', async () => {
    const handle = makeCall(p, c.upstreamModel);
    const iterable = await adapter.chatStream(chatRequest([userText(PROMPT, { outputTokens: 60, tokensPerSecond: 5 })], { stream: true }), handle.call);
    const events: StreamEvent[] = [];
    let abortedAt = 0;
    const iterate = (async () => {
      for await (const event of iterable) {
        events.push(event);
        if (event.type === 'text-delta' && abortedAt === 0) {
          abortedAt = Date.now();
          handle.controller.abort();
        }
      }
      return Date.now();
    })();
    const hang = new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), 3_000).unref());
    const ended = await Promise.race([iterate, hang]);
    expect(ended).not.toBe('hang');
    expect(abortedAt).toBeGreaterThan(0);
    expect((ended as number) - abortedAt).toBeLessThan(1_000);
    // Far fewer than the 60 words were delivered, and no normal finish.
    expect(events.filter((e) => e.type === 'text-delta').length).toBeLessThan(10);
    expect(events.filter((e) => e.type === 'finish' && e.reason === 'stop')).toEqual([]);
    const errors = events.filter((e): e is Extract<StreamEvent, { type: 'error' }> => e.type === 'error');
    for (const e of errors) expect(e.error.code).toBe('stream_interrupted');
  });
});
