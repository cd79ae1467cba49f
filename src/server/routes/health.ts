import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_req, reply) => {
    if (ctx.draining()) {
      reply.code(503);
      return { status: 'draining' };
    }
    return { status: 'ready', providers: ctx.registry.providers.size };
  });
}
