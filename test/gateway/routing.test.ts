import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simSays, startStack, type Stack } from '../support/stack.js';

const ADMIN = 'sk-admin-routing-test-0001';
let stack: Stack;

/** One simulator playing several hosts (by path profile); each test steers faults per profile with `faultProfiles`. */
const providers = `providers:
  first:
    type: openai-compatible
    baseURL: "{{SIM}}/p/first/v1"
    apiKeyEnv: SIM_API_KEY
    timeouts: { connectMs: 1000, firstTokenMs: 700, idleMs: 500, totalMs: 3000 }
    models:
      r/m: { name: sim-model, pricing: { prompt: 0.000001, completion: 0.000002 } }
      r/small: { name: sim-small, contextLength: 4096 }
  second:
    type: openai-compatible
    baseURL: "{{SIM}}/p/second/v1"
    apiKeyEnv: SIM_API_KEY
    timeouts: { connectMs: 1000, firstTokenMs: 700, idleMs: 500, totalMs: 3000 }
    models:
      r/m: { name: sim-model, prefill: true, pricing: { prompt: 0.000003, completion: 0.000004 } }
      r/large: { name: sim-large, contextLength: 1000000 }
  noprefill:
    type: openai-compatible
    baseURL: "{{SIM}}/p/noprefill/v1"
    apiKeyEnv: SIM_API_KEY
    timeouts: { connectMs: 1000, firstTokenMs: 700, idleMs: 500, totalMs: 3000 }
    models:
      r/solo: { name: sim-solo, prefill: false }
      r/solo2: { name: sim-solo2, prefill: false }
`;

// A fresh gateway per test: host health is shared state, and one test's injected failures would open the breakers
// the next test relies on.
beforeEach(async () => {
  stack = await startStack({ providersYaml: providers, env: { SWITCHBOARD_ADMIN_KEY: ADMIN } });
});
afterEach(async () => {
  await stack?.close();
});

const firstThenSecond = { provider: { order: ['first', 'second'] } };

function body(content: string, extra: Record<string, unknown> = {}, model = 'r/m') {
  return { model, messages: [{ role: 'user' as const, content }], ...firstThenSecond, ...extra } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
}

async function streamText(params: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming) {
  const { data, response } = await stack.client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }).withResponse();
  let text = '';
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of data) {
    text += chunk.choices[0]?.delta.content ?? '';
    usage ??= chunk.usage;
  }
  return { text, usage, response };
}

