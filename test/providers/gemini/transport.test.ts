import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/canonical/index.js';
import { API_KEY, FakeGemini, ask, call, collect, fold, json, makeAdapter, provider, sse, vercelJson } from './support.js';

const fake = new FakeGemini();
const { adapter, http } = makeAdapter();

beforeAll(() => fake.start());
afterAll(async () => {
  await http.close();
  await fake.close();
});

const textChunk = (text: string) => ({ candidates: [{ content: { role: 'model', parts: [{ text }] } }], responseId: 'r1', modelVersion: 'gemini-2.5-flash' });
const finishChunk = { candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 } };

async function chatError(status: number, body: unknown, headers: Record<string, string> = {}): Promise<GatewayError> {
  fake.reply(json(status, body, headers));
  const err = await adapter.chat(ask('hi'), call(provider(fake.url), 'gemini-2.5-flash')).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('HTTP errors', () => {
  it('429 RESOURCE_EXHAUSTED: RetryInfo becomes retry-after when no header says it', async () => {
    const err = await chatError(429, vercelJson('google-429-retry-info.json'));
    expect(err).toMatchObject({ code: 'upstream_rate_limited', status: 429, upstreamStatus: 429, retryAfterSeconds: 35, provider: 'google', retryableUpstream: true });
    expect(err.message).toContain('You exceeded your current quota');
    const withHeader = await chatError(429, vercelJson('google-429-retry-info.json'), { 'retry-after': '3' });
    expect(withHeader.retryAfterSeconds).toBe(3);
  });

  it('500 INTERNAL → upstream_error, 503 UNAVAILABLE → upstream_unavailable', async () => {
    const internal = await chatError(500, { error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } });
    expect(internal).toMatchObject({ code: 'upstream_error', status: 502, upstreamStatus: 500, retryableUpstream: true });
    expect(internal.message).toContain('An internal error has occurred.');
    const unavailable = await chatError(503, { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } });
    expect(unavailable).toMatchObject({ code: 'upstream_unavailable', status: 503, upstreamStatus: 503, retryableUpstream: true });
  });

  it('a bad key (400 API_KEY_INVALID) is an auth failure, and the key never reaches the message', async () => {
    const err = await chatError(400, {
      error: {
        code: 400,
        message: `API key not valid. Please pass a valid API key. (${API_KEY})`,
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
      },
    });
    expect(err).toMatchObject({ code: 'upstream_auth_failed', upstreamStatus: 400 });
    const other = await chatError(400, { error: { code: 400, message: `Invalid value at 'contents' with ${API_KEY}`, status: 'INVALID_ARGUMENT' } });
    expect(other).toMatchObject({ code: 'upstream_bad_request', status: 400 });
    expect(other.message).not.toContain(API_KEY);
  });

  it('a prompt over the context window', async () => {
    const err = await chatError(400, { error: { code: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } });
    expect(err.code).toBe('context_length_exceeded');
  });

  it('an error object inside a stream becomes an error event', async () => {
    fake.reply(sse([textChunk('Hel'), { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }]));
    const events = await collect(await adapter.chatStream(ask('hi', { stream: true }), call(provider(fake.url), 'gemini-2.5-flash')));
    const got = fold(events);
    expect(got.text).toBe('Hel');
    expect(events.at(-1)).toEqual({ type: 'error', error: expect.objectContaining({ code: 'upstream_unavailable', upstreamStatus: 503 }) });
  });
});

