import type { Catalogue } from './catalogue.js';
import { matchesCountry } from './regions.js';
import type { CatalogHost, CatalogModel } from './schema.js';

/** Filters and summaries behind `switchboard catalog list|show`. */

export const capabilityNames = ['tools', 'jsonSchema', 'reasoning', 'vision'] as const;
export type CapabilityName = (typeof capabilityNames)[number];

export interface ModelFilter {
  /** Country rules (`CN`, `EU`, …); a model matches any of them. */
  origins?: string[];
  license?: string;
  openWeights?: boolean;
  /** Every one is required. */
  capabilities?: CapabilityName[];
  tiers?: string[];
  /** Models hosted by this provider. */
  provider?: string;
}

export function filterModels(catalogue: Catalogue, filter: ModelFilter): CatalogModel[] {
  return catalogue.models().filter((model) => {
    if (filter.origins?.length && !filter.origins.some((rule) => matchesCountry(rule, model.origin))) return false;
    if (filter.license && model.license.id.toLowerCase() !== filter.license.toLowerCase()) return false;
    if (filter.openWeights !== undefined && model.openWeights !== filter.openWeights) return false;
    if (filter.capabilities?.some((c) => !model.capabilities[c])) return false;
    if (filter.tiers?.length && !filter.tiers.includes(model.tier)) return false;
    if (filter.provider && !model.hosts.some((h) => h.provider === filter.provider)) return false;
    return true;
  });
}

/** The priced host with the lowest input + output price (optionally among one provider's hosts). */
export function cheapestHost(model: CatalogModel, provider?: string): CatalogHost | undefined {
  let best: CatalogHost | undefined;
  for (const host of model.hosts) {
    if (!host.pricing || (provider && host.provider !== provider)) continue;
    if (!best?.pricing || host.pricing.input + host.pricing.output < best.pricing.input + best.pricing.output) best = host;
  }
  return best;
}

export interface ModelSummary {
  id: string;
  name: string;
  developer: string;
  origin: string;
  openWeights: boolean;
  license: string;
  tier: string;
  contextLength: number;
  maxOutput: number | null;
  capabilities: CatalogModel['capabilities'];
  /** USD per 1M tokens at the cheapest priced host; null when no host is priced. */
  cheapest: { provider: string; host: string; input: number; output: number } | null;
  hosts: number;
  providers: string[];
}

export function summarizeModel(model: CatalogModel, provider?: string): ModelSummary {
  const cheap = cheapestHost(model, provider);
  return {
    id: model.id,
    name: model.name,
    developer: model.developer,
    origin: model.origin,
    openWeights: model.openWeights,
    license: model.license.id,
    tier: model.tier,
    contextLength: model.contextLength,
    maxOutput: model.maxOutput ?? null,
    capabilities: model.capabilities,
    cheapest: cheap?.pricing ? { provider: cheap.provider, host: cheap.name, input: cheap.pricing.input, output: cheap.pricing.output } : null,
    hosts: model.hosts.length,
    providers: [...new Set(model.hosts.map((h) => h.provider))],
  };
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Model ids whose id or alias is close to `query` (substring, or a small edit distance), best first. */
export function closeMatches(catalogue: Catalogue, query: string, limit = 5): string[] {
  const q = query.toLowerCase();
  const scored: { id: string; score: number }[] = [];
  for (const model of catalogue.models()) {
    let score = Infinity;
    for (const name of [model.id, ...model.aliases].map((n) => n.toLowerCase())) {
      const bare = name.slice(name.indexOf('/') + 1);
      if (q.length >= 3 && (name.includes(q) || (bare.length >= 3 && q.includes(bare)))) score = Math.min(score, 0);
      score = Math.min(score, editDistance(q, name), editDistance(q, bare));
    }
    if (score <= Math.max(2, Math.floor(q.length / 3))) scored.push({ id: model.id, score });
  }
  return scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id)).slice(0, limit).map((s) => s.id);
}
