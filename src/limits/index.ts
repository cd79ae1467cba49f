import { Redis } from 'ioredis';
import { errorMessage, failFastRedisOptions, StoreGuard, type StoreHealth } from '../store/resilience.js';
import { MemoryRateLimiter, type LimitClock } from './memory.js';
import { DEFAULT_KEY_PREFIX, RedisRateLimiter, whenReady } from './redis.js';
import { nonNegativeInt, normaliseCost, silentLogger, validateScopes, type LimitCost, type LimitScope, type LimitsLogger, type LimitVerdict, type RateLimiter } from './rate-limiter.js';

export * from './rate-limiter.js';
export { MemoryRateLimiter } from './memory.js';
export { RedisRateLimiter, whenReady } from './redis.js';

export interface CreateRateLimiterOptions {
  /** `redis://…`; absent = single-process memory limiter. */
  redisUrl?: string;
  /**
   * `storage.onRedisDown`. It governs budgets, not rate limits: rate limits ALWAYS fall back to the local memory
   * limiter while Redis is down, whatever this says. Kept here so the caller passes the storage config whole.
   */
  onRedisDown: 'fail-closed' | 'fail-open';
  /** Key prefix in Redis. Default `sb:rl:`. */
  keyPrefix?: string;
  /** Per-call timeout of Redis checks. Default 1000 ms. */
  timeoutMs?: number;
  /** Consecutive Redis failures that open the breaker. Default 3. */
  failureThreshold?: number;
  /** Open breaker's cool-down before a probe. Default 2000 ms. */
  coolDownMs?: number;
  /** Failures lasting this long make `redisHealth()` unhealthy. Default 5000 ms. */
  outageAfterMs?: number;
  /** Cap of the reconnect backoff. Default 2000 ms. */
  maxReconnectDelayMs?: number;
  logger?: LimitsLogger;
  /** Clock of the local limiter and the breaker (not of the Redis windows, which use Redis's own time). */
  clock?: LimitClock;
}

export interface GatewayRateLimiter extends RateLimiter {
  /** `redis` while checks go to Redis, `local` while they fall back to this replica's memory, `memory` without Redis. */
  readonly mode: 'memory' | 'redis' | 'local';
  /** Redis's health for `/ready` (a blip stays healthy; a sustained outage is not); undefined without Redis. */
  redisHealth(): StoreHealth | undefined;
  /** Waits until the Redis connection is ready (true) or the timeout passes (false); true at once without Redis. */
  ready(timeoutMs?: number): Promise<boolean>;
}

/**
 * The gateway's limiter. Without `redisUrl`: the exact single-process limiter. With it: every check is one atomic
 * script in Redis, under a timeout and a breaker; when Redis fails, times out or the breaker is open, the same
 * check runs on this replica's memory limiter instead.
 *
 * That fallback is an approximation, on purpose: during an outage each replica enforces the full limit on its
 * own, so the cluster may admit up to limit × replicas; the local windows start empty (what was counted in Redis
 * is not known locally) and are not copied back when Redis returns. Rate limits are about protecting upstreams
 * and fairness, so they stay available; money is guarded by budgets, which is what `onRedisDown` decides.
 * The switch to local and back is logged once per transition, never per request.
 */
export function createRateLimiter(options: CreateRateLimiterOptions): GatewayRateLimiter {
  const local = new MemoryRateLimiter(options.clock ? { clock: options.clock } : {});
  if (!options.redisUrl) return new LocalOnlyLimiter(local);
  const timeoutMs = options.timeoutMs ?? 1000;
  const client = new Redis(options.redisUrl, {
    ...failFastRedisOptions({ commandTimeoutMs: timeoutMs, maxReconnectDelayMs: options.maxReconnectDelayMs ?? 2000 }),
    connectionName: 'switchboard-limits',
  });
  const guard = new StoreGuard({
    name: 'redis',
    timeoutMs,
    failureThreshold: options.failureThreshold ?? 3,
    coolDownMs: options.coolDownMs ?? 2000,
    outageAfterMs: options.outageAfterMs ?? 5000,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const remote = new RedisRateLimiter({ client, ownsClient: true, keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX });
  return new FailoverRateLimiter(remote, local, guard, options.logger ?? silentLogger);
}

class LocalOnlyLimiter implements GatewayRateLimiter {
  readonly mode = 'memory' as const;
  constructor(private readonly local: MemoryRateLimiter) {}
  check(scopes: LimitScope[], cost: LimitCost): Promise<LimitVerdict> {
    return this.local.check(scopes, cost);
  }
  addTokens(scopes: LimitScope[], tokens: number): Promise<void> {
    return this.local.addTokens(scopes, tokens);
  }
  redisHealth(): undefined {
    return undefined;
  }
  async ready(): Promise<boolean> {
    return true;
  }
  close(): Promise<void> {
    return this.local.close();
  }
}

export class FailoverRateLimiter implements GatewayRateLimiter {
  private current: 'redis' | 'local' = 'redis';
  private closed = false;

  constructor(
    private readonly remote: RedisRateLimiter,
    private readonly local: MemoryRateLimiter,
    private readonly guard: StoreGuard,
    private readonly logger: LimitsLogger,
  ) {
    const client = remote.client;
    // Errors are reported through the guard and the transitions; without a listener ioredis prints each one.
    client.on('error', () => {});
    // A lost connection is a failure even when no request is in flight, so health sees an idle outage too.
    client.on('close', () => {
      if (!this.closed) this.guard.recordFailure(new Error('connection to Redis closed'));
    });
    // On (re)connect, probe at once instead of waiting for the cool-down and for traffic.
    client.on('ready', () => {
      if (this.closed) return;
      this.guard.allowProbe();
      this.guard.run(() => client.ping()).then(
        () => this.toRedis(),
        () => {},
      );
    });
  }

  get mode(): 'redis' | 'local' {
    return this.current;
  }

  async check(scopes: LimitScope[], rawCost: LimitCost): Promise<LimitVerdict> {
    validateScopes(scopes);
    const cost = normaliseCost(rawCost);
    if (this.guard.wouldAttempt()) {
      try {
        const verdict = await this.guard.run(() => this.remote.check(scopes, cost));
        this.toRedis();
        return verdict;
      } catch (err) {
        this.toLocal(err);
      }
    } else {
      this.toLocal(undefined);
    }
    return this.local.checkSync(scopes, cost);
  }

  async addTokens(scopes: LimitScope[], rawTokens: number): Promise<void> {
    const tokens = nonNegativeInt(rawTokens, 'tokens');
    if (this.guard.wouldAttempt()) {
      try {
        await this.guard.run(() => this.remote.addTokens(scopes, tokens));
        this.toRedis();
        return;
      } catch (err) {
        this.toLocal(err);
      }
    } else {
      this.toLocal(undefined);
    }
    this.local.addTokensSync(scopes, tokens);
  }

  redisHealth(): StoreHealth {
    return this.guard.health();
  }

  ready(timeoutMs = 2000): Promise<boolean> {
    return whenReady(this.remote.client, timeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.remote.close(), this.local.close()]);
  }

  private toLocal(err: unknown): void {
    if (this.current === 'local') return;
    this.current = 'local';
    this.logger.warn(
      { store: 'redis', err: err === undefined ? undefined : errorMessage(err), health: this.guard.health() },
      'rate limits fell back to local memory: each replica now enforces the full limits on its own until Redis answers again',
    );
  }

  private toRedis(): void {
    if (this.current === 'redis') return;
    this.current = 'redis';
    this.logger.info({ store: 'redis' }, 'rate limits are counted in Redis again');
  }
}
