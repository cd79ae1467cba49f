import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { SIM_KEY, simSays, startStack, type Stack } from '../support/stack.js';

let stack: Stack;

const providers = `providers:
  bad:
    type: openai-compatible
    baseURL: "{{SIM}}/p/bad/v1"
    apiKeyEnv: SIM_API_KEY
    models:
      test/fallback: sim-model
  sim:
    type: openai-compatible
    baseURL: "{{SIM}}/v1"
    apiKeyEnv: SIM_API_KEY
    timeouts: { connectMs: 1000, firstTokenMs: 600, idleMs: 500, totalMs: 1500 }
    models:
      test/model: sim-model
  good:
    type: openai-compatible
    baseURL: "{{SIM}}/v1"
    apiKeyEnv: SIM_API_KEY
    models:
      test/fallback: sim-model
`;

beforeAll(async () => {
  stack = await startStack({
    providersYaml: providers,
    yaml: 'server: { maxBodyBytes: 4096 }',
    sim: { profiles: { bad: { fault: 'status', status: 500 } } },
  });
});
afterAll(async () => {
  await stack?.close();
});

async function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { error: { message: string; type: string; param: string | null; code: string } } };
}

function ask(scenario: Record<string, unknown>, stream = false) {
  return stack.client.chat.completions.create({ model: 'test/model', stream, messages: [{ role: 'user', content: simSays('hi', scenario) }] } as OpenAI.Chat.Completions.ChatCompletionCreateParams);
}

