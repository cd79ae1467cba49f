/**
 * Host choice for the backfilled history, the way the gateway's planner makes it for live traffic: only hosts
 * every policy layer allows (the real rules, `src/policy/rules.ts`), free hosts first, then priced hosts drawn
 * with weight 1 / price², unpriced hosts last.
 */
import type { ModelRegistry } from '../catalog/registry.js';
import type { HostRoute, ModelInfo } from '../catalog/types.js';
import type { PolicyConfig } from '../config/schema.js';
import { ruleProblem } from '../policy/rules.js';
import { pickWeighted, type Random } from './random.js';

export interface Route {
  model: ModelInfo;
  host: HostRoute;
}

function priceOf(host: HostRoute): number | undefined {
  return host.pricing ? host.pricing.input + host.pricing.output : undefined;
}

/** The hosts of a model that every layer allows (the same test the planner runs). */
export function allowedHosts(model: ModelInfo, layers: readonly PolicyConfig[]): HostRoute[] {
  return model.hosts.filter((host) => layers.every((rules) => ruleProblem(model, host, rules) === undefined));
}

export function pickHost(hosts: readonly HostRoute[], random: Random): HostRoute | undefined {
  const free = hosts.filter((h) => priceOf(h) === 0);
  if (free.length > 0) return free[Math.floor(random() * free.length)];
  const priced = hosts.filter((h) => priceOf(h) !== undefined);
  if (priced.length > 0) return pickWeighted(random, priced, (h) => 1 / priceOf(h)! ** 2);
  return hosts.length > 0 ? hosts[Math.floor(random() * hosts.length)] : undefined;
}

/**
 * The models a request would be served by, in the order the gateway would try them: the model asked for, then its
 * fallbacks, each with the hosts the layers allow. Models the registry does not serve are left out.
 */
export function candidateRoutes(registry: ModelRegistry, models: readonly string[], layers: readonly PolicyConfig[]): { model: ModelInfo; hosts: HostRoute[] }[] {
  const out: { model: ModelInfo; hosts: HostRoute[] }[] = [];
  for (const id of models) {
    const model = registry.resolve(id);
    if (!model) continue;
    const hosts = allowedHosts(model, layers);
    if (hosts.length > 0) out.push({ model, hosts });
  }
  return out;
}
