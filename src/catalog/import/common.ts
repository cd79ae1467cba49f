import { usdPerMillionToMicro, type Catalogue } from '../catalogue.js';
import type { CatalogHost, CatalogModel } from '../schema.js';

/**
 * Shared vocabulary of the price importers: a source's offer for one host, normalised to the catalogue's units
 * (USD per million tokens), and the field-by-field changes it implies for a catalogue host.
 */

export const PRICE_KEYS = ['input', 'cachedInput', 'cacheWrite', 'output'] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];
export type Prices = Partial<Record<PriceKey, number>>;

/** What a source says about one host. Prices in USD per 1M tokens; absent = the source does not say. */
export interface HostOffer {
  pricing: Prices;
  /** Long-prompt price tiers, keyed by the prompt size they start above. */
  tiers: { aboveInputTokens: number; prices: Prices }[];
  contextLength?: number;
  maxOutput?: number;
}

/** `pricing.<key>`, `tiers.<aboveInputTokens>.<key>`, `contextLength` or `maxOutput`. */
export type ChangeField = `pricing.${PriceKey}` | `tiers.${number}.${PriceKey}` | 'contextLength' | 'maxOutput';

/** One field of one catalogue host that the import changes. `old` undefined = the field is added. */
export interface Change {
  model: string;
  provider: string;
  host: string;
  field: ChangeField;
  old: number | undefined;
  new: number;
}

/** The outcome of diffing a source against a catalogue. */
export interface ImportResult {
  /** Entries read from the source file. */
  entries: number;
  /** Catalogue hosts the source had an entry for. */
  matchedHosts: number;
  changes: Change[];
  /** Source entries that match no catalogue host (reported with --verbose). */
  unmatched: string[];
  /** Entries left out, with why (unknown provider, variable or free price, …): reason -> count. */
  skipped: Record<string, number>;
}

/** Where an import's facts come from: the key written to `sources` and to each changed host's `source`. */
export interface ImportSource {
  key: string;
  name: string;
  url: string;
}

/**
 * USD per token (the sources' unit) to USD per million tokens, rounded to 6 decimals (micro-dollars per million,
 * the catalogue's internal resolution) so the file never shows float noise: 0.00000028 → 0.28, not 0.27999999999999997.
 */
export function perTokenToPerMillion(perToken: number): number {
  return Number((perToken * 1e6).toFixed(6));
}

/** A usable per-token price: finite and positive. Zero ("free", or "not charged") and negative ("variable") are not imported. */
export function usablePrice(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return undefined;
  const perMillion = perTokenToPerMillion(n);
  return perMillion > 0 ? perMillion : undefined;
}

export function usableInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

export function hostKey(provider: string, name: string): string {
  return `${provider}\u0000${name}`;
}

/** Every catalogue host by (provider, host name). */
export function indexHosts(catalogue: Catalogue): Map<string, { model: CatalogModel; host: CatalogHost; position: number }> {
  const index = new Map<string, { model: CatalogModel; host: CatalogHost; position: number }>();
  for (const model of catalogue.models()) {
    for (const host of model.hosts) {
      const key = hostKey(host.provider, host.name);
      if (!index.has(key)) index.set(key, { model, host, position: index.size });
    }
  }
  return index;
}

function samePrice(a: number | undefined, b: number): boolean {
  return a !== undefined && usdPerMillionToMicro(a) === usdPerMillionToMicro(b);
}

function hasInputAndOutput(p: Prices): boolean {
  return p.input !== undefined && p.output !== undefined;
}

/**
 * The changes an offer implies for a host. Prices are updated or added (a host without pricing gets one only when the
 * offer has both input and output; a missing tier is added on the same terms); prices the source does not state are
 * left alone, never removed. Context length and max output are updated only where the host already records them.
 */
export function diffHost(model: CatalogModel, host: CatalogHost, offer: HostOffer): Change[] {
  const changes: Change[] = [];
  const base = { model: model.id, provider: host.provider, host: host.name };
  const priced = host.pricing !== undefined || hasInputAndOutput(offer.pricing);
  if (priced) {
    for (const key of PRICE_KEYS) {
      const value = offer.pricing[key];
      if (value === undefined || samePrice(host.pricing?.[key], value)) continue;
      changes.push({ ...base, field: `pricing.${key}`, old: host.pricing?.[key], new: value });
    }
    for (const tier of [...offer.tiers].sort((a, b) => a.aboveInputTokens - b.aboveInputTokens)) {
      const current = host.tiers?.find((t) => t.aboveInputTokens === tier.aboveInputTokens);
      if (!current && !hasInputAndOutput(tier.prices)) continue;
      for (const key of PRICE_KEYS) {
        const value = tier.prices[key];
        if (value === undefined || samePrice(current?.[key], value)) continue;
        changes.push({ ...base, field: `tiers.${tier.aboveInputTokens}.${key}`, old: current?.[key], new: value });
      }
    }
  }
  for (const key of ['contextLength', 'maxOutput'] as const) {
    const value = offer[key];
    const current = host[key];
    if (value !== undefined && current !== undefined && current !== value) changes.push({ ...base, field: key, old: current, new: value });
  }
  return changes;
}

/**
 * Diffs offers (keyed by catalogue provider id and host name) against the catalogue. Changes come out in catalogue
 * order (model, then host), whatever the order of the source file.
 */
export function diffOffers(
  catalogue: Catalogue,
  offers: Iterable<{ provider: string; name: string; label: string; offer: HostOffer }>,
): Pick<ImportResult, 'changes' | 'matchedHosts' | 'unmatched'> {
  const index = indexHosts(catalogue);
  const perHost: { position: number; changes: Change[] }[] = [];
  const unmatched: string[] = [];
  for (const { provider, name, label, offer } of offers) {
    const hit = index.get(hostKey(provider, name));
    if (hit) perHost.push({ position: hit.position, changes: diffHost(hit.model, hit.host, offer) });
    else unmatched.push(label);
  }
  perHost.sort((a, b) => a.position - b.position);
  return { changes: perHost.flatMap((h) => h.changes), matchedHosts: perHost.length, unmatched };
}

/** Today's date (UTC) as YYYY-MM-DD. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
