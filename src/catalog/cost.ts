import type { Usage } from '../canonical/usage.js';
import type { HostPricing, PriceSet } from './types.js';

/**
 * Money is integer inside: prices in micro-dollars per million tokens (µ$/M) and costs in nano-dollars (n$).
 * tokens × µ$/M is an exact integer number of pico-dollars; it is rounded once, to nano-dollars, per request.
 * At the largest real prices ($600/M) a 10M-token request is 6e15 p$, still inside 2^53.
 */
export type MicroUsdPerMillion = number;
export type NanoUsd = number;

/** USD per token (the contract's and OpenRouter's unit) to µ$/M. */
export function toMicroUsdPerMillion(usdPerToken: number): MicroUsdPerMillion {
  return Math.round(usdPerToken * 1e12);
}

/** µ$/M back to USD per token, for the wire. */
export function microToUsdPerToken(micro: MicroUsdPerMillion): number {
  return micro / 1e12;
}

/** µ$/M as an exact decimal string of USD per token ("0.00000028"), as OpenRouter writes prices. */
export function formatUsdPerToken(micro: MicroUsdPerMillion): string {
  if (!Number.isInteger(micro) || micro < 0) throw new RangeError(`not a price in µ$/M: ${micro}`);
  const digits = String(micro).padStart(13, '0');
  const whole = digits.slice(0, -12);
  const fraction = digits.slice(-12).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

export function nanoToUsd(nano: NanoUsd): number {
  return nano / 1e9;
}

export type CostResult =
  | { status: 'priced'; nanoUsd: NanoUsd }
  | { status: 'unpriced'; reason: string };

/** The prices that apply to a prompt of this size: the highest tier whose threshold it passes. */
export function pricesFor(pricing: HostPricing, inputTokens: number): PriceSet {
  let chosen: PriceSet = pricing;
  for (const tier of pricing.tiers ?? []) if (inputTokens > tier.aboveInputTokens) chosen = tier;
  return chosen;
}

/**
 * The cost of one response from its actual usage: cached input at its own price (falling back to the plain
 * input price when the host has no cache discount), cache writes at theirs, reasoning as output (it is already
 * inside outputTokens, so it is counted once), context tiers applied.
 */
export function computeCost(usage: Usage, pricing: HostPricing | undefined): CostResult {
  if (!pricing) return { status: 'unpriced', reason: 'no price is known for this host' };
  if (usage.inputTokens === undefined || usage.outputTokens === undefined) {
    return { status: 'unpriced', reason: 'the host did not report usage' };
  }
  const prices = pricesFor(pricing, usage.inputTokens);
  const cachedPrice = prices.cachedInput ?? prices.input;
  const writePrice = prices.cacheWrite ?? prices.input;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const written = Math.min(usage.cacheWriteTokens ?? 0, usage.inputTokens - cached);
  const plain = usage.inputTokens - cached - written;
  const picoUsd = plain * prices.input + cached * cachedPrice + written * writePrice + usage.outputTokens * prices.output;
  return { status: 'priced', nanoUsd: Math.round(picoUsd / 1000) };
}
