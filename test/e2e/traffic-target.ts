/**
 * Which provider to block so that the demo's live traffic visibly moves, chosen from the demo's own definitions
 * (its apps' model mix and the hosts the gateway resolved for each model) rather than hard-coded, so the test
 * follows the demo when its fleet changes.
 */
import type { ModelRegistry } from '../../src/catalog/registry.js';
import type { HostRoute } from '../../src/catalog/types.js';
import type { DemoApp } from '../../src/demo/apps.js';

export interface MoveTarget {
  model: string;
  /** The host to block: the one that serves most of `model`'s requests. */
  provider: string;
  /** The model's other hosts, where its requests go once `provider` is blocked. */
  alternatives: string[];
  /** The share of all demo requests expected to ask for `model` on `provider`. */
  expectedShare: number;
}

/**
 * The planner spreads a model's load over its hosts with weight 1/price², free hosts first. A host at most half
 * the price of every other gets at least 80% of the load: blocking it moves nearly all of its model's traffic.
 */
const DOMINANT_PRICE_RATIO = 0.5;

function priceOf(host: HostRoute): number | undefined {
  return host.pricing ? host.pricing.input + host.pricing.output : undefined;
}

/** Each model's share of all requests the demo's apps send (fallbacks not counted). */
export function modelShares(apps: readonly DemoApp[]): Map<string, number> {
  const shares = new Map<string, number>();
  for (const app of apps) {
    const total = app.models.reduce((sum, m) => sum + m.weight, 0);
    for (const choice of app.models) shares.set(choice.model, (shares.get(choice.model) ?? 0) + (app.share * choice.weight) / total);
  }
  return shares;
}

/**
 * The busiest (model, provider) pair among models with two or more priced hosts, no free host (a free host takes
 * all the load) and one dominant cheapest host. Ties go to the model id, so the choice is deterministic.
 */
export function busiestMovableHost(registry: ModelRegistry, apps: readonly DemoApp[]): MoveTarget {
  let best: MoveTarget | undefined;
  for (const [modelId, share] of [...modelShares(apps)].sort(([a], [b]) => a.localeCompare(b))) {
    const hosts = registry.resolve(modelId)?.hosts ?? [];
    const priced = hosts
      .map((host) => ({ provider: host.provider.id, price: priceOf(host) }))
      .filter((h): h is { provider: string; price: number } => h.price !== undefined);
    if (priced.length < 2 || priced.some((h) => h.price === 0)) continue;
    priced.sort((a, b) => a.price - b.price);
    const [cheapest, next] = [priced[0]!, priced[1]!];
    if (cheapest.price > next.price * DOMINANT_PRICE_RATIO) continue;
    const weights = priced.map((h) => 1 / h.price ** 2);
    const expectedShare = (share * weights[0]!) / weights.reduce((a, b) => a + b, 0);
    if (!best || expectedShare > best.expectedShare) {
      best = { model: modelId, provider: cheapest.provider, alternatives: hosts.map((h) => h.provider.id).filter((p) => p !== cheapest.provider), expectedShare };
    }
  }
  if (!best) throw new Error('no model of the demo has a dominant host with an alternative: the block step has nothing to move');
  return best;
}
