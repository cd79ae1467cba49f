import type { AttemptRecord } from './execute.js';
import type { Exclusion, RoutePlan } from './planner.js';

/**
 * Why a request went where it went: the candidates, what was left out and why, the planned order, and every
 * attempt with its outcome and timing. Kept with the request and served by `GET /admin/requests/:id`.
 */
export interface DecisionRecord {
  requestId: string;
  at: string;
  route: 'chat' | 'messages' | 'embeddings';
  stream: boolean;
  requestedModel: string;
  fallbackModels?: readonly string[];
  candidates: number;
  exclusions: Exclusion[];
  plan: { provider: string; model: string }[];
  attempts: AttemptRecord[];
  served?: { provider: string; model: string };
  /** ok; error: no answer; broken: a stream cut after content and not resumed; resumed: continued on another host. */
  outcome: 'ok' | 'error' | 'broken' | 'resumed' | 'aborted';
  status: number;
  errorCode?: string;
  warnings?: string[];
}

export function planSummary(plan: RoutePlan): Pick<DecisionRecord, 'candidates' | 'exclusions' | 'plan'> {
  return {
    candidates: plan.candidates,
    exclusions: plan.exclusions,
    plan: plan.attempts.map((a) => ({ provider: a.host.provider.id, model: a.model.id })),
  };
}

/**
 * The most recent decision records in memory, bounded (oldest dropped first). The ledger keeps them durably; this
 * keeps the last few thousand readable even without it.
 */
export class DecisionLog {
  private readonly records = new Map<string, DecisionRecord>();

  constructor(private readonly capacity = 5_000) {}

  add(record: DecisionRecord): void {
    this.records.set(record.requestId, record);
    if (this.records.size > this.capacity) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }

  get(requestId: string): DecisionRecord | undefined {
    return this.records.get(requestId);
  }

  recent(limit = 100): DecisionRecord[] {
    const all = [...this.records.values()];
    return all.slice(Math.max(0, all.length - limit)).reverse();
  }
}
