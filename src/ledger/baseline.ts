import { hostPricing, type Catalogue } from '../catalog/catalogue.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { HostPricing } from '../catalog/types.js';

export interface Baseline {
  /** Canonical id of the baseline model. */
  model: string;
  /** Its first-party price; undefined when the catalogue has none (then no baseline cost is recorded). */
  pricing?: HostPricing;
  /** Where the price came from: `catalogue:<provider>` or `registry:<provider>`. */
  source?: string;
}

/**
 * The baseline's price: the catalogue's first-party host of the model (the host run by its developer: provider id
 * equal to the id's author, e.g. `anthropic` for `anthropic/claude-sonnet-4.5`, or a provider of the same company),
 * else the first priced host the catalogue lists, else the first priced host this gateway routes to. The price is
 * read once at start; a baseline the catalogue does not know is reported and records carry no baseline cost.
 */
export function resolveBaseline(model: string, catalogue: Catalogue | undefined, registry: ModelRegistry | undefined): Baseline {
  const entry = catalogue?.model(model);
  if (entry) {
    const author = entry.id.split('/')[0];
    const firstParty =
      entry.hosts.find((h) => h.provider === author && h.pricing) ??
      entry.hosts.find((h) => h.pricing && catalogue?.provider(h.provider)?.company.toLowerCase() === entry.developer.toLowerCase()) ??
      entry.hosts.find((h) => h.pricing);
    if (firstParty) return { model: entry.id, pricing: hostPricing(firstParty), source: `catalogue:${firstParty.provider}` };
  }
  const routed = registry?.resolve(model);
  if (routed) {
    const author = routed.id.split('/')[0];
    const host = routed.hosts.find((h) => h.provider.id === author && h.pricing) ?? routed.hosts.find((h) => h.pricing);
    if (host?.pricing) return { model: routed.id, pricing: host.pricing, source: `registry:${host.provider.id}` };
  }
  return { model: entry?.id ?? routed?.id ?? model };
}
