import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../canonical/errors.js';
import { policySchema } from '../../config/schema.js';
import { wireBlock } from '../../policy/blocks.js';
import type { SovereigntyService } from '../../policy/service.js';
import type { BlockKind, BlockSelector } from '../../policy/types.js';
import { parseBody } from '../../surfaces/validation.js';
import type { GatewayContext } from '../context.js';
import { requireAdmin } from './auth.js';

/**
 * `/admin/policies`, `/admin/blocks`, `/admin/drills`, `/admin/audit`: reads for viewers, changes for admins. Every
 * change is written together with its audit row and reaches every replica within a second.
 */

const blockBody = z
  .strictObject({
    origin: z.string().min(1).max(8).optional(),
    provider: z.string().min(1).max(200).optional(),
    model: z.string().min(1).max(300).optional(),
    reason: z.string().max(1000).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => [b.origin, b.provider, b.model].filter((v) => v !== undefined).length === 1, { message: 'name exactly one of origin, provider or model' });

const drillBody = z.strictObject({
  without: z
    .array(z.union([z.strictObject({ origin: z.string().min(1) }), z.strictObject({ provider: z.string().min(1) }), z.strictObject({ model: z.string().min(1) })]))
    .min(1),
  since: z.string().min(1).optional(),
  threshold: z.number().gt(0).lt(1).optional(),
});

function service(ctx: GatewayContext): SovereigntyService {
  if (!ctx.sovereignty) throw new GatewayError('admin_disabled', 'policies and blocks need the storage layer, which is not configured');
  return ctx.sovereignty;
}

function selectorOf(b: { origin?: string; provider?: string; model?: string }): BlockSelector | undefined {
  for (const kind of ['origin', 'provider', 'model'] as const satisfies readonly BlockKind[]) {
    const value = b[kind];
    if (value !== undefined) return { kind, value };
  }
  return undefined;
}

export function registerAdminSovereigntyRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  // -- policies ------------------------------------------------------------------------------------------------

  app.get('/admin/policies', async (req) => {
    await requireAdmin(ctx, req);
    return { data: service(ctx).listPolicies() };
  });

  // Data classes come from the config only; listed from the least restrictive (rank 0) up, as keys' minimums compare.
  app.get('/admin/data-classes', async (req) => {
    await requireAdmin(ctx, req);
    return { data: Object.entries(ctx.config.dataClasses).map(([name, policy], rank) => ({ name, rank, policy })) };
  });

  app.get('/admin/policies/:name', async (req, reply) => {
    await requireAdmin(ctx, req);
    const s = service(ctx);
    const name = (req.params as { name: string }).name;
    const policy = s.policy(name);
    if (!policy) throw new GatewayError('not_found', `no policy named '${name}'`);
    // The body is the policy exactly as the config file writes it (so it can be PUT back); where it lives is a header.
    void reply.header('x-switchboard-policy-source', s.policySource(name));
    return policy;
  });

  app.put('/admin/policies/:name', async (req, reply) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const name = (req.params as { name: string }).name;
    const policy = parseBody(policySchema, req.body);
    const result = await service(ctx).putPolicy(name, policy, person.id);
    req.log.info({ policy: name, by: person.id }, result.created ? 'policy created' : 'policy replaced');
    reply.code(result.created ? 201 : 200);
    return result.policy;
  });

  app.delete('/admin/policies/:name', async (req) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const name = (req.params as { name: string }).name;
    if (!(await service(ctx).deletePolicy(name, person.id))) throw new GatewayError('not_found', `no stored policy named '${name}'`);
    req.log.info({ policy: name, by: person.id }, 'policy deleted');
    return { name, deleted: true };
  });

  // -- blocks --------------------------------------------------------------------------------------------------

  app.post('/admin/blocks', async (req, reply) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const body = parseBody(blockBody, req.body);
    const block = await service(ctx).createBlock({ selector: selectorOf(body)!, reason: body.reason, until: body.until }, person.id);
    req.log.warn({ block: block.id, selector: block.selector, until: block.until, by: person.id }, 'block created');
    reply.code(201);
    return wireBlock(block, Date.now());
  });

  app.get('/admin/blocks', async (req) => {
    await requireAdmin(ctx, req);
    const query = req.query as { all?: string };
    const all = query.all === '1' || query.all === 'true';
    const now = Date.now();
    return { data: (await service(ctx).listBlocks(all)).map((b) => wireBlock(b, now)) };
  });

  app.delete('/admin/blocks/:id', async (req) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const id = (req.params as { id: string }).id;
    const removed = await service(ctx).removeBlock(id, person.id);
    if (!removed) throw new GatewayError('not_found', `no block '${id}' in force`);
    req.log.warn({ block: id, by: person.id }, 'block removed');
    return wireBlock(removed, Date.now());
  });

  /** Unblock by selector: `DELETE /admin/blocks?provider=deepseek` lifts every block on exactly that. */
  app.delete('/admin/blocks', async (req) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const q = req.query as { origin?: string; provider?: string; model?: string };
    const selectors = [q.origin, q.provider, q.model].filter((v) => v !== undefined);
    if (selectors.length !== 1) throw new GatewayError('invalid_request', 'name exactly one of origin, provider or model (or DELETE /admin/blocks/:id)');
    const removed = await service(ctx).removeBlocksMatching(selectorOf(q)!, person.id);
    const now = Date.now();
    return { data: removed.map((b) => wireBlock(b, now)) };
  });

  // -- drills --------------------------------------------------------------------------------------------------

  app.post('/admin/drills', async (req) => {
    await requireAdmin(ctx, req);
    const body = parseBody(drillBody, req.body);
    return service(ctx).drill(body);
  });

  // -- audit ---------------------------------------------------------------------------------------------------

  app.get('/admin/audit', async (req) => {
    await requireAdmin(ctx, req);
    const q = req.query as { after?: string; limit?: string };
    const after = Math.max(0, Number.parseInt(q.after ?? '0', 10) || 0);
    const limit = Math.min(1000, Math.max(1, Number.parseInt(q.limit ?? '100', 10) || 100));
    const rows = await service(ctx).auditRows(after, limit);
    return { data: rows.map((r) => ({ ...r, before: r.before === null ? null : (JSON.parse(r.before) as unknown), after: r.after === null ? null : (JSON.parse(r.after) as unknown) })) };
  });

  app.get('/admin/audit/verify', async (req) => {
    await requireAdmin(ctx, req);
    return service(ctx).verifyAudit();
  });
}
