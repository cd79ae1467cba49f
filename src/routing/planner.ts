import { GatewayError, type ProviderHints } from '../canonical/index.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { HostRoute, ModelInfo } from '../catalog/types.js';
import { blockProblem, blockReason } from '../policy/blocks.js';
import { policyProblem } from '../policy/rules.js';
import type { Block, EffectivePolicy } from '../policy/types.js';
import type { RequestFeatures } from './features.js';
import { hostKey } from './host-key.js';

/**
 * The routing planner: a pure function from a request's model names, hints and features, the registry, and a
 * read-only view of host health, to an ordered list of attempts plus the reason every other candidate was left out.
 * No I/O, no clock, no randomness of its own (the caller passes `affinity`), so a plan can be logged, explained,
 * replayed and benchmarked.
 */

export interface PlannedAttempt {
  model: ModelInfo;
  host: HostRoute;
}

export interface Exclusion {
  model: string;
  provider: string;
  reason: string;
  /** Set when a policy rule or a block left the host out (the refusal is then 403 or 503, not 400). */
  kind?: 'policy' | 'block';
}

export interface RoutePlan {
  attempts: PlannedAttempt[];
  exclusions: Exclusion[];
  /** Hosts considered before any filter. */
  candidates: number;
}

export interface HealthView {
  /** `readmitted`: unhealthy hosts kept so that no model loses every host; they are tried last. */
  usable(keys: string[]): { usable: string[]; excluded: { key: string; reason: string }[]; readmitted?: { key: string; reason: string }[] };
  snapshot(key: string): { latencyMs?: number; ttftMs?: number; tokensPerSecond?: number } | undefined;
}

export type Aliases = Readonly<Record<string, readonly string[] | Readonly<Record<string, number>>>>;

export interface PlanInput {
  model: string;
  fallbackModels?: readonly string[];
  provider?: ProviderHints;
  features?: RequestFeatures;
  /**
   * A number in [0, 1) that picks among weighted choices. Derived from the conversation, it keeps a conversation on
   * one host (warm prompt caches); random, it spreads load.
   */
  affinity?: number;
  /** The request's effective policy (global ∩ team ∩ key ∩ data class): hosts breaking a rule are left out. */
  policy?: EffectivePolicy;
  /** Blocks in force: hosts they switch off are left out. */
  blocks?: readonly Block[];
}

export interface PlanEnvironment {
  registry: ModelRegistry;
  aliases: Aliases;
  health?: HealthView;
  /** `routing.substitutes`: where a model's traffic goes when blocks switch off every allowed host of it. */
  substitutes?: Readonly<Record<string, readonly string[]>>;
}

/** Output tokens assumed when pricing a request whose client set no limit. */
const ASSUMED_OUTPUT_TOKENS = 1000;

function expandAlias(target: readonly string[] | Readonly<Record<string, number>>, affinity: number): string[] {
  if (Array.isArray(target)) return [...target];
  // A weighted set: the affinity picks the first model by weight; the rest follow, heaviest first.
  const entries = Object.entries(target as Record<string, number>).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let point = affinity * total;
  let first = 0;
  for (let i = 0; i < entries.length; i++) {
    point -= entries[i]![1];
    if (point < 0) {
      first = i;
      break;
    }
  }
  const ordered = entries.map(([id]) => id);
  return [ordered[first]!, ...ordered.filter((_, i) => i !== first)];
}

/** The estimated cost of this request on a host in µ$ (integer-ish), or undefined when unpriced. */
function requestPrice(host: HostRoute, features: RequestFeatures | undefined): number | undefined {
  const p = host.pricing;
  if (!p) return undefined;
  const input = features?.promptTokens ?? 1000;
  const output = features?.maxTokens ?? ASSUMED_OUTPUT_TOKENS;
  return input * p.input + output * p.output;
}

function capabilityProblem(model: ModelInfo, host: HostRoute, f: RequestFeatures, hints: ProviderHints | undefined): string | undefined {
  const caps = model.capabilities;
  if (f.tools && caps && !caps.tools) return 'the model does not support tools';
  if (f.jsonSchema && caps && !caps.jsonSchema) return 'the model does not support JSON-schema output';
  if (f.images && caps && !caps.vision) return 'the model does not accept images';
  const context = host.contextLength ?? model.contextLength;
  if (context !== undefined) {
    const needed = f.promptTokens + (f.maxTokens ?? 0);
    if (needed > context) return `~${f.promptTokens} prompt tokens${f.maxTokens ? ` + ${f.maxTokens} output` : ''} exceed the context window of ${context}`;
  }
  const maxOutput = host.maxOutput ?? model.maxOutput;
  if (f.maxTokens !== undefined && maxOutput !== undefined && f.maxTokens > maxOutput) return `max_tokens ${f.maxTokens} exceeds this host's output limit of ${maxOutput}`;
  if (hints?.requireParameters) {
    const supported = host.supportedParameters;
    if (!supported) return 'require_parameters: the parameters this host supports are unknown';
    const missing = f.parameters.filter((p) => !supported.includes(p));
    if (missing.length > 0) return `require_parameters: this host does not support ${missing.join(', ')}`;
  }
  return undefined;
}

