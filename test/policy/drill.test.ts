import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { LedgerRecord } from '../../src/ledger/types.js';
import { ledgerReaderFromList, MemoryLedgerReader, parseSince, parseWithout, runDrill, type DrillEnvironment, type DrillResult } from '../../src/policy/drill.js';
import { drillHtml, drillTable } from '../../src/policy/report.js';
import type { Policy } from '../../src/policy/types.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';
import { miniCatalogue } from '../support/catalogue.js';
import { host, layer, model, policyOf, provider, providers, registry } from './fixtures.js';

/**
 * The exit drill on a fixed, hand-made ledger. Prices are USD per million tokens; every expected figure below is
 * worked out by hand in the comments.
 */

const NOW = Date.parse('2026-06-30T12:00:00.000Z');
const DAY = 86_400_000;
const moonshot = provider('moonshot', { jurisdiction: 'CN' });

const ds = model('deepseek/deepseek-v3.2', [host(providers.deepseek, [0.28, 0.42]), host(providers.together, [0.6, 1.7])], { origin: 'CN', license: 'MIT', developer: 'DeepSeek', tier: 'strong' });
const qwen = model('qwen/qwen3-235b-a22b', [host(providers.together, [0.2, 0.6])], { origin: 'CN', license: 'Apache-2.0', developer: 'Alibaba', tier: 'strong' });
const mistral = model('mistralai/mistral-medium-3', [host(providers.mistral, [0.4, 2])], { origin: 'FR', license: 'Proprietary', developer: 'Mistral AI', tier: 'strong' });
const kimi = model('moonshotai/kimi-k2', [host(moonshot, [1, 3])], { origin: 'CN', license: 'Modified-MIT', developer: 'Moonshot AI', tier: 'frontier' });
const reg = registry([ds, qwen, mistral, kimi]);
const substitutes = { 'deepseek/deepseek-v3.2': ['qwen/qwen3-235b-a22b', 'mistralai/mistral-medium-3'] };

/** Key k2's policy today: nothing on Mistral's API. */
const keyPolicies: Record<string, Policy> = { k2: { denyProviders: ['mistral'] } };

const facts = {
  'deepseek/deepseek-v3.2': { origin: 'CN', license: 'MIT', developer: 'DeepSeek' },
  'mistralai/mistral-medium-3': { origin: 'FR', license: 'Proprietary', developer: 'Mistral AI' },
  'moonshotai/kimi-k2': { origin: 'CN', license: 'Modified-MIT', developer: 'Moonshot AI' },
} as const;

function rec(id: string, daysAgo: number, m: keyof typeof facts, p: string, jurisdiction: string, keyId: string, input: number, output: number, costUsd: number, status = 200): LedgerRecord {
  return {
    id,
    at: new Date(NOW - daysAgo * DAY).toISOString(),
    route: 'chat',
    stream: false,
    keyId,
    teamId: 't1',
    requestedModel: m,
    model: m,
    provider: p,
    jurisdiction,
    ...facts[m],
    attempts: [],
    inputTokens: input,
    outputTokens: output,
    costNano: Math.round(costUsd * 1e9),
    latencyMs: 100,
    status,
    outcome: status === 200 ? 'ok' : 'error',
  };
}

const LEDGER: LedgerRecord[] = [
  // 1M in × 0.28 + 0.5M out × 0.42 = 0.28 + 0.21 = $0.49
  rec('r1', 1, 'deepseek/deepseek-v3.2', 'deepseek', 'CN', 'k1', 1_000_000, 500_000, 0.49),
  // 0.2M × 0.28 + 0.1M × 0.42 = 0.056 + 0.042 = $0.098
  rec('r2', 2, 'deepseek/deepseek-v3.2', 'deepseek', 'CN', 'k2', 200_000, 100_000, 0.098),
  // 0.1M × 0.4 + 0.1M × 2 = 0.04 + 0.2 = $0.24
  rec('r3', 3, 'mistralai/mistral-medium-3', 'mistral', 'FR', 'k1', 100_000, 100_000, 0.24),
  // 0.1M × 0.6 + 0.1M × 1.7 = 0.06 + 0.17 = $0.23
  rec('r4', 4, 'deepseek/deepseek-v3.2', 'together', 'US', 'k2', 100_000, 100_000, 0.23),
  // 0.1M × 1 + 0.01M × 3 = 0.1 + 0.03 = $0.13
  rec('r7', 5, 'moonshotai/kimi-k2', 'moonshot', 'CN', 'k1', 100_000, 10_000, 0.13),
  // Not counted: a failed request, and one outside the 30-day window.
  rec('r5', 1, 'deepseek/deepseek-v3.2', 'deepseek', 'CN', 'k1', 1000, 0, 0, 502),
  rec('r6', 40, 'deepseek/deepseek-v3.2', 'deepseek', 'CN', 'k1', 1_000_000, 1_000_000, 1),
];

