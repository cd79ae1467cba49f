import type { Usage } from '../canonical/usage.js';
import type { Pricing } from './types.js';

/**
 * Money is integer inside: prices in micro-dollars per million tokens (µ$/M) and costs in nano-dollars (n$).
 * tokens × µ$/M is an exact integer number of pico-dollars; it is rounded once, to nano-dollars, per request.
 * At the largest real prices ($600/M) a 10M-token request is 6e15 p$, still inside 2^53.
 */
export type MicroUsdPerMillion = number;
export type NanoUsd = number;

export function toMicroUsdPerMillion(usdPerToken: number): MicroUsdPerMillion {
  return Math.round(usdPerToken * 1e12);
}

export function nanoToUsd(nano: NanoUsd): number {
  return nano / 1e9;
}

export type CostResult =
  | { status: 'priced'; nanoUsd: NanoUsd }
  | { status: 'unpriced'; reason: string };

/**
 * The cost of one response from its actual usage: cached input at its own price (falling back to the plain
 * input price when the host has no cache discount), cache writes at theirs, reasoning as output (it is already
 * inside outputTokens, so it is counted once).
 */
export function computeCost(usage: Usage, pricing: Pricing | undefined): CostResult {
  if (!pricing || pricing.prompt === undefined || pricing.completion === undefined) {
    return { status: 'unpriced', reason: 'no price is known for this host' };
  }
  if (usage.inputTokens === undefined || usage.outputTokens === undefined) {
    return { status: 'unpriced', reason: 'the host did not report usage' };
  }
  const input = toMicroUsdPerMillion(pricing.prompt);
  const output = toMicroUsdPerMillion(pricing.completion);
  const cachedPrice = pricing.cachedPrompt !== undefined ? toMicroUsdPerMillion(pricing.cachedPrompt) : input;
  const writePrice = pricing.cacheWrite !== undefined ? toMicroUsdPerMillion(pricing.cacheWrite) : input;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const written = Math.min(usage.cacheWriteTokens ?? 0, usage.inputTokens - cached);
  const plain = usage.inputTokens - cached - written;
  const picoUsd = plain * input + cached * cachedPrice + written * writePrice + usage.outputTokens * output;
  return { status: 'priced', nanoUsd: Math.round(picoUsd / 1000) };
}
