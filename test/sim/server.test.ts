/** Routing, profiles, directives, the control API, the request log and determinism, over raw HTTP. */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { postJson, sseData } from '../support/sse.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ profiles: { slowhost: { latencyMs: 120 }, broken: { fault: 'status', status: 503 } } });
});
afterAll(() => sim.close());

const chat = (content: string, extra: object = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content }], ...extra });

describe('routing and errors', () => {
  it('answers 404 in OpenAI format for an unknown path, with rate-limit headers and a request id', async () => {
    const res = await postJson(`${sim.url}/v1/nothing`, {});
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { message: 'Invalid URL (POST /v1/nothing)', type: 'invalid_request_error', param: null, code: null } });
    for (const h of ['x-request-id', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens']) {
      expect(res.headers.get(h), h).toBeTruthy();
    }
  });

  it('answers 400 for a body that is not JSON, and for a missing model or messages', async () => {
    const bad = await postJson(`${sim.url}/v1/chat/completions`, '{"model": ');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect((await postJson(`${sim.url}/v1/chat/completions`, { messages: [] })).status).toBe(400);
    const noMessages = await postJson(`${sim.url}/v1/chat/completions`, { model: 'm' });
    expect(((await noMessages.json()) as { error: { param: string } }).error.param).toBe('messages');
  });

  it('rejects an unknown scenario field instead of ignoring it', async () => {
    const res = await postJson(`${sim.url}/v1/chat/completions`, chat('x'), { lateny: 5 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/unknown scenario field 'lateny'/);
  });

  it('lists models', async () => {
    const body = (await (await fetch(`${sim.url}/v1/models`)).json()) as { object: string; data: { id: string; object: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toContain('deepseek-reasoner');
    expect(body.data.every((m) => m.object === 'model')).toBe(true);
  });

  it('requires a bearer token when requireAuth is set', async () => {
    const guarded = await startSimulator({ requireAuth: true });
    try {
      const without = await postJson(`${guarded.url}/v1/chat/completions`, chat('x'));
      expect(without.status).toBe(401);
      const withKey = await postJson(`${guarded.url}/v1/chat/completions`, chat('x'), undefined, { authorization: 'Bearer sk-secret' });
      expect(withKey.status).toBe(200);
      const [first, second] = guarded.requests();
      expect(first!.hasAuth).toBe(false);
      expect(second!.hasAuth).toBe(true);
      expect(second!.headers.authorization).toBe('Bearer ***');
      expect(JSON.stringify(guarded.requests())).not.toContain('sk-secret');
    } finally {
      await guarded.close();
    }
  });
});

describe('scenarios', () => {
  it('applies a profile selected by the /p/<name>/v1 prefix', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/p/broken/v1`, maxRetries: 0 });
    await expect(client.chat.completions.create(chat('x'))).rejects.toMatchObject({ status: 503 });
    const started = performance.now();
    const slow = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/p/slowhost/v1`, maxRetries: 0 });
    await slow.chat.completions.create(chat('x'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    // An unknown profile is just the defaults.
    const other = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/p/nobody/v1`, maxRetries: 0 });
    expect((await other.chat.completions.create(chat('x'))).choices[0]!.finish_reason).toBe('stop');
  });

  it('lets a #sim{} directive in the last user message steer one request, over the profile', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/p/broken/v1`, maxRetries: 0 });
    const res = await client.chat.completions.create(chat('Say three words #sim{"fault":"none","outputTokens":3} please'));
    expect(res.choices[0]!.message.content!.trim().split(' ')).toHaveLength(3);
    const err = await postJson(`${sim.url}/v1/chat/completions`, chat('#sim{"fault":"status","status":418}'));
    expect(err.status).toBe(418);
  });

  it('updates profiles through PUT /_sim/profiles/<name> and setProfile', async () => {
    const put = await fetch(`${sim.url}/_sim/profiles/dyn`, { method: 'PUT', body: JSON.stringify({ fault: 'status', status: 502 }) });
    expect(put.status).toBe(200);
    expect((await postJson(`${sim.url}/p/dyn/v1/chat/completions`, chat('x'))).status).toBe(502);
    sim.setProfile('dyn', { outputTokens: 2 });
    const res = (await (await postJson(`${sim.url}/p/dyn/v1/chat/completions`, chat('x'))).json()) as { usage: { completion_tokens: number } };
    expect(res.usage.completion_tokens).toBe(2);
    const bad = await fetch(`${sim.url}/_sim/profiles/dyn`, { method: 'PUT', body: JSON.stringify({ fault: 'explode' }) });
    expect(bad.status).toBe(400);
  });

  it('gives the same answer to the same request', async () => {
    const body = chat('Determinism check', { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } } }] });
    const a = await (await postJson(`${sim.url}/v1/chat/completions`, body)).json();
    const b = await (await postJson(`${sim.url}/v1/chat/completions`, body)).json();
    const pick = (x: unknown) => (x as { choices: unknown[]; usage: unknown }).choices;
    expect(pick(a)).toEqual(pick(b));
    const t1 = await (await postJson(`${sim.url}/v1/chat/completions`, chat('Same text'))).json();
    const t2 = await (await postJson(`${sim.url}/v1/chat/completions`, chat('Same text'))).json();
    const t3 = await (await postJson(`${sim.url}/v1/chat/completions`, chat('Other text'))).json();
    expect(pick(t1)).toEqual(pick(t2));
    expect(pick(t1)).not.toEqual(pick(t3));
  });

  it('faultRate 0.5 gives a mixed sequence that repeats when the profile is reset', async () => {
    const run = async (target: Simulator): Promise<number[]> => {
      target.setProfile('flaky', { fault: 'status', status: 500, faultRate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await postJson(`${target.url}/p/flaky/v1/chat/completions`, chat(`n${i}`))).status);
      return statuses;
    };
    const first = await run(sim);
    expect(first).toContain(200);
    expect(first).toContain(500);
    expect(await run(sim)).toEqual(first);
    const fresh = await startSimulator();
    try {
      expect(await run(fresh)).toEqual(first);
    } finally {
      await fresh.close();
    }
  });
});

