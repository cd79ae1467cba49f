import type { BlockKind, DrillResult, DrillWithout } from './api-types';

/** The headline figures of an exit drill, derived from its report (src/policy/drill.ts). */

export interface DrillSummary {
  totalRequests: number;
  affectedRequests: number;
  affectedShare: number | null;
  reroutedRequests: number;
  unroutableRequests: number;
  unaffectedRequests: number;
  /** Sum of the reroutes' cost differences (requests priced both before and after). */
  costDeltaUsd: number;
  /** What the traffic that finds a new route cost as recorded, and would cost on its new route. */
  reroutedCostBeforeUsd: number;
  reroutedCostAfterUsd: number;
  unpricedReroutes: number;
}

export function summarizeDrill(result: DrillResult): DrillSummary {
  const reroutedRequests = result.rerouted.reduce((n, r) => n + r.requests, 0);
  const costDeltaUsd = result.rerouted.reduce((n, r) => n + r.costDeltaUsd, 0);
  // Every affected request is either rerouted or unroutable, so the rerouted part's recorded cost is the difference.
  const reroutedCostBeforeUsd = Math.max(0, result.affected.costUsd - result.unroutable.costUsd);
  return {
    totalRequests: result.total.requests,
    affectedRequests: result.affected.requests,
    affectedShare: result.total.requests > 0 ? result.affected.requests / result.total.requests : null,
    reroutedRequests,
    unroutableRequests: result.unroutable.requests,
    unaffectedRequests: Math.max(0, result.total.requests - result.affected.requests),
    costDeltaUsd,
    reroutedCostBeforeUsd,
    reroutedCostAfterUsd: reroutedCostBeforeUsd + costDeltaUsd,
    unpricedReroutes: result.rerouted.reduce((n, r) => n + r.unpricedRequests, 0),
  };
}

export function withoutKind(w: DrillWithout): BlockKind {
  return 'origin' in w ? 'origin' : 'provider' in w ? 'provider' : 'model';
}

export function withoutValue(w: DrillWithout): string {
  return 'origin' in w ? w.origin : 'provider' in w ? w.provider : w.model;
}

/** "origin CN", the way the CLI and the audit log name a removal. */
export function withoutLabel(w: DrillWithout): string {
  return `${withoutKind(w)} ${withoutValue(w)}`;
}

export function makeWithout(kind: BlockKind, value: string): DrillWithout {
  const v = value.trim();
  return kind === 'origin' ? { origin: v.toUpperCase() } : kind === 'provider' ? { provider: v } : { model: v };
}
