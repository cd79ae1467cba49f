import type { Logger } from 'pino';
import { GatewayError } from '../canonical/errors.js';
import type { EventBus } from '../limits/pubsub.js';
import type { LimitScope, RateLimiter } from '../limits/rate-limiter.js';
import { periodOf } from './periods.js';
import { nanoToUsd, secretHash } from './secrets.js';
import type { BudgetScope, KeyRecord, Role, TeamRecord, TenancyStore, TokenRecord } from './types.js';

/** Who is making a model request. */
export type Principal =
  | { kind: 'open' }
  | { kind: 'admin' }
  | { kind: 'key'; key: KeyRecord; team?: TeamRecord };

/** Who is calling the admin API. */
export interface Person {
  role: Role;
  /** `admin-key` or the token's id: recorded as the author of changes. */
  id: string;
}

export interface AlertSettings {
  thresholds: readonly number[];
  webhook?: string;
}

export interface TenancyOptions {
  store: TenancyStore;
  limiter: RateLimiter;
  bus: EventBus;
  logger: Logger;
  alerts: AlertSettings;
  /** How long a looked-up key is trusted before it is read again (revocation reaches other replicas within this). */
  cacheMs?: number;
  now?: () => Date;
  /** Sends budget alerts; a test may replace it. */
  notify?: (url: string, body: unknown) => Promise<void>;
}

const REVOKED_CHANNEL = 'keys:changed';
const FAILED_LOOKUPS_PER_MINUTE = 30;

interface Cached {
  principal: Extract<Principal, { kind: 'key' }> | undefined;
  until: number;
}

/** One admitted request's hold on its budgets and limits, released or settled exactly once. */
export interface Admission {
  readonly reservationId?: string;
  /** Settles the reservation to the actual cost (undefined = unknown) and counts output tokens against TPM. */
  finish(actualNano: number | undefined, outputTokens: number | undefined): Promise<void>;
}

const NOTHING: Admission = { finish: async () => undefined };

/** Two decimals for ordinary budgets, more for small ones (a 0.00047 USD budget must not read "0.00"). */
export function formatUsd(nano: number): string {
  const usd = nanoToUsd(nano);
  return usd >= 1 || usd === 0 ? usd.toFixed(2) : String(Number(usd.toPrecision(4)));
}

export function limitScopes(principal: Principal): LimitScope[] {
  if (principal.kind !== 'key') return [];
  const scopes: LimitScope[] = [];
  const { key, team } = principal;
  if (key.limits?.rpm !== undefined || key.limits?.tpm !== undefined) scopes.push({ scope: 'key', id: key.id, ...key.limits });
  if (team && (team.limits?.rpm !== undefined || team.limits?.tpm !== undefined)) scopes.push({ scope: 'team', id: team.id, ...team.limits });
  return scopes;
}

export function budgetScopes(principal: Principal, at: Date): BudgetScope[] {
  if (principal.kind !== 'key') return [];
  const scopes: BudgetScope[] = [];
  const { key, team } = principal;
  if (key.budget) scopes.push({ scope: 'key', id: key.id, period: periodOf(key.budget.period, at), limitNano: key.budget.limitNano });
  if (team?.budget) scopes.push({ scope: 'team', id: team.id, period: periodOf(team.budget.period, at), limitNano: team.budget.limitNano });
  return scopes;
}

/**
 * Virtual keys, people's tokens, budgets and rate limits on the request path. Keys are looked up by the hash of
 * what the client sent, with a parameterised query, and cached for `cacheMs`; a revocation is published so the
 * other replicas drop their copy at once (the cache bound holds even if the message is lost).
 */
export class TenancyService {
  private readonly cache = new Map<string, Cached>();
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly cacheMs: number;
  private readonly now: () => Date;

  constructor(private readonly options: TenancyOptions) {
    this.cacheMs = options.cacheMs ?? 1000;
    this.now = options.now ?? (() => new Date());
  }

  get store(): TenancyStore {
    return this.options.store;
  }

  async start(): Promise<void> {
    await this.options.bus.subscribe(REVOKED_CHANNEL, (message) => {
      const hash = (message as { hash?: unknown }).hash;
      if (typeof hash === 'string') this.cache.delete(hash);
      else this.cache.clear();
    });
    // After a reconnect, messages may have been missed: start from an empty cache.
    this.options.bus.onReconnect(() => this.cache.clear());
  }

  /** Tells every replica that a key changed (revoked, re-budgeted) so none keeps a stale copy. */
  async keyChanged(hash: string | undefined): Promise<void> {
    if (hash) this.cache.delete(hash);
    else this.cache.clear();
    await this.options.bus.publish(REVOKED_CHANNEL, hash ? { hash } : {}).catch((err: unknown) => {
      this.options.logger.warn({ err: (err as Error).message }, 'could not publish a key change; other replicas see it within the cache time');
    });
  }

  private tooManyFailures(client: string): boolean {
    const entry = this.failures.get(client);
    if (!entry) return false;
    if (Date.now() - entry.since > 60_000) {
      this.failures.delete(client);
      return false;
    }
    return entry.count >= FAILED_LOOKUPS_PER_MINUTE;
  }

