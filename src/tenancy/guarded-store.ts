import { GatewayError } from '../canonical/errors.js';
import { StoreConstraintError } from '../store/common.js';
import { StoreGuard, StoreUnavailableError } from '../store/resilience.js';
import type { TenancyStore } from './types.js';

/**
 * Every call to the tenancy store under a timeout and a breaker: a database that stops answering fails requests
 * fast (503, retryable) instead of hanging them, and `health()` tells a blip from an outage for `/ready`.
 */
export function guardStore(store: TenancyStore, guard: StoreGuard): TenancyStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close' || property === 'migrate') return value;
      return (...args: unknown[]) =>
        guard.run(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)).catch((err: unknown) => {
          if (err instanceof StoreUnavailableError) {
            throw new GatewayError('store_unavailable', `the gateway's database is unavailable (${err.reason}); retry shortly`, { cause: err });
          }
          throw err;
        });
    },
  });
}

/** The database's guard: a constraint violation is the database answering, not failing. */
export function databaseGuard(timeoutMs = 2000): StoreGuard {
  return new StoreGuard({ name: 'database', timeoutMs, isFailure: (err) => !(err instanceof StoreConstraintError) });
}
