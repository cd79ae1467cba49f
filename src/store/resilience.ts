import type { RedisOptions } from 'ioredis';

/**
 * Store calls that cannot hang the gateway: every call has a timeout, consecutive failures open a breaker that
 * answers at once (so a dead store costs a request nothing), a half-open probe after a cool-down lets one call
 * through to see whether the store is back, and `health()` tells a blip from an outage for `/ready`.
 *
 * No timers outlive a call: the per-call timeout is cleared when the call settles, and the breaker's cool-down
 * is a comparison with the clock.
 */

export type GuardClock = () => number;

export interface StoreGuardOptions {
  /** Names the store in errors and health, e.g. `redis`. */
  name: string;
  /** Per-call timeout. Default 1000 ms. */
  timeoutMs?: number;
  /** Consecutive failures (errors or timeouts) that open the breaker. Default 3. */
  failureThreshold?: number;
  /** How long an open breaker refuses calls before it lets one probe through. Default 2000 ms. */
  coolDownMs?: number;
  /** Failures that persist this long make the store unhealthy; shorter ones are a blip. Default 5000 ms. */
  outageAfterMs?: number;
  /**
   * Whether an error means the store is failing. Default: every error. An error for which this is false (say a
   * unique-constraint violation: the store answered) is rethrown as it is and counts as a success.
   */
  isFailure?: (err: unknown) => boolean;
  clock?: GuardClock;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface StoreHealth {
  name: string;
  /** `up`: last call succeeded. `degraded`: failing for less than `outageAfterMs` (a blip). `down`: failing longer. */
  status: 'up' | 'degraded' | 'down';
  /** What `/ready` should report: false only in a sustained outage. */
  healthy: boolean;
  breaker: BreakerState;
  consecutiveFailures: number;
  /** Since when calls have been failing (clock ms), while they are. */
  failingSince?: number;
  lastError?: string;
}

export type StoreUnavailableReason = 'timeout' | 'breaker-open' | 'error';

/** A store call that did not complete: timed out, refused by the open breaker, or failed. */
export class StoreUnavailableError extends Error {
  readonly store: string;
  readonly reason: StoreUnavailableReason;
  constructor(store: string, reason: StoreUnavailableReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
    this.store = store;
    this.reason = reason;
  }
}

export class StoreGuard {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly failureThreshold: number;
  private readonly coolDownMs: number;
  private readonly outageAfterMs: number;
  private readonly clock: GuardClock;
  private readonly isFailure: (err: unknown) => boolean;

  private state: BreakerState = 'closed';
  private openUntil = 0;
  private probeInFlight = false;
  private consecutiveFailures = 0;
  private failingSince: number | undefined;
  private lastError: string | undefined;

  constructor(options: StoreGuardOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.failureThreshold = options.failureThreshold ?? 3;
    this.coolDownMs = options.coolDownMs ?? 2000;
    this.outageAfterMs = options.outageAfterMs ?? 5000;
    this.clock = options.clock ?? Date.now;
    this.isFailure = options.isFailure ?? (() => true);
  }

  /**
   * Runs one store call under the timeout and the breaker. Rejects with `StoreUnavailableError` (reason
   * `breaker-open` without calling `fn`, `timeout`, or `error` with the store's error as `cause`).
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const probe = this.admit();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StoreUnavailableError(this.name, 'timeout', `${this.name}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
          timer.unref();
        }),
      ]);
      this.recordSuccess();
      return result;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) && !this.isFailure(err)) {
        this.recordSuccess();
        throw err;
      }
      const error = err instanceof StoreUnavailableError ? err : new StoreUnavailableError(this.name, 'error', `${this.name}: ${errorMessage(err)}`, { cause: err });
      this.recordFailure(error);
      throw error;
    } finally {
      if (timer) clearTimeout(timer);
      if (probe) this.probeInFlight = false;
    }
  }

  /** Whether a call would be attempted now (false while the breaker is open and cooling down, or probing). */
  wouldAttempt(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') return this.clock() >= this.openUntil;
    return !this.probeInFlight;
  }

  /** Records a success observed outside `run` (e.g. the connection became ready): closes the breaker. */
  recordSuccess(): void {
    this.state = 'closed';
    this.consecutiveFailures = 0;
    this.failingSince = undefined;
    this.lastError = undefined;
  }

  /** Records a failure observed outside `run` (e.g. the connection closed). */
  recordFailure(err: unknown): void {
    const now = this.clock();
    this.consecutiveFailures++;
    this.failingSince ??= now;
    this.lastError = errorMessage(err);
    if (this.state === 'half-open' || this.consecutiveFailures >= this.failureThreshold) {
      this.state = 'open';
      this.openUntil = now + this.coolDownMs;
    }
  }

  /** Ends an open breaker's cool-down now, so the next call is the half-open probe (e.g. on reconnect). */
  allowProbe(): void {
    if (this.state === 'open') this.openUntil = this.clock();
  }

  health(): StoreHealth {
    const now = this.clock();
    const base = { name: this.name, breaker: this.breakerState(now), consecutiveFailures: this.consecutiveFailures };
    if (this.failingSince === undefined) return { ...base, status: 'up', healthy: true };
    const down = now - this.failingSince >= this.outageAfterMs;
    return {
      ...base,
      status: down ? 'down' : 'degraded',
      healthy: !down,
      failingSince: this.failingSince,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private breakerState(now: number): BreakerState {
    if (this.state === 'open' && now >= this.openUntil) return 'half-open';
    return this.state;
  }

  /** Throws when the breaker refuses the call; returns whether this call is the half-open probe. */
  private admit(): boolean {
    if (this.state === 'closed') return false;
    const now = this.clock();
    if (this.state === 'open' && now < this.openUntil) {
      throw new StoreUnavailableError(this.name, 'breaker-open', `${this.name}: breaker open after ${this.consecutiveFailures} consecutive failures (last: ${this.lastError ?? 'unknown'})`);
    }
    if (this.probeInFlight) {
      throw new StoreUnavailableError(this.name, 'breaker-open', `${this.name}: breaker half-open, a probe is in flight`);
    }
    this.state = 'half-open';
    this.probeInFlight = true;
    return true;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface RedisClientTuning {
  /** Per-command timeout (ioredis `commandTimeout`). Default 1000 ms. */
  commandTimeoutMs?: number;
  /** TCP connect timeout. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** A connection that is owed a reply and receives nothing this long is destroyed and reconnected. Default 2 × commandTimeoutMs. */
  socketTimeoutMs?: number;
  /** Cap of the reconnect backoff. Default 2000 ms. */
  maxReconnectDelayMs?: number;
}

/**
 * ioredis options for a client on the request path: commands fail fast while disconnected (no offline queue),
 * time out, are retried across at most one reconnect, and are never resent after a reconnect (a resent rate
 * limit check could count twice); a connection that stops answering (a silent network, a frozen server) is
 * destroyed by the socket timeout rather than kept forever; reconnects go on forever with capped exponential
 * backoff and jitter.
 */
export function failFastRedisOptions(tuning: RedisClientTuning = {}): RedisOptions {
  const maxDelay = tuning.maxReconnectDelayMs ?? 2000;
  const commandTimeout = tuning.commandTimeoutMs ?? 1000;
  return {
    connectTimeout: tuning.connectTimeoutMs ?? 2000,
    commandTimeout,
    socketTimeout: tuning.socketTimeoutMs ?? 2 * commandTimeout,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay) + Math.floor(Math.random() * 100),
  };
}