  private failed(client: string): void {
    const entry = this.failures.get(client);
    if (!entry || Date.now() - entry.since > 60_000) this.failures.set(client, { count: 1, since: Date.now() });
    else entry.count++;
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  /** The principal behind a presented virtual key; refuses unknown, revoked and expired keys with 401. */
  async keyPrincipal(secret: string, client: string): Promise<Extract<Principal, { kind: 'key' }>> {
    if (this.tooManyFailures(client)) {
      throw new GatewayError('rate_limited', 'too many invalid keys from this client; wait a minute', { retryAfterSeconds: 60 });
    }
    const hash = secretHash(secret);
    const now = Date.now();
    let cached = this.cache.get(hash);
    if (!cached || cached.until < now) {
      const key = await this.options.store.keyByHash(hash);
      const team = key?.teamId ? await this.options.store.team(key.teamId) : undefined;
      cached = { principal: key ? { kind: 'key', key, team } : undefined, until: now + this.cacheMs };
      this.cache.set(hash, cached);
      if (this.cache.size > 50_000) this.cache.delete(this.cache.keys().next().value!);
    }
    const principal = cached.principal;
    if (!principal || principal.key.revokedAt) {
      this.failed(client);
      // Logged without the key, or any part of it.
      this.options.logger.info({ client }, principal ? 'revoked key refused' : 'unknown key refused');
      throw new GatewayError('unauthorized', 'invalid API key');
    }
    if (principal.key.expiresAt && Date.parse(principal.key.expiresAt) <= this.now().getTime()) {
      throw new GatewayError('unauthorized', 'this API key has expired');
    }
    return principal;
  }

  /** A person's token for the admin API and dashboard. */
  async personByToken(secret: string): Promise<TokenRecord | undefined> {
    const token = await this.options.store.tokenByHash(secretHash(secret));
    return token && !token.revokedAt ? token : undefined;
  }

  /**
   * Admits a request: rate limits first (nothing is reserved for a request that would be refused), then the
   * budget, reserving `maxCostNano` on every budget of the key and its team at once. `freeOnly` is called when the
   * budget is spent: it returns whether the request can still go to hosts priced at zero (self-hosted), which then
   * run without a reservation.
   */
  async admit(principal: Principal, promptTokens: number, maxCostNano: number, requestId: string, freeOnly: () => boolean): Promise<Admission> {
    if (principal.kind !== 'key') return NOTHING;
    const limits = limitScopes(principal);
    if (limits.length > 0) {
      const verdict = await this.options.limiter.check(limits, { requests: 1, tokens: promptTokens });
      if (!verdict.ok) {
        const owner = verdict.scope.scope === 'key' ? `key '${principal.key.name}'` : `team '${principal.team?.name ?? verdict.scope.id}'`;
        throw new GatewayError('rate_limited', `rate limit exceeded: ${owner} allows ${verdict.limit} ${verdict.kind === 'rpm' ? 'requests' : 'tokens'} per minute`, {
          retryAfterSeconds: verdict.retryAfterSeconds,
        });
      }
    }
    const at = this.now();
    const budgets = budgetScopes(principal, at);
    if (budgets.length === 0) return this.tokenCounter(limits);
    const result = await this.options.store.reserve(budgets, Math.max(0, Math.ceil(maxCostNano)), requestId);
    if (!result.ok) {
      if (freeOnly()) return this.tokenCounter(limits);
      const { scope } = result;
      const owner = scope.scope === 'key' ? `key '${principal.key.name}'` : `team '${principal.team?.name ?? scope.id}'`;
      const budget = scope.scope === 'key' ? principal.key.budget! : principal.team!.budget!;
      const period = budget.period === 'total' ? 'in total' : `per ${budget.period}`;
      throw new GatewayError('budget_exhausted', `budget exhausted: ${owner} may spend ${formatUsd(budget.limitNano)} USD ${period}`);
    }
    const reservationId = result.reservationId;
    let done = false;
    return {
      reservationId,
      finish: async (actualNano, outputTokens) => {
        if (done) return;
        done = true;
        if (actualNano === undefined) await this.options.store.release(reservationId);
        else {
          await this.options.store.settle(reservationId, actualNano);
          await this.checkAlerts(principal, budgets);
        }
        if (outputTokens && limits.some((l) => l.tpm !== undefined)) await this.options.limiter.addTokens(limits, outputTokens);
      },
    };
  }

  private tokenCounter(limits: LimitScope[]): Admission {
    if (!limits.some((l) => l.tpm !== undefined)) return NOTHING;
    return { finish: async (_nano, outputTokens) => (outputTokens ? this.options.limiter.addTokens(limits, outputTokens) : undefined) };
  }

  /** Announces each configured threshold once per budget period: a log line and, if configured, a webhook. */
  private async checkAlerts(principal: Extract<Principal, { kind: 'key' }>, budgets: BudgetScope[]): Promise<void> {
    const thresholds = this.options.alerts.thresholds;
    if (thresholds.length === 0) return;
    for (const scope of budgets) {
      const row = await this.options.store.spend(scope.scope, scope.id, scope.period);
      const percent = (row.spentNano / scope.limitNano) * 100;
      for (const threshold of thresholds) {
        if (percent < threshold) continue;
        if (!(await this.options.store.markAlertSent(scope.scope, scope.id, scope.period, threshold))) continue;
        const body = {
          type: 'budget.threshold',
          scope: scope.scope,
          id: scope.id,
          name: scope.scope === 'key' ? principal.key.name : principal.team?.name,
          period: scope.period,
          thresholdPercent: threshold,
          spentUsd: nanoToUsd(row.spentNano),
          budgetUsd: nanoToUsd(scope.limitNano),
        };
        this.options.logger.warn(body, `budget alert: ${scope.scope} ${body.name ?? scope.id} crossed ${threshold}% of its budget`);
        if (this.options.alerts.webhook && this.options.notify) {
          this.options.notify(this.options.alerts.webhook, body).catch((err: unknown) => {
            this.options.logger.warn({ err: (err as Error).message }, 'budget alert webhook failed');
          });
        }
      }
    }
  }
}
