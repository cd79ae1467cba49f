import type { FastifyInstance } from 'fastify';
import { decodeChatRequest } from '../../surfaces/openai/decode.js';
import { openAIChatSurface } from '../../surfaces/openai/encode.js';
import type { GatewayContext } from '../context.js';
import { checkModelAccess, presentedKey } from '../auth.js';
import { planChat } from '../plan-request.js';
import { serveChat } from '../serve-chat.js';

export function registerChatRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/chat/completions', async (req, reply) => {
    const startedAt = performance.now();
    checkModelAccess(ctx.auth, req.headers);
    const request = decodeChatRequest(req.body);
    const plan = planChat(ctx, request, presentedKey(req.headers) ?? req.ip);
    return serveChat(ctx, req, reply, { request, plan, surface: openAIChatSurface, startedAt, warnings: [] });
  });
}
