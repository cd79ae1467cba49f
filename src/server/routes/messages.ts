import type { FastifyInstance } from 'fastify';
import { planRoute } from '../../routing/planner.js';
import { decodeCountTokensRequest, decodeMessagesRequest } from '../../surfaces/anthropic/decode.js';
import { anthropicMessagesSurface } from '../../surfaces/anthropic/encode.js';
import type { GatewayContext } from '../context.js';
import { presentedKey } from '../auth.js';
import { admitRequest, modelPrincipal } from '../principal.js';
import { planChat } from '../plan-request.js';
import { serveChat } from '../serve-chat.js';
import { estimatePromptTokens } from '../../tokens/index.js';

/** The Anthropic Messages dialect inbound, for any routed model. */
export function registerMessagesRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/messages', async (req, reply) => {
    const startedAt = performance.now();
    const principal = await modelPrincipal(ctx, req);
    const { request, warnings } = decodeMessagesRequest(req.body);
    const planned = planChat(ctx, request, presentedKey(req.headers) ?? req.ip);
    const admission = await admitRequest(ctx, req, principal, request, planned);
    const { plan } = planned;
    return serveChat(ctx, req, reply, { request, plan, surface: anthropicMessagesSurface, startedAt, warnings, admission });
  });

  app.post('/v1/messages/count_tokens', async (req) => {
    await modelPrincipal(ctx, req);
    const { request } = decodeCountTokensRequest(req.body);
    const plan = planRoute({ model: request.model }, { registry: ctx.registry, aliases: ctx.config.routing.aliases });
    const model = plan.attempts[0]?.model ?? { id: request.model };
    return { input_tokens: estimatePromptTokens(request, model).tokens };
  });
}
