import { ModelRegistry } from '../../src/catalog/registry.js';
import { DEFAULT_TIMEOUTS, type HostRoute, type ModelInfo, type ResolvedProvider } from '../../src/catalog/types.js';
import type { EffectivePolicy, Policy, PolicyLayer } from '../../src/policy/types.js';

/** Hand-made models and hosts for the policy tests: one of each kind of host the rules must tell apart. */

export function provider(id: string, extra: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return { id, type: 'openai-compatible', baseURL: `http://127.0.0.1:9/${id}`, apiKeys: [], headers: {}, selfHosted: false, timeouts: DEFAULT_TIMEOUTS, maxConnections: 1, ...extra };
}

/** Prices in USD per million tokens, stored as µ$/M like the registry. */
export function host(p: ResolvedProvider, usdPerMillion?: [number, number], extra: Partial<HostRoute> = {}): HostRoute {
  return {
    provider: p,
    upstreamModel: `${p.id}-model`,
    ...(usdPerMillion ? { pricing: { input: Math.round(usdPerMillion[0] * 1e6), output: Math.round(usdPerMillion[1] * 1e6) } } : {}),
    ...extra,
  };
}

export function model(id: string, hosts: HostRoute[], extra: Partial<ModelInfo> = {}): ModelInfo {
  return { id, name: id, aliases: [], inCatalogue: true, contextLength: 128_000, hosts, ...extra };
}

export function registry(models: ModelInfo[]): ModelRegistry {
  const providers = new Map<string, ResolvedProvider>();
  for (const m of models) for (const h of m.hosts) providers.set(h.provider.id, h.provider);
  return new ModelRegistry(providers, models);
}

export const providers = {
  deepseek: provider('deepseek', { jurisdiction: 'CN', dataRetentionDays: 30, trainsOnPrompts: true }),
  mistral: provider('mistral', { jurisdiction: 'FR', dataRetentionDays: 0, trainsOnPrompts: false }),
  together: provider('together', { jurisdiction: 'US', trainsOnPrompts: false }),
  lab: provider('lab', { jurisdiction: 'DE', selfHosted: true }),
  acme: provider('acme-cloud'),
};

/** The five kinds of host of the policy matrix. */
export const kinds = {
  /** A Chinese model on its developer's own API in China. */
  firstPartyForeign: { model: 'deepseek/deepseek-v3.2', origin: 'CN', openWeights: true, license: 'MIT', provider: providers.deepseek, price: [0.28, 0.42] as [number, number] },
  /** A French model on its developer's API in France. */
  euHost: { model: 'mistralai/mistral-medium-3', origin: 'FR', openWeights: false, license: 'Proprietary', provider: providers.mistral, price: [0.4, 2] as [number, number] },
  /** The Chinese model on a US host. */
  usHost: { model: 'deepseek/deepseek-v3.2', origin: 'CN', openWeights: true, license: 'MIT', provider: providers.together, price: [0.6, 1.7] as [number, number] },
  /** A Chinese open-weight model on one's own servers in Germany, free. */
  selfHosted: { model: 'qwen/qwen3-30b-a3b', origin: 'CN', openWeights: true, license: 'Apache-2.0', provider: providers.lab, price: [0, 0] as [number, number] },
  /** A model nobody knows the origin, weights or licence of, on a host of unknown jurisdiction, unpriced. */
  unknownOrigin: { model: 'acme/house-7b', origin: undefined, openWeights: undefined, license: undefined, provider: providers.acme, price: undefined },
} as const;

export type Kind = keyof typeof kinds;
export const KINDS = Object.keys(kinds) as Kind[];

/** The (model, host) pair of one kind. */
export function pair(kind: Kind): { model: ModelInfo; host: HostRoute } {
  const k = kinds[kind];
  const h = host(k.provider, k.price);
  const m = model(k.model, [h], {
    ...(k.origin ? { origin: k.origin } : {}),
    ...(k.openWeights !== undefined ? { openWeights: k.openWeights } : {}),
    ...(k.license ? { license: k.license } : {}),
  });
  return { model: m, host: h };
}

export function layer(name: string, rules: Policy, scope: PolicyLayer['scope'] = 'key'): PolicyLayer {
  return { scope, name, rules };
}

export function policyOf(...layers: PolicyLayer[]): EffectivePolicy {
  return { layers };
}