describe('stream completion and transport', () => {
  it('a body cut off before any finish reason is an interrupted stream', async () => {
    fake.reply((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(textChunk('partial'))}\r\n\r\n`);
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const events = await collect(await adapter.chatStream(ask('hi', { stream: true }), call(provider(fake.url), 'gemini-2.5-flash')));
    expect(fold(events).text).toBe('partial');
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'stream_interrupted' } });
  });

  it('a body that ends cleanly without a finish reason is also interrupted', async () => {
    fake.reply(sse([textChunk('a'), textChunk('b')]));
    const events = await collect(await adapter.chatStream(ask('hi', { stream: true }), call(provider(fake.url), 'gemini-2.5-flash')));
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'stream_interrupted', message: 'provider google ended the stream before it finished' } });
  });

  it('a finished stream whose body never ends is finalised after the tail', async () => {
    fake.reply((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(textChunk('done'))}\r\n\r\ndata: ${JSON.stringify(finishChunk)}\r\n\r\n`);
    });
    const started = Date.now();
    const events = await collect(await adapter.chatStream(ask('hi', { stream: true }), call(provider(fake.url), 'gemini-2.5-flash')));
    expect(Date.now() - started).toBeLessThan(4_000);
    const got = fold(events);
    expect(got).toMatchObject({ text: 'done', finish: [{ reason: 'stop' }], usage: { inputTokens: 3, outputTokens: 2 }, error: undefined });
  });

  it('a client abort ends the upstream request', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    fake.reply((_req, res) => {
      res.on('close', () => upstreamClosed());
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(textChunk('first'))}\r\n\r\n`);
    });
    const controller = new AbortController();
    const iterator = (await adapter.chatStream(ask('hi', { stream: true }), call(provider(fake.url), 'gemini-2.5-flash', controller.signal)))[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: 'start', id: 'r1' });
    expect((await iterator.next()).value).toEqual({ type: 'text-delta', text: 'first' });
    controller.abort();
    const last = await iterator.next();
    expect(last.value).toMatchObject({ type: 'error', error: { code: 'stream_interrupted', retryableUpstream: false } });
    expect((await iterator.next()).done).toBe(true);
    await closed;
  });

  it('a stream that sends nothing within firstTokenMs times out', async () => {
    fake.reply((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keep-alive\n\n');
    });
    const events = await collect(await adapter.chatStream(ask('hi', { stream: true }), call(provider(fake.url, { firstTokenMs: 300 }), 'gemini-2.5-flash')));
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'upstream_timeout' } });
  });
});

describe('embeddings', () => {
  it('one string → embedContent', async () => {
    fake.reply(json(200, { embedding: { values: [0.5, -0.25] } }));
    const c = call(provider(fake.url), 'gemini-embedding-001');
    const r = await adapter.embeddings({ model: 'google/embedding', input: 'hello', dimensions: 2, user: 'u', extra: {} }, c);
    expect(fake.seen.at(-1)).toMatchObject({ url: '/v1beta/models/gemini-embedding-001:embedContent', body: { content: { parts: [{ text: 'hello' }] }, outputDimensionality: 2 } });
    expect(r).toEqual({ data: [{ index: 0, embedding: [0.5, -0.25] }], usage: {} });
    expect(c.warnings).toEqual(['user is not supported by Gemini; dropped']);
  });

  it('a list → batchEmbedContents, base64 on request', async () => {
    fake.reply(json(200, { embeddings: [{ values: [1] }, { values: [0.5] }] }));
    const r = await adapter.embeddings({ model: 'google/embedding', input: ['a', 'b'], encodingFormat: 'base64', extra: {} }, call(provider(fake.url), 'gemini-embedding-001'));
    expect(fake.seen.at(-1)).toMatchObject({
      url: '/v1beta/models/gemini-embedding-001:batchEmbedContents',
      body: { requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } }, { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] } }] },
    });
    expect(r.data).toEqual([
      { index: 0, embedding: Buffer.from(new Float32Array([1]).buffer).toString('base64') },
      { index: 1, embedding: Buffer.from(new Float32Array([0.5]).buffer).toString('base64') },
    ]);
  });

  it('token arrays are refused before any request', async () => {
    const before = fake.seen.length;
    const err = await adapter.embeddings({ model: 'google/embedding', input: [[1, 2, 3]], extra: {} }, call(provider(fake.url), 'gemini-embedding-001')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_request', param: 'input' });
    expect(fake.seen.length).toBe(before);
  });
});
