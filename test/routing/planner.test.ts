import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/catalog/registry.js';
import { DEFAULT_TIMEOUTS, type HostRoute, type ModelInfo, type ResolvedProvider } from '../../src/catalog/types.js';
import { requestFeatures } from '../../src/routing/features.js';
import { hostKey } from '../../src/routing/host-key.js';
import { planRoute, type HealthView } from '../../src/routing/planner.js';
import type { ChatRequest } from '../../src/canonical/index.js';

function provider(id: string, extra: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return { id, type: 'openai-compatible', baseURL: `http://127.0.0.1:9/${id}`, apiKeys: [], headers: {}, selfHosted: false, timeouts: DEFAULT_TIMEOUTS, maxConnections: 1, ...extra };
}

function host(p: ResolvedProvider, price?: [number, number], extra: Partial<HostRoute> = {}): HostRoute {
  return { provider: p, upstreamModel: `${p.id}-model`, ...(price ? { pricing: { input: price[0], output: price[1] } } : {}), ...extra };
}

function model(id: string, hosts: HostRoute[], extra: Partial<ModelInfo> = {}): ModelInfo {
  return { id, name: id, aliases: [], inCatalogue: true, contextLength: 128_000, capabilities: { tools: true, jsonSchema: true, reasoning: false, vision: false }, hosts, ...extra };
}

function registry(models: ModelInfo[]): ModelRegistry {
  const providers = new Map<string, ResolvedProvider>();
  for (const m of models) for (const h of m.hosts) providers.set(h.provider.id, h.provider);
  return new ModelRegistry(providers, models);
}

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'a/m', messages: [{ role: 'user', content: 'hi' }], stream: false, includeUsage: false, extra: {}, ...extra });
const order = (plan: ReturnType<typeof planRoute>) => plan.attempts.map((a) => `${a.model.id}@${a.host.provider.id}`);

const cheap = provider('cheap');
const mid = provider('mid');
const dear = provider('dear');
const unpriced = provider('unpriced');
const free = provider('free', { selfHosted: true });
const main = model('a/m', [host(dear, [3_000_000, 15_000_000]), host(unpriced), host(mid, [1_000_000, 4_000_000]), host(cheap, [200_000, 800_000]), host(free, [0, 0])]);
const backup = model('b/m', [host(provider('backup'), [500_000, 500_000])]);
const reg = registry([main, backup]);
const env = { registry: reg, aliases: { fast: ['b/m', 'a/m'] } };

