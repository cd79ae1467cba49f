import { describe, expect, it } from 'vitest';
import { blockActive, blockReason } from '../../src/policy/blocks.js';
import type { Block, BlockSelector } from '../../src/policy/types.js';
import { noRouteError, planRoute } from '../../src/routing/planner.js';
import { host, layer, model, policyOf, providers, registry } from './fixtures.js';

const ds = model('deepseek/deepseek-v3.2', [host(providers.deepseek, [0.28, 0.42]), host(providers.together, [0.6, 1.7])], { origin: 'CN', openWeights: true, license: 'MIT', tier: 'strong' });
const qwen = model('qwen/qwen3-30b-a3b', [host(providers.lab, [0, 0])], { origin: 'CN', openWeights: true, license: 'Apache-2.0', tier: 'efficient' });
const mistral = model('mistralai/mistral-medium-3', [host(providers.mistral, [0.4, 2])], { origin: 'FR', openWeights: false, license: 'Proprietary', tier: 'strong' });
const reg = registry([ds, qwen, mistral]);
const env = { registry: reg, aliases: { fast: ['deepseek/deepseek-v3.2', 'mistralai/mistral-medium-3'] }, substitutes: { 'deepseek/deepseek-v3.2': ['qwen/qwen3-30b-a3b'] } };
const order = (plan: ReturnType<typeof planRoute>) => plan.attempts.map((a) => `${a.model.id}@${a.host.provider.id}`);

let n = 0;
function block(selector: BlockSelector, extra: Partial<Block> = {}): Block {
  return { id: `blk_${++n}`, selector, createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'admin-key', ...extra };
}

describe('the planner applies policies as a filter, with reasons', () => {
  it('leaves out what a policy refuses, naming the policy and the rule', () => {
    const plan = planRoute({ model: 'deepseek/deepseek-v3.2', provider: { sort: 'price' }, policy: policyOf(layer('no-cn-hosting', { denyJurisdictions: ['CN'] })) }, env);
    expect(order(plan)).toEqual(['deepseek/deepseek-v3.2@together']);
    expect(plan.exclusions).toContainEqual({
      model: 'deepseek/deepseek-v3.2',
      provider: 'deepseek',
      reason: 'policy no-cn-hosting: inference jurisdiction CN is denied (denyJurisdictions)',
      kind: 'policy',
    });
  });

  it('fallback lists and aliases obey policies too', () => {
    const noCn = policyOf(layer('no-cn', { denyOrigins: ['CN'] }));
    expect(order(planRoute({ model: 'deepseek/deepseek-v3.2', fallbackModels: ['qwen/qwen3-30b-a3b', 'mistralai/mistral-medium-3'], policy: noCn }, env))).toEqual([
      'mistralai/mistral-medium-3@mistral',
    ]);
    expect(order(planRoute({ model: 'fast', policy: noCn }, env))).toEqual(['mistralai/mistral-medium-3@mistral']);
  });

  it('OpenRouter hints narrow on top of policies', () => {
    const plan = planRoute({ model: 'deepseek/deepseek-v3.2', provider: { ignore: ['together'] }, policy: policyOf(layer('no-cn-hosting', { denyJurisdictions: ['CN'] })) }, env);
    expect(plan.attempts).toEqual([]);
    const err = noRouteError(plan, 'deepseek/deepseek-v3.2');
    expect(err.code).toBe('policy_denied');
    expect(err.status).toBe(403);
    expect(err.message).toContain('policy no-cn-hosting: inference jurisdiction CN is denied (denyJurisdictions)');
  });
});

