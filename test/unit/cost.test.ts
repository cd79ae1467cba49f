import { describe, expect, it } from 'vitest';
import { computeCost, toMicroUsdPerMillion } from '../../src/catalog/cost.js';

describe('cost arithmetic', () => {
  it('converts USD per token to integer micro-dollars per million without float drift', () => {
    expect(toMicroUsdPerMillion(0.0000002)).toBe(200_000);
    expect(toMicroUsdPerMillion(0.00000028)).toBe(280_000);
    expect(toMicroUsdPerMillion(0.000015)).toBe(15_000_000);
    expect(toMicroUsdPerMillion(0)).toBe(0);
  });

  it('prices input, cached input and output separately (hand-computed)', () => {
    // 1000 input of which 400 cached, 500 output; $0.28/M in, $0.028/M cached, $0.42/M out.
    // plain 600 × 0.28 = 168 µ$... in pico: 600×280000 + 400×28000 + 500×420000 = 168e6 + 11.2e6 + 210e6 = 389.2e6 p$ = 389200 n$
    const cost = computeCost({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 500 }, { prompt: 0.00000028, cachedPrompt: 0.000000028, completion: 0.00000042 });
    expect(cost).toEqual({ status: 'priced', nanoUsd: 389_200 });
  });

  it('counts reasoning once, inside output', () => {
    const withReasoning = computeCost({ inputTokens: 10, outputTokens: 100, reasoningTokens: 80 }, { prompt: 0.000001, completion: 0.000002 });
    expect(withReasoning).toEqual({ status: 'priced', nanoUsd: 10 * 1000 + 100 * 2000 });
  });

  it('prices cache writes at their own rate', () => {
    // 100 plain × $3/M + 1000 written × $3.75/M + 50 out × $15/M = 300 + 3750 + 750 = 4800 n$
    const cost = computeCost({ inputTokens: 1100, cacheWriteTokens: 1000, outputTokens: 50 }, { prompt: 0.000003, cacheWrite: 0.00000375, completion: 0.000015 });
    expect(cost).toEqual({ status: "priced", nanoUsd: 4_800_000 });
  });

  it('does not round a tiny request to zero', () => {
    const cost = computeCost({ inputTokens: 1, outputTokens: 1 }, { prompt: 0.00000002, completion: 0.00000005 });
    expect(cost.status === 'priced' && cost.nanoUsd).toBeGreaterThan(0);
  });

  it('says unpriced, never 0, when the price or the usage is unknown', () => {
    expect(computeCost({ inputTokens: 1, outputTokens: 1 }, undefined).status).toBe('unpriced');
    expect(computeCost({ inputTokens: 1, outputTokens: 1 }, { prompt: 0.000001 }).status).toBe('unpriced');
    expect(computeCost({ inputTokens: 1 }, { prompt: 0.000001, completion: 0.000001 }).status).toBe('unpriced');
    expect(computeCost({ inputTokens: 5, outputTokens: 5 }, { prompt: 0, completion: 0 })).toEqual({ status: 'priced', nanoUsd: 0 });
  });
});
