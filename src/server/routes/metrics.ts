import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';

export function registerMetricsRoute(app: FastifyInstance, ctx: GatewayContext): void {
  const { registry } = ctx.accounting.metrics;
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
