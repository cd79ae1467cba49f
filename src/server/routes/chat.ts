import type { FastifyInstance } from 'fastify';
import { decodeChatRequest } from '../../surfaces/openai/decode.js';
import { openAIChatSurface } from '../../surfaces/openai/encode.js';
import type { GatewayContext } from '../context.js';
import { presentedKey } from '../auth.js';
import { admitRequest, modelPrincipal } from '../principal.js';
import { planChat } from '../plan-request.js';
import { serveChat } from '../serve-chat.js';

export function registerChatRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/chat/completions', async (req, reply) => {
    const startedAt = performance.now();
    const principal = await modelPrincipal(ctx, req);
    const request = decodeChatRequest(req.body);
    const planned = planChat(ctx, request, presentedKey(req.headers) ?? req.ip);
    const admission = await admitRequest(ctx, req, principal, request, planned);
    const { plan } = planned;
    return serveChat(ctx, req, reply, { request, plan, surface: openAIChatSurface, startedAt, warnings: [], admission });
  });
}
