import type { FastifyInstance } from 'fastify';
import { planAttempts } from '../../routing/plan.js';
import { decodeEmbeddingsRequest } from '../../surfaces/openai/decode.js';
import { encodeEmbeddingsResponse } from '../../surfaces/openai/encode.js';
import type { GatewayContext } from '../context.js';
import { checkModelAccess } from '../auth.js';
import { clientGone, costReport, routeHeader } from './chat.js';

export function registerEmbeddingsRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/embeddings', async (req, reply) => {
    checkModelAccess(ctx.auth, req.headers);
    const request = decodeEmbeddingsRequest(req.body);
    const plan = planAttempts({ model: request.model }, ctx.registry, ctx.config.routing.aliases);
    const outcome = await ctx.executor.embeddings(request, plan, { requestId: req.id, signal: clientGone(reply) });
    reply.header('x-switchboard-route', routeHeader(outcome.attempt, outcome.attempts));
    const served = { requestId: req.id, model: outcome.attempt.model.id, provider: outcome.attempt.host.provider.id, attempts: outcome.attempts.length };
    return encodeEmbeddingsResponse(outcome.response, served, costReport(outcome.response.usage, outcome.attempt.host));
  });
}
