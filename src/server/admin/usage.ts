import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../canonical/errors.js';
import { nanoToUsd } from '../../catalog/cost.js';
import type { Ledger } from '../../ledger/index.js';
import { HOST_COLUMNS, USAGE_COLUMNS, queryString, toCsv, topRows, wantsCsv, type QueryString, type TopBy } from '../../ledger/query.js';
import type { LedgerRecord, RequestListQuery } from '../../ledger/types.js';
import type { DecisionRecord } from '../../routing/decision.js';
import type { GatewayContext } from '../context.js';
import { modelPrincipal } from '../principal.js';
import { requireAdmin } from './auth.js';

/**
 * The analytics API, read from the ledger's roll-ups (docs/ledger.md):
 *
 * - `GET /admin/usage?groupBy=…&interval=hour|day|week|total&from=…&to=…[&keyId=…|&teamId=…]` → `{rows}`;
 *   `GET /admin/usage/top?groupBy=model&by=cost|tokens|requests&limit=10`; `GET /admin/usage/hosts` (latency and
 *   TTFT percentiles, error rates per host). Admin key or a person's token (viewer may read). CSV with
 *   `format=csv` or `Accept: text/csv`.
 * - `GET /admin/requests`, `GET /admin/requests/:id`: from the ledger, falling back to the in-memory decision log for
 *   requests not written yet (or when the ledger is off). Stored prompts and completions are shown to admins only.
 * - `GET /v1/usage`: a virtual key reads its own usage (`scope=key`, the default) or its team's totals
 *   (`scope=team`), never another tenant's. Virtual keys cannot use the /admin routes at all (401).
 */
