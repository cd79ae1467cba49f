import type { FastifyInstance } from 'fastify';
import { planAttempts } from '../../routing/plan.js';
import { decodeCountTokensRequest, decodeMessagesRequest } from '../../surfaces/anthropic/decode.js';
import { anthropicMessagesSurface } from '../../surfaces/anthropic/encode.js';
import type { GatewayContext } from '../context.js';
import { checkModelAccess } from '../auth.js';
import { serveChat } from '../serve-chat.js';
import { estimateInputTokens } from '../token-estimate.js';

/** The Anthropic Messages dialect inbound, for any routed model. */
export function registerMessagesRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/messages', async (req, reply) => {
    const startedAt = performance.now();
    checkModelAccess(ctx.auth, req.headers);
    const { request, warnings } = decodeMessagesRequest(req.body);
    const plan = planAttempts(request, ctx.registry, ctx.config.routing.aliases);
    return serveChat(ctx, req, reply, { request, plan, surface: anthropicMessagesSurface, startedAt, warnings });
  });

  app.post('/v1/messages/count_tokens', async (req) => {
    checkModelAccess(ctx.auth, req.headers);
    const { request } = decodeCountTokensRequest(req.body);
    const plan = planAttempts(request, ctx.registry, ctx.config.routing.aliases);
    return { input_tokens: estimateInputTokens(request, plan[0]!.model) };
  });
}
