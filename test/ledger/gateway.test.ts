/**
 * The ledger behind a running gateway: one record per request (concurrent, streamed, failed, refused, aborted),
 * costs equal to what each response said, baseline, tags, stored prompts, the analytics API and who may read it,
 * metrics and OpenTelemetry spans.
 */
import { createServer, type Server } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCost } from '../../src/catalog/cost.js';
import type { LedgerRecord } from '../../src/ledger/types.js';
import { countTextTokens, tokenizerFamilyFor } from '../../src/tokens/index.js';
import { simSays, startStack, type Stack } from '../support/stack.js';

const ADMIN = 'sk-admin-ledger-test-00000000001';
let stack: Stack;
let collector: Server;
const exported: { resourceSpans: { scopeSpans: { spans: { name: string; traceId: string; parentSpanId?: string; attributes: { key: string; value: Record<string, unknown> }[] }[] }[] }[] }[] = [];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // CSV
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

async function createKey(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await call('POST', '/admin/keys', ADMIN, { name, ...extra });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, key: res.body.key as string };
}

function client(key: string): OpenAI {
  return new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: key, maxRetries: 0, timeout: 15_000 });
}

async function flush(): Promise<void> {
  await stack.gateway.ledger.flush();
}

async function record(id: string): Promise<LedgerRecord> {
  await flush();
  const r = await stack.gateway.ledger.get(id);
  expect(r, `ledger record ${id}`).toBeDefined();
  return r!;
}

const PRICED = { input: 200_000, output: 800_000, cachedInput: 50_000 };
const SONNET = { input: 3_000_000, output: 15_000_000, cachedInput: 300_000, cacheWrite: 3_750_000 };

beforeAll(async () => {
  collector = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') exported.push(JSON.parse(data) as (typeof exported)[number]);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const port = (collector.address() as { port: number }).port;
  stack = await startStack({
    env: { SWITCHBOARD_ADMIN_KEY: ADMIN },
    yaml: `ledger: { flushMs: 20 }\ntelemetry: { otlpEndpoint: "http://127.0.0.1:${port}" }\n`,
  });
});

afterAll(async () => {
  await stack?.close();
  collector?.close();
});