function hintProblem(host: HostRoute, hints: ProviderHints | undefined): string | undefined {
  if (!hints) return undefined;
  const id = host.provider.id;
  if (hints.only && !hints.only.includes(id)) return 'not in provider.only';
  if (hints.ignore?.includes(id)) return 'in provider.ignore';
  if (hints.allowFallbacks === false && hints.order && !hints.order.includes(id)) return 'not in provider.order and allow_fallbacks is false';
  if (hints.maxPrice) {
    const p = host.pricing;
    // OpenRouter's max_price is in USD per million tokens; prices here are µ$ per million.
    if (!p) return 'unpriced, and the request sets provider.max_price';
    if (hints.maxPrice.prompt !== undefined && p.input > hints.maxPrice.prompt * 1e6) return `input price above provider.max_price.prompt`;
    if (hints.maxPrice.completion !== undefined && p.output > hints.maxPrice.completion * 1e6) return `output price above provider.max_price.completion`;
  }
  if (hints.dataCollection === 'deny' && host.provider.trainsOnPrompts !== false && !host.provider.selfHosted) {
    return host.provider.trainsOnPrompts === undefined ? 'data_collection: deny, and this provider’s training policy is unknown' : 'data_collection: deny, and this provider trains on prompts';
  }
  if (hints.zdr && host.provider.dataRetentionDays !== 0 && !host.provider.selfHosted) return 'zdr: this provider does not promise zero data retention';
  if (hints.quantizations && (!host.quantization || !hints.quantizations.includes(host.quantization))) {
    return `quantization ${host.quantization ?? 'unknown'} not in provider.quantizations`;
  }
  return undefined;
}

/** Rank classes: free first, then priced, then unpriced (whose cost nobody can vouch for). */
function priceClass(price: number | undefined): number {
  if (price === undefined) return 2;
  return price === 0 ? 0 : 1;
}

interface Scored {
  host: HostRoute;
  price: number | undefined;
  weight: number;
}

function orderHosts(model: ModelInfo, hosts: HostRoute[], input: PlanInput, env: PlanEnvironment): HostRoute[] {
  const hints = input.provider;
  const scored: Scored[] = hosts.map((host) => {
    const price = requestPrice(host, input.features);
    return { host, price, weight: price === undefined || price === 0 ? 1 : 1 / (price * price) };
  });
  const byClassThenPrice = (a: Scored, b: Scored) => priceClass(a.price) - priceClass(b.price) || (a.price ?? 0) - (b.price ?? 0);
  const sort = hints?.sort;
  if (sort === 'price') {
    scored.sort(byClassThenPrice);
  } else if (sort === 'latency' || sort === 'throughput') {
    const metric = (s: Scored): number | undefined => {
      const snap = env.health?.snapshot(hostKey(s.host.provider.id, s.host.upstreamModel));
      return sort === 'latency' ? snap?.ttftMs ?? snap?.latencyMs : snap?.tokensPerSecond === undefined ? undefined : -snap.tokensPerSecond;
    };
    // Unmeasured hosts go last; among them, cheapest first.
    scored.sort((a, b) => {
      const ma = metric(a);
      const mb = metric(b);
      if (ma === undefined || mb === undefined) return ma === undefined && mb === undefined ? byClassThenPrice(a, b) : ma === undefined ? 1 : -1;
      return ma - mb;
    });
  } else {
    // The default spreads load over hosts, weighted towards the cheaper (inverse square of price, as OpenRouter
    // does); the affinity picks the first host, so one conversation stays on one host.
    scored.sort(byClassThenPrice);
    const firstClass = priceClass(scored[0]?.price);
    const pool = scored.filter((s) => priceClass(s.price) === firstClass);
    if (pool.length > 1) {
      const total = pool.reduce((sum, s) => sum + s.weight, 0);
      let point = (input.affinity ?? 0) * total;
      let pick = pool[0]!;
      for (const s of pool) {
        point -= s.weight;
        if (point < 0) {
          pick = s;
          break;
        }
      }
      scored.splice(scored.indexOf(pick), 1);
      scored.unshift(pick);
    }
  }
  let ordered = scored.map((s) => s.host);
  if (hints?.order) {
    const order = hints.order;
    const rank = (h: HostRoute) => {
      const i = order.indexOf(h.provider.id);
      return i === -1 ? Number.MAX_SAFE_INTEGER : i;
    };
    ordered = ordered.map((h, i) => ({ h, i })).sort((a, b) => rank(a.h) - rank(b.h) || a.i - b.i).map((x) => x.h);
  }
  void model;
  return ordered;
}