async function drain(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('client errors, in OpenAI shape', () => {
  it('rejects malformed JSON with 400 invalid_json', async () => {
    const res = await post('{"model": "test/model", "messages": [');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    expect(res.body.error.type).toBe('invalid_request_error');
    expect(res.headers.get('x-should-retry')).toBe('false');
  });

  it('names a missing required field', async () => {
    const err = await stack.client.chat.completions.create({ model: 'test/model' } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
    expect((err as Error).message).toContain("missing required field 'messages'");
  });

  it('names a known field of the wrong type', async () => {
    const res = await post(JSON.stringify({ model: 'test/model', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }));
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('temperature');
    const nested = await post(JSON.stringify({ model: 'test/model', messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }));
    expect(nested.body.error.param).toBe('messages[0].content');
  });

  it('answers an unknown model with 404', async () => {
    const err = await stack.client.chat.completions.create({ model: 'nobody/nothing', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('answers a body over server.maxBodyBytes with 413', async () => {
    const res = await post(JSON.stringify({ model: 'test/model', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('body_too_large');
  });

  it('answers a non-JSON content type with 415', async () => {
    const res = await post('hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('answers unknown paths with a 404 in OpenAI shape', async () => {
    const res = await fetch(`${stack.url}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('upstream failures', () => {
  it('maps an upstream 500 to 502 naming the host, not its key', async () => {
    const err = (await ask({ fault: 'status', status: 500 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(502);
    expect(err.message).toContain('provider sim');
    expect(err.message).not.toContain(SIM_KEY);
  });

  it('maps an upstream 503 to 503', async () => {
    const err = (await ask({ fault: 'status', status: 503 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(503);
  });

  it('relays an upstream 429 with its retry-after', async () => {
    const err = (await ask({ fault: 'status', status: 429, retryAfterSeconds: 7 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers?.get('retry-after')).toBe('7');
  });

  it('answers 504 when the host never answers', async () => {
    const started = Date.now();
    const err = (await ask({ fault: 'hang' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(504);
    expect(err.code).toBe('upstream_timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('answers 504 before committing a stream whose first token never comes', async () => {
    const err = (await ask({ fault: 'hang' }, true).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(504);
  });

  it('keeps context-length errors as 400 that a retry cannot fix', async () => {
    const res = await post(JSON.stringify({ model: 'test/model', messages: [{ role: 'user', content: simSays('x', { fault: 'context_length' }) }] }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('context_length_exceeded');
    expect(res.headers.get('x-should-retry')).toBe('false');
  });

  it('falls back to the next host before anything reached the client', async () => {
    const badFirst = { provider: { order: ['bad', 'good'] } } as object;
    const { data, response } = await stack.client.chat.completions
      .create({ model: 'test/fallback', messages: [{ role: 'user', content: 'hi' }], ...badFirst })
      .withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(response.headers.get('x-switchboard-route')).toBe('provider=good; model=test/fallback; attempts=2');

    const stream = await stack.client.chat.completions
      .create({ model: 'test/fallback', stream: true, messages: [{ role: 'user', content: 'hi' }], ...badFirst })
      .withResponse();
    expect(stream.response.headers.get('x-switchboard-route')).toBe('provider=good; model=test/fallback; attempts=2');
    expect((await drain(stream.data)).length).toBeGreaterThan(0);
  });
});

describe('errors inside a stream', () => {
  it('ends a stream cut after content with an error the SDK raises', async () => {
    const stream = await ask({ fault: 'cut', afterChunks: 3, outputTokens: 10 }, true);
    await expect(drain(stream as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>)).rejects.toThrow(/closed the connection|ended the stream/);
  });

  it('relays an upstream error event', async () => {
    const stream = await ask({ fault: 'error_event', afterChunks: 2 }, true);
    await expect(drain(stream as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>)).rejects.toThrow(/mid-stream/);
  });

  it('ends a malformed stream with an error', async () => {
    const stream = await ask({ fault: 'malformed', afterChunks: 2 }, true);
    await expect(drain(stream as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>)).rejects.toThrow(/malformed/);
  });

  it('ends a stalled stream after the idle timeout', async () => {
    const started = Date.now();
    const stream = await ask({ fault: 'stall', afterChunks: 2 }, true);
    await expect(drain(stream as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>)).rejects.toThrow(/stalled|did not finish/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('finalises promptly a complete stream that lacks only [DONE]', async () => {
    const started = Date.now();
    const stream = await stack.client.chat.completions.create({
      model: 'test/model',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: simSays('hi', { fault: 'no_done', outputTokens: 4 }) }],
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage ??= chunk.usage;
    }
    expect(text.trim().split(/\s+/)).toHaveLength(4);
    expect(usage?.completion_tokens).toBe(4);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('survives a client that goes away mid-stream', async () => {
    const controller = new AbortController();
    const stream = await stack.client.chat.completions.create(
      { model: 'test/model', stream: true, messages: [{ role: 'user', content: simSays('hi', { outputTokens: 50, tokensPerSecond: 50 }) }] },
      { signal: controller.signal },
    );
    let seen = 0;
    // The SDK ends its iteration quietly on abort.
    for await (const _chunk of stream) if (++seen === 3) controller.abort();
    expect(seen).toBeLessThan(10);
    // The access line is written once the gateway has seen the disconnect, in the log's next block (≤ 100 ms).
    await expect.poll(() => stack.logs.some((line) => line.includes('"status":499')), { timeout: 3_000 }).toBe(true);
    const ok = await stack.client.chat.completions.create({ model: 'test/model', messages: [{ role: 'user', content: 'still there?' }] });
    expect(ok.choices[0]!.message.content).toBeTruthy();
  });
});

describe('with an admin key', () => {
  it('requires a key on model requests and accepts the admin key', async () => {
    const secured = await startStack({ env: { SWITCHBOARD_ADMIN_KEY: 'sk-admin-test-key-123456' } });
    try {
      const anonymous = await fetch(`${secured.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/model', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(anonymous.status).toBe(401);
      const wrong = new OpenAI({ baseURL: `${secured.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      const ok = await secured.client.chat.completions.create({ model: 'test/model', messages: [{ role: 'user', content: 'x' }] });
      expect(ok.choices[0]!.message.content).toBeTruthy();
      const viaHeader = await fetch(`${secured.url}/v1/models`, { headers: { 'x-api-key': 'sk-admin-test-key-123456' } });
      expect(viaHeader.status).toBe(200);
      expect(secured.logs.join('')).not.toContain('sk-admin-test-key-123456');
    } finally {
      await secured.close();
    }
  });
});
