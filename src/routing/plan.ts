import { GatewayError, type ProviderHints } from '../canonical/index.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { HostRoute, ModelInfo } from '../catalog/types.js';

export interface PlannedAttempt {
  model: ModelInfo;
  host: HostRoute;
}

export interface PlanInput {
  model: string;
  fallbackModels?: string[];
  provider?: ProviderHints;
}

export type Aliases = Readonly<Record<string, readonly string[] | Readonly<Record<string, number>>>>;

/** An alias's models in the order to try them (a weighted set: heaviest first until the router weighs them). */
function expandAlias(target: readonly string[] | Readonly<Record<string, number>>): string[] {
  if (Array.isArray(target)) return [...target];
  return Object.entries(target as Record<string, number>).sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

function applyHints(hosts: HostRoute[], hints: ProviderHints | undefined): HostRoute[] {
  if (!hints) return hosts;
  let out = hosts;
  if (hints.only) out = out.filter((h) => hints.only!.includes(h.provider.id));
  if (hints.ignore) out = out.filter((h) => !hints.ignore!.includes(h.provider.id));
  if (hints.order) {
    const rank = (h: HostRoute) => {
      const i = hints.order!.indexOf(h.provider.id);
      return i === -1 ? Number.MAX_SAFE_INTEGER : i;
    };
    const ordered = [...out].sort((a, b) => rank(a) - rank(b));
    out = hints.allowFallbacks === false ? ordered.filter((h) => hints.order!.includes(h.provider.id)) : ordered;
  }
  return out;
}

/**
 * The ordered attempts for a request: `model` first, then `models[]`, each expanded to its hosts with the
 * provider hints applied. A pure function of its inputs. An unknown model is a 404 naming it.
 */
export function planAttempts(input: PlanInput, registry: ModelRegistry, aliases: Aliases): PlannedAttempt[] {
  const names = [input.model, ...(input.fallbackModels ?? [])];
  const seen = new Set<string>();
  const attempts: PlannedAttempt[] = [];
  let resolvedAny = false;
  for (const name of names) {
    const alias = aliases[name];
    const candidates = alias ? expandAlias(alias) : [name];
    for (const candidate of candidates) {
      const model = registry.resolve(candidate);
      if (!model) continue;
      resolvedAny = true;
      if (seen.has(model.id)) continue;
      seen.add(model.id);
      for (const host of applyHints(model.hosts, input.provider)) attempts.push({ model, host });
    }
  }
  if (!resolvedAny) {
    const known = registry.catalogue?.model(input.model);
    const why = known
      ? `model '${input.model}' (${known.id}) is in the catalogue, but no configured provider serves it`
      : `model '${input.model}' is not served by this gateway`;
    throw new GatewayError('model_not_found', `${why} (GET /v1/models lists the models it serves)`, { param: 'model' });
  }
  if (attempts.length === 0) {
    throw new GatewayError('invalid_request', `no host of '${input.model}' is left after the provider preferences of this request`, { param: 'provider' });
  }
  return attempts;
}
