import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../canonical/errors.js';
import { keySnapshot, teamSnapshot, tokenSnapshot } from '../../policy/audit.js';
import { periodOf } from '../../tenancy/periods.js';
import { newId, newPersonToken, newVirtualKey, nanoToUsd, secretHash, usdToNano } from '../../tenancy/secrets.js';
import type { BudgetSpec, KeyPatch, KeyRecord, TeamRecord, TenancyStore } from '../../tenancy/types.js';
import { parseBody } from '../../surfaces/validation.js';
import type { GatewayContext } from '../context.js';
import { requireAdmin, roleCovers } from './auth.js';
import { createKeySchema, createTeamSchema, createTokenSchema, patchKeySchema } from './tenancy-schemas.js';

function budgetSpec(budget: { usd: number; period: BudgetSpec['period'] } | undefined | null): BudgetSpec | undefined {
  return budget ? { limitNano: usdToNano(budget.usd), period: budget.period } : undefined;
}

function wireBudget(budget: BudgetSpec | undefined): { usd: number; period: string } | null {
  return budget ? { usd: nanoToUsd(budget.limitNano), period: budget.period } : null;
}

/** A key as the admin API shows it: never its secret, never its hash. */
async function wireKey(store: TenancyStore, key: KeyRecord, teams: Map<string, TeamRecord>): Promise<Record<string, unknown>> {
  const spend = key.budget ? await store.spend('key', key.id, periodOf(key.budget.period)) : undefined;
  return {
    id: key.id,
    name: key.name,
    team: key.teamId ? (teams.get(key.teamId)?.name ?? key.teamId) : null,
    teamId: key.teamId ?? null,
    budget: wireBudget(key.budget),
    limits: key.limits ?? null,
    policy: key.policy ?? null,
    models: key.models ?? null,
    expiresAt: key.expiresAt ?? null,
    metadata: key.metadata ?? null,
    storePrompts: key.storePrompts ?? false,
    minDataClass: key.minDataClass ?? null,
    createdAt: key.createdAt,
    createdBy: key.createdBy,
    revokedAt: key.revokedAt ?? null,
    spentUsd: spend ? nanoToUsd(spend.spentNano) : null,
    reservedUsd: spend ? nanoToUsd(spend.reservedNano) : null,
  };
}

function wireTeam(team: TeamRecord): Record<string, unknown> {
  return { id: team.id, name: team.name, budget: wireBudget(team.budget), limits: team.limits ?? null, policy: team.policy ?? null, createdAt: team.createdAt };
}

function tenancy(ctx: GatewayContext) {
  if (!ctx.tenancy) throw new GatewayError('admin_disabled', 'keys need the storage layer, which is not configured');
  return ctx.tenancy;
}

function checkPolicy(ctx: GatewayContext, policy: string | null | undefined): void {
  if (policy && !(ctx.sovereignty ? ctx.sovereignty.hasPolicy(policy) : ctx.config.policies[policy])) {
    throw new GatewayError('invalid_request', `unknown policy '${policy}' (policies are defined under "policies" in the config, or with PUT /admin/policies/:name)`, { param: 'policy' });
  }
}

function checkDataClass(ctx: GatewayContext, dataClass: string | null | undefined): void {
  if (dataClass && !Object.hasOwn(ctx.config.dataClasses, dataClass)) {
    throw new GatewayError('invalid_request', `unknown data class '${dataClass}' (data classes are defined under "dataClasses" in the config)`, { param: 'minDataClass' });
  }
}

/** A team by id or name; a name that does not exist yet becomes a new team (and an audit row). */
async function resolveTeam(store: TenancyStore, ref: string, createdBy: string, ctx?: GatewayContext): Promise<TeamRecord> {
  const existing = (await store.team(ref)) ?? (await store.teamByName(ref));
  if (existing) return existing;
  const team: TeamRecord = { id: newId('team'), name: ref, createdAt: new Date().toISOString(), createdBy };
  await store.createTeam(team);
  await ctx?.sovereignty?.auditAfter({ actor: createdBy, action: 'team.create', target: { type: 'team', id: team.id }, after: teamSnapshot(team) });
  return team;
}

