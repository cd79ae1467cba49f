import type { FastifyInstance } from 'fastify';
import { noRouteError, planRoute } from '../../routing/planner.js';
import { decodeEmbeddingsRequest } from '../../surfaces/openai/decode.js';
import { encodeEmbeddingsResponse } from '../../surfaces/openai/encode.js';
import type { GatewayContext } from '../context.js';
import { modelPrincipal } from '../principal.js';
import { clientGone, costReport, recordFailure, routeHeader } from '../serve-chat.js';

export function registerEmbeddingsRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/embeddings', async (req, reply) => {
    const startedAt = performance.now();
    await modelPrincipal(ctx, req);
    const request = decodeEmbeddingsRequest(req.body);
    const planned = planRoute({ model: request.model }, { registry: ctx.registry, aliases: ctx.config.routing.aliases, health: ctx.health });
    if (planned.attempts.length === 0) throw noRouteError(planned, request.model);

    let outcome: Awaited<ReturnType<typeof ctx.executor.embeddings>>;
    try {
      outcome = await ctx.executor.embeddings(request, planned.attempts, { requestId: req.id, signal: clientGone(reply) });
    } catch (err) {
      throw recordFailure(ctx, req, 'embeddings', false, planned, err, startedAt);
    }
    const { attempt, attempts, response } = outcome;
    reply.header('x-switchboard-route', routeHeader(attempt, attempts));
    const served = { requestId: req.id, model: attempt.model.id, provider: attempt.host.provider.id, attempts: attempts.length };
    const cost = costReport(response.usage, attempt.host);
    ctx.accounting.record(req, { route: 'embeddings', stream: false, plan: planned, model: served.model, provider: served.provider, status: 200, attempts, usage: response.usage, cost, startedAt });
    return encodeEmbeddingsResponse(response, served, cost);
  });
}