describe('stream faults on the wire', () => {
  const stream = (scenario: object, extra: object = {}) => postJson(`${sim.url}/v1/chat/completions`, chat('wire', { stream: true, ...extra }), scenario);

  it('no_done ends the stream after finish and usage but without [DONE]', async () => {
    const data = sseData(await (await stream({ fault: 'no_done' }, { stream_options: { include_usage: true } })).text());
    expect(data).not.toContain('[DONE]');
    const last = JSON.parse(data[data.length - 1]!) as { choices: unknown[]; usage: unknown };
    expect(last.choices).toEqual([]);
    expect(last.usage).toBeTruthy();
  });

  it('malformed sends afterChunks content chunks, then a line of invalid JSON', async () => {
    const data = sseData(await (await stream({ fault: 'malformed', afterChunks: 2 })).text());
    expect(data).toHaveLength(4); // role chunk, 2 content chunks, the broken line
    expect(() => JSON.parse(data[3]!)).toThrow();
  });

  it('error_event sends an OpenAI error object as the last event', async () => {
    const data = sseData(await (await stream({ fault: 'error_event', afterChunks: 1 })).text());
    expect(JSON.parse(data[data.length - 1]!)).toMatchObject({ error: { type: 'server_error', code: 'internal_error' } });
  });

  it('paces with ttftMs and tokensPerSecond', async () => {
    const started = performance.now();
    const res = await stream({ ttftMs: 80, tokensPerSecond: 50, outputTokens: 5 });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let firstContentAt = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      if (!firstContentAt && text.includes('"content":"') && text.split('"content":"').length > 2) firstContentAt = performance.now() - started;
    }
    const total = performance.now() - started;
    expect(firstContentAt).toBeGreaterThanOrEqual(75);
    expect(total).toBeGreaterThanOrEqual(75 + 4 * 20 - 5);
    expect(sseData(text).filter((d) => d.includes('"content":"') && !d.includes('"role"'))).toHaveLength(5);
  });

  it('stops producing (clears its pacing timer) when the client goes away', async () => {
    const setSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearSpy = vi.spyOn(globalThis, 'clearTimeout');
    try {
      const controller = new AbortController();
      const res = await fetch(`${sim.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sim-scenario': JSON.stringify({ tokensPerSecond: 2, outputTokens: 50 }) },
        body: JSON.stringify(chat('bye', { stream: true })),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('"content":"', text.indexOf('"content":"') + 1)) text += new TextDecoder().decode((await reader.read()).value);
      // The pacing timer: the next token is half a second away.
      const pacing = setSpy.mock.calls.findLastIndex((call) => typeof call[1] === 'number' && call[1] > 300);
      expect(pacing).toBeGreaterThanOrEqual(0);
      const handle = setSpy.mock.results[pacing]!.value as unknown;
      controller.abort();
      await new Promise((r) => setTimeout(r, 50));
      expect(clearSpy.mock.calls.some((call) => call[0] === handle)).toBe(true);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
  });
});

describe('replay', () => {
  const fixture = (name: string) => readFileSync(new URL(`../fixtures/conformance/providers/${name}`, import.meta.url), 'utf8');

  it('replays deepseek/deepseek-reasoning through the SDK with the recorded reasoning and text', async () => {
    const lines = fixture('deepseek/deepseek-reasoning.chunks.txt').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { choices: { delta: Record<string, string | null> }[] });
    const expected = { reasoning: '', content: '' };
    for (const l of lines) {
      expected.reasoning += l.choices[0]?.delta.reasoning_content ?? '';
      expected.content += l.choices[0]?.delta.content ?? '';
    }
    const client = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const s = await client.chat.completions.create({ ...chat('#sim{"replay":"deepseek/deepseek-reasoning"}'), stream: true });
    const got = { reasoning: '', content: '' };
    for await (const chunk of s) {
      const delta = (chunk.choices[0]?.delta ?? {}) as { reasoning_content?: string | null; content?: string | null };
      got.reasoning += delta.reasoning_content ?? '';
      got.content += delta.content ?? '';
    }
    expect(expected.reasoning.length).toBeGreaterThan(100);
    expect(got).toEqual(expected);
  });

  it('serves the recorded .json for a non-stream request, byte for byte', async () => {
    const res = await postJson(`${sim.url}/v1/chat/completions`, chat('x'), { replay: 'deepseek/deepseek-reasoning' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(fixture('deepseek/deepseek-reasoning.json'));
  });

  it('appends [DONE] to recorded chunks, and 404s an unknown fixture', async () => {
    const data = sseData(await (await postJson(`${sim.url}/v1/chat/completions`, chat('x', { stream: true }), { replay: 'groq/groq-tool-call' })).text());
    expect(data).toHaveLength(4);
    expect(data[3]).toBe('[DONE]');
    expect((await postJson(`${sim.url}/v1/chat/completions`, chat('x'), { replay: 'nope/none' })).status).toBe(404);
    expect((await postJson(`${sim.url}/v1/chat/completions`, chat('x'), { replay: '../../package' })).status).toBe(404);
  });
});

describe('control API and request log', () => {
  it('reports health and serves, masks and clears the request log', async () => {
    expect(await (await fetch(`${sim.url}/_sim/health`)).json()).toEqual({ status: 'ok' });
    sim.clearRequests();
    await postJson(`${sim.url}/p/slowhost/v1/chat/completions`, chat('logged'), undefined, { authorization: 'Bearer sk-live-123' });
    const log = (await (await fetch(`${sim.url}/_sim/requests`)).json()) as { path: string; profile: string; hasAuth: boolean; headers: Record<string, string>; body: unknown }[];
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ path: '/p/slowhost/v1/chat/completions', profile: 'slowhost', hasAuth: true, body: chat('logged') });
    expect(log[0]!.headers.authorization).toBe('Bearer ***');
    expect((await fetch(`${sim.url}/_sim/requests`, { method: 'DELETE' })).status).toBe(204);
    expect(sim.requests()).toEqual([]);
  });

  it('keeps only the last logRequests entries', async () => {
    const small = await startSimulator({ logRequests: 2 });
    try {
      for (const t of ['a', 'b', 'c']) await postJson(`${small.url}/v1/chat/completions`, chat(t));
      expect(small.requests().map((r) => (r.body as { messages: { content: string }[] }).messages[0]!.content)).toEqual(['b', 'c']);
    } finally {
      await small.close();
    }
  });
});
