/** Runtime view of providers and the models they serve, resolved once from the catalogue and the config. */

export type Dialect = 'openai-compatible' | 'anthropic' | 'gemini';
export type CatalogDialect = Dialect | 'bedrock' | 'vertex' | 'azure';

export interface Timeouts {
  connectMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}

/** Prices in integer micro-dollars per million tokens (µ$/M). A missing field is unknown, never free. */
export interface PriceSet {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
}

export interface PriceTier extends PriceSet {
  /** Applies when the prompt has more than this many tokens. */
  aboveInputTokens: number;
}

export interface HostPricing extends PriceSet {
  tiers?: PriceTier[];
}

export type PrefillMode = 'prefix' | 'partial' | 'continue_final_message' | 'trailing_assistant' | 'none';

export interface ResolvedProvider {
  id: string;
  type: Dialect;
  baseURL: string;
  /** Upstream credentials, spread round-robin. Never logged, never returned. */
  apiKeys: readonly string[];
  headers: Readonly<Record<string, string>>;
  jurisdiction?: string;
  selfHosted: boolean;
  timeouts: Timeouts;
  maxConnections: number;
  company?: string;
  dataRetentionDays?: number;
  trainsOnPrompts?: boolean;
}

export interface HostRoute {
  provider: ResolvedProvider;
  /** The name this host uses for the model. */
  upstreamModel: string;
  /** Undefined = unpriced. */
  pricing?: HostPricing;
  contextLength?: number;
  maxOutput?: number;
  prefill?: PrefillMode;
  quantization?: string;
  supportedParameters?: readonly string[];
}

export interface ModelCapabilities {
  tools: boolean;
  jsonSchema: boolean;
  reasoning: boolean;
  vision: boolean;
}

export interface ModelInfo {
  /** Canonical `author/model` id. */
  id: string;
  name: string;
  developer?: string;
  /** The developer's country; undefined = unknown origin. */
  origin?: string;
  license?: string;
  licenseUrl?: string;
  openWeights?: boolean;
  released?: string;
  contextLength?: number;
  maxOutput?: number;
  tier?: 'frontier' | 'strong' | 'efficient' | 'small';
  capabilities?: ModelCapabilities;
  inputModalities?: readonly string[];
  outputModalities?: readonly string[];
  aliases: readonly string[];
  /** False for models a config added that the catalogue lacks. */
  inCatalogue: boolean;
  hosts: HostRoute[];
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 5_000,
  firstTokenMs: 60_000,
  idleMs: 30_000,
  totalMs: 600_000,
};
