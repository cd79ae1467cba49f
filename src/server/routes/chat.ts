import type { FastifyInstance } from 'fastify';
import { planAttempts } from '../../routing/plan.js';
import { decodeChatRequest } from '../../surfaces/openai/decode.js';
import { openAIChatSurface } from '../../surfaces/openai/encode.js';
import type { GatewayContext } from '../context.js';
import { checkModelAccess } from '../auth.js';
import { serveChat } from '../serve-chat.js';

export function registerChatRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/chat/completions', async (req, reply) => {
    const startedAt = performance.now();
    checkModelAccess(ctx.auth, req.headers);
    const request = decodeChatRequest(req.body);
    const plan = planAttempts(request, ctx.registry, ctx.config.routing.aliases);
    return serveChat(ctx, req, reply, { request, plan, surface: openAIChatSurface, startedAt, warnings: [] });
  });
}
