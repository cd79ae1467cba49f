import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simSays, startStack, type Stack } from '../support/stack.js';

/**
 * A block applied under load: 200 requests over 2 s on a model served by two providers, one of them blocked half-way.
 * Every request still has an allowed route, so every one must succeed; every request sent after the block was
 * acknowledged must avoid the blocked provider; requests already on their way finish where they were sent.
 */

const ADMIN = 'sk-admin-policy-load-000000001';
let stack: Stack;

const providers = `providers:
  alpha:
    type: openai-compatible
    baseURL: "{{SIM}}/p/alpha/v1"
    apiKeyEnv: SIM_API_KEY
    timeouts: { connectMs: 1000, firstTokenMs: 5000, idleMs: 5000, totalMs: 15000 }
    models:
      l/model: { name: sim-alpha, pricing: { prompt: 0.000001, completion: 0.000002 } }
  beta:
    type: openai-compatible
    baseURL: "{{SIM}}/p/beta/v1"
    apiKeyEnv: SIM_API_KEY
    timeouts: { connectMs: 1000, firstTokenMs: 5000, idleMs: 5000, totalMs: 15000 }
    models:
      l/model: { name: sim-beta, pricing: { prompt: 0.000001, completion: 0.000002 } }
`;

interface Outcome {
  sentAt: number;
  status: number;
  provider?: string;
  stream: boolean;
}

beforeAll(async () => {
  stack = await startStack({ providersYaml: providers, env: { SWITCHBOARD_ADMIN_KEY: ADMIN }, sim: { logRequests: 0 } });
});
afterAll(async () => {
  await stack?.close();
});

async function request(i: number, key: string): Promise<Outcome> {
  const stream = i % 4 === 0;
  const sentAt = performance.now();
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'l/model', stream, max_tokens: 8, messages: [{ role: 'user', content: simSays(`load ${i}`, { outputTokens: 4, latencyMs: 40 }) }] }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  const ok = res.status === 200 && (!stream || text.includes('[DONE]'));
  return { sentAt, status: ok ? 200 : res.status, provider: /provider=([^;]+)/.exec(res.headers.get('x-switchboard-route') ?? '')?.[1], stream };
}

describe('a block applied under load', () => {
  it('loses no request that still had an allowed route, and no new request reaches the blocked provider', { timeout: 30_000 }, async () => {
    const created = await fetch(`${stack.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'load' }),
    });
    const key = ((await created.json()) as { key: string }).key;

    const TOTAL = 200;
    const SPREAD_MS = 2000;
    let blockedAt = Number.POSITIVE_INFINITY;
    const blocking = (async () => {
      await new Promise((r) => setTimeout(r, SPREAD_MS / 2));
      const res = await fetch(`${stack.url}/admin/blocks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'beta', reason: 'load test' }),
      });
      expect(res.status).toBe(201);
      blockedAt = performance.now();
    })();
    const pending: Promise<Outcome>[] = [];
    for (let i = 0; i < TOTAL; i++) {
      pending.push(request(i, key));
      await new Promise((r) => setTimeout(r, SPREAD_MS / TOTAL));
    }
    const outcomes = await Promise.all(pending);
    await blocking;

    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed, JSON.stringify(failed.slice(0, 5))).toEqual([]);
    const before = outcomes.filter((o) => o.sentAt < blockedAt);
    const after = outcomes.filter((o) => o.sentAt > blockedAt);
    expect(after.length).toBeGreaterThan(50);
    expect(after.filter((o) => o.provider === 'beta')).toEqual([]);
    // Before the block both providers served (the load spreads), so the block did move traffic.
    expect(new Set(before.map((o) => o.provider))).toEqual(new Set(['alpha', 'beta']));
  });
});