/** Plans a request: `model` first, then `models[]` in order, each expanded to its usable hosts. */
export function planRoute(input: PlanInput, env: PlanEnvironment): RoutePlan {
  const names = [input.model, ...(input.fallbackModels ?? [])];
  const affinity = input.affinity ?? 0;
  const seen = new Set<string>();
  const attempts: PlannedAttempt[] = [];
  const exclusions: Exclusion[] = [];
  let candidates = 0;
  let resolvedAny = false;
  for (const name of names) {
    const alias = env.aliases[name];
    for (const candidate of alias ? expandAlias(alias, affinity) : [name]) {
      const model = env.registry.resolve(candidate);
      if (!model) {
        if (name !== input.model || alias) exclusions.push({ model: candidate, provider: '', reason: 'no configured provider serves this model' });
        continue;
      }
      resolvedAny = true;
      if (seen.has(model.id)) continue;
      seen.add(model.id);
      candidates += model.hosts.length;
      let hosts: HostRoute[] = [];
      let blocked = false;
      for (const host of model.hosts) {
        const problem = hintProblem(host, input.provider) ?? (input.features ? capabilityProblem(model, host, input.features, input.provider) : undefined);
        // Policy before blocks: a host is reported as blocked only when the request's policy would allow it.
        const violation = problem ? undefined : policyProblem(model, host, input.policy);
        const block = problem || violation ? undefined : blockProblem(model, host, input.blocks);
        if (problem) exclusions.push({ model: model.id, provider: host.provider.id, reason: problem });
        else if (violation) exclusions.push({ model: model.id, provider: host.provider.id, reason: violation.reason, kind: 'policy' });
        else if (block) {
          exclusions.push({ model: model.id, provider: host.provider.id, reason: blockReason(block), kind: 'block' });
          blocked = true;
        } else hosts.push(host);
      }
      // Blocks switched off every allowed host of this model: its configured substitutes are tried after the rest.
      if (blocked && hosts.length === 0) names.push(...(env.substitutes?.[model.id] ?? []));
      let lastResort: HostRoute[] = [];
      if (env.health && hosts.length > 0) {
        const keys = hosts.map((h) => hostKey(h.provider.id, h.upstreamModel));
        const verdict = env.health.usable(keys);
        if (verdict.readmitted && verdict.readmitted.length > 0) {
          const kept = new Set(verdict.readmitted.map((r) => r.key));
          lastResort = verdict.readmitted.map((r) => hosts[keys.indexOf(r.key)]!);
          for (const r of verdict.readmitted) {
            exclusions.push({ model: model.id, provider: hosts[keys.indexOf(r.key)]!.provider.id, reason: r.reason });
          }
          hosts = hosts.filter((_, i) => !kept.has(keys[i]!));
        }
        if (verdict.excluded.length > 0) {
          const usable = new Set(verdict.usable);
          for (const ex of verdict.excluded) {
            const host = hosts[keys.indexOf(ex.key)]!;
            exclusions.push({ model: model.id, provider: host.provider.id, reason: ex.reason });
          }
          hosts = hosts.filter((_, i) => usable.has(keys[i]!));
        }
      }
      for (const host of orderHosts(model, hosts, input, env)) attempts.push({ model, host });
      for (const host of lastResort) attempts.push({ model, host });
    }
  }
  if (!resolvedAny) {
    const known = env.registry.catalogue?.model(input.model);
    const why = known
      ? `model '${input.model}' (${known.id}) is in the catalogue, but no configured provider serves it`
      : `model '${input.model}' is not served by this gateway`;
    throw new GatewayError('model_not_found', `${why} (GET /v1/models lists the models it serves)`, { param: 'model' });
  }
  return { attempts, exclusions, candidates };
}

/**
 * The plan's reason for refusing when no attempt is left: the exclusions, summarised for the client. A block that
 * switched off an otherwise allowed host makes it 503 `no_route_blocked` naming the block; else a policy rule makes
 * it 403 `policy_denied` naming the rule (only the caller's own policies are evaluated, so another tenant's
 * settings never appear); else 400.
 */
export function noRouteError(plan: RoutePlan, model: string): GatewayError {
  const blocked = [...new Set(plan.exclusions.filter((e) => e.kind === 'block').map((e) => e.reason))];
  if (blocked.length > 0) return new GatewayError('no_route_blocked', `no route for '${model}': ${blocked.slice(0, 3).join('; ')}`);
  const denied = [...new Set(plan.exclusions.filter((e) => e.kind === 'policy').map((e) => e.reason))];
  if (denied.length > 0) return new GatewayError('policy_denied', `no allowed route for '${model}': ${denied.slice(0, 3).join('; ')}`, { param: 'model' });
  const reasons = [...new Set(plan.exclusions.map((e) => `${e.provider ? `${e.provider}: ` : ''}${e.reason}`))].slice(0, 5);
  const contextOnly = plan.exclusions.length > 0 && plan.exclusions.every((e) => /context window/.test(e.reason));
  return new GatewayError(contextOnly ? 'context_length_exceeded' : 'invalid_request', `no host can serve '${model}' for this request: ${reasons.join('; ')}`, {
    param: contextOnly ? 'messages' : undefined,
  });
}