describe('one record per request', () => {
  it('100 concurrent requests, streamed and not, make 100 records whose costs equal each response\'s usage.cost', async () => {
    const { id: keyId, key } = await createKey('concurrent', { team: 'ledger-team' });
    const c = client(key);
    const answers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const content = simSays(`concurrent ${i}`, { outputTokens: 3 + (i % 7), cachedTokens: i % 3 });
        if (i % 2 === 0) {
          const { data, response } = await c.chat.completions.create({ model: 'test/priced', messages: [{ role: 'user', content }] }).withResponse();
          return { id: response.headers.get('x-request-id')!, cost: (data.usage as unknown as { cost: number }).cost, usage: data.usage! };
        }
        const { data, response } = await c.chat.completions.create({ model: 'test/priced', messages: [{ role: 'user', content }], stream: true, stream_options: { include_usage: true } }).withResponse();
        let usage: OpenAI.CompletionUsage | undefined;
        for await (const chunk of data) usage = chunk.usage ?? usage;
        return { id: response.headers.get('x-request-id')!, cost: (usage as unknown as { cost: number }).cost, usage: usage! };
      }),
    );
    await flush();
    const records = await stack.gateway.ledger.list({ keyId, limit: 1000 });
    expect(records).toHaveLength(100);
    expect(new Set(records.map((r) => r.id))).toEqual(new Set(answers.map((a) => a.id)));
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const a of answers) {
      const r = byId.get(a.id)!;
      expect(r.costNano! / 1e9).toBe(a.cost);
      expect(r.inputTokens).toBe(a.usage.prompt_tokens);
      expect(r.outputTokens).toBe(a.usage.completion_tokens);
      expect(r).toMatchObject({ keyId, teamId: expect.any(String), model: 'test/priced', provider: 'sim', jurisdiction: 'US', status: 200, outcome: 'ok' });
      // The baseline: the same tokens at Claude Sonnet 4.5's first-party (Anthropic) price.
      const baseline = computeCost({ inputTokens: r.inputTokens, cachedInputTokens: r.cachedInputTokens, outputTokens: r.outputTokens }, SONNET);
      expect(r.baselineCostNano).toBe(baseline.status === 'priced' ? baseline.nanoUsd : -1);
      expect(r.baselineModel).toBe('anthropic/claude-sonnet-4.5');
      if (r.stream) expect(r.ttftMs).toBeGreaterThanOrEqual(0);
    }
    // The aggregate for the key equals the sum of its records.
    const usage = await call('GET', `/admin/usage?keyId=${keyId}&interval=total&from=${new Date(Date.now() - 3_600_000).toISOString()}`, ADMIN);
    expect(usage.status).toBe(200);
    const [row] = usage.body.rows as Json[];
    expect(row!.requests).toBe(100);
    expect(row!.costUsd).toBeCloseTo(answers.reduce((s, a) => s + a.cost, 0), 9);
    expect(row!.baselineCostUsd).toBeCloseTo(records.reduce((s, r) => s + r.baselineCostNano!, 0) / 1e9, 9);
    expect(row!.inputTokens).toBe(records.reduce((s, r) => s + r.inputTokens!, 0));
  });

  it('a failed request is recorded with its attempts and error', async () => {
    const { key } = await createKey('fails');
    const res = await client(key)
      .chat.completions.create({ model: 'test/priced', messages: [{ role: 'user', content: simSays('fail', { fault: 'status', status: 400 }) }] })
      .withResponse()
      .catch((err: unknown) => err as { status: number; headers: Headers });
    const id = 'headers' in res && res.headers instanceof Headers ? res.headers.get('x-request-id')! : '';
    expect(id).not.toBe('');
    const r = await record(id);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.outcome).toBe('error');
    expect(r.errorCode).toBeDefined();
    expect(r.attempts.length).toBeGreaterThan(0);
    expect(r.costNano).toBeUndefined();
  });

  it('a request refused before routing (spent budget) is recorded as blocked', async () => {
    const { id: keyId, key } = await createKey('broke', { budget: { usd: 0.000000001, period: 'day' } });
    const res = await call('POST', '/v1/chat/completions', key, { model: 'test/priced', max_tokens: 50, messages: [{ role: 'user', content: 'hello' }] });
    expect(res.status).toBe(402);
    const r = await record(res.headers.get('x-request-id')!);
    expect(r).toMatchObject({ keyId, status: 402, errorCode: 'budget_exhausted', outcome: 'error', requestedModel: 'test/priced', model: 'test/priced' });
    expect(r.blocked).toContain('budget_exhausted');
  });

  it('a request without a valid key is nobody\'s usage: not recorded', async () => {
    await flush();
    const before = await stack.gateway.ledger.store.count();
    const res = await call('POST', '/v1/chat/completions', 'sk-sb-guessed-000000000000000000000000000000', { model: 'test/priced', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(401);
    const none = await fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    await flush();
    expect(await stack.gateway.ledger.store.count()).toBe(before);
  });

  it('a plain request the client abandons before any host answers is an abort (499), not an upstream failure', async () => {
    const { key, id: keyId } = await createKey('gives-up');
    const controller = new AbortController();
    const pending = client(key).chat.completions.create(
      { model: 'test/priced', messages: [{ role: 'user', content: simSays('slow', { latencyMs: 1500 }) }] },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 150);
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    await flush();
    const [r] = await stack.gateway.ledger.list({ keyId, limit: 5 });
    expect(r).toBeDefined();
    expect(r!.status).toBe(499);
    expect(r!.outcome).toBe('aborted');
  });

  it('a stream the client abandons is counted from the text it was sent, and marked estimated', async () => {
    const { key } = await createKey('abandons');
    const controller = new AbortController();
    const stream = await client(key).chat.completions.create(
      { model: 'test/priced', messages: [{ role: 'user', content: simSays('abandon', { outputTokens: 400, tokensPerSecond: 100 }) }], stream: true },
      { signal: controller.signal },
    );
    let received = '';
    let id = '';
    try {
      for await (const chunk of stream) {
        id ||= chunk.id;
        received += chunk.choices[0]?.delta.content ?? '';
        if (received.split(/\s+/).length > 20) controller.abort();
      }
    } catch {
      // aborted
    }
    await new Promise((r) => setTimeout(r, 200));
    await flush();
    const [r] = (await stack.gateway.ledger.list({ limit: 50 })).filter((x) => x.outcome === 'aborted');
    expect(r).toBeDefined();
    expect(r!.status).toBe(499);
    expect(r!.tokensEstimated).toBe(true);
    const family = tokenizerFamilyFor({ id: 'test/priced' });
    const seen = countTextTokens(received, family);
    // At least what the client read; at most what was written before the socket closed (a few chunks more).
    expect(r!.outputTokens!).toBeGreaterThanOrEqual(seen);
    expect(r!.outputTokens!).toBeLessThan(seen + 60);
    expect(r!.inputTokens!).toBeGreaterThan(0);
    expect(r!.costNano).toBe(computeCost({ inputTokens: r!.inputTokens, outputTokens: r!.outputTokens }, PRICED).status === 'priced' ? (computeCost({ inputTokens: r!.inputTokens, outputTokens: r!.outputTokens }, PRICED) as { nanoUsd: number }).nanoUsd : -1);
  });

  it('a stream the host breaks after content is priced from the delivered text', async () => {
    const { key } = await createKey('broken');
    const stream = await client(key).chat.completions.create({
      model: 'test/priced',
      messages: [{ role: 'user', content: simSays('cut me', { outputTokens: 30, fault: 'cut', afterChunks: 10 }) }],
      stream: true,
    });
    let text = '';
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch {
      // the in-stream error
    }
    await flush();
    const [r] = (await stack.gateway.ledger.list({ limit: 50 })).filter((x) => x.outcome === 'broken');
    expect(r).toBeDefined();
    expect(r!.tokensEstimated).toBe(true);
    expect(r!.outputTokens).toBe(countTextTokens(text, tokenizerFamilyFor({ id: 'test/priced' })));
    expect(r!.costNano).toBeGreaterThan(0);
    expect(r!.attempts.at(-1)!.deliveredChars).toBe(text.length);
  });
});

