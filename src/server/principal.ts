import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../canonical/errors.js';
import { pricesFor } from '../catalog/cost.js';
import type { ChatRequest } from '../canonical/index.js';
import type { RoutePlan } from '../routing/planner.js';
import type { Admission, Principal } from '../tenancy/service.js';
import { freeOverBudgetAllowed } from '../policy/rules.js';
import { DATA_CLASS_HEADER } from '../policy/resolve.js';
import { presentedKey, safeEqual } from './auth.js';
import type { GatewayContext } from './context.js';
import { constrainPlan, promptTokenCeiling, type PlannedChat } from './plan-request.js';

/**
 * Who sent a model request. Open mode (no admin key on loopback, or `auth: none`) ignores any key; otherwise the
 * admin key itself is accepted (the operator's own traffic, without budgets), and everything else must be a valid
 * virtual key.
 */
export async function modelPrincipal(ctx: GatewayContext, req: FastifyRequest): Promise<Principal> {
  if (ctx.auth.openModelAccess) return { kind: 'open' };
  const key = presentedKey(req.headers);
  if (!key) throw new GatewayError('unauthorized', 'missing API key: send Authorization: Bearer <key> or x-api-key');
  if (ctx.auth.adminKey && safeEqual(key, ctx.auth.adminKey)) return { kind: 'admin' };
  if (!ctx.tenancy) throw new GatewayError('unauthorized', 'invalid API key');
  return ctx.tenancy.keyPrincipal(key, req.ip);
}

/** Output tokens assumed for the budget reservation when neither the request nor the host states a limit. */
const DEFAULT_MAX_OUTPUT = 8192;

/**
 * The most a request can cost on any host its plan may reach: an upper bound of its prompt (see
 * `promptTokenCeiling`) plus its output limit (the request's `max_tokens`, else the host's, else the model's, else
 * what the context window leaves), at that host's prices for a prompt of that size. Unpriced hosts cannot be
 * bounded and add nothing: their spend is recorded as unpriced, never as free.
 */
export function maxCostNano(plan: RoutePlan, request: ChatRequest, promptTokens: number): number {
  let max = 0;
  for (const { host, model } of plan.attempts) {
    if (!host.pricing) continue;
    const prices = pricesFor(host.pricing, promptTokens);
    const window = host.contextLength ?? model.contextLength;
    const output = request.maxTokens ?? host.maxOutput ?? model.maxOutput ?? (window !== undefined ? Math.max(1, window - promptTokens) : DEFAULT_MAX_OUTPUT);
    const pico = promptTokens * prices.input + output * prices.output;
    max = Math.max(max, Math.ceil(pico / 1000));
  }
  return max;
}

function isFree(attempt: RoutePlan['attempts'][number]): boolean {
  const p = attempt.host.pricing;
  return p !== undefined && p.input === 0 && p.output === 0;
}

/**
 * Applies the caller's policies (global, team, key, data class) and the blocks in force to the plan, then a key's
 * own restrictions (its allowed models), then admits the request against its rate limits and budgets. On a spent
 * budget, hosts priced at zero (self-hosted) still serve, unless one of the caller's policies forbids it.
 */
export async function admitRequest(ctx: GatewayContext, req: FastifyRequest, principal: Principal, request: ChatRequest, planned: PlannedChat): Promise<Admission | undefined> {
  const { plan, promptTokens } = planned;
  const constraints = ctx.sovereignty?.constraints(principal, req.headers[DATA_CLASS_HEADER]);
  if (constraints) constrainPlan(ctx, planned, constraints, request.model);
  if (principal.kind !== 'key' || !ctx.tenancy) return undefined;
  const allowed = principal.key.models;
  if (allowed && allowed.length > 0) {
    const before = plan.attempts.length;
    plan.attempts = plan.attempts.filter((a) => allowed.includes(a.model.id));
    if (plan.attempts.length === 0 && before > 0) {
      throw new GatewayError('policy_denied', `key '${principal.key.name}' may not use '${request.model}' (its allowed models: ${allowed.join(', ')})`, { param: 'model' });
    }
  }
  const policyName = principal.key.policy ?? principal.team?.policy;
  const policy = policyName ? ctx.config.policies[policyName] : undefined;
  const freeAllowed = constraints ? freeOverBudgetAllowed(constraints.policy) : policy?.allowZeroPriceOverBudget !== false;
  const ceiling = promptTokenCeiling(request);
  return ctx.tenancy.admit(principal, promptTokens, maxCostNano(plan, request, ceiling), req.id, () => {
    if (!freeAllowed) return false;
    const free = plan.attempts.filter(isFree);
    if (free.length === 0) return false;
    plan.attempts = free;
    return true;
  });
}