async function decision(requestId: string) {
  const res = await fetch(`${stack.url}/admin/requests/${requestId}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { outcome: string; attempts: { provider: string; outcome: string; phase: string; errorCode?: string; deliveredChars?: number }[]; served?: { provider: string; model: string }; exclusions: unknown[]; plan: unknown[] };
}

/** The natural answer to a message, from a host that has no fault. */
async function natural(content: string): Promise<string> {
  const data = await stack.client.chat.completions.create({ model: 'r/m', messages: [{ role: 'user', content }], provider: { only: ['second'] } } as never);
  return (data as OpenAI.Chat.Completions.ChatCompletion).choices[0]!.message.content!;
}

describe.each([false, true])('fault on the first host, streaming=%s: the second host answers invisibly', (stream) => {
  const faults: [string, Record<string, unknown>][] = [
    ['5xx', { fault: 'status', status: 500 }],
    ['429 with retry-after', { fault: 'status', status: 429, retryAfterSeconds: 1 }],
    ['429 without retry-after', { fault: 'status', status: 429 }],
    ['a host that never answers', { fault: 'hang' }],
    ['first token late', {}],
  ];
  for (const [name, fault] of faults) {
    it(name, async () => {
      // Lateness is a property of the host, not of the message: the first host's profile carries it.
      stack.sim.setProfile('first', name === 'first token late' ? (stream ? { ttftMs: 1500 } : { latencyMs: 3500 }) : {});
      const content = simSays(`${name} ${stream}`, { ...fault, faultProfiles: ['first'], outputTokens: 6 });
      const params = body(content);
      let text: string;
      let headers: Headers;
      if (stream) {
        const out = await streamText(params);
        text = out.text;
        headers = out.response.headers;
      } else {
        const { data, response } = await stack.client.chat.completions.create(params).withResponse();
        text = data.choices[0]!.message.content!;
        headers = response.headers;
        expect(data.model).toBe('r/m');
      }
      expect(text.trim().split(/\s+/)).toHaveLength(6);
      expect(headers.get('x-switchboard-route')).toBe('provider=second; model=r/m; attempts=2');
      const record = await decision(headers.get('x-request-id')!);
      expect(record.attempts.map((a) => [a.provider, a.outcome])).toEqual([
        ['first', 'error'],
        ['second', 'ok'],
      ]);
    });
  }
});

describe('retries', () => {
  it('retries a flapping single host with backoff, up to routing.retries more passes', async () => {
    const content = simSays('flap', { fault: 'status', status: 502, faultRate: 0.5, outputTokens: 3 });
    const attemptsSeen: number[] = [];
    let answered = 0;
    for (let i = 0; i < 8; i++) {
      const result = await stack.client.chat.completions
        .create({ model: 'r/m', messages: [{ role: 'user', content: `${content} ${i}` }], provider: { only: ['first'] } } as never)
        .withResponse()
        .then(
          (r) => ({ ok: true, id: r.response.headers.get('x-request-id')! }),
          (e: InstanceType<typeof OpenAI.APIError>) => ({ ok: false, id: e.headers!.get('x-request-id')! }),
        );
      const record = await decision(result.id);
      const tried = record.attempts.filter((a) => a.outcome !== 'skipped');
      attemptsSeen.push(tried.length);
      if (result.ok) answered++;
      // One pass plus two retry rounds at most; a failure is only reported after the last.
      expect(tried.length).toBeLessThanOrEqual(3);
      if (!result.ok) expect(tried.length).toBe(3);
      expect(tried.slice(1).every((a) => a.phase === 'retry')).toBe(true);
    }
    expect(attemptsSeen.some((n) => n > 1)).toBe(true);
    expect(answered).toBeGreaterThan(4);
  });

  it('does not retry an error no host can fix', async () => {
    stack.sim.clearRequests();
    const err = await stack.client.chat.completions
      .create({ model: 'r/m', messages: [{ role: 'user', content: simSays('bad', { fault: 'status', status: 400 }) }], ...firstThenSecond } as never)
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect(stack.sim.requests()).toHaveLength(1);
  });

  it('moves a context-length error to a model with a larger window when models[] allows', async () => {
    const { data, response } = await stack.client.chat.completions
      .create({ model: 'r/small', models: ['r/large'], messages: [{ role: 'user', content: simSays('long', { fault: 'context_length', faultProfiles: ['first'] }) }] } as never)
      .withResponse();
    expect((data as OpenAI.Chat.Completions.ChatCompletion).model).toBe('r/large');
    expect(response.headers.get('x-switchboard-route')).toBe('provider=second; model=r/large; attempts=2');
  });

  it('names the model that really answered when models[] falls back', async () => {
    const data = (await stack.client.chat.completions.create({
      model: 'r/solo',
      models: ['r/m'],
      messages: [{ role: 'user', content: simSays('x', { fault: 'status', status: 503, faultProfiles: ['noprefill'] }) }],
    } as never)) as OpenAI.Chat.Completions.ChatCompletion;
    expect(data.model).toBe('r/m');
  });
});

describe('a stream that breaks after content', () => {
  it.each([
    ['cut', { fault: 'cut', afterChunks: 5 }],
    ['stalled', { fault: 'stall', afterChunks: 5 }],
    ['malformed', { fault: 'malformed', afterChunks: 5 }],
  ])('%s: continues on a host that accepts a prefill, one complete answer, no duplicate', async (name, fault) => {
    const content = simSays(`resume ${name}`, { ...fault, outputTokens: 20, faultProfiles: ['first'] });
    const expected = await natural(content);
    const { text, usage, response } = await streamText(body(content));
    expect(text).toBe(expected);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchboard-route')).toBe('provider=first; model=r/m; attempts=1');
    const record = await decision(response.headers.get('x-request-id')!);
    expect(record.outcome).toBe('resumed');
    expect(record.attempts.map((a) => [a.provider, a.outcome, a.phase])).toEqual([
      ['first', 'error', 'initial'],
      ['second', 'ok', 'resume'],
    ]);
    expect(record.attempts[0]!.deliveredChars).toBe(expected.split(' ').slice(0, 5).join(' ').length + 1);
    const sent = stack.sim.requests().at(-1)!;
    expect(sent.profile).toBe('second');
    expect((sent.body as { continue_final_message?: boolean }).continue_final_message).toBe(true);
    expect(sent.prefill?.matched).toBe(true);
  });

  it('ends with the in-stream error when no host can continue it, which the SDK raises', async () => {
    const content = simSays('no resume', { fault: 'cut', afterChunks: 4, outputTokens: 20 });
    await expect(streamText(body(content, {}, 'r/solo'))).rejects.toThrow(/not resumed: no host able to continue it/);
  });

  it('never presents a host refusing the prefill as the failure', async () => {
    const content = simSays('refuse', { fault: 'cut', afterChunks: 3, outputTokens: 20, faultProfiles: ['first'], prefill: 'reject' });
    await expect(streamText(body(content))).rejects.toThrow(/closed the connection|ended the stream/);
  });

  it('does not continue a break inside a tool call', async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a', 'b'] } } },
    ];
    const content = simSays('tool cut', { fault: 'cut', afterChunks: 2, faultProfiles: ['first'] });
    await expect(streamText(body(content, { tools }))).rejects.toThrow(/broke inside a tool call/);
  });
});

describe('explainability', () => {
  it('keeps a decision record with candidates, exclusions and the plan', async () => {
    const { response } = await stack.client.chat.completions
      .create({ model: 'r/m', messages: [{ role: 'user', content: 'x' }], provider: { ignore: ['first'] } } as never)
      .withResponse();
    const record = await decision(response.headers.get('x-request-id')!);
    expect(record.exclusions).toEqual([{ model: 'r/m', provider: 'first', reason: 'in provider.ignore' }]);
    expect(record.plan).toEqual([{ provider: 'second', model: 'r/m' }]);
    expect(record.served).toEqual({ provider: 'second', model: 'r/m' });
  });

  it('keeps the admin API closed to model keys and open only with the admin key', async () => {
    expect((await fetch(`${stack.url}/admin/requests`)).status).toBe(401);
    expect((await fetch(`${stack.url}/admin/requests`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${stack.url}/admin/requests`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
  });
});

describe('long waits for a first token', () => {
  it('keep the connection alive with SSE comments (OpenAI) and ping events (Anthropic), then stream normally', async () => {
    const slow = await startStack({
      providersYaml: providers,
      yaml: 'server: { streamKeepAliveMs: 100 }',
      sim: { profiles: { first: { ttftMs: 450 }, second: { ttftMs: 450 } } },
    });
    try {
      const openai = await fetch(`${slow.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'r/m', stream: true, provider: { only: ['first'] }, messages: [{ role: 'user', content: 'slow start' }] }),
      });
      const text = await openai.text();
      expect(text.indexOf(': keep-alive')).toBeGreaterThanOrEqual(0);
      expect(text.indexOf(': keep-alive')).toBeLessThan(text.indexOf('data: {'));
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      const anthropic = await fetch(`${slow.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'r/m', stream: true, max_tokens: 50, messages: [{ role: 'user', content: 'slow start' }] }),
      });
      const events = await anthropic.text();
      expect(events.indexOf('event: ping')).toBeLessThan(events.indexOf('event: message_start'));
      expect(events).toContain('event: message_stop');
    } finally {
      await slow.close();
    }
  });
});