describe('planner ordering', () => {
  it('sort=price: free first, then cheapest to dearest, unpriced last', () => {
    expect(order(planRoute({ model: 'a/m', provider: { sort: 'price' } }, env))).toEqual(['a/m@free', 'a/m@cheap', 'a/m@mid', 'a/m@dear', 'a/m@unpriced']);
  });

  it('tries model first, then models[] in order, and expands aliases', () => {
    expect(order(planRoute({ model: 'b/m', fallbackModels: ['a/m'], provider: { sort: 'price' } }, env))[0]).toBe('b/m@backup');
    expect(order(planRoute({ model: 'fast', provider: { sort: 'price' } }, env))).toEqual(['b/m@backup', 'a/m@free', 'a/m@cheap', 'a/m@mid', 'a/m@dear', 'a/m@unpriced']);
  });

  it('provider.order first, and allow_fallbacks: false keeps to it while models[] still falls back', () => {
    expect(order(planRoute({ model: 'a/m', provider: { order: ['dear', 'mid'] } }, env)).slice(0, 2)).toEqual(['a/m@dear', 'a/m@mid']);
    expect(order(planRoute({ model: 'a/m', fallbackModels: ['b/m'], provider: { order: ['dear'], allowFallbacks: false } }, env))).toEqual(['a/m@dear']);
    const withFallbackModel = planRoute({ model: 'a/m', fallbackModels: ['b/m'], provider: { order: ['dear', 'backup'], allowFallbacks: false } }, env);
    expect(order(withFallbackModel)).toEqual(['a/m@dear', 'b/m@backup']);
  });

  it('only, ignore and max_price exclude with reasons; max_price drops unpriced hosts', () => {
    const plan = planRoute({ model: 'a/m', provider: { ignore: ['dear'], maxPrice: { prompt: 1, completion: 4 } } }, env);
    expect(order(plan).sort()).toEqual(['a/m@cheap', 'a/m@free', 'a/m@mid']);
    expect(plan.exclusions).toEqual(
      expect.arrayContaining([
        { model: 'a/m', provider: 'dear', reason: 'in provider.ignore' },
        { model: 'a/m', provider: 'unpriced', reason: 'unpriced, and the request sets provider.max_price' },
      ]),
    );
  });

  it('spreads load towards cheaper hosts by inverse square of price, and an affinity keeps its host', () => {
    const priced = model('p/m', [host(provider('one'), [1_000_000, 1_000_000]), host(provider('two'), [2_000_000, 2_000_000])]);
    const e = { registry: registry([priced]), aliases: {} };
    const counts = { one: 0, two: 0 };
    for (let i = 0; i < 1000; i++) counts[planRoute({ model: 'p/m', affinity: i / 1000 }, e).attempts[0]!.host.provider.id as 'one' | 'two']++;
    // Weights 1/1² : 1/2² = 4 : 1, so "one" takes 80%.
    expect(counts.one).toBe(800);
    expect(planRoute({ model: 'p/m', affinity: 0.42 }, e).attempts[0]!.host.provider.id).toBe(planRoute({ model: 'p/m', affinity: 0.42 }, e).attempts[0]!.host.provider.id);
  });

  it('filters hosts that cannot serve the request, each with a reason', () => {
    const small = model('s/m', [host(provider('tiny'), [1, 1], { contextLength: 4096, maxOutput: 1024 }), host(provider('big'), [2, 2], { contextLength: 200_000 })], {
      capabilities: { tools: true, jsonSchema: false, reasoning: false, vision: false },
      contextLength: undefined,
    });
    const e = { registry: registry([small]), aliases: {} };
    const long = planRoute({ model: 's/m', features: requestFeatures(request({ maxTokens: 2000 }), 10_000) }, e);
    expect(order(long)).toEqual(['s/m@big']);
    expect(long.exclusions[0]).toEqual({ model: 's/m', provider: 'tiny', reason: '~10000 prompt tokens + 2000 output exceed the context window of 4096' });
    const schema = planRoute({ model: 's/m', features: requestFeatures(request({ responseFormat: { type: 'json_schema', name: 'x' } }), 10) }, e);
    expect(schema.attempts).toEqual([]);
    expect(schema.exclusions.map((x) => x.reason)).toEqual(['the model does not support JSON-schema output', 'the model does not support JSON-schema output']);
    const images = planRoute({ model: 's/m', features: requestFeatures(request({ messages: [{ role: 'user', content: [{ type: 'image', url: 'https://x/y.png' }] }] }), 10) }, e);
    expect(images.exclusions[0]!.reason).toBe('the model does not accept images');
  });

  it('require_parameters keeps hosts that declare every parameter the request sets', () => {
    const m = model('r/m', [host(provider('declares'), [1, 1], { supportedParameters: ['tools', 'temperature'] }), host(provider('silent'), [1, 1])]);
    const plan = planRoute({ model: 'r/m', provider: { requireParameters: true }, features: requestFeatures(request({ temperature: 0.2 }), 10) }, { registry: registry([m]), aliases: {} });
    expect(order(plan)).toEqual(['r/m@declares']);
  });

  it('puts hosts the health view excludes out, and re-admitted ones last', () => {
    const health: HealthView = {
      usable: (keys) => ({
        usable: keys.filter((k) => !k.startsWith('cheap')),
        excluded: keys.filter((k) => k.startsWith('cheap')).map((key) => ({ key, reason: 'breaker open' })),
      }),
      snapshot: () => undefined,
    };
    const plan = planRoute({ model: 'a/m', provider: { sort: 'price' } }, { ...env, health });
    expect(order(plan)).not.toContain('a/m@cheap');
    expect(plan.exclusions).toContainEqual({ model: 'a/m', provider: 'cheap', reason: 'breaker open' });
    const readmitting: HealthView = {
      usable: (keys) => ({ usable: keys, excluded: [], readmitted: [{ key: hostKey('free', 'free-model'), reason: 're-admitted' }] }),
      snapshot: () => undefined,
    };
    expect(order(planRoute({ model: 'a/m', provider: { sort: 'price' } }, { ...env, health: readmitting })).at(-1)).toBe('a/m@free');
  });

  it('sort=latency and throughput use measured stats, unmeasured hosts last', () => {
    const stats: Record<string, { ttftMs?: number; tokensPerSecond?: number }> = { dear: { ttftMs: 100, tokensPerSecond: 20 }, mid: { ttftMs: 300, tokensPerSecond: 90 } };
    const health: HealthView = { usable: (keys) => ({ usable: keys, excluded: [] }), snapshot: (key) => stats[key.split('\u0000')[0]!] };
    expect(order(planRoute({ model: 'a/m', provider: { sort: 'latency' } }, { ...env, health })).slice(0, 2)).toEqual(['a/m@dear', 'a/m@mid']);
    expect(order(planRoute({ model: 'a/m', provider: { sort: 'throughput' } }, { ...env, health })).slice(0, 2)).toEqual(['a/m@mid', 'a/m@dear']);
  });
});

