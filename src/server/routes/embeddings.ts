import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../canonical/errors.js';
import { noRouteError, planRoute } from '../../routing/planner.js';
import { decodeEmbeddingsRequest } from '../../surfaces/openai/decode.js';
import { encodeEmbeddingsResponse } from '../../surfaces/openai/encode.js';
import type { GatewayContext } from '../context.js';
import { modelPrincipal } from '../principal.js';
import { clientGone, costReport, recordFailure, routeHeader } from '../serve-chat.js';

export function registerEmbeddingsRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/embeddings', async (req, reply) => {
    const startedAt = performance.now();
    const principal = await modelPrincipal(ctx, req);
    const request = decodeEmbeddingsRequest(req.body);
    // Policies, data classes and blocks apply to embeddings as to chat; so do a key's allowed models.
    const constraints = ctx.sovereignty?.constraints(principal, req.headers['x-switchboard-data-class']);
    const planned = planRoute(
      { model: request.model, ...(constraints ? { policy: constraints.policy, blocks: constraints.blocks } : {}) },
      { registry: ctx.registry, aliases: ctx.config.routing.aliases, health: ctx.health, substitutes: ctx.config.routing.substitutes },
    );
    if (principal.kind === 'key' && principal.key.models && principal.key.models.length > 0) {
      const allowed = principal.key.models;
      planned.attempts = planned.attempts.filter((a) => allowed.includes(a.model.id));
      if (planned.attempts.length === 0) throw new GatewayError('policy_denied', `key '${principal.key.name}' may not use '${request.model}'`, { param: 'model' });
    }
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