describe('tags, prompts and the requests API', () => {
  it('groups spend by metadata.tags and the x-switchboard-tags header', async () => {
    const { key } = await createKey('tagged');
    await call('POST', '/v1/chat/completions', key, { model: 'test/priced', messages: [{ role: 'user', content: 'a' }], metadata: { tags: ['ledger-search', 'ledger-eval'] } });
    await call('POST', '/v1/chat/completions', key, { model: 'test/priced', messages: [{ role: 'user', content: 'b' }] }, { 'x-switchboard-tags': 'ledger-search, ledger-batch' });
    await flush();
    const res = await call('GET', `/admin/usage?groupBy=tag&interval=total&from=${new Date(Date.now() - 3_600_000).toISOString()}`, ADMIN);
    const rows = new Map((res.body.rows as Json[]).map((r) => [r.group, r.requests]));
    expect(rows.get('ledger-search')).toBe(2);
    expect(rows.get('ledger-eval')).toBe(1);
    expect(rows.get('ledger-batch')).toBe(1);
  });

  it('stores prompts and completions only for keys that opted in, with secrets redacted; only admins read them', async () => {
    const optedIn = await createKey('keeps-prompts', { storePrompts: true });
    const plain = await createKey('no-prompts');
    const secret = 'sk-live-0123456789abcdefghij';
    const ask = (key: string) => call('POST', '/v1/chat/completions', key, { model: 'test/priced', messages: [{ role: 'user', content: `my key is ${secret}, and ${ADMIN}` }] });
    const kept = await ask(optedIn.key);
    const notKept = await ask(plain.key);
    const r = await record(kept.headers.get('x-request-id')!);
    expect(r.prompt).toContain('my key is');
    expect(r.prompt).not.toContain(secret);
    expect(r.prompt).not.toContain(ADMIN);
    expect(r.completion).toBe(kept.body.choices[0].message.content);
    const other = await record(notKept.headers.get('x-request-id')!);
    expect(other.prompt).toBeUndefined();
    expect(other.completion).toBeUndefined();

    const asAdmin = await call('GET', `/admin/requests/${r.id}`, ADMIN);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body).toMatchObject({ requestId: r.id, keyId: optedIn.id, outcome: 'ok', prompt: r.prompt, costUsd: r.costNano! / 1e9 });
    expect(asAdmin.body.attempts[0]).toMatchObject({ provider: 'sim', outcome: 'ok' });
    const viewer = await call('POST', '/admin/tokens', ADMIN, { name: 'reader', role: 'viewer' });
    const asViewer = await call('GET', `/admin/requests/${r.id}`, viewer.body.token as string);
    expect(asViewer.status).toBe(200);
    expect(asViewer.body.prompt).toBeUndefined();
    expect(asViewer.body.completion).toBeUndefined();
  });

  it('GET /admin/requests lists from the ledger, newest first, filtered by key', async () => {
    const { id: keyId, key } = await createKey('listed');
    for (let i = 0; i < 3; i++) await call('POST', '/v1/chat/completions', key, { model: 'test/priced', messages: [{ role: 'user', content: `list ${i}` }] });
    await flush();
    const res = await call('GET', `/admin/requests?keyId=${keyId}`, ADMIN);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(3);
    expect((res.body.data as Json[]).every((r) => r.keyId === keyId)).toBe(true);
    const ats = (res.body.data as Json[]).map((r) => r.at as string);
    expect([...ats].sort().reverse()).toEqual(ats);
  });
});

