/** Runtime view of providers and the models they serve, resolved once from config and the built-in catalogue. */

export type Dialect = 'openai-compatible' | 'anthropic' | 'gemini';

export interface Timeouts {
  connectMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}

/** USD per token. A missing field is unknown (unpriced), never free. */
export interface Pricing {
  prompt?: number;
  completion?: number;
  cachedPrompt?: number;
  cacheWrite?: number;
}

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
}

export interface HostRoute {
  provider: ResolvedProvider;
  /** The name this host uses for the model. */
  upstreamModel: string;
  pricing?: Pricing;
  contextLength?: number;
  maxOutput?: number;
  prefill?: boolean;
}

export interface ModelInfo {
  /** Canonical `author/model` id. */
  id: string;
  name: string;
  origin?: string;
  license?: string;
  openWeights?: boolean;
  contextLength?: number;
  hosts: HostRoute[];
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 5_000,
  firstTokenMs: 60_000,
  idleMs: 30_000,
  totalMs: 600_000,
};
