import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simSays, startStack, type Stack } from '../support/stack.js';

const ADMIN = 'sk-admin-dashboard-providers-test-01';
let stack: Stack;

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROW_FIELDS = [
  'host', 'provider', 'company', 'model', 'upstreamModel', 'origin', 'jurisdiction', 'selfHosted', 'priceInPerM', 'priceOutPerM',
  'breaker', 'healthy', 'live', 'window', 'blocked', 'blockedBy',
].sort();

const providers = `providers:
  sim:
    type: openai-compatible
    baseURL: "{{SIM}}/v1"
    apiKeyEnv: SIM_API_KEY
    jurisdiction: US
    models:
      test/model: sim-model
      test/priced: { name: sim-priced, pricing: { prompt: 0.0000002, completion: 0.0000008 } }
      test/flaky: sim-flaky
  lab:
    type: openai-compatible
    baseURL: "{{SIM}}/p/lab/v1"
    apiKeyEnv: SIM_API_KEY
    selfHosted: true
    models:
      test/priced: { name: lab-priced, pricing: { prompt: 0, completion: 0 } }
`;

async function adminGet(path: string, secret = ADMIN): Promise<{ status: number; body: Row }> {
  const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${secret}` } });
  return { status: res.status, body: (await res.json()) as Row };
}

async function rows(query = ''): Promise<Row[]> {
  await stack.gateway.ledger.flush();
  const res = await adminGet(`/admin/providers${query}`);
  expect(res.status).toBe(200);
  return res.body.data as Row[];
}

const rowOf = (data: Row[], provider: string, model: string): Row => {
  const found = data.find((r) => r.provider === provider && r.model === model);
  expect(found, `${provider} ${model}`).toBeDefined();
  return found!;
};

function ask(model: string, text = 'hello', provider?: { only: string[] }) {
  return stack.client.chat.completions.create({ model, max_tokens: 8, messages: [{ role: 'user', content: text }], ...(provider ? { provider } : {}) } as never);
}

beforeAll(async () => {
  stack = await startStack({ providersYaml: providers, env: { SWITCHBOARD_ADMIN_KEY: ADMIN } });
});
afterAll(async () => {
  await stack?.close();
});

describe('GET /admin/providers', () => {
  it('lists one row per host, sorted by provider then model, with the registry\'s facts', async () => {
    const data = await rows();
    expect(data.map((r) => `${r.provider} ${r.model}`)).toEqual(['lab test/priced', 'sim test/flaky', 'sim test/model', 'sim test/priced']);
    for (const r of data) expect(Object.keys(r).sort()).toEqual(ROW_FIELDS);

    const priced = rowOf(data, 'sim', 'test/priced');
    expect(priced).toMatchObject({ host: 'sim\u0000sim-priced', upstreamModel: 'sim-priced', jurisdiction: 'US', selfHosted: false, breaker: 'closed', healthy: true, blocked: false, blockedBy: [] });
    expect(priced.priceInPerM).toBeCloseTo(0.2, 9);
    expect(priced.priceOutPerM).toBeCloseTo(0.8, 9);
    // Unknown facts stay null: the config names no price for this host, no company, and the model is not catalogued.
    const unpriced = rowOf(data, 'sim', 'test/model');
    expect(unpriced).toMatchObject({ priceInPerM: null, priceOutPerM: null, company: null, origin: null });
    const lab = rowOf(data, 'lab', 'test/priced');
    expect(lab).toMatchObject({ selfHosted: true, jurisdiction: null, priceInPerM: 0, priceOutPerM: 0 });
  });

  it('shows a host that served requests with its window and live figures; unused hosts have none', async () => {
    for (let i = 0; i < 3; i++) await ask('test/priced', `hello ${i}`, { only: ['sim'] });
    const stream = await stack.client.chat.completions.create({ model: 'test/priced', stream: true, messages: [{ role: 'user', content: 'stream please' }], provider: { only: ['sim'] } } as never);
    for await (const _chunk of stream as unknown as AsyncIterable<unknown>) void _chunk;

    const data = await rows();
    const used = rowOf(data, 'sim', 'test/priced');
    expect(used.window.requests).toBe(4);
    expect(used.window.errorRate).toBe(0);
    const lat = used.window.latencyMs;
    expect(lat.p50).toBeGreaterThanOrEqual(0);
    expect(lat.p95).toBeGreaterThanOrEqual(lat.p50);
    expect(lat.p99).toBeGreaterThanOrEqual(lat.p95);
    expect(used.window.ttftMs).not.toBeNull();
    expect(used.live.latencyMs).toBeGreaterThan(0);
    expect(used.live.ttftMs).toBeGreaterThan(0);
    expect(used.live.errorRate).toBe(0);

    for (const unused of [rowOf(data, 'sim', 'test/model'), rowOf(data, 'lab', 'test/priced')]) {
      expect(unused.window).toEqual({ requests: 0, errorRate: null, latencyMs: null, ttftMs: null });
      expect(unused.live).toEqual({ latencyMs: null, ttftMs: null, errorRate: null });
      expect(unused.breaker).toBe('closed');
    }
  });

  it('shows a failing host\'s errors and its open breaker', async () => {
    let flaky: Row | undefined;
    for (let i = 0; i < 6 && flaky?.breaker !== 'open'; i++) {
      await ask('test/flaky', simSays(`fail ${i}`, { fault: 'status', status: 502 })).catch(() => undefined);
      flaky = rowOf(await rows(), 'sim', 'test/flaky');
    }
    expect(flaky!.breaker).toBe('open');
    expect(flaky!.healthy).toBe(false);
    expect(flaky!.window.requests).toBeGreaterThanOrEqual(5);
    expect(flaky!.window.errorRate).toBe(1);
    expect(flaky!.live.errorRate).toBeGreaterThan(0);
    expect(flaky!.live.latencyMs).toBeNull();
  });

  it('marks every host of a blocked provider, naming the block', async () => {
    const res = await fetch(`${stack.url}/admin/blocks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'sim', reason: 'dashboard test' }),
    });
    expect(res.status).toBe(201);
    const block = (await res.json()) as { id: string };
    try {
      const data = await rows();
      for (const r of data.filter((x) => x.provider === 'sim')) expect(r).toMatchObject({ blocked: true, blockedBy: [block.id] });
      expect(rowOf(data, 'lab', 'test/priced')).toMatchObject({ blocked: false, blockedBy: [] });
    } finally {
      await fetch(`${stack.url}/admin/blocks/${block.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    }
    expect(rowOf(await rows(), 'sim', 'test/model').blocked).toBe(false);
  });

  it('takes the window from ?since= and refuses a malformed one', async () => {
    // Hourly roll-ups: a one-minute window still covers the current hour, where every request of this file fell.
    expect(rowOf(await rows('?since=1m'), 'sim', 'test/priced').window.requests).toBe(4);
    const bad = await adminGet('/admin/providers?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('since');
  });

  it('may be read by a viewer, and by no one without a credential', async () => {
    const created = await fetch(`${stack.url}/admin/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'providers-viewer', role: 'viewer' }),
    });
    const { token } = (await created.json()) as { token: string };
    expect((await adminGet('/admin/providers', token)).status).toBe(200);
    expect((await fetch(`${stack.url}/admin/providers`)).status).toBe(401);
  });
});
