import type { Config, HostModelConfig, PricingConfig, ProviderConfig } from '../config/schema.js';
import { ConfigError } from '../config/errors.js';
import type { Catalogue } from './catalogue.js';
import { hostPricing } from './catalogue.js';
import { toMicroUsdPerMillion } from './cost.js';
import type { CatalogHost, CatalogModel } from './schema.js';
import {
  DEFAULT_TIMEOUTS,
  type Dialect,
  type HostPricing,
  type HostRoute,
  type ModelInfo,
  type PrefillMode,
  type ResolvedProvider,
} from './types.js';

export interface RegistryWarning {
  provider: string;
  message: string;
}

/** Dialects with an adapter in this build; providers of other dialects are listed but not routed. */
export type AdapterAvailability = (dialect: Dialect) => boolean;

const ROUTABLE_DIALECTS = new Set<string>(['openai-compatible', 'anthropic', 'gemini']);

/**
 * The models this gateway serves, by canonical id, by the catalogue's aliases and by the names its hosts use.
 * Lookups are exact first, then case-insensitive; an id always wins over an alias, an alias over a host name.
 */
export class ModelRegistry {
  readonly providers: ReadonlyMap<string, ResolvedProvider>;
  private readonly models = new Map<string, ModelInfo>();
  private readonly names = new Map<string, ModelInfo>();

  constructor(providers: Map<string, ResolvedProvider>, models: ModelInfo[], readonly catalogue?: Catalogue) {
    this.providers = providers;
    for (const model of models) this.models.set(model.id, model);
    for (const model of models) this.addName(model.id, model);
    for (const model of models) for (const alias of model.aliases) this.addName(alias, model);
    for (const model of models) for (const host of model.hosts) this.addName(host.upstreamModel, model);
  }

  private addName(name: string, model: ModelInfo): void {
    const lower = name.toLowerCase();
    if (!this.names.has(name)) this.names.set(name, model);
    if (!this.names.has(lower)) this.names.set(lower, model);
  }

  resolve(name: string): ModelInfo | undefined {
    return this.names.get(name) ?? this.names.get(name.toLowerCase());
  }

  list(): ModelInfo[] {
    return [...this.models.values()];
  }
}

export interface ResolveOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  catalogue: Catalogue;
  /** No config file: enable the catalogue's providers whose API-key variable is set. */
  detectFromEnv: boolean;
  hasAdapter: AdapterAvailability;
}

/** A catalogue model's facts, without hosts. */
export function modelFromCatalogue(model: CatalogModel): ModelInfo {
  return {
    id: model.id,
    name: model.name,
    developer: model.developer,
    origin: model.origin,
    license: model.license.id,
    licenseUrl: model.license.url,
    openWeights: model.openWeights,
    released: model.released,
    contextLength: model.contextLength,
    maxOutput: model.maxOutput,
    tier: model.tier,
    capabilities: { ...model.capabilities },
    inputModalities: model.modalities.input,
    outputModalities: model.modalities.output,
    aliases: model.aliases,
    inCatalogue: true,
    hosts: [],
  };
}

function configPricing(base: HostPricing | undefined, override: PricingConfig | undefined): HostPricing | undefined {
  if (!override) return base;
  const input = override.prompt !== undefined ? toMicroUsdPerMillion(override.prompt) : base?.input;
  const output = override.completion !== undefined ? toMicroUsdPerMillion(override.completion) : base?.output;
  // Half a price is no price: without both input and output the host stays unpriced.
  if (input === undefined || output === undefined) return undefined;
  const pricing: HostPricing = { input, output };
  const cached = override.cachedPrompt !== undefined ? toMicroUsdPerMillion(override.cachedPrompt) : base?.cachedInput;
  if (cached !== undefined) pricing.cachedInput = cached;
  const write = override.cacheWrite !== undefined ? toMicroUsdPerMillion(override.cacheWrite) : base?.cacheWrite;
  if (write !== undefined) pricing.cacheWrite = write;
  // Tiers are the catalogue's; a config price replaces the base price only.
  if (base?.tiers && override.prompt === undefined && override.completion === undefined) pricing.tiers = base.tiers;
  return pricing;
}

export function hostFromCatalogue(provider: ResolvedProvider, host: CatalogHost): HostRoute {
  return {
    provider,
    upstreamModel: host.name,
    pricing: hostPricing(host),
    contextLength: host.contextLength,
    maxOutput: host.maxOutput,
    prefill: host.prefill,
    quantization: host.quantization,
    supportedParameters: host.supportedParameters,
  };
}

