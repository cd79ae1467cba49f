import { createServer, type Server } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simSays, startStack, type Stack } from '../support/stack.js';

const ADMIN = 'sk-admin-tenancy-test-000000001';
let stack: Stack;
let webhook: Server;
const alerts: Record<string, unknown>[] = [];

const providers = `providers:
  sim:
    type: openai-compatible
    baseURL: "{{SIM}}/v1"
    apiKeyEnv: SIM_API_KEY
    models:
      t/paid: { name: sim-paid, pricing: { prompt: 0.00001, completion: 0.00002 } }
      t/other: { name: sim-other, pricing: { prompt: 0.00001, completion: 0.00002 } }
      t/mixed: { name: sim-mixed, pricing: { prompt: 0.00001, completion: 0.00002 } }
  lab:
    type: openai-compatible
    baseURL: "{{SIM}}/p/lab/v1"
    apiKeyEnv: SIM_API_KEY
    selfHosted: true
    models:
      t/mixed: { name: sim-lab, pricing: { prompt: 0, completion: 0 } }
      t/lab-only: { name: sim-lab-only, pricing: { prompt: 0, completion: 0 } }
policies:
  no-free-overrun: { allowZeroPriceOverBudget: false }
`;

async function admin(method: string, path: string, body?: unknown, token = ADMIN) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function clientFor(key: string) {
  return new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: key, maxRetries: 0 });
}

const ask = (key: string, model = 't/paid', extra: object = {}) =>
  clientFor(key).chat.completions.create({ model, max_tokens: 10, messages: [{ role: 'user', content: simSays('hi', { outputTokens: 10 }) }], ...extra } as never) as Promise<OpenAI.Chat.Completions.ChatCompletion>;

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(data) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  const port = (webhook.address() as { port: number }).port;
  stack = await startStack({
    providersYaml: providers,
    env: { SWITCHBOARD_ADMIN_KEY: ADMIN },
    yaml: `admin: { alertThresholds: [50, 100], alertWebhook: "http://127.0.0.1:${port}/hook" }`,
  });
});
afterAll(async () => {
  await stack?.close();
  webhook?.close();
});

