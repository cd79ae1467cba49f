import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_req, reply) => {
    if (ctx.draining()) {
      reply.code(503);
      return { status: 'draining' };
    }
    const stores = ctx.readiness?.() ?? [];
    const down = stores.filter((s) => !s.healthy);
    if (down.length > 0) {
      reply.code(503);
      return { status: 'unavailable', stores: stores.map((s) => ({ name: s.name, status: s.status })) };
    }
    return { status: 'ready', providers: ctx.registry.providers.size, stores: stores.map((s) => ({ name: s.name, status: s.status })) };
  });
}