export function buildRegistry(options: ResolveOptions): { registry: ModelRegistry; warnings: RegistryWarning[] } {
  const { config, env, hasAdapter, catalogue } = options;
  const warnings: RegistryWarning[] = [];
  const problems: string[] = [];
  const entries: [string, ProviderConfig][] = Object.entries(config.providers);
  if (options.detectFromEnv && entries.length === 0) {
    for (const provider of catalogue.providers()) {
      if (provider.routable && !provider.selfHosted && env[provider.apiKeyEnv]) entries.push([provider.id, {}]);
    }
  }

  const providers = new Map<string, ResolvedProvider>();
  const models = new Map<string, ModelInfo>();
  const modelFor = (ref: string): ModelInfo => {
    const known = catalogue.model(ref);
    const id = known?.id ?? ref;
    let model = models.get(id);
    if (!model) {
      model = known ? modelFromCatalogue(known) : { id, name: id, aliases: [], inCatalogue: false, hosts: [] };
      models.set(id, model);
    }
    return model;
  };

  for (const [id, providerConfig] of entries) {
    if (providerConfig.enabled === false) continue;
    const resolved = resolveProvider(id, providerConfig, env, catalogue, problems, warnings);
    if (!resolved) continue;
    if (!hasAdapter(resolved.type)) {
      warnings.push({ provider: id, message: `dialect ${resolved.type} has no adapter in this version; provider not routed` });
      continue;
    }
    providers.set(id, resolved);

    const hosts = new Map<string, HostRoute>();
    for (const { model, host } of catalogue.hostedBy(id)) {
      hosts.set(model.id, hostFromCatalogue(resolved, host));
      modelFor(model.id);
    }
    for (const [ref, entry] of Object.entries(providerConfig.models ?? {})) {
      const model = modelFor(ref);
      const base = hosts.get(model.id) ?? (() => {
        const catalogHost = catalogue.model(model.id)?.hosts.find((h) => h.provider === id);
        return catalogHost ? hostFromCatalogue(resolved, catalogHost) : undefined;
      })();
      hosts.set(model.id, configHost(resolved, base, entry));
      if (typeof entry !== 'string' && !model.inCatalogue) applyModelFacts(model, entry);
    }
    for (const [modelId, host] of hosts) modelFor(modelId).hosts.push(host);
  }
  if (problems.length > 0) throw new ConfigError('providers', problems);
  const served = [...models.values()].filter((m) => m.hosts.length > 0);
  return { registry: new ModelRegistry(providers, served, catalogue), warnings };
}

function configHost(provider: ResolvedProvider, base: HostRoute | undefined, entry: string | HostModelConfig): HostRoute {
  // The catalogue's facts for this provider and model stay unless the config states otherwise.
  if (typeof entry === 'string') return base ? { ...base, upstreamModel: entry } : { provider, upstreamModel: entry };
  return {
    ...(base ?? {}),
    provider,
    upstreamModel: entry.name,
    pricing: configPricing(base?.pricing, entry.pricing),
    contextLength: entry.contextLength ?? base?.contextLength,
    maxOutput: entry.maxOutput ?? base?.maxOutput,
    prefill: entry.prefill === undefined ? base?.prefill : entry.prefill ? (base?.prefill && base.prefill !== 'none' ? base.prefill : defaultPrefill(provider)) : 'none',
  };
}

/**
 * `prefill: true` on a host the catalogue has no mechanism for: OpenAI-compatible servers of one's own (vLLM, SGLang)
 * continue a final message with `continue_final_message`; Anthropic and Gemini continue a final assistant turn.
 */
function defaultPrefill(provider: ResolvedProvider): PrefillMode {
  return provider.type === 'openai-compatible' ? 'continue_final_message' : 'trailing_assistant';
}

function applyModelFacts(model: ModelInfo, entry: HostModelConfig): void {
  model.origin ??= entry.origin;
  model.license ??= entry.license;
  model.openWeights ??= entry.openWeights;
  model.contextLength ??= entry.contextLength;
  model.maxOutput ??= entry.maxOutput;
  if (entry.capabilities && !model.capabilities) {
    model.capabilities = {
      tools: entry.capabilities.tools ?? false,
      jsonSchema: entry.capabilities.jsonSchema ?? false,
      reasoning: entry.capabilities.reasoning ?? false,
      vision: entry.capabilities.vision ?? false,
    };
  }
}

function resolveProvider(
  id: string,
  cfg: ProviderConfig,
  env: NodeJS.ProcessEnv,
  catalogue: Catalogue,
  problems: string[],
  warnings: RegistryWarning[],
): ResolvedProvider | undefined {
  const known = catalogue.provider(id);
  const path = `providers.${id}`;
  const type = cfg.type ?? known?.dialect;
  const baseURL = cfg.baseURL ?? known?.baseURL;
  if (!type) problems.push(`${path}.type: required for a provider the catalogue does not know`);
  if (!baseURL) problems.push(`${path}.baseURL: required for a provider the catalogue does not know`);
  if (type && !ROUTABLE_DIALECTS.has(type)) {
    warnings.push({ provider: id, message: `${type} is listed in the catalogue but has no adapter; provider not routed` });
    return undefined;
  }
  const selfHosted = cfg.selfHosted ?? known?.selfHosted ?? false;
  const keyVars = cfg.apiKeyEnv === undefined ? (known ? [known.apiKeyEnv] : []) : [cfg.apiKeyEnv].flat();
  const apiKeys: string[] = [];
  for (const name of keyVars) {
    const value = env[name];
    if (value) apiKeys.push(value);
    else if (cfg.apiKeyEnv !== undefined || !selfHosted) problems.push(`${path}.apiKeyEnv: environment variable ${name} is not set`);
  }
  if (!type || !baseURL) return undefined;
  return Object.freeze({
    id,
    type: type as Dialect,
    baseURL: baseURL.replace(/\/+$/, ''),
    apiKeys,
    headers: { ...(cfg.headers ?? {}) },
    jurisdiction: cfg.jurisdiction ?? known?.jurisdiction,
    selfHosted,
    timeouts: { ...DEFAULT_TIMEOUTS, ...(cfg.timeouts ?? {}) },
    maxConnections: cfg.maxConnections ?? 128,
    company: known?.company,
    dataRetentionDays: known?.dataRetentionDays,
    trainsOnPrompts: known?.trainsOnPrompts,
  });
}