const env: DrillEnvironment = {
  registry: reg,
  substitutes,
  now: NOW,
  policyFor: (r) => policyOf(...(r.keyId && keyPolicies[r.keyId] ? [layer(r.keyId, keyPolicies[r.keyId]!)] : [])),
};
const reader = new MemoryLedgerReader(LEDGER);

describe('exit drill figures on a fixed ledger', () => {
  it('without provider=deepseek: the same model moves to its other host', async () => {
    const r = await runDrill(reader, { without: [{ provider: 'deepseek' }], since: '30d' }, env);
    // r1, r2, r3, r4, r7: 1.5M + 0.3M + 0.2M + 0.2M + 0.11M tokens; 0.49 + 0.098 + 0.24 + 0.23 + 0.13 USD.
    expect(r.total).toEqual({ requests: 5, tokens: 2_310_000, costUsd: expect.closeTo(1.188, 9) });
    expect(r.affected).toEqual({ requests: 2, tokens: 1_800_000, costUsd: expect.closeTo(0.588, 9) });
    // On together: r1 1M × 0.6 + 0.5M × 1.7 = 1.45 (+0.96); r2 0.2M × 0.6 + 0.1M × 1.7 = 0.29 (+0.192).
    expect(r.rerouted).toEqual([
      expect.objectContaining({ from: 'deepseek/deepseek-v3.2@deepseek', to: 'deepseek/deepseek-v3.2@together', via: 'same-model', requests: 2, tokens: 1_800_000, costDeltaUsd: expect.closeTo(1.152, 9), unpricedRequests: 0 }),
    ]);
    expect(r.unroutable).toMatchObject({ requests: 0, byModel: [] });
    expect(r.breakdown.byKey).toEqual([
      { name: 'k1', requests: 1, tokens: 1_500_000, costUsd: expect.closeTo(0.49, 9), rerouted: 1, unroutable: 0, costDeltaUsd: expect.closeTo(0.96, 9) },
      { name: 'k2', requests: 1, tokens: 300_000, costUsd: expect.closeTo(0.098, 9), rerouted: 1, unroutable: 0, costDeltaUsd: expect.closeTo(0.192, 9) },
    ]);
  });

  it('without origin=CN: substitutes in order, today’s key policy, then no route', async () => {
    const r = await runDrill(reader, { without: [{ origin: 'CN' }] }, env);
    expect(r.window).toEqual({ from: '2026-05-31T12:00:00.000Z', to: '2026-06-30T12:00:00.000Z', since: '30d' });
    // r1, r2, r4, r7 are Chinese models: 1.5M + 0.3M + 0.2M + 0.11M tokens; 0.49 + 0.098 + 0.23 + 0.13 USD.
    expect(r.affected).toEqual({ requests: 4, tokens: 2_110_000, costUsd: expect.closeTo(0.948, 9) });
    // r1 (k1): qwen is Chinese too, so the second substitute: Mistral, 1M × 0.4 + 0.5M × 2 = 1.4 (+0.91).
    expect(r.rerouted).toEqual([
      expect.objectContaining({ from: 'deepseek/deepseek-v3.2@deepseek', to: 'mistralai/mistral-medium-3@mistral', via: 'substitute', requests: 1, costDeltaUsd: expect.closeTo(0.91, 9) }),
    ]);
    // r2, r4 (k2 may not use Mistral, and no other strong model is left) and r7 (no other frontier model).
    expect(r.unroutable.requests).toBe(3);
    expect(r.unroutable.tokens).toBe(610_000);
    expect(r.unroutable.costUsd).toBeCloseTo(0.458, 9);
    expect(r.unroutable.byModel).toEqual([
      { model: 'deepseek/deepseek-v3.2', requests: 2, reason: 'no allowed host, substitute or other strong-tier model' },
      { model: 'moonshotai/kimi-k2', requests: 1, reason: 'no allowed host, substitute or other frontier-tier model' },
    ]);
    expect(r.breakdown.byModel.map((b) => [b.name, b.requests, b.rerouted, b.unroutable])).toEqual([
      ['deepseek/deepseek-v3.2', 3, 1, 2],
      ['moonshotai/kimi-k2', 1, 0, 1],
    ]);
  });

  it('without a model that has no other host and no substitute: the cheapest allowed model of its tier', async () => {
    const r = await runDrill(reader, { without: [parseWithout('model=mistralai/mistral-medium-3')] }, env);
    // r3: 0.1M in, 0.1M out. DeepSeek on deepseek 0.028 + 0.042 = 0.07; Qwen 0.02 + 0.06 = 0.08; DeepSeek on together 0.23.
    expect(r.rerouted).toEqual([expect.objectContaining({ from: 'mistralai/mistral-medium-3@mistral', to: 'deepseek/deepseek-v3.2@deepseek', via: 'same-tier', requests: 1, costDeltaUsd: expect.closeTo(0.07 - 0.24, 9) })]);
  });

  it('reports concentration by developer, origin, jurisdiction and licence, flagging single dependencies above 50%', async () => {
    const r = await runDrill(reader, { without: [{ provider: 'deepseek' }] }, env);
    const c = r.concentration;
    expect(c.threshold).toBe(0.5);
    // Origin CN: 4 of 5 requests, 2.11M of 2.31M tokens, 0.948 of 1.188 USD.
    expect(c.byOrigin[0]).toEqual({
      name: 'CN',
      requests: 4,
      requestShare: 0.8,
      tokens: 2_110_000,
      tokenShare: expect.closeTo(2_110_000 / 2_310_000, 12),
      costUsd: expect.closeTo(0.948, 9),
      costShare: expect.closeTo(0.948 / 1.188, 9),
      flagged: true,
    });
    expect(c.byOrigin[1]).toMatchObject({ name: 'FR', requests: 1, requestShare: 0.2, flagged: false });
    expect(c.byDeveloper.map((d) => [d.name, d.requests, d.flagged])).toEqual([
      ['DeepSeek', 3, true],
      ['Mistral AI', 1, false],
      ['Moonshot AI', 1, false],
    ]);
    expect(c.byJurisdiction.map((d) => [d.name, d.requests])).toEqual([
      ['CN', 3],
      ['FR', 1],
      ['US', 1],
    ]);
    expect(c.byLicense.map((d) => [d.name, d.requests])).toEqual([
      ['MIT', 3],
      ['Proprietary', 1],
      ['Modified-MIT', 1],
    ]);
    // DeepSeek (= MIT): r1, r2, r4: 3 of 5 requests, 2.0M of 2.31M tokens (86.6%), 0.818 of 1.188 USD (68.9%).
    // CN hosting: r1, r2, r7: 3 of 5, 1.91M tokens (82.7%), 0.718 USD (60.4%).
    expect(c.flags).toEqual([
      'developer DeepSeek: 60% of requests, 87% of tokens, 69% of spend',
      'origin CN: 80% of requests, 91% of tokens, 80% of spend',
      'jurisdiction CN: 60% of requests, 83% of tokens, 60% of spend',
      'licence MIT: 60% of requests, 87% of tokens, 69% of spend',
    ]);
    // Had deepseek's API been gone, CN hosting drops from 3 requests to 1.
    expect(r.concentrationAfter.byJurisdiction.map((d) => [d.name, d.requests])).toEqual([
      ['US', 3],
      ['FR', 1],
      ['CN', 1],
    ]);
    const strict = await runDrill(reader, { without: [{ provider: 'deepseek' }], threshold: 0.9 }, env);
    expect(strict.concentration.flags).toEqual(['origin CN: 91% of tokens']);
  });

  it('renders a table, JSON and a self-contained HTML report with inline SVG charts', async () => {
    const r = await runDrill(reader, { without: [{ origin: 'CN' }, { provider: 'together' }] }, env);
    const table = drillTable(r);
    expect(table).toContain('Exit drill without origin CN, provider together');
    expect(table).toContain('deepseek/deepseek-v3.2@deepseek');
    expect(table).toContain('origin CN: 80% of requests');
    const html = drillHtml(r);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(8);
    // Nothing fetched from elsewhere: no scripts, stylesheets, images or fonts by URL.
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(|@import/i);
    expect(JSON.parse(JSON.stringify(r)) as DrillResult).toEqual(r);
  });

  it('parses its arguments and refuses bad ones', () => {
    expect(parseSince('30d')).toBe(30 * DAY);
    expect(parseSince('12h')).toBe(12 * 3_600_000);
    expect(parseSince('2w')).toBe(14 * DAY);
    expect(() => parseSince('yesterday')).toThrow(/30d/);
    expect(parseWithout('origin=cn')).toEqual({ origin: 'CN' });
    expect(parseWithout('provider=deepseek')).toEqual({ provider: 'deepseek' });
    expect(() => parseWithout('country=CN')).toThrow(/origin=CC/);
  });
});

