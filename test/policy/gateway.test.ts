import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simSays, startStack, type Stack } from '../support/stack.js';

/** Policies, data classes, blocks and the audit log through a whole gateway, in front of the simulator. */

const ADMIN = 'sk-admin-policy-test-0000000001';
const AUDIT_KEY = 'audit-key-for-tests-0123456789abcdef';
let stack: Stack;

const providers = `providers:
  sim:
    type: openai-compatible
    baseURL: "{{SIM}}/v1"
    apiKeyEnv: SIM_API_KEY
    jurisdiction: US
    models:
      t/cn-model: { name: sim-cn, origin: CN, openWeights: true, license: MIT, pricing: { prompt: 0.000001, completion: 0.000002 } }
      t/us-model: { name: sim-us, origin: US, openWeights: false, license: Proprietary, pricing: { prompt: 0.000003, completion: 0.000006 } }
  cnhost:
    type: openai-compatible
    baseURL: "{{SIM}}/p/cn/v1"
    apiKeyEnv: SIM_API_KEY
    jurisdiction: CN
    models:
      t/cn-model: { name: sim-cn-first, pricing: { prompt: 0.0000005, completion: 0.000001 } }
  lab:
    type: openai-compatible
    baseURL: "{{SIM}}/p/lab/v1"
    apiKeyEnv: SIM_API_KEY
    selfHosted: true
    jurisdiction: DE
    models:
      t/cn-model: { name: sim-cn-lab, pricing: { prompt: 0, completion: 0 } }
      t/lab-only: { name: sim-lab-only, origin: FR, pricing: { prompt: 0, completion: 0 } }
policies:
  no-cn: { denyOrigins: [CN] }
  no-cn-hosting: { denyJurisdictions: [CN] }
  secret-team-rule: { allowProviders: [lab] }
dataClasses:
  public: {}
  internal: { denyJurisdictions: [CN] }
  confidential: { selfHostedOnly: true }
routing:
  substitutes:
    t/us-model: [t/lab-only]
`;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function http(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const admin = (method: string, path: string, body?: unknown) => http(method, path, ADMIN, body);

let turn = 0;
/** A chat request; each call is a new conversation, so the load spreads over hosts. */
const chat = (token: string, model: string, headers: Record<string, string> = {}, extra: object = {}) =>
  http('POST', '/v1/chat/completions', token, { model, max_tokens: 5, messages: [{ role: 'user', content: simSays(`hello ${++turn}`, { outputTokens: 3 }) }], ...extra }, headers);

const provider = (a: Answer) => /provider=([^;]+)/.exec(a.headers.get('x-switchboard-route') ?? '')?.[1];

async function newKey(body: Record<string, unknown>): Promise<string> {
  const created = await admin('POST', '/admin/keys', body);
  expect(created.status).toBe(201);
  return created.body.key as string;
}

beforeAll(async () => {
  stack = await startStack({ providersYaml: providers, env: { SWITCHBOARD_ADMIN_KEY: ADMIN, SWITCHBOARD_AUDIT_KEY: AUDIT_KEY } });
});
afterAll(async () => {
  await stack?.close();
});

describe('policies on keys and teams', () => {
  it('refuses with 403 naming the rule, without revealing other tenants’ settings', async () => {
    await newKey({ name: 'other-tenant', team: 'secretive', policy: 'secret-team-rule' });
    const key = await newKey({ name: 'eu-app', policy: 'no-cn' });
    const refused = await chat(key, 't/cn-model');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('policy_denied');
    expect(refused.body.error.message).toContain('policy no-cn: model origin CN is denied (denyOrigins)');
    expect(refused.body.error.message).not.toMatch(/secret|allowProviders|no-cn-hosting/);
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect((await chat(key, 't/us-model')).status).toBe(200);
    // A fallback list obeys the policy: the refused model is skipped, the allowed one serves.
    const fallback = await chat(key, 't/cn-model', {}, { models: ['t/us-model'] });
    expect(fallback.status).toBe(200);
    expect(fallback.headers.get('x-switchboard-route')).toContain('model=t/us-model');
  });

  it('keeps a model but moves it off hosts in a denied jurisdiction', async () => {
    const key = await newKey({ name: 'no-cn-hosting-app', policy: 'no-cn-hosting' });
    for (let i = 0; i < 12; i++) {
      const answer = await chat(key, 't/cn-model');
      expect(answer.status).toBe(200);
      expect(provider(answer)).not.toBe('cnhost');
    }
  });

  it('a team policy binds its keys, and a key cannot widen it', async () => {
    const team = await admin('POST', '/admin/teams', { name: 'lab-team', policy: 'secret-team-rule' });
    expect(team.status).toBe(201);
    const key = await newKey({ name: 'lab-member', team: 'lab-team', policy: 'no-cn-hosting' });
    for (let i = 0; i < 5; i++) expect(provider(await chat(key, 't/cn-model'))).toBe('lab');
    expect((await chat(key, 't/us-model')).status).toBe(403);
  });
});

describe('data classes', () => {
  it('the header adds its policy; an unknown class is a 400', async () => {
    const key = await newKey({ name: 'classy' });
    for (let i = 0; i < 5; i++) expect(provider(await chat(key, 't/cn-model', { 'x-switchboard-data-class': 'confidential' }))).toBe('lab');
    for (let i = 0; i < 8; i++) expect(provider(await chat(key, 't/cn-model', { 'x-switchboard-data-class': 'internal' }))).not.toBe('cnhost');
    const unknown = await chat(key, 't/cn-model', { 'x-switchboard-data-class': 'top-secret' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("unknown data class 'top-secret'");
    const denied = await chat(key, 't/us-model', { 'x-switchboard-data-class': 'confidential' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain('data class confidential: provider sim is not self-hosted (selfHostedOnly)');
  });

  it("a key's minimum data class applies whatever the header says", async () => {
    const key = await newKey({ name: 'minimum', minDataClass: 'confidential' });
    for (const header of [undefined, 'public', 'internal']) {
      const answer = await chat(key, 't/cn-model', header ? { 'x-switchboard-data-class': header } : {});
      expect(answer.status).toBe(200);
      expect(provider(answer)).toBe('lab');
    }
    const bad = await admin('POST', '/admin/keys', { name: 'typo', minDataClass: 'confidentail' });
    expect(bad.status).toBe(400);
  });
});

describe('policies through the admin API', () => {
  it('stores, reads, attaches and deletes a policy; config policies are read-only', async () => {
    const put = await admin('PUT', '/admin/policies/us-only', { allowJurisdictions: ['US'] });
    expect(put.status).toBe(201);
    expect(put.body).toEqual({ allowJurisdictions: ['US'] });
    const got = await admin('GET', '/admin/policies/us-only');
    expect(got.body).toEqual({ allowJurisdictions: ['US'] });
    expect(got.headers.get('x-switchboard-policy-source')).toBe('database');
    expect((await admin('GET', '/admin/policies/no-cn')).headers.get('x-switchboard-policy-source')).toBe('config');
    expect((await admin('PUT', '/admin/policies/us-only', { allowJurisdictions: ['US'] })).status).toBe(200);
    expect((await admin('PUT', '/admin/policies/us-only', { allowJurisdiction: ['US'] })).status).toBe(400);

    const key = await newKey({ name: 'us-app', policy: 'us-only' });
    for (let i = 0; i < 5; i++) expect(provider(await chat(key, 't/cn-model'))).toBe('sim');
    // Narrowing the stored policy applies at once.
    await admin('PUT', '/admin/policies/us-only', { allowJurisdictions: ['US'], denyOrigins: ['CN'] });
    expect((await chat(key, 't/cn-model')).status).toBe(403);

    expect((await admin('PUT', '/admin/policies/no-cn', {})).status).toBe(403);
    expect((await admin('DELETE', '/admin/policies/no-cn')).status).toBe(403);
    const attached = await admin('DELETE', '/admin/policies/us-only');
    expect(attached.status).toBe(400);
    expect(attached.body.error.message).toContain('attached to 1 key');
    await admin('PUT', '/admin/policies/spare', { openWeightsOnly: true });
    expect((await admin('DELETE', '/admin/policies/spare')).status).toBe(200);
    expect((await admin('GET', '/admin/policies/spare')).status).toBe(404);
    const list = await admin('GET', '/admin/policies');
    expect(list.body.data.map((p: { name: string; source: string }) => `${p.name}:${p.source}`)).toEqual(
      expect.arrayContaining(['no-cn:config', 'us-only:database']),
    );
  });

  it('lists the data classes of the config, least restrictive first, with their rules', async () => {
    const list = await admin('GET', '/admin/data-classes');
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      { name: 'public', rank: 0, policy: {} },
      { name: 'internal', rank: 1, policy: expect.objectContaining({ denyJurisdictions: ['CN'] }) },
      { name: 'confidential', rank: 2, policy: expect.objectContaining({ selfHostedOnly: true }) },
    ]);
  });
});

describe('blocks', () => {
  it('moves traffic off a blocked provider, and answers 503 naming the block where nothing is left', async () => {
    const key = await newKey({ name: 'blocked-app' });
    const created = await admin('POST', '/admin/blocks', { provider: 'sim', reason: 'incident 42' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^blk_/), provider: 'sim', reason: 'incident 42', active: true });
    const id = created.body.id as string;
    try {
      for (let i = 0; i < 8; i++) {
        const answer = await chat(key, 't/cn-model');
        expect(answer.status).toBe(200);
        expect(provider(answer)).not.toBe('sim');
      }
      // t/us-model has no other host, but a configured substitute: traffic goes there.
      const substituted = await chat(key, 't/us-model');
      expect(substituted.status).toBe(200);
      expect(substituted.headers.get('x-switchboard-route')).toContain('model=t/lab-only');
      // Without the substitute's host, nothing is left: 503 naming the block.
      const none = await chat(key, 't/us-model', {}, { provider: { ignore: ['lab'] } });
      expect(none.status).toBe(503);
      expect(none.body.error.code).toBe('no_route_blocked');
      expect(none.body.error.message).toContain(`blocked by ${id} (provider sim): incident 42`);
      const listed = await admin('GET', '/admin/blocks');
      expect(listed.body.data.map((b: { id: string }) => b.id)).toContain(id);
    } finally {
      expect((await admin('DELETE', `/admin/blocks/${id}`)).status).toBe(200);
    }
    expect(provider(await chat(key, 't/us-model'))).toBe('sim');
    expect((await admin('DELETE', `/admin/blocks/${id}`)).status).toBe(404);
    expect((await admin('GET', '/admin/blocks?all=1')).body.data.find((b: { id: string }) => b.id === id)).toMatchObject({ active: false, removedBy: 'admin-key' });
  });

  it('a 503 for a block beats a 403 for a policy; a 403 stays a 403 when no block is involved', async () => {
    const key = await newKey({ name: 'both', policy: 'no-cn' });
    const block = await admin('POST', '/admin/blocks', { model: 't/us-model', reason: 'licence dispute' });
    try {
      // t/us-model is blocked (its substitute's only host is ignored); t/cn-model is refused by the key's policy.
      const answer = await chat(key, 't/us-model', {}, { models: ['t/cn-model'], provider: { ignore: ['lab'] } });
      expect(answer.status).toBe(503);
      expect(answer.body.error.message).toContain('(model t/us-model): licence dispute');
      expect((await chat(key, 't/cn-model')).status).toBe(403);
    } finally {
      await admin('DELETE', `/admin/blocks/${block.body.id}`);
    }
  });

  it('blocks by origin and by model; unblock by selector', async () => {
    const key = await newKey({ name: 'origin-blocked' });
    const b = await admin('POST', '/admin/blocks', { origin: 'cn' });
    expect(b.body.origin).toBe('CN');
    expect((await chat(key, 't/cn-model')).status).toBe(503);
    const lifted = await admin('DELETE', '/admin/blocks?origin=CN');
    expect(lifted.body.data.map((x: { id: string }) => x.id)).toEqual([b.body.id]);
    expect((await chat(key, 't/cn-model')).status).toBe(200);
    expect((await admin('POST', '/admin/blocks', { model: 'no/such-model' })).status).toBe(400);
    expect((await admin('POST', '/admin/blocks', { provider: 'sim', model: 't/us-model' })).status).toBe(400);
    expect((await admin('POST', '/admin/blocks', { provider: 'sim', until: '2020-01-01T00:00:00Z' })).status).toBe(400);
  });

  it('a block lapses by itself at its expiry', async () => {
    const key = await newKey({ name: 'expiry' });
    const until = new Date(Date.now() + 1500).toISOString();
    const b = await admin('POST', '/admin/blocks', { model: 't/us-model', until });
    expect(b.body.until).toBe(until);
    expect((await chat(key, 't/us-model', {}, { provider: { ignore: ['lab'] } })).status).toBe(503);
    await new Promise((r) => setTimeout(r, Date.parse(until) - Date.now() + 50));
    expect((await chat(key, 't/us-model')).status).toBe(200);
    expect((await admin('GET', '/admin/blocks')).body.data.map((x: { id: string }) => x.id)).not.toContain(b.body.id);
  });

  it('only admins change blocks and policies; viewers read', async () => {
    const viewer = await admin('POST', '/admin/tokens', { name: 'auditor', role: 'viewer' });
    const token = viewer.body.token as string;
    expect((await http('POST', '/admin/blocks', token, { provider: 'sim' })).status).toBe(403);
    expect((await http('PUT', '/admin/policies/x', token, {})).status).toBe(403);
    expect((await http('GET', '/admin/blocks', token)).status).toBe(200);
    expect((await http('GET', '/admin/policies', token)).status).toBe(200);
    expect((await http('GET', '/admin/data-classes', token)).status).toBe(200);
  });
});

describe('the audit log', () => {
  it('records who changed what, before and after, for policies, blocks, keys, teams and tokens; the chain verifies', async () => {
    const created = await admin('POST', '/admin/keys', { name: 'audited', team: 'audit-team' });
    await admin('PATCH', `/admin/keys/${created.body.id}`, { policy: 'no-cn' });
    await admin('DELETE', `/admin/keys/${created.body.id}`);
    const { body } = await admin('GET', '/admin/audit?limit=1000');
    const rows = body.data as { seq: number; actor: string; action: string; targetId: string; before: any; after: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['policy.put', 'policy.delete', 'block.create', 'block.remove', 'key.create', 'key.update', 'key.revoke', 'team.create', 'token.create']) expect(actions).toContain(a);
    const update = rows.find((r) => r.action === 'key.update' && r.targetId === created.body.id)!;
    expect(update.actor).toBe('admin-key');
    expect(update.before.policy).toBeUndefined();
    expect(update.after.policy).toBe('no-cn');
    // Never a secret or its hash.
    expect(JSON.stringify(rows)).not.toContain(created.body.key);
    expect(JSON.stringify(rows)).not.toMatch(/"hash"/);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    const verdict = await admin('GET', '/admin/audit/verify');
    expect(verdict.body).toMatchObject({ status: 'ok', rows: rows.length });
  });
});
