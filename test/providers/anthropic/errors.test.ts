import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/canonical/index.js';
import { API_KEY, assemble, chatRequest, collect, fixtureLines, harness, jsonHandler, sseHandler, sseOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ timeouts: { connectMs: 1000, firstTokenMs: 400, idleMs: 3000, totalMs: 8000 } });
});
afterAll(async () => {
  await h.close();
});

function anthropicError(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a failure');
}

describe('Anthropic adapter: HTTP errors', () => {
  it('maps 429 with retry-after to upstream_rate_limited, quoting the request id', async () => {
    h.upstream.handler = jsonHandler(429, anthropicError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'), {
      'retry-after': '17',
      'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy',
    });
    const err = await failure(h.adapter.chat(chatRequest(), h.call()));
    expect(err.code).toBe('upstream_rate_limited');
    expect(err.retryAfterSeconds).toBe(17);
    expect(err.upstreamStatus).toBe(429);
    expect(err.retryableUpstream).toBe(true);
    expect(err.message).toContain('per-minute rate limit');
    expect(err.message).toContain('(request-id req_011CSHoEeqs5C35K2UUqR7Fy)');
  });

  it('maps 500 to upstream_error and 529 to upstream_unavailable, also when streaming', async () => {
    h.upstream.handler = jsonHandler(500, anthropicError('api_error', 'Internal server error'));
    const err500 = await failure(h.adapter.chatStream(chatRequest({ stream: true }), h.call()));
    expect(err500.code).toBe('upstream_error');
    expect(err500.message).toContain('Internal server error');
    h.upstream.handler = jsonHandler(529, anthropicError('overloaded_error', 'Overloaded'));
    const err529 = await failure(h.adapter.chat(chatRequest(), h.call()));
    expect(err529.code).toBe('upstream_unavailable');
    expect(err529.status).toBe(503);
  });

  it('maps 413 to body_too_large, prompt-too-long to context_length_exceeded, and 401 without echoing the body', async () => {
    h.upstream.handler = jsonHandler(413, anthropicError('request_too_large', 'Request exceeds the maximum allowed number of bytes.'));
    const big = await failure(h.adapter.chat(chatRequest(), h.call()));
    expect(big.code).toBe('body_too_large');
    expect(big.status).toBe(413);
    h.upstream.handler = jsonHandler(400, anthropicError('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'));
    expect((await failure(h.adapter.chat(chatRequest(), h.call()))).code).toBe('context_length_exceeded');
    h.upstream.handler = jsonHandler(400, anthropicError('invalid_request_error', 'messages.1.content.0: unexpected block'));
    const bad = await failure(h.adapter.chat(chatRequest(), h.call()));
    expect(bad.code).toBe('upstream_bad_request');
    expect(bad.status).toBe(400);
    h.upstream.handler = jsonHandler(401, anthropicError('authentication_error', `invalid x-api-key ${API_KEY}`));
    const auth = await failure(h.adapter.chat(chatRequest(), h.call()));
    expect(auth.code).toBe('upstream_auth_failed');
    expect(auth.message).not.toContain(API_KEY);
  });
});

describe('Anthropic adapter: stream failures', () => {
  const [start, blockStart, ...rest] = fixtureLines('anthropic-text');

  it.each([
    ['overloaded_error', 'upstream_unavailable'],
    ['rate_limit_error', 'upstream_rate_limited'],
    ['api_error', 'upstream_error'],
    ['invalid_request_error', 'upstream_error'],
  ])('maps an in-stream %s to %s', async (type, code) => {
    const body = `${sseOf([start!, blockStart!, rest[1]!])}event: error\ndata: ${anthropicError(type, 'Overloaded')}\n\n`;
    h.upstream.handler = sseHandler(body, { 'request-id': 'req_stream_1' });
    const events = await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call()));
    const r = assemble(events);
    expect(r.text).toBe('Hello');
    expect(events.at(-1)!.type).toBe('error');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.code).toBe(code);
    expect(r.errors[0]!.message).toContain(`${type} mid-stream: Overloaded (request-id req_stream_1)`);
  });

  it('reports a stream that ends before any stop_reason as stream_interrupted', async () => {
    h.upstream.handler = sseHandler(sseOf([start!, blockStart!, rest[1]!, rest[2]!]));
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.text).toBe('Hello! I');
    expect(r.errors.map((e) => e.code)).toEqual(['stream_interrupted']);
    expect(r.finish).toBeUndefined();
  });

  it('reports a connection cut mid-stream as stream_interrupted', async () => {
    h.upstream.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseOf([start!, blockStart!, rest[1]!]));
      setTimeout(() => res.destroy(), 50);
    };
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.text).toBe('Hello');
    expect(r.errors.map((e) => e.code)).toEqual(['stream_interrupted']);
  });

  it('finalises a stream whose host hangs after the stop_reason, once the tail timer runs out', async () => {
    const closed = h.upstream.nextEarlyClose();
    h.upstream.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseOf(fixtureLines('anthropic-text').filter((l) => !l.includes('"message_stop"'))));
      // no message_stop, and the connection stays open
    };
    const started = Date.now();
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.errors).toEqual([]);
    expect(r.finish).toMatchObject({ reason: 'stop' });
    expect(Date.now() - started).toBeLessThan(5000);
    await closed;
  });

  it('reports a malformed event as upstream_malformed', async () => {
    h.upstream.handler = sseHandler(`${sseOf([start!])}event: content_block_start\ndata: {not json\n\n`);
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.errors.map((e) => e.code)).toEqual(['upstream_malformed']);
  });

  it('times out a stream that sends no content within the first-token deadline', async () => {
    h.upstream.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseOf([start!, blockStart!, '{"type":"ping"}']));
      // …and nothing more
    };
    const r = assemble(await collect(await h.adapter.chatStream(chatRequest({ stream: true }), h.call())));
    expect(r.errors.map((e) => e.code)).toEqual(['upstream_timeout']);
    expect(r.errors[0]!.message).toContain('first token');
  });

  it('ends the upstream request when the client aborts', async () => {
    h.upstream.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseOf([start!, blockStart!, rest[1]!]));
      // keeps the stream open
    };
    const closed = h.upstream.nextEarlyClose();
    const client = new AbortController();
    const events = await h.adapter.chatStream(chatRequest({ stream: true }), h.call({ signal: client.signal }));
    const seen: string[] = [];
    for await (const event of events) {
      seen.push(event.type);
      if (event.type === 'text-delta') client.abort();
      if (event.type === 'error') {
        expect(event.error.code).toBe('stream_interrupted');
        expect(event.error.retryableUpstream).toBe(false);
      }
    }
    expect(seen.at(-1)).toBe('error');
    await closed;
  });

  it('does not send a request for a client that is already gone', async () => {
    const client = new AbortController();
    client.abort();
    const before = h.upstream.requests.length;
    const err = await failure(h.adapter.chat(chatRequest(), h.call({ signal: client.signal })));
    expect(err.code).toBe('stream_interrupted');
    expect(h.upstream.requests.length).toBe(before);
  });
});