describe('who may read usage', () => {
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  let viewer: string;
  const since = new Date(Date.now() - 3_600_000).toISOString();

  beforeAll(async () => {
    a = await createKey('tenant-a', { team: 'tenants' });
    b = await createKey('tenant-b', { team: 'tenants' });
    for (let i = 0; i < 3; i++) await call('POST', '/v1/chat/completions', a.key, { model: 'test/priced', messages: [{ role: 'user', content: `a ${i}` }] });
    await call('POST', '/v1/chat/completions', b.key, { model: 'test/priced', messages: [{ role: 'user', content: 'b' }] });
    viewer = (await call('POST', '/admin/tokens', ADMIN, { name: 'viewer', role: 'viewer' })).body.token as string;
    await flush();
  });

  it('a virtual key cannot reach the admin analytics at all', async () => {
    for (const path of ['/admin/usage', '/admin/usage/hosts', '/admin/usage/top', '/admin/requests', `/admin/requests/x`]) {
      expect((await call('GET', path, a.key)).status).toBe(401);
    }
  });

  it('GET /v1/usage gives a key its own usage and nothing of another key', async () => {
    const own = await call('GET', `/v1/usage?interval=total&from=${since}`, a.key);
    expect(own.status).toBe(200);
    expect(own.body.rows).toHaveLength(1);
    expect(own.body.rows[0].requests).toBe(3);
    const byModel = await call('GET', `/v1/usage?interval=total&groupBy=model&from=${since}`, b.key);
    expect(byModel.body.rows).toEqual([expect.objectContaining({ group: 'test/priced', requests: 1 })]);
    expect((await call('GET', `/v1/usage?keyId=${b.id}`, a.key)).status).toBe(403);
    expect((await call('GET', `/v1/usage?teamId=someone-else`, a.key)).status).toBe(403);
  });

  it("a key reads its team's totals but not its teammates one by one", async () => {
    const team = await call('GET', `/v1/usage?scope=team&interval=total&from=${since}`, a.key);
    expect(team.status).toBe(200);
    expect(team.body.rows[0].requests).toBe(4);
    expect((await call('GET', `/v1/usage?scope=team&groupBy=key`, a.key)).status).toBe(403);
    const alone = await createKey('teamless');
    expect((await call('GET', '/v1/usage?scope=team', alone.key)).status).toBe(400);
  });

  it('people: a viewer reads the analytics, the admin key is not a tenant, unknown credentials are refused', async () => {
    const res = await call('GET', `/admin/usage?groupBy=key&interval=total&from=${since}`, viewer);
    expect(res.status).toBe(200);
    const rows = new Map((res.body.rows as Json[]).map((r) => [r.group, r.requests]));
    expect(rows.get(a.id)).toBe(3);
    expect(rows.get(b.id)).toBe(1);
    expect((await call('GET', '/v1/usage', viewer)).status).toBe(401);
    expect((await call('GET', '/v1/usage', ADMIN)).status).toBe(400);
    expect((await call('GET', '/admin/usage', 'sk-sb-not-a-real-key-000000000000000000000')).status).toBe(401);
  });
});

