import type { Usage } from '../canonical/usage.js';

/** What a surface needs to know about who answered, beside the canonical response itself. */
export interface ServedBy {
  requestId: string;
  /** Canonical id of the model that answered. */
  model: string;
  provider: string;
  attempts: number;
}

/** The response's cost in USD, or null when no price is known (never 0 for unknown). */
export interface CostReport {
  usd: number | null;
  /** The same cost in integer nano-dollars, for budgets and the ledger. */
  nano?: number;
  status: 'priced' | 'unpriced';
}

export interface FinalUsage {
  usage: Usage;
  cost: CostReport;
}