async function teamsById(store: TenancyStore): Promise<Map<string, TeamRecord>> {
  return new Map((await store.listTeams()).map((t) => [t.id, t]));
}

/** `/admin/keys`, `/admin/teams`, `/admin/tokens`: reads for viewers, changes for admins only. */
export function registerAdminTenancyRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/admin/keys', async (req, reply) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const store = tenancy(ctx).store;
    const body = parseBody(createKeySchema, req.body);
    checkPolicy(ctx, body.policy);
    checkDataClass(ctx, body.minDataClass);
    const team = body.team ? await resolveTeam(store, body.team, person.id, ctx) : undefined;
    const secret = newVirtualKey();
    const key: KeyRecord = {
      id: newId('key'),
      name: body.name,
      hash: secretHash(secret),
      createdAt: new Date().toISOString(),
      createdBy: person.id,
      ...(team ? { teamId: team.id } : {}),
      ...(body.budget ? { budget: budgetSpec(body.budget) } : {}),
      ...(body.limits ? { limits: body.limits } : {}),
      ...(body.policy ? { policy: body.policy } : {}),
      ...(body.models ? { models: body.models } : {}),
      ...(body.expiresAt ? { expiresAt: body.expiresAt } : {}),
      ...(body.metadata ? { metadata: body.metadata } : {}),
      ...(body.storePrompts !== undefined ? { storePrompts: body.storePrompts } : {}),
      ...(body.minDataClass ? { minDataClass: body.minDataClass } : {}),
    };
    await store.createKey(key);
    await ctx.sovereignty?.auditAfter({ actor: person.id, action: 'key.create', target: { type: 'key', id: key.id }, after: keySnapshot(key) });
    req.log.info({ keyId: key.id, by: person.id }, 'key created');
    reply.code(201);
    // The secret appears here and nowhere else, ever.
    return { ...(await wireKey(store, key, new Map(team ? [[team.id, team]] : []))), key: secret };
  });

  app.get('/admin/keys', async (req) => {
    await requireAdmin(ctx, req);
    const store = tenancy(ctx).store;
    const teams = await teamsById(store);
    const keys = await store.listKeys();
    return { data: await Promise.all(keys.map((k) => wireKey(store, k, teams))) };
  });

  app.get('/admin/keys/:id', async (req) => {
    await requireAdmin(ctx, req);
    const store = tenancy(ctx).store;
    const key = await store.key((req.params as { id: string }).id);
    if (!key) throw new GatewayError('not_found', 'no such key');
    return wireKey(store, key, await teamsById(store));
  });

  app.patch('/admin/keys/:id', async (req) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const service = tenancy(ctx);
    const store = service.store;
    const id = (req.params as { id: string }).id;
    const body = parseBody(patchKeySchema, req.body);
    checkPolicy(ctx, body.policy);
    checkDataClass(ctx, body.minDataClass);
    const before = await store.key(id);
    const patch: KeyPatch = {};
    if (body.name !== undefined) patch.name = body.name;
    if (body.team !== undefined) patch.teamId = body.team === null ? undefined : (await resolveTeam(store, body.team, person.id, ctx)).id;
    if (body.budget !== undefined) patch.budget = budgetSpec(body.budget);
    if (body.limits !== undefined) patch.limits = body.limits ?? undefined;
    if (body.policy !== undefined) patch.policy = body.policy ?? undefined;
    if (body.models !== undefined) patch.models = body.models;
    if (body.expiresAt !== undefined) patch.expiresAt = body.expiresAt;
    if (body.metadata !== undefined) patch.metadata = body.metadata;
    if (body.storePrompts !== undefined) patch.storePrompts = body.storePrompts;
    if (body.minDataClass !== undefined) patch.minDataClass = body.minDataClass;
    const updated = await store.updateKey(id, patch);
    if (!updated) throw new GatewayError('not_found', 'no such key');
    await ctx.sovereignty?.auditAfter({ actor: person.id, action: 'key.update', target: { type: 'key', id }, before: before && keySnapshot(before), after: keySnapshot(updated) });
    await service.keyChanged(updated.hash);
    req.log.info({ keyId: id, by: person.id }, 'key updated');
    return wireKey(store, updated, await teamsById(store));
  });

  app.delete('/admin/keys/:id', async (req) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const service = tenancy(ctx);
    const id = (req.params as { id: string }).id;
    const key = await service.store.key(id);
    if (!key) throw new GatewayError('not_found', 'no such key');
    const revokedAt = new Date().toISOString();
    await service.store.revokeKey(id, revokedAt);
    await ctx.sovereignty?.auditAfter({ actor: person.id, action: 'key.revoke', target: { type: 'key', id }, before: keySnapshot(key), after: keySnapshot({ ...key, revokedAt: key.revokedAt ?? revokedAt }) });
    await service.keyChanged(key.hash);
    req.log.info({ keyId: id, by: person.id }, 'key revoked');
    return { id, revoked: true };
  });

  app.post('/admin/teams', async (req, reply) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const store = tenancy(ctx).store;
    const body = parseBody(createTeamSchema, req.body);
    checkPolicy(ctx, body.policy);
    if (await store.teamByName(body.name)) throw new GatewayError('invalid_request', `a team named '${body.name}' exists`, { param: 'name' });
    const team: TeamRecord = {
      id: newId('team'),
      name: body.name,
      createdAt: new Date().toISOString(),
      createdBy: person.id,
      ...(body.budget ? { budget: budgetSpec(body.budget) } : {}),
      ...(body.limits ? { limits: body.limits } : {}),
      ...(body.policy ? { policy: body.policy } : {}),
    };
    await store.createTeam(team);
    await ctx.sovereignty?.auditAfter({ actor: person.id, action: 'team.create', target: { type: 'team', id: team.id }, after: teamSnapshot(team) });
    reply.code(201);
    return wireTeam(team);
  });

  app.get('/admin/teams', async (req) => {
    await requireAdmin(ctx, req);
    const store = tenancy(ctx).store;
    const teams = await store.listTeams();
    return {
      data: await Promise.all(
        teams.map(async (t) => {
          const spend = t.budget ? await store.spend('team', t.id, periodOf(t.budget.period)) : undefined;
          return { ...wireTeam(t), spentUsd: spend ? nanoToUsd(spend.spentNano) : null };
        }),
      ),
    };
  });

  app.post('/admin/tokens', async (req, reply) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const store = tenancy(ctx).store;
    const body = parseBody(createTokenSchema, req.body);
    // Nothing can be granted more than its creator holds.
    if (!roleCovers(person.role, body.role)) throw new GatewayError('forbidden', `a ${person.role} cannot grant the role ${body.role}`);
    const secret = newPersonToken();
    const token = { id: newId('tok'), name: body.name, role: body.role, hash: secretHash(secret), createdAt: new Date().toISOString(), createdBy: person.id };
    await store.createToken(token);
    await ctx.sovereignty?.auditAfter({ actor: person.id, action: 'token.create', target: { type: 'token', id: token.id }, after: tokenSnapshot(token) });
    reply.code(201);
    return { id: token.id, name: token.name, role: token.role, token: secret };
  });

  app.get('/admin/tokens', async (req) => {
    await requireAdmin(ctx, req);
    const tokens = await tenancy(ctx).store.listTokens();
    return { data: tokens.map((t) => ({ id: t.id, name: t.name, role: t.role, createdAt: t.createdAt, createdBy: t.createdBy, revokedAt: t.revokedAt ?? null })) };
  });

  app.delete('/admin/tokens/:id', async (req) => {
    const person = await requireAdmin(ctx, req, 'admin');
    const id = (req.params as { id: string }).id;
    const store = tenancy(ctx).store;
    const before = (await store.listTokens()).find((t) => t.id === id);
    const revokedAt = new Date().toISOString();
    if (!(await store.revokeToken(id, revokedAt))) throw new GatewayError('not_found', 'no such token');
    if (before) await ctx.sovereignty?.auditAfter({ actor: person.id, action: 'token.revoke', target: { type: 'token', id }, before: tokenSnapshot(before), after: tokenSnapshot({ ...before, revokedAt: before.revokedAt ?? revokedAt }) });
    return { id, revoked: true };
  });
}