describe('virtual keys', () => {
  it('creates a key whose secret is shown once and never again', async () => {
    const created = await admin('POST', '/admin/keys', { name: 'app-one', team: 'growth', limits: { rpm: 100 }, metadata: { owner: 'ana' } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-sb-[0-9A-Za-z]{40}$/);
    expect(created.body).toMatchObject({ name: 'app-one', team: 'growth', limits: { rpm: 100 }, metadata: { owner: 'ana' } });
    const listed = await admin('GET', '/admin/keys');
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(created.body.key);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    const one = await admin('GET', `/admin/keys/${created.body.id}`);
    expect(one.body.key).toBeUndefined();
    expect((await ask(created.body.key)).choices[0]!.message.content).toBeTruthy();
    expect(stack.logs.join('')).not.toContain(created.body.key);
  });

  it('refuses unknown, malformed and revoked keys with 401, and hostile keys do nothing', async () => {
    for (const key of ['sk-sb-nope', "' OR 1=1 --", 'sk-sb-"; DROP TABLE keys; --']) {
      await expect(ask(key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    }
    const created = await admin('POST', '/admin/keys', { name: "x'); DROP TABLE keys; --" });
    expect(created.status).toBe(201);
    expect((await admin('GET', `/admin/keys/${created.body.id}`)).body.name).toBe("x'); DROP TABLE keys; --");
    await ask(created.body.key);
    expect((await admin('DELETE', `/admin/keys/${created.body.id}`)).status).toBe(200);
    await expect(ask(created.body.key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await admin('GET', '/admin/keys')).status).toBe(200);
  });

  it('limits a key to its allowed models', async () => {
    const created = await admin('POST', '/admin/keys', { name: 'narrow', models: ['t/other'] });
    const err = await ask(created.body.key, 't/paid').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as Error).message).toContain("may not use 't/paid'");
    expect((await ask(created.body.key, 't/other')).model).toBe('t/other');
  });

  it('answers 429 with retry-after past the key’s RPM', async () => {
    const created = await admin('POST', '/admin/keys', { name: 'slow', limits: { rpm: 2 } });
    await ask(created.body.key);
    await ask(created.body.key);
    const err = (await ask(created.body.key).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(err.message).toContain("key 'slow' allows 2 requests per minute");
  });
});

describe('budgets', () => {
  it('spends up to the budget, then answers 402 naming it, in each client dialect', async () => {
    // Each request reserves its prompt's ceiling (one token per character + 16) and 10 output tokens at $10/$20 per M,
    // ~0.00071 USD, and costs ~0.00033 USD.
    const created = await admin('POST', '/admin/keys', { name: 'capped', budget: { usd: 0.001, period: 'day' }, policy: 'no-free-overrun' });
    const key = created.body.key as string;
    let served = 0;
    let refused: unknown;
    for (let i = 0; i < 10 && !refused; i++) {
      try {
        await ask(key);
        served++;
      } catch (err) {
        refused = err;
      }
    }
    expect(served).toBeGreaterThan(0);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((refused as Error).message).toContain("key 'capped' may spend 0.001 USD per day");
    const anthropic = new Anthropic({ baseURL: stack.url, apiKey: key, maxRetries: 0 });
    const err = await anthropic.messages.create({ model: 't/paid', max_tokens: 10, messages: [{ role: 'user', content: simSays('hi', { outputTokens: 10 }) }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
    await new Promise((r) => setTimeout(r, 50));
    const after = (await admin('GET', `/admin/keys/${created.body.id}`)).body;
    expect(after.spentUsd).toBeGreaterThan(0);
    expect(after.spentUsd).toBeLessThanOrEqual(0.001);
    expect(after.reservedUsd).toBe(0);
  });

  it('records spend equal to the responses’ usage.cost', async () => {
    const created = await admin('POST', '/admin/keys', { name: 'metered', budget: { usd: 5, period: 'month' } });
    let total = 0;
    for (let i = 0; i < 3; i++) total += ((await ask(created.body.key)).usage as unknown as { cost: number }).cost;
    await new Promise((r) => setTimeout(r, 50));
    const after = (await admin('GET', `/admin/keys/${created.body.id}`)).body;
    expect(after.spentUsd).toBeCloseTo(total, 12);
  });

  it('keeps self-hosted (free) hosts usable on a spent budget unless the policy forbids it', async () => {
    // The budget cannot cover the paid host the request prefers, so only the free one may serve it.
    const paidFirst = { provider: { order: ['sim', 'lab'] } };
    const created = await admin('POST', '/admin/keys', { name: 'frugal', budget: { usd: 0.0000001, period: 'total' } });
    expect(((await ask(created.body.key, 't/mixed', paidFirst)) as unknown as { provider: string }).provider).toBe('lab');
    expect(((await ask(created.body.key, 't/paid').catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    const strict = await admin('POST', '/admin/keys', { name: 'strict', budget: { usd: 0.0000001, period: 'total' }, policy: 'no-free-overrun' });
    const err = await ask(strict.body.key, 't/mixed', paidFirst).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
  });

  it('announces budget thresholds once each, by log and webhook', async () => {
    // Each request reserves ~0.00071 USD and costs ~0.00033: the second crosses 50%, the third finds no room.
    const created = await admin('POST', '/admin/keys', { name: 'watched', budget: { usd: 0.0012, period: 'day' }, policy: 'no-free-overrun' });
    for (let i = 0; i < 4; i++) await ask(created.body.key).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const mine = alerts.filter((a) => a.name === 'watched');
    expect(mine.map((a) => a.thresholdPercent)).toEqual([50]);
    expect(mine[0]).toMatchObject({ type: 'budget.threshold', scope: 'key', budgetUsd: 0.0012 });
    expect(stack.logs.some((l) => l.includes('budget alert: key watched crossed 50%'))).toBe(true);
  });
});

describe('people and roles', () => {
  it('gives viewers read access only, and nothing more than its creator holds', async () => {
    const viewer = await admin('POST', '/admin/tokens', { name: 'dana', role: 'viewer' });
    expect(viewer.status).toBe(201);
    const token = viewer.body.token as string;
    expect((await admin('GET', '/admin/keys', undefined, token)).status).toBe(200);
    expect((await admin('POST', '/admin/keys', { name: 'nope' }, token)).status).toBe(403);
    expect((await admin('POST', '/admin/tokens', { name: 'escalate', role: 'admin' }, token)).status).toBe(403);
    const adminToken = (await admin('POST', '/admin/tokens', { name: 'ops', role: 'admin' })).body.token as string;
    expect((await admin('POST', '/admin/tokens', { name: 'viewer-2', role: 'viewer' }, adminToken)).status).toBe(201);
    expect((await admin('GET', '/admin/tokens')).body.data.every((t: Record<string, unknown>) => t.token === undefined)).toBe(true);
    // A person's token is not a model key.
    await expect(ask(token)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('validates admin input and names the field', async () => {
    const bad = await admin('POST', '/admin/keys', { name: 'x', budget: { usd: -1, period: 'week' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toMatch(/^budget\./);
    expect((await admin('POST', '/admin/keys', { name: 'x', policy: 'nope' })).body.error.param).toBe('policy');
  });
});

describe('brute force', () => {
  it('slows a client that keeps guessing keys, without logging the guesses', async () => {
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) {
      const err = await ask(`sk-sb-guess-${i}-abcdefghijklmnop`).catch((e: unknown) => e);
      if (err instanceof OpenAI.RateLimitError) limited = true;
    }
    expect(limited).toBe(true);
    expect(stack.logs.join('')).not.toContain('sk-sb-guess-');
  });
});