describe('planner properties', () => {
  const arbHost = fc.record({
    id: fc.stringMatching(/^[a-z]{1,6}$/),
    price: fc.option(fc.tuple(fc.integer({ min: 0, max: 50_000_000 }), fc.integer({ min: 0, max: 50_000_000 })), { nil: undefined }),
  });
  const arbHosts = fc.uniqueArray(arbHost, { minLength: 1, maxLength: 12, selector: (h) => h.id });

  it('a plan lists every unfiltered host exactly once, and sort=price never puts an unpriced host before a priced one', () => {
    fc.assert(
      fc.property(arbHosts, fc.double({ min: 0, max: 0.999999, noNaN: true }), (hosts, affinity) => {
        const m = model('x/m', hosts.map((h) => host(provider(h.id), h.price)));
        const e = { registry: registry([m]), aliases: {} };
        for (const sort of [undefined, 'price'] as const) {
          const plan = planRoute({ model: 'x/m', affinity, ...(sort ? { provider: { sort } } : {}) }, e);
          const ids = plan.attempts.map((a) => a.host.provider.id);
          expect([...ids].sort()).toEqual(hosts.map((h) => h.id).sort());
          if (sort === 'price') {
            const classes = plan.attempts.map((a) => (a.host.pricing ? (a.host.pricing.input + a.host.pricing.output === 0 ? 0 : 1) : 2));
            expect(classes).toEqual([...classes].sort((a, b) => a - b));
            const costs = plan.attempts.filter((a) => a.host.pricing).map((a) => 1000 * a.host.pricing!.input + 1000 * a.host.pricing!.output);
            expect(costs).toEqual([...costs].sort((a, b) => a - b));
          } else {
            // The default only moves one host of the cheapest class to the front; unpriced never precede priced.
            const firstUnpriced = plan.attempts.findIndex((a) => !a.host.pricing);
            const lastPriced = plan.attempts.map((a) => !!a.host.pricing).lastIndexOf(true);
            if (firstUnpriced !== -1 && lastPriced !== -1) expect(firstUnpriced).toBeGreaterThan(lastPriced);
          }
        }
      }),
    );
  });

  it('every excluded host has a reason and no host is both planned and excluded', () => {
    fc.assert(
      fc.property(arbHosts, fc.integer({ min: 0, max: 3_000_000 }), (hosts, maxPrice) => {
        const m = model('x/m', hosts.map((h) => host(provider(h.id), h.price)));
        const plan = planRoute({ model: 'x/m', provider: { maxPrice: { prompt: maxPrice / 1e6, completion: maxPrice / 1e6 } } }, { registry: registry([m]), aliases: {} });
        const planned = new Set(plan.attempts.map((a) => a.host.provider.id));
        for (const ex of plan.exclusions) {
          expect(ex.reason.length).toBeGreaterThan(0);
          expect(planned.has(ex.provider)).toBe(false);
        }
        expect(planned.size + plan.exclusions.length).toBe(hosts.length);
      }),
    );
  });
});
