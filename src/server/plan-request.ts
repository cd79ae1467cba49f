import type { ChatRequest } from '../canonical/index.js';
import { conversationAffinity } from '../routing/affinity.js';
import { requestFeatures } from '../routing/features.js';
import { noRouteError, planRoute, type RoutePlan } from '../routing/planner.js';
import { estimatePromptTokens } from '../tokens/index.js';
import type { GatewayContext } from './context.js';

/**
 * Plans a chat request: estimates its prompt size for the model asked for, derives its conversation affinity, and
 * refuses with the reasons when no host can serve it.
 */
export function planChat(ctx: GatewayContext, request: ChatRequest, caller: string): RoutePlan {
  const first = ctx.registry.resolve(request.model) ?? ctx.registry.catalogue?.model(request.model);
  const estimate = estimatePromptTokens(request, first ?? { id: request.model });
  // Only a prompt that is surely too long is kept from a host: the estimate's lower bound is compared.
  const promptTokens = Math.floor(estimate.tokens * (1 - estimate.errorBound));
  const plan = planRoute(
    {
      model: request.model,
      fallbackModels: request.fallbackModels,
      provider: request.provider,
      features: requestFeatures(request, promptTokens),
      affinity: conversationAffinity(request, caller),
    },
    { registry: ctx.registry, aliases: ctx.config.routing.aliases, health: ctx.health },
  );
  if (plan.attempts.length === 0) throw noRouteError(plan, request.model);
  return plan;
}
