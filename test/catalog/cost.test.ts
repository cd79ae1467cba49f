import { describe, expect, it } from 'vitest';
import { computeCost, formatUsdPerToken, microToUsdPerToken, pricesFor, toMicroUsdPerMillion } from '../../src/catalog/cost.js';
import { usdPerMillionToMicro } from '../../src/catalog/catalogue.js';
import type { HostPricing } from '../../src/catalog/types.js';

/** Prices in USD per million tokens, as people write them. */
function perMillion(p: { input: number; output: number; cachedInput?: number; cacheWrite?: number }): HostPricing {
  return {
    input: usdPerMillionToMicro(p.input),
    output: usdPerMillionToMicro(p.output),
    ...(p.cachedInput !== undefined ? { cachedInput: usdPerMillionToMicro(p.cachedInput) } : {}),
    ...(p.cacheWrite !== undefined ? { cacheWrite: usdPerMillionToMicro(p.cacheWrite) } : {}),
  };
}

describe('price units', () => {
  it('converts both units to integer micro-dollars per million without float drift', () => {
    expect(toMicroUsdPerMillion(0.0000002)).toBe(200_000);
    expect(toMicroUsdPerMillion(0.00000028)).toBe(280_000);
    expect(toMicroUsdPerMillion(0.000015)).toBe(15_000_000);
    expect(usdPerMillionToMicro(0.028)).toBe(28_000);
    expect(usdPerMillionToMicro(1.25)).toBe(1_250_000);
    expect(usdPerMillionToMicro(0.269)).toBe(269_000);
    expect(microToUsdPerToken(280_000)).toBe(2.8e-7);
    expect(formatUsdPerToken(280_000)).toBe('0.00000028');
    expect(formatUsdPerToken(15_000_000)).toBe('0.000015');
    expect(formatUsdPerToken(0)).toBe('0');
    expect(formatUsdPerToken(1)).toBe('0.000000000001');
    expect(formatUsdPerToken(2_000_000_000_000)).toBe('2');
  });
});

describe('cost of a response (hand-computed)', () => {
  it('plain input and output', () => {
    // 1000 × $0.60/M + 200 × $1.70/M = 600 µ$ + 340 µ$ = 940 µ$ = 940,000 n$
    expect(computeCost({ inputTokens: 1000, outputTokens: 200 }, perMillion({ input: 0.6, output: 1.7 }))).toEqual({ status: 'priced', nanoUsd: 940_000 });
  });

  it('cached input at its own price', () => {
    // 600 × 0.28 + 400 × 0.028 + 500 × 0.42 = 168 + 11.2 + 210 µ$ = 389.2 µ$
    const cost = computeCost({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 500 }, perMillion({ input: 0.28, cachedInput: 0.028, output: 0.42 }));
    expect(cost).toEqual({ status: 'priced', nanoUsd: 389_200 });
  });

  it('cached input at the input price when the host has no cache discount', () => {
    // (1000 × 0.6 + 100 × 1.7) µ$ = 770 µ$
    expect(computeCost({ inputTokens: 1000, cachedInputTokens: 900, outputTokens: 100 }, perMillion({ input: 0.6, output: 1.7 }))).toEqual({ status: 'priced', nanoUsd: 770_000 });
  });

  it('cache writes at their own price', () => {
    // 100 × $3/M + 1000 × $3.75/M + 50 × $15/M = 300 + 3750 + 750 µ$ = 4800 µ$
    const cost = computeCost({ inputTokens: 1100, cacheWriteTokens: 1000, outputTokens: 50 }, perMillion({ input: 3, cacheWrite: 3.75, output: 15 }));
    expect(cost).toEqual({ status: 'priced', nanoUsd: 4_800_000 });
  });

  it('reasoning counted once, as output', () => {
    // 10 × $1/M + 100 × $2/M (80 of them reasoning, already inside the 100) = 10 + 200 µ$
    expect(computeCost({ inputTokens: 10, outputTokens: 100, reasoningTokens: 80 }, perMillion({ input: 1, output: 2 }))).toEqual({ status: 'priced', nanoUsd: 210_000 });
  });

  it('context tiers: the tier applies above its threshold', () => {
    const pricing: HostPricing = {
      ...perMillion({ input: 1.25, output: 10, cachedInput: 0.125 }),
      tiers: [{ aboveInputTokens: 200_000, ...perMillion({ input: 2.5, output: 15, cachedInput: 0.25 }) }],
    };
    expect(pricesFor(pricing, 200_000).input).toBe(1_250_000);
    expect(pricesFor(pricing, 200_001).input).toBe(2_500_000);
    // 200,000 × 1.25 + 1000 × 10 = 250,000 + 10,000 µ$
    expect(computeCost({ inputTokens: 200_000, outputTokens: 1000 }, pricing)).toEqual({ status: 'priced', nanoUsd: 260_000_000 });
    // 300,000 tokens, 100,000 cached: 200,000 × 2.5 + 100,000 × 0.25 + 1000 × 15 = 500,000 + 25,000 + 15,000 µ$
    expect(computeCost({ inputTokens: 300_000, cachedInputTokens: 100_000, outputTokens: 1000 }, pricing)).toEqual({ status: 'priced', nanoUsd: 540_000_000 });
  });

  it('a tiny request at the cheapest real price is not rounded to zero', () => {
    // 1 × $0.02/M + 1 × $0.05/M = 0.07 µ$ = 70 n$
    expect(computeCost({ inputTokens: 1, outputTokens: 1 }, perMillion({ input: 0.02, output: 0.05 }))).toEqual({ status: 'priced', nanoUsd: 70 });
  });

  it('free is 0, unknown is unpriced — never the same thing', () => {
    expect(computeCost({ inputTokens: 5, outputTokens: 5 }, perMillion({ input: 0, output: 0 }))).toEqual({ status: 'priced', nanoUsd: 0 });
    expect(computeCost({ inputTokens: 1, outputTokens: 1 }, undefined).status).toBe('unpriced');
    expect(computeCost({ inputTokens: 1 }, perMillion({ input: 1, output: 1 })).status).toBe('unpriced');
  });
});