describe('the planner applies blocks', () => {
  it('moves traffic to another host of the same model when a provider is blocked', () => {
    const b = block({ kind: 'provider', value: 'deepseek' }, { reason: 'incident 42' });
    const plan = planRoute({ model: 'deepseek/deepseek-v3.2', blocks: [b] }, env);
    expect(order(plan)).toEqual(['deepseek/deepseek-v3.2@together']);
    expect(plan.exclusions).toContainEqual({ model: 'deepseek/deepseek-v3.2', provider: 'deepseek', reason: `blocked by ${b.id} (provider deepseek): incident 42`, kind: 'block' });
  });

  it('sends a blocked model to its configured substitutes, after the request’s own fallbacks', () => {
    const b = block({ kind: 'model', value: 'deepseek/deepseek-v3.2' });
    expect(order(planRoute({ model: 'deepseek/deepseek-v3.2', blocks: [b] }, env))).toEqual(['qwen/qwen3-30b-a3b@lab']);
    expect(order(planRoute({ model: 'deepseek/deepseek-v3.2', fallbackModels: ['mistralai/mistral-medium-3'], blocks: [b] }, env))).toEqual([
      'mistralai/mistral-medium-3@mistral',
      'qwen/qwen3-30b-a3b@lab',
    ]);
    // Substitutes obey the request's policy like any other model.
    const plan = planRoute({ model: 'deepseek/deepseek-v3.2', blocks: [b], policy: policyOf(layer('priced', { maxPricePerMillion: { prompt: 10 }, allowProviders: ['deepseek', 'together'] })) }, env);
    expect(plan.attempts).toEqual([]);
    expect(noRouteError(plan, 'deepseek/deepseek-v3.2').code).toBe('no_route_blocked');
  });

  it('an origin block switches off every model of that country, EU meaning every member state', () => {
    expect(order(planRoute({ model: 'fast', blocks: [block({ kind: 'origin', value: 'CN' })] }, { ...env, substitutes: {} }))).toEqual(['mistralai/mistral-medium-3@mistral']);
    expect(order(planRoute({ model: 'fast', blocks: [block({ kind: 'origin', value: 'EU' })] }, env)).every((a) => !a.startsWith('mistralai'))).toBe(true);
  });

  it('no route because of a block is 503 naming the block (id, selector, reason); a policy alone is 403; neither is 400', () => {
    const b = block({ kind: 'origin', value: 'CN' }, { reason: 'sanctions review' });
    const blocked = planRoute({ model: 'qwen/qwen3-30b-a3b', blocks: [b] }, env);
    const err = noRouteError(blocked, 'qwen/qwen3-30b-a3b');
    expect(err.code).toBe('no_route_blocked');
    expect(err.status).toBe(503);
    expect(err.message).toContain(`blocked by ${b.id} (origin CN): sanctions review`);

    const denied = planRoute({ model: 'qwen/qwen3-30b-a3b', policy: policyOf(layer('no-cn', { denyOrigins: ['CN'] })) }, env);
    expect(noRouteError(denied, 'qwen/qwen3-30b-a3b').status).toBe(403);

    const plain = planRoute({ model: 'qwen/qwen3-30b-a3b', provider: { ignore: ['lab'] } }, env);
    expect(noRouteError(plain, 'qwen/qwen3-30b-a3b').status).toBe(400);
  });

  it('a host both refused by policy and blocked counts as refused by policy (lifting the block would not help)', () => {
    const b = block({ kind: 'provider', value: 'lab' });
    const plan = planRoute({ model: 'qwen/qwen3-30b-a3b', blocks: [b], policy: policyOf(layer('no-cn', { denyOrigins: ['CN'] })) }, env);
    expect(plan.exclusions.map((e) => e.kind)).toEqual(['policy']);
    expect(noRouteError(plan, 'qwen/qwen3-30b-a3b').code).toBe('policy_denied');
  });

  it('a block is in force until removed or until its expiry', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(blockActive(block({ kind: 'provider', value: 'x' }), now)).toBe(true);
    expect(blockActive(block({ kind: 'provider', value: 'x' }, { until: '2026-06-01T12:00:01Z' }), now)).toBe(true);
    expect(blockActive(block({ kind: 'provider', value: 'x' }, { until: '2026-06-01T12:00:00Z' }), now)).toBe(false);
    expect(blockActive(block({ kind: 'provider', value: 'x' }, { removedAt: '2026-05-01T00:00:00Z' }), now)).toBe(false);
    expect(blockReason(block({ kind: 'model', value: 'a/b' }, { id: 'blk_x' }))).toBe('blocked by blk_x (model a/b)');
  });
});