export function registerUsageRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const ledgerOf = (): Ledger => {
    const ledger = ctx.accounting.ledger;
    if (!ledger) throw new GatewayError('not_found', 'the usage ledger is not enabled on this gateway');
    return ledger;
  };

  app.get('/admin/usage', async (req, reply) => {
    await requireAdmin(ctx, req);
    const q = req.query as QueryString;
    const rows = await ledgerOf().usage(q, { keyId: queryString(q, 'keyId'), teamId: queryString(q, 'teamId') });
    return send(req, reply, q, rows, USAGE_COLUMNS);
  });

  app.get('/admin/usage/top', async (req, reply) => {
    await requireAdmin(ctx, req);
    const q = req.query as QueryString;
    const by = (queryString(q, 'by') ?? 'cost') as TopBy;
    if (!['cost', 'tokens', 'requests'].includes(by)) throw new GatewayError('invalid_request', 'by must be cost, tokens or requests', { param: 'by' });
    const limit = Math.min(100, Math.max(1, Number(queryString(q, 'limit') ?? 10) || 10));
    const rows = await ledgerOf().usage({ groupBy: 'model', ...q, interval: 'total' }, { keyId: queryString(q, 'keyId'), teamId: queryString(q, 'teamId') });
    return send(req, reply, q, topRows(rows, by, limit), USAGE_COLUMNS);
  });

  app.get('/admin/usage/hosts', async (req, reply) => {
    await requireAdmin(ctx, req);
    const q = req.query as QueryString;
    return send(req, reply, q, await ledgerOf().hosts(q), HOST_COLUMNS);
  });

  app.get('/admin/requests', async (req) => {
    await requireAdmin(ctx, req);
    const q = req.query as QueryString;
    const limit = Math.min(1000, Math.max(1, Number(queryString(q, 'limit') ?? 100) || 100));
    const status = queryString(q, 'status');
    const filter: RequestListQuery = {
      limit,
      before: queryString(q, 'before'),
      keyId: queryString(q, 'keyId'),
      teamId: queryString(q, 'teamId'),
      model: queryString(q, 'model'),
      status: status === undefined ? undefined : Number(status),
    };
    const recent = ctx.accounting.decisions.recent(limit);
    const ledger = ctx.accounting.ledger;
    if (!ledger) return { data: recent };
    const queued = ledger.unwrittenRecent(limit).map((r) => requestView(r));
    const stored = (
      await ledger.list(filter).catch((err: unknown) => {
        req.log.warn({ err: (err as Error).message }, 'ledger unavailable: listing requests from memory');
        return [];
      })
    ).map((r) => requestView(r));
    const filtered = Object.values(filter).some((v, i) => i > 0 && v !== undefined);
    // Requests still on their way to the database come from memory (only for an unfiltered list): the ledger's own
    // queue, then the decision log for those whose record is not built yet.
    const seen = new Set(stored.map((r) => r.requestId));
    const fromMemory: DecisionRecord[] = [];
    for (const r of [...queued, ...recent]) {
      if (seen.has(r.requestId)) continue;
      seen.add(r.requestId);
      fromMemory.push(r);
    }
    const merged = filtered ? stored : [...fromMemory, ...stored];
    merged.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return { data: merged.slice(0, limit) };
  });

  app.get('/admin/requests/:id', async (req) => {
    const person = await requireAdmin(ctx, req);
    const { id } = req.params as { id: string };
    // The ledger first, then its records not written yet; a request whose record is not built yet, or one the
    // database cannot give back (it is down), falls back to the in-memory decision log.
    const stored = await ctx.accounting.ledger?.get(id).catch((err: unknown) => {
      req.log.warn({ err: (err as Error).message }, 'ledger unavailable: serving the request from memory');
      return undefined;
    });
    if (stored) return requestView(stored, person.role === 'admin');
    const unwritten = ctx.accounting.ledger?.unwritten(id);
    if (unwritten) return requestView(unwritten, person.role === 'admin');
    const record = ctx.accounting.decisions.get(id);
    if (!record) throw new GatewayError('not_found', `no request ${id} is known`);
    return record;
  });

  app.get('/v1/usage', async (req, reply) => {
    const principal = await modelPrincipal(ctx, req);
    if (principal.kind !== 'key') {
      throw new GatewayError('invalid_request', 'GET /v1/usage reports a virtual key\'s own usage: call it with a virtual key (operators use /admin/usage)');
    }
    const q = req.query as QueryString;
    const { key } = principal;
    const asked = { keyId: queryString(q, 'keyId'), teamId: queryString(q, 'teamId') };
    if ((asked.keyId !== undefined && asked.keyId !== key.id) || (asked.teamId !== undefined && asked.teamId !== key.teamId)) {
      throw new GatewayError('forbidden', 'a virtual key may read only its own usage and its own team\'s');
    }
    const scope = queryString(q, 'scope') ?? 'key';
    if (scope !== 'key' && scope !== 'team') throw new GatewayError('invalid_request', 'scope must be key or team', { param: 'scope' });
    if (scope === 'team' && !key.teamId) throw new GatewayError('invalid_request', 'this key belongs to no team', { param: 'scope' });
    // A team's report shows its totals and its breakdowns, but not its other keys one by one.
    if (scope === 'team' && queryString(q, 'groupBy') === 'key') throw new GatewayError('forbidden', 'a virtual key may not break its team\'s usage down by key');
    const rows = await ledgerOf().usage(q, scope === 'key' ? { keyId: key.id } : { teamId: key.teamId });
    return send(req, reply, q, rows, USAGE_COLUMNS);
  });
}

function send(req: FastifyRequest, reply: FastifyReply, q: QueryString, rows: readonly object[], columns: readonly string[]): unknown {
  if (wantsCsv(q, req.headers.accept)) {
    void reply.header('content-type', 'text/csv; charset=utf-8');
    return toCsv(rows, columns);
  }
  return { rows };
}

/** A ledger record in the shape of a decision record (as the in-memory log serves it), with the ledger's fields. */
export function requestView(record: LedgerRecord, withContent = false): DecisionRecord & Record<string, unknown> {
  const { id, decision, prompt, completion, ...rest } = record;
  const d = (decision ?? {}) as Partial<DecisionRecord>;
  return {
    requestId: id,
    ...rest,
    candidates: d.candidates ?? 0,
    exclusions: d.exclusions ?? [],
    plan: d.plan ?? [],
    ...(d.fallbackModels ? { fallbackModels: d.fallbackModels } : {}),
    ...(d.served ? { served: d.served } : {}),
    ...(d.warnings ? { warnings: d.warnings } : {}),
    attempts: record.attempts as DecisionRecord['attempts'],
    costUsd: record.costNano === undefined ? null : nanoToUsd(record.costNano),
    baselineCostUsd: record.baselineCostNano === undefined ? null : nanoToUsd(record.baselineCostNano),
    ...(withContent && prompt !== undefined ? { prompt } : {}),
    ...(withContent && completion !== undefined ? { completion } : {}),
  };
}
