/** The Gemini face over raw HTTP: framing, Google error bodies, auth and validation; and the three faces agreeing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { postJson, sseData } from '../support/sse.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

const MODEL_PATH = '/v1beta/models/gemini-2.5-flash';
const request = (text: string, extra: object = {}) => ({ contents: [{ role: 'user', parts: [{ text }] }], ...extra });
const post = (suffix: string, body: unknown, scenario?: object, headers: Record<string, string> = {}) => postJson(`${sim.url}${MODEL_PATH}${suffix}`, body, scenario, headers);

interface GoogleError {
  error: { code: number; message: string; status: string; details?: Record<string, unknown>[] };
}

describe('stream framing', () => {
  it('with alt=sse: data events ending in CRLF CRLF, no terminator, one token each', async () => {
    const res = await post(':streamGenerateContent?alt=sse', request('Hi'), { outputTokens: 4 });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const events = text.split('\r\n\r\n');
    expect(events.pop()).toBe(''); // ends with a complete event
    expect(events).toHaveLength(4);
    for (const e of events) expect(e).toMatch(/^data: \{.*\}$/s);
    expect(text).not.toContain('[DONE]');
    const chunks = sseData(text).map((d) => JSON.parse(d) as { candidates: { content: { parts: { text: string }[] }; finishReason?: string }[] });
    expect(chunks.map((c) => c.candidates[0]!.content.parts[0]!.text).every((t) => /^[a-z]+ $/.test(t))).toBe(true);
    expect(chunks.map((c) => c.candidates[0]!.finishReason ?? null)).toEqual([null, null, null, 'STOP']);
  });

  it('without alt=sse: the JSON array Google streams by default, also after an error event', async () => {
    const sse = sseData(await (await post(':streamGenerateContent?alt=sse', request('Hi'))).text()).map((d) => JSON.parse(d) as unknown);
    const res = await post(':streamGenerateContent', request('Hi'));
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const array = JSON.parse(await res.text()) as { responseId: string }[];
    const sameId = (x: unknown[]) => x.map((c) => ({ ...(c as object), responseId: '' }));
    expect(sameId(array)).toEqual(sameId(sse));
    const broken = JSON.parse(await (await post(':streamGenerateContent', request('Hi'), { fault: 'error_event', afterChunks: 2 })).text()) as unknown[];
    expect(broken).toHaveLength(3);
    expect(broken[2]).toMatchObject({ error: { code: 500, status: 'INTERNAL' } });
  });

  it('no_done means nothing for Gemini: the stream ends as usual', async () => {
    const normal = await (await post(':streamGenerateContent?alt=sse', request('Same'))).text();
    const noDone = await (await post(':streamGenerateContent?alt=sse', request('Same'), { fault: 'no_done' })).text();
    expect(noDone.replace(/"responseId":"[^"]+"/g, '')).toBe(normal.replace(/"responseId":"[^"]+"/g, ''));
  });

  it('error_event and malformed as raw frames', async () => {
    const error = sseData(await (await post(':streamGenerateContent?alt=sse', request('x'), { fault: 'error_event', afterChunks: 1 })).text());
    expect(error).toHaveLength(2);
    expect(JSON.parse(error[1]!)).toEqual({ error: { code: 500, message: expect.stringMatching(/internal error/), status: 'INTERNAL' } });
    const malformed = sseData(await (await post(':streamGenerateContent?alt=sse', request('x'), { fault: 'malformed', afterChunks: 1 })).text());
    expect(() => JSON.parse(malformed[1]!)).toThrow();
  });
});

describe('Google error bodies, auth and validation', () => {
  it('429 has RESOURCE_EXHAUSTED, a QuotaFailure and RetryInfo (1s unless the scenario says)', async () => {
    const res = await post(':generateContent', request('x'), { fault: 'status', status: 429 });
    expect(res.status).toBe(429);
    const body = (await res.json()) as GoogleError;
    expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(body.error.details!.map((d) => d['@type'])).toEqual(['type.googleapis.com/google.rpc.QuotaFailure', 'type.googleapis.com/google.rpc.RetryInfo']);
    expect(body.error.details![1]!.retryDelay).toBe('1s');
  });

  it('requireAuth: 403 without a key, 400 for an empty one, 200 with a header, a key parameter or a bearer token', async () => {
    const guarded = await startSimulator({ requireAuth: true });
    try {
      const url = `${guarded.url}${MODEL_PATH}:generateContent`;
      const without = await postJson(url, request('x'));
      expect(without.status).toBe(403);
      expect(((await without.json()) as GoogleError).error).toMatchObject({ status: 'PERMISSION_DENIED', message: expect.stringMatching(/unregistered callers/) });
      const empty = await postJson(`${url}?key=`, request('x'));
      expect(empty.status).toBe(400);
      expect(((await empty.json()) as GoogleError).error.details![0]).toMatchObject({ reason: 'API_KEY_INVALID' });
      expect((await postJson(`${url}?key=AIza-secret`, request('x'))).status).toBe(200);
      expect((await postJson(url, request('x'), undefined, { 'x-goog-api-key': 'AIza-secret' })).status).toBe(200);
      expect((await postJson(url, request('x'), undefined, { authorization: 'Bearer ya29.token' })).status).toBe(200);
      expect(guarded.requests().map((r) => r.hasAuth)).toEqual([false, true, true, true, true]);
      expect(JSON.stringify(guarded.requests())).not.toContain('AIza-secret');
    } finally {
      await guarded.close();
    }
  });

  it('refuses empty contents, bad JSON, bad directives and unknown methods in Google format', async () => {
    const expectGoogle = async (res: Response, code: number): Promise<GoogleError> => {
      expect(res.status).toBe(code);
      const body = (await res.json()) as GoogleError;
      expect(body.error.code).toBe(code);
      expect(typeof body.error.status).toBe('string');
      return body;
    };
    expect((await expectGoogle(await post(':generateContent', { contents: [] }), 400)).error.message).toMatch(/contents is not specified/);
    expect((await expectGoogle(await post(':generateContent', '{"contents": '), 400)).error.status).toBe('INVALID_ARGUMENT');
    expect((await expectGoogle(await post(':generateContent', request('#sim{"fault":"explode"}')), 400)).error.message).toMatch(/invalid value for 'fault'/);
    expect((await expectGoogle(await post(':doSomething', request('x')), 404)).error.status).toBe('NOT_FOUND');
  });

  it('serves /v1/ paths too, and embedContent and countTokens over raw HTTP', async () => {
    const v1 = await postJson(`${sim.url}/v1/models/gemini-2.5-flash:generateContent`, request('x'));
    expect(v1.status).toBe(200);
    const embedding = (await (await post(':embedContent', { content: { parts: [{ text: 'alpha' }] }, outputDimensionality: 4 })).json()) as { embedding: { values: number[] } };
    expect(embedding.embedding.values).toHaveLength(4);
    const wrapped = (await (await post(':countTokens', { generateContentRequest: { model: 'models/gemini-2.5-flash', ...request('abcdefgh') } })).json()) as { totalTokens: number };
    expect(wrapped.totalTokens).toBe(2 + 4);
  });
});

describe('the three faces answer alike', () => {
  it('the same conversation gets the same text and prompt tokens from OpenAI, Anthropic and Gemini', async () => {
    const system = 'You are a simulator.';
    const user = 'Tell me something #sim{"outputTokens":7}';
    const openai = (await (
      await postJson(`${sim.url}/v1/chat/completions`, {
        model: 'm',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
      })
    ).json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    const anthropic = (await (
      await postJson(`${sim.url}/v1/messages`, { model: 'm', max_tokens: 100, system, messages: [{ role: 'user', content: user }] }, undefined, { 'anthropic-version': '2023-06-01' })
    ).json()) as { content: { text: string }[]; usage: { input_tokens: number } };
    const gemini = (await (await post(':generateContent', { ...request(user), systemInstruction: { parts: [{ text: system }] } })).json()) as {
      candidates: { content: { parts: { text: string }[] } }[];
      usageMetadata: { promptTokenCount: number };
    };
    const text = openai.choices[0]!.message.content;
    expect(text.trim().split(' ')).toHaveLength(7);
    expect(anthropic.content[0]!.text).toBe(text);
    expect(gemini.candidates[0]!.content.parts[0]!.text).toBe(text);
    expect(anthropic.usage.input_tokens).toBe(openai.usage.prompt_tokens);
    expect(gemini.usageMetadata.promptTokenCount).toBe(openai.usage.prompt_tokens);
  });
});