describe('analytics API', () => {
  it('answers CSV for format=csv and for Accept: text/csv', async () => {
    for (const [path, headers] of [
      ['/admin/usage?groupBy=model&format=csv', {}],
      ['/admin/usage?groupBy=model', { accept: 'text/csv' }],
    ] as const) {
      const res = await call('GET', path, ADMIN, undefined, headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.text.split('\r\n')[0]).toMatch(/^bucket,group,requests,inputTokens,outputTokens,costUsd,baselineCostUsd/);
      expect(res.text).toContain('test/priced');
    }
  });

  it('top models, host percentiles and error rates', async () => {
    const top = await call('GET', '/admin/usage/top?by=requests&limit=1', ADMIN);
    expect(top.body.rows).toEqual([expect.objectContaining({ group: 'test/priced' })]);
    const hosts = await call('GET', '/admin/usage/hosts', ADMIN);
    const sim = (hosts.body.rows as Json[]).find((r) => r.provider === 'sim' && r.model === 'test/priced')!;
    expect(sim.attempts).toBeGreaterThan(100);
    expect(sim.errors).toBeGreaterThan(0);
    expect(sim.errorRate).toBeGreaterThan(0);
    expect(sim.latencyP50Ms).toBeGreaterThanOrEqual(0);
    expect(sim.latencyP99Ms).toBeGreaterThanOrEqual(sim.latencyP50Ms);
  });

  it('refuses a bad query with 400', async () => {
    expect((await call('GET', '/admin/usage?groupBy=password', ADMIN)).status).toBe(400);
    expect((await call('GET', '/admin/usage?interval=month', ADMIN)).status).toBe(400);
    expect((await call('GET', '/admin/usage?format=xml', ADMIN)).status).toBe(400);
  });
});

describe('observability', () => {
  it('exports the ledger metrics, with no key, tag or request in any label', async () => {
    const res = await fetch(`${stack.url}/metrics`);
    const text = await res.text();
    for (const name of [
      'switchboard_ledger_queue_depth',
      'switchboard_ledger_spool_records',
      'switchboard_ledger_records_written_total',
      'switchboard_ledger_records_spooled_total',
      'switchboard_ledger_records_dropped_total',
      'switchboard_time_to_first_token_seconds_bucket',
      'switchboard_request_duration_seconds_bucket',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).not.toMatch(/key_[A-Za-z0-9]/);
    expect(text).not.toContain('ledger-search');
  });

  it('sends one GenAI span per request to the OTLP endpoint, child of the caller\'s traceparent', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await call('POST', '/v1/chat/completions', ADMIN, { model: 'test/priced', messages: [{ role: 'user', content: 'traced' }] }, { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    expect(res.status).toBe(200);
    await flush();
    await stack.gateway.ledger.tracer!.flush();
    const spans = exported.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
    const span = spans.find((s) => s.traceId === traceId);
    expect(span).toBeDefined();
    expect(span!.parentSpanId).toBe('b7ad6b7169203331');
    expect(span!.name).toBe('chat test/priced');
    const attrs = Object.fromEntries(span!.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
    expect(attrs).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'sim',
      'gen_ai.request.model': 'test/priced',
      'gen_ai.response.model': 'test/priced',
      'gen_ai.usage.input_tokens': String(res.body.usage.prompt_tokens),
      'gen_ai.usage.output_tokens': String(res.body.usage.completion_tokens),
    });
    expect(JSON.stringify(span)).not.toContain('traced');
  });
});
