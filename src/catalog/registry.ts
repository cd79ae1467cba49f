import type { Config, HostModelConfig, ProviderConfig } from '../config/schema.js';
import { ConfigError } from '../config/errors.js';
import { BUILTIN_PROVIDERS, builtinProvider } from './builtin-providers.js';
import { DEFAULT_TIMEOUTS, type Dialect, type HostRoute, type ModelInfo, type ResolvedProvider } from './types.js';

export interface RegistryWarning {
  provider: string;
  message: string;
}

/** Dialects with an adapter in this build; providers of other dialects are listed but not routed. */
export type AdapterAvailability = (dialect: Dialect) => boolean;

/**
 * Models by canonical id and by every other name clients use (a host's own model name, config aliases
 * excluded: those are routing's). Lookups are exact first, then case-insensitive.
 */
export class ModelRegistry {
  readonly providers: ReadonlyMap<string, ResolvedProvider>;
  private readonly models = new Map<string, ModelInfo>();
  private readonly names = new Map<string, ModelInfo>();
  private readonly lowerNames = new Map<string, ModelInfo>();

  constructor(providers: Map<string, ResolvedProvider>, models: ModelInfo[]) {
    this.providers = providers;
    for (const model of models) {
      this.models.set(model.id, model);
      this.addName(model.id, model);
    }
    // Host names second, so that a canonical id always wins over another model's host name.
    for (const model of models) for (const host of model.hosts) this.addName(host.upstreamModel, model);
  }

  private addName(name: string, model: ModelInfo): void {
    if (!this.names.has(name)) this.names.set(name, model);
    const lower = name.toLowerCase();
    if (!this.lowerNames.has(lower)) this.lowerNames.set(lower, model);
  }

  resolve(name: string): ModelInfo | undefined {
    return this.names.get(name) ?? this.lowerNames.get(name.toLowerCase());
  }

  list(): ModelInfo[] {
    return [...this.models.values()];
  }
}

export interface ResolveOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  /** No config file: enable the built-in providers whose API-key variable is set. */
  detectFromEnv: boolean;
  hasAdapter: AdapterAvailability;
}

export function buildRegistry(options: ResolveOptions): { registry: ModelRegistry; warnings: RegistryWarning[] } {
  const { config, env, hasAdapter } = options;
  const warnings: RegistryWarning[] = [];
  const problems: string[] = [];
  const entries: [string, ProviderConfig][] = Object.entries(config.providers);
  if (options.detectFromEnv && entries.length === 0) {
    for (const builtin of BUILTIN_PROVIDERS) {
      if (env[builtin.apiKeyEnv]) entries.push([builtin.id, {}]);
    }
  }

  const providers = new Map<string, ResolvedProvider>();
  const models = new Map<string, ModelInfo>();
  for (const [id, providerConfig] of entries) {
    if (providerConfig.enabled === false) continue;
    const resolved = resolveProvider(id, providerConfig, env, problems);
    if (!resolved) continue;
    if (!hasAdapter(resolved.type)) {
      warnings.push({ provider: id, message: `dialect ${resolved.type} has no adapter in this version; provider not routed` });
      continue;
    }
    providers.set(id, resolved);
    const builtinModels = builtinProvider(id)?.models ?? {};
    const modelMap: Record<string, string | HostModelConfig> = { ...builtinModels, ...(providerConfig.models ?? {}) };
    for (const [modelId, entry] of Object.entries(modelMap)) {
      const host: HostRoute = typeof entry === 'string'
        ? { provider: resolved, upstreamModel: entry }
        : {
            provider: resolved,
            upstreamModel: entry.name,
            pricing: entry.pricing,
            contextLength: entry.contextLength,
            maxOutput: entry.maxOutput,
            prefill: entry.prefill,
          };
      let model = models.get(modelId);
      if (!model) {
        model = { id: modelId, name: modelId, hosts: [] };
        models.set(modelId, model);
      }
      if (typeof entry !== 'string') {
        model.origin ??= entry.origin;
        model.license ??= entry.license;
        model.openWeights ??= entry.openWeights;
        model.contextLength ??= entry.contextLength;
      }
      model.hosts.push(host);
    }
  }
  if (problems.length > 0) throw new ConfigError('providers', problems);
  return { registry: new ModelRegistry(providers, [...models.values()]), warnings };
}

function resolveProvider(id: string, cfg: ProviderConfig, env: NodeJS.ProcessEnv, problems: string[]): ResolvedProvider | undefined {
  const builtin = builtinProvider(id);
  const type = cfg.type ?? builtin?.type;
  const baseURL = cfg.baseURL ?? builtin?.baseURL;
  const path = `providers.${id}`;
  if (!type) problems.push(`${path}.type: required for a provider the catalogue does not know`);
  if (!baseURL) problems.push(`${path}.baseURL: required for a provider the catalogue does not know`);
  const keyVars = cfg.apiKeyEnv === undefined ? (builtin ? [builtin.apiKeyEnv] : []) : [cfg.apiKeyEnv].flat();
  const apiKeys: string[] = [];
  for (const name of keyVars) {
    const value = env[name];
    if (value) apiKeys.push(value);
    else if (cfg.apiKeyEnv !== undefined || !cfg.selfHosted) {
      problems.push(`${path}.apiKeyEnv: environment variable ${name} is not set`);
    }
  }
  if (!type || !baseURL) return undefined;
  return Object.freeze({
    id,
    type,
    baseURL: baseURL.replace(/\/+$/, ''),
    apiKeys,
    headers: { ...(cfg.headers ?? {}) },
    jurisdiction: cfg.jurisdiction ?? builtin?.jurisdiction,
    selfHosted: cfg.selfHosted ?? false,
    timeouts: { ...DEFAULT_TIMEOUTS, ...(cfg.timeouts ?? {}) },
    maxConnections: cfg.maxConnections ?? 128,
  });
}
