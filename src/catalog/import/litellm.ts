import type { Catalogue } from '../catalogue.js';
import { diffOffers, hostKey, usableInt, usablePrice, type HostOffer, type ImportResult, type ImportSource, type Prices } from './common.js';

/**
 * LiteLLM's `model_prices_and_context_window.json` (https://github.com/BerriAI/litellm, MIT): one object per
 * routing key, prices in USD per token. Keys carry LiteLLM's routing prefix (`together_ai/deepseek-ai/…`), except
 * for some first-party models (`gpt-4o`, `claude-sonnet-4-5-20250929`, `deepseek-chat`) and Bedrock Converse ids.
 */

export const LITELLM_SOURCE: ImportSource = {
  key: 'litellm',
  name: 'LiteLLM model_prices_and_context_window.json',
  url: 'https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json',
};

/**
 * `litellm_provider` → catalogue provider id. `vertex_ai` and every `vertex_ai-*` family map to `vertex` (see
 * catalogueProviderFor). LiteLLM has no SiliconFlow entries; `azure_ai` (Azure AI Foundry serverless) is a different
 * endpoint from `azure` (Azure OpenAI) and is left unmapped.
 */
export const LITELLM_PROVIDERS: Readonly<Record<string, string>> = {
  deepseek: 'deepseek',
  together_ai: 'together',
  fireworks_ai: 'fireworks',
  deepinfra: 'deepinfra',
  groq: 'groq',
  mistral: 'mistral',
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'google',
  dashscope: 'dashscope-intl',
  moonshot: 'moonshot',
  zai: 'zai',
  minimax: 'minimax',
  // No openrouter: LiteLLM's copies of OpenRouter prices lag behind; `import --openrouter` is their source.
  novita: 'novita',
  bedrock: 'bedrock',
  bedrock_converse: 'bedrock',
  azure: 'azure',
  cerebras: 'cerebras',
};

export function catalogueProviderFor(litellmProvider: string): string | undefined {
  if (litellmProvider === 'vertex_ai' || litellmProvider.startsWith('vertex_ai-')) return 'vertex';
  return Object.hasOwn(LITELLM_PROVIDERS, litellmProvider) ? LITELLM_PROVIDERS[litellmProvider] : undefined;
}

/** The host's own name for the model: the key without LiteLLM's `<provider>/` routing prefix, when it has one. */
export function hostNameFor(key: string, litellmProvider: string): string {
  const slash = key.indexOf('/');
  if (slash <= 0) return key;
  const prefix = key.slice(0, slash);
  const family = litellmProvider.split('-')[0];
  const isRoutingPrefix = prefix === litellmProvider || prefix === family || (prefix === 'bedrock' && litellmProvider.startsWith('bedrock'));
  return isRoutingPrefix ? key.slice(slash + 1) : key;
}

const TIER_FIELD = /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\d+)k_tokens$/;
const TIER_KEY: Record<string, keyof Prices> = {
  input_cost_per_token: 'input',
  output_cost_per_token: 'output',
  cache_read_input_token_cost: 'cachedInput',
  cache_creation_input_token_cost: 'cacheWrite',
};

function prices(entry: Record<string, unknown>, suffix = ''): Prices {
  const out: Prices = {};
  const set = (key: keyof Prices, field: string) => {
    const value = usablePrice(entry[field + suffix]);
    if (value !== undefined) out[key] = value;
  };
  set('input', 'input_cost_per_token');
  set('cachedInput', 'cache_read_input_token_cost');
  set('cacheWrite', 'cache_creation_input_token_cost');
  set('output', 'output_cost_per_token');
  return out;
}

/** One LiteLLM entry as a host offer (USD per 1M tokens; `_above_<N>k_tokens` prices as tiers above N×1000). */
export function litellmOffer(entry: Record<string, unknown>): HostOffer {
  const tiers = new Map<number, Prices>();
  for (const field of Object.keys(entry)) {
    const match = TIER_FIELD.exec(field);
    if (!match) continue;
    const above = Number(match[2]) * 1000;
    const key = TIER_KEY[match[1]!]!;
    const value = usablePrice(entry[field]);
    if (value === undefined) continue;
    const tier = tiers.get(above) ?? {};
    tier[key] = value;
    tiers.set(above, tier);
  }
  const offer: HostOffer = {
    pricing: prices(entry),
    tiers: [...tiers].map(([aboveInputTokens, p]) => ({ aboveInputTokens, prices: p })),
  };
  const contextLength = usableInt(entry.max_input_tokens);
  const maxOutput = usableInt(entry.max_output_tokens);
  if (contextLength !== undefined) offer.contextLength = contextLength;
  if (maxOutput !== undefined) offer.maxOutput = maxOutput;
  return offer;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The entries of a LiteLLM file (`sample_spec`, the format's self-description, left out). */
export function litellmEntries(json: unknown): [string, Record<string, unknown>][] {
  if (!isRecord(json)) throw new Error('not a LiteLLM price file: expected a JSON object of model entries');
  return Object.entries(json).filter((e): e is [string, Record<string, unknown>] => e[0] !== 'sample_spec' && isRecord(e[1]));
}

/**
 * The changes a LiteLLM file implies for the catalogue's existing hosts, matched by (provider, host name) exactly.
 * When several keys name the same host (`deepseek-chat` and `deepseek/deepseek-chat`), the one with the routing
 * prefix wins, then the first in the file.
 */
export function diffLiteLLM(json: unknown, catalogue: Catalogue): ImportResult {
  const entries = litellmEntries(json);
  const skipped: Record<string, number> = {};
  const skip = (reason: string) => (skipped[reason] = (skipped[reason] ?? 0) + 1);
  const chosen = new Map<string, { provider: string; name: string; label: string; prefixed: boolean; offer: HostOffer }>();
  for (const [key, entry] of entries) {
    const litellmProvider = typeof entry.litellm_provider === 'string' ? entry.litellm_provider : '';
    const provider = catalogueProviderFor(litellmProvider);
    if (!provider) {
      skip('provider not mapped to the catalogue');
      continue;
    }
    const name = hostNameFor(key, litellmProvider);
    const prefixed = name !== key;
    const id = hostKey(provider, name);
    const previous = chosen.get(id);
    if (previous && (previous.prefixed || !prefixed)) {
      skip('duplicate key for the same host');
      continue;
    }
    if (previous) skip('duplicate key for the same host');
    chosen.set(id, { provider, name, label: `${key} (${provider} ${name})`, prefixed, offer: litellmOffer(entry) });
  }
  return { entries: entries.length, skipped, ...diffOffers(catalogue, chosen.values()) };
}
