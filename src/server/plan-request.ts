import type { ChatRequest } from '../canonical/index.js';
import type { ModelInfo } from '../catalog/types.js';
import { conversationAffinity } from '../routing/affinity.js';
import { requestFeatures } from '../routing/features.js';
import type { Constraints } from '../policy/service.js';
import { noRouteError, planRoute, type PlanInput, type RoutePlan } from '../routing/planner.js';
import { estimatePromptTokens } from '../tokens/index.js';
import type { GatewayContext } from './context.js';

/**
 * Plans a chat request: estimates its prompt size for the model asked for, derives its conversation affinity, and
 * refuses with the reasons when no host can serve it.
 */
/**
 * A prompt-size bound that no tokenizer exceeds in practice: one token per character, plus per-message and per-image
 * allowances. Budget reservations use it, so that "spend ≤ budget + one request's maximum" holds whatever the text;
 * the settlement refunds the difference.
 */
export function promptTokenCeiling(request: ChatRequest): number {
  let images = 0;
  for (const m of request.messages) if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'image') images++;
  return promptChars(request) + MESSAGE_ALLOWANCE * request.messages.length + IMAGE_ALLOWANCE * images;
}

/** A planned chat request, with what its plan was made from (so that `constrainPlan` can plan it again). */
export interface PlannedChat {
  plan: RoutePlan;
  promptTokens: number;
  input: PlanInput;
}

export function planChat(ctx: GatewayContext, request: ChatRequest, caller: string): PlannedChat {
  const first = ctx.registry.resolve(request.model);
  const promptTokens = promptTokensForPlanning(request, first, ctx);
  const input: PlanInput = {
    model: request.model,
    fallbackModels: request.fallbackModels,
    provider: request.provider,
    features: requestFeatures(request, promptTokens),
    affinity: conversationAffinity(request, caller),
  };
  const plan = planRoute(input, planEnvironment(ctx));
  if (plan.attempts.length === 0) throw noRouteError(plan, request.model);
  return { plan, promptTokens, input };
}

function planEnvironment(ctx: GatewayContext) {
  return { registry: ctx.registry, aliases: ctx.config.routing.aliases, health: ctx.health, substitutes: ctx.config.routing.substitutes };
}

/**
 * Plans the request again, in place, under the caller's effective policy and the blocks in force (known only once
 * the caller is), and refuses when nothing is left: 503 naming the block, 403 naming the policy rule. The planner
 * applies both as filters, before host health, so a host left out by them is never re-admitted as a last resort.
 */
export function constrainPlan(ctx: GatewayContext, planned: PlannedChat, constraints: Constraints, model: string): void {
  if (constraints.policy.layers.length === 0 && constraints.blocks.length === 0) return;
  const { plan, input } = planned;
  const constrained = planRoute({ ...input, policy: constraints.policy, blocks: constraints.blocks }, planEnvironment(ctx));
  plan.attempts = constrained.attempts;
  plan.exclusions = constrained.exclusions;
  plan.candidates = constrained.candidates;
  if (plan.attempts.length === 0) throw noRouteError(plan, model);
}

/** Characters of everything a prompt sends as text (tool definitions included). */
function promptChars(request: ChatRequest): number {
  let chars = 0;
  for (const m of request.messages) {
    if (typeof m.content === 'string') chars += m.content.length;
    else if (m.content) for (const p of m.content) chars += p.type === 'text' ? p.text.length : 0;
    for (const call of m.toolCalls ?? []) chars += call.arguments.length + call.name.length;
  }
  for (const tool of request.tools ?? []) chars += (tool.description?.length ?? 0) + JSON.stringify(tool.parameters ?? {}).length;
  return chars;
}

const MESSAGE_ALLOWANCE = 16;
const IMAGE_ALLOWANCE = 2000;

/**
 * The prompt size the planner compares with context windows. Counting with a real tokenizer costs milliseconds, so
 * it is done only when the prompt could possibly be too long: no tokenizer yields more than one token per
 * character (plus per-message and per-image allowances), so a prompt whose character count already fits every
 * candidate window needs no count, and a rough chars/4 serves for price ordering. Otherwise the estimate's lower
 * bound is used, so a host is only skipped when the prompt is surely too long for it.
 */
function promptTokensForPlanning(request: ChatRequest, model: ModelInfo | undefined, ctx: GatewayContext): number {
  const chars = promptChars(request);
  const ceiling = promptTokenCeiling(request);
  const smallestWindow = smallestContext(ctx, request, model);
  if (smallestWindow === undefined || ceiling <= smallestWindow) return Math.ceil(chars / 4);
  const catalogued = model ?? ctx.registry.catalogue?.model(request.model);
  const estimate = estimatePromptTokens(request, catalogued ?? { id: request.model });
  return Math.floor(estimate.tokens * (1 - estimate.errorBound));
}

function smallestContext(ctx: GatewayContext, request: ChatRequest, model: ModelInfo | undefined): number | undefined {
  let smallest: number | undefined;
  const consider = (m: ModelInfo | undefined) => {
    if (!m) return;
    for (const host of m.hosts) {
      const window = host.contextLength ?? m.contextLength;
      if (window !== undefined && (smallest === undefined || window < smallest)) smallest = window;
    }
  };
  consider(model);
  for (const name of request.fallbackModels ?? []) consider(ctx.registry.resolve(name));
  const alias = ctx.config.routing.aliases[request.model];
  if (alias) for (const name of Array.isArray(alias) ? alias : Object.keys(alias)) consider(ctx.registry.resolve(name));
  return smallest;
}
