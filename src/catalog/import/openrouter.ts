import type { Catalogue } from '../catalogue.js';
import { diffOffers, usableInt, usablePrice, type HostOffer, type ImportResult, type ImportSource, type Prices } from './common.js';

/**
 * OpenRouter's `GET /api/v1/models` response: `{ data: [{ id, context_length, pricing, top_provider }] }`, prices as
 * strings in USD per token. An entry updates the catalogue's `openrouter` host whose name is the OpenRouter id
 * (normally a host of the model with that same catalogue id).
 */

export const OPENROUTER_SOURCE: ImportSource = {
  key: 'openrouter',
  name: 'OpenRouter /api/v1/models',
  url: 'https://openrouter.ai/api/v1/models',
};

export const OPENROUTER_PROVIDER = 'openrouter';

export interface OpenRouterModel {
  id: string;
  context_length?: number | null;
  pricing?: { prompt?: string; completion?: string; input_cache_read?: string; input_cache_write?: string; [k: string]: unknown };
  top_provider?: { context_length?: number | null; max_completion_tokens?: number | null; [k: string]: unknown } | null;
  [k: string]: unknown;
}

export function openRouterModels(json: unknown): OpenRouterModel[] {
  const data = typeof json === 'object' && json !== null ? (json as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new Error('not an OpenRouter models response: expected { "data": [ … ] }');
  return data.filter((m): m is OpenRouterModel => typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string');
}

/**
 * Why an entry's price cannot be imported: negative prompt/completion prices mean "variable" (routers such as
 * `openrouter/auto`) and zero means a free tier; neither may ever land in the catalogue as a price of 0.
 */
export function unusablePriceReason(model: OpenRouterModel): string | undefined {
  const values = [model.pricing?.prompt, model.pricing?.completion].map((v) => Number(v));
  if (values.some((v) => !Number.isFinite(v))) return 'no prompt/completion price';
  if (values.some((v) => v < 0)) return 'variable price (negative)';
  if (values.some((v) => v === 0)) return 'free tier (price 0)';
  return undefined;
}

/** One OpenRouter entry as a host offer (USD per 1M tokens). Assumes unusablePriceReason(model) is undefined. */
export function openRouterOffer(model: OpenRouterModel): HostOffer {
  const pricing: Prices = {};
  const set = (key: keyof Prices, value: unknown) => {
    const price = usablePrice(value);
    if (price !== undefined) pricing[key] = price;
  };
  set('input', model.pricing?.prompt);
  set('cachedInput', model.pricing?.input_cache_read);
  set('cacheWrite', model.pricing?.input_cache_write);
  set('output', model.pricing?.completion);
  const offer: HostOffer = { pricing, tiers: [] };
  const contextLength = usableInt(model.context_length);
  const maxOutput = usableInt(model.top_provider?.max_completion_tokens);
  if (contextLength !== undefined) offer.contextLength = contextLength;
  if (maxOutput !== undefined) offer.maxOutput = maxOutput;
  return offer;
}

/** The changes an OpenRouter models response implies for the catalogue's existing `openrouter` hosts. */
export function diffOpenRouter(json: unknown, catalogue: Catalogue): ImportResult {
  const models = openRouterModels(json);
  const skipped: Record<string, number> = {};
  const offers: { provider: string; name: string; label: string; offer: HostOffer }[] = [];
  for (const model of models) {
    const reason = unusablePriceReason(model);
    if (reason) {
      skipped[reason] = (skipped[reason] ?? 0) + 1;
      continue;
    }
    offers.push({ provider: OPENROUTER_PROVIDER, name: model.id, label: model.id, offer: openRouterOffer(model) });
  }
  return { entries: models.length, skipped, ...diffOffers(catalogue, offers) };
}