describe('reading the ledger store page by page', () => {
  it('loses and repeats nothing across pages, also when records share a timestamp at a page boundary', async () => {
    const base = Date.parse('2026-06-01T00:00:00.000Z');
    // 25 records, in groups of 5 sharing one millisecond.
    const all = Array.from({ length: 25 }, (_, i) => ({ ...LEDGER[0]!, id: `x${String(i).padStart(2, '0')}`, at: new Date(base + Math.floor(i / 5) * 1000).toISOString() }));
    const source = {
      async list(q: { before?: string; limit?: number }) {
        return all
          .filter((r) => q.before === undefined || r.at < q.before)
          .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? 1 : -1))
          .slice(0, q.limit ?? 100);
      },
    };
    const seen: string[] = [];
    for await (const r of ledgerReaderFromList(source, 7).records({ from: new Date(base + 1000).toISOString(), to: new Date(base + 10_000).toISOString() })) seen.push(r.id);
    expect(seen.sort()).toEqual(all.slice(5).map((r) => r.id));
  });
});

describe('POST /admin/drills', () => {
  const ADMIN = 'sk-admin-policy-drill-000000001';
  let gateway: Gateway;
  beforeAll(async () => {
    const env = { SWITCHBOARD_ADMIN_KEY: ADMIN, DEEPSEEK_API_KEY: 'x', TOGETHER_API_KEY: 'x', MISTRAL_API_KEY: 'x' };
    const config = parseConfigText('providers: { deepseek: {}, together: {}, mistral: {} }\nstorage: { database: "sqlite::memory:" }\n', 'drill', env);
    const now = Date.now();
    const recent = LEDGER.filter((r) => ['r1', 'r2', 'r3', 'r4'].includes(r.id)).map((r, i) => ({ ...r, at: new Date(now - (i + 1) * 3_600_000).toISOString() }));
    gateway = await startGateway({
      config,
      env,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('warn', new Writable({ write: (_c, _e, done) => done() })),
      catalogue: miniCatalogue(),
      ledgerReader: new MemoryLedgerReader(recent),
    });
  });
  afterAll(async () => {
    await gateway?.close(500);
  });

  const post = async (body: unknown) => {
    const res = await fetch(`${gateway.url}/admin/drills`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('answers the contract’s shape', async () => {
    const { status, body } = await post({ without: [{ provider: 'deepseek' }], since: '30d' });
    expect(status).toBe(200);
    expect(body.without).toEqual([{ provider: 'deepseek' }]);
    expect(body.affected).toEqual({ requests: 2, tokens: 1_800_000, costUsd: expect.closeTo(0.588, 9) });
    expect(body.rerouted[0]).toMatchObject({ from: 'deepseek/deepseek-v3.2@deepseek', to: 'deepseek/deepseek-v3.2@together', requests: 2, costDeltaUsd: expect.any(Number) });
    expect(body.unroutable).toMatchObject({ requests: 0 });
    for (const k of ['byDeveloper', 'byOrigin', 'byJurisdiction', 'byLicense']) expect(Array.isArray(body.concentration[k])).toBe(true);
  });

  it('refuses a malformed request with 400', async () => {
    expect((await post({ without: [] })).status).toBe(400);
    expect((await post({ without: [{ country: 'CN' }] })).status).toBe(400);
    expect((await post({ without: [{ origin: 'CN' }], since: 'forever' })).status).toBe(400);
  });
});
