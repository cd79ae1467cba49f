import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../canonical/errors.js';
import type { GatewayContext } from '../context.js';
import { requireAdmin } from './auth.js';

/** The request log with each request's routing decision. */
export function registerAdminRequestRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/admin/requests', async (req) => {
    await requireAdmin(ctx, req);
    const query = req.query as { limit?: string };
    const limit = Math.min(1000, Math.max(1, Number(query.limit ?? 100) || 100));
    return { data: ctx.accounting.decisions.recent(limit) };
  });

  app.get('/admin/requests/:id', async (req) => {
    await requireAdmin(ctx, req);
    const { id } = req.params as { id: string };
    const record = ctx.accounting.decisions.get(id);
    if (!record) throw new GatewayError('not_found', `no request ${id} is known (the in-memory log keeps the most recent 5,000)`);
    return record;
  });
}
