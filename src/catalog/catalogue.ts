import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { catalogSchema, type CatalogFile, type CatalogHost, type CatalogModel, type CatalogProvider } from './schema.js';
import type { HostPricing, PriceSet } from './types.js';

/** The catalogue shipped with the project: resolved relative to this module, from src/ and from dist/ alike. */
export const DEFAULT_CATALOGUE_PATH = fileURLToPath(new URL('../../catalog/catalog.yaml', import.meta.url));

/** USD per million tokens (the file's unit) to integer micro-dollars per million. */
export function usdPerMillionToMicro(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1e6);
}

function priceSet(p: { input: number; output: number; cachedInput?: number; cacheWrite?: number }): PriceSet {
  const out: PriceSet = { input: usdPerMillionToMicro(p.input), output: usdPerMillionToMicro(p.output) };
  if (p.cachedInput !== undefined) out.cachedInput = usdPerMillionToMicro(p.cachedInput);
  if (p.cacheWrite !== undefined) out.cacheWrite = usdPerMillionToMicro(p.cacheWrite);
  return out;
}

export function hostPricing(host: CatalogHost): HostPricing | undefined {
  if (!host.pricing) return undefined;
  const pricing: HostPricing = priceSet(host.pricing);
  if (host.tiers && host.tiers.length > 0) {
    pricing.tiers = host.tiers
      .map((tier) => ({ ...priceSet(tier), aboveInputTokens: tier.aboveInputTokens }))
      .sort((a, b) => a.aboveInputTokens - b.aboveInputTokens);
  }
  return pricing;
}

/** The parsed catalogue with its lookups. */
export class Catalogue {
  readonly version: string;
  private readonly providersById = new Map<string, CatalogProvider>();
  private readonly modelsById = new Map<string, CatalogModel>();
  private readonly byName = new Map<string, CatalogModel>();

  constructor(readonly file: CatalogFile) {
    this.version = file.version;
    for (const provider of file.providers) this.providersById.set(provider.id, provider);
    for (const model of file.models) {
      this.modelsById.set(model.id, model);
      this.byName.set(model.id.toLowerCase(), model);
    }
    // Aliases after ids, so an id always wins.
    for (const model of file.models) {
      for (const alias of model.aliases) if (!this.byName.has(alias.toLowerCase())) this.byName.set(alias.toLowerCase(), model);
    }
  }

  provider(id: string): CatalogProvider | undefined {
    return this.providersById.get(id);
  }

  providers(): readonly CatalogProvider[] {
    return this.file.providers;
  }

  model(idOrAlias: string): CatalogModel | undefined {
    return this.modelsById.get(idOrAlias) ?? this.byName.get(idOrAlias.toLowerCase());
  }

  models(): readonly CatalogModel[] {
    return this.file.models;
  }

  /** Every catalogue model a provider hosts, with its host entry. */
  hostedBy(providerId: string): { model: CatalogModel; host: CatalogHost }[] {
    const out: { model: CatalogModel; host: CatalogHost }[] = [];
    for (const model of this.file.models) {
      for (const host of model.hosts) if (host.provider === providerId) out.push({ model, host });
    }
    return out;
  }
}

export class CatalogueError extends Error {
  constructor(path: string, readonly problems: string[]) {
    super(`invalid catalogue (${path}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogueError';
  }
}

export function parseCatalogue(text: string, path = 'catalogue'): Catalogue {
  const raw: unknown = parse(text);
  const result = catalogSchema.safeParse(raw);
  if (!result.success) {
    throw new CatalogueError(path, result.error.issues.slice(0, 20).map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const catalogue = new Catalogue(result.data);
  const problems: string[] = [];
  for (const model of result.data.models) {
    for (const host of model.hosts) {
      if (!catalogue.provider(host.provider)) problems.push(`${model.id}: host provider '${host.provider}' is not in providers`);
    }
  }
  if (problems.length > 0) throw new CatalogueError(path, problems);
  return catalogue;
}

const cache = new Map<string, Catalogue>();

/** Loads (once per path) and validates the catalogue; no network access. */
export function loadCatalogue(path: string = DEFAULT_CATALOGUE_PATH): Catalogue {
  let catalogue = cache.get(path);
  if (!catalogue) {
    catalogue = parseCatalogue(readFileSync(path, 'utf8'), path);
    cache.set(path, catalogue);
  }
  return catalogue;
}
