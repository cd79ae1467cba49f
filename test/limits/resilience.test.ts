import { describe, expect, it } from 'vitest';
import { failFastRedisOptions, StoreGuard, StoreUnavailableError } from '../../src/store/resilience.js';

function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const fail = (): Promise<never> => Promise.reject(new Error('ECONNREFUSED'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('StoreGuard', () => {
  it('times a hung call out and counts it as a failure', async () => {
    const guard = new StoreGuard({ name: 'redis', timeoutMs: 50 });
    const started = Date.now();
    const err = await guard.run(() => new Promise(() => {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(500);
    expect(guard.health()).toMatchObject({ status: 'degraded', healthy: true, consecutiveFailures: 1 });
  });

  it('wraps store errors with their cause', async () => {
    const guard = new StoreGuard({ name: 'redis' });
    const err = (await guard.run(fail).catch((e: unknown) => e)) as StoreUnavailableError;
    expect(err.reason).toBe('error');
    expect((err.cause as Error).message).toBe('ECONNREFUSED');
  });

  it('opens after N consecutive failures, refuses without calling, then lets one probe through', async () => {
    const c = manualClock();
    const guard = new StoreGuard({ name: 'redis', failureThreshold: 3, coolDownMs: 1000, clock: c.now });
    for (let i = 0; i < 3; i++) await guard.run(fail).catch(() => {});
    expect(guard.health().breaker).toBe('open');
    let calls = 0;
    const counted = (): Promise<string> => {
      calls++;
      return ok();
    };
    const refused = (await guard.run(counted).catch((e: unknown) => e)) as StoreUnavailableError;
    expect(refused.reason).toBe('breaker-open');
    expect(calls).toBe(0);
    expect(guard.wouldAttempt()).toBe(false);

    c.advance(1000);
    expect(guard.wouldAttempt()).toBe(true);
    // One probe at a time: a second call while the probe is in flight is refused.
    let release!: () => void;
    const probe = guard.run(() => new Promise<string>((resolve) => (release = () => resolve('back'))));
    expect(((await guard.run(counted).catch((e: unknown) => e)) as StoreUnavailableError).reason).toBe('breaker-open');
    release();
    expect(await probe).toBe('back');
    expect(guard.health()).toMatchObject({ status: 'up', breaker: 'closed', consecutiveFailures: 0 });
    expect(await guard.run(counted)).toBe('ok');
  });

  it('a failed probe reopens the breaker for another cool-down', async () => {
    const c = manualClock();
    const guard = new StoreGuard({ name: 'redis', failureThreshold: 2, coolDownMs: 1000, clock: c.now });
    await guard.run(fail).catch(() => {});
    await guard.run(fail).catch(() => {});
    c.advance(1000);
    await guard.run(fail).catch(() => {});
    expect(guard.health().breaker).toBe('open');
    c.advance(999);
    expect(guard.wouldAttempt()).toBe(false);
    c.advance(1);
    expect(guard.wouldAttempt()).toBe(true);
  });

  it('errors that are not store failures pass through and count as answers', async () => {
    const guard = new StoreGuard({ name: 'db', failureThreshold: 1, isFailure: (err) => !(err instanceof RangeError) });
    const conflict = new RangeError('duplicate key');
    await expect(guard.run(() => Promise.reject(conflict))).rejects.toBe(conflict);
    expect(guard.health()).toMatchObject({ status: 'up', breaker: 'closed', consecutiveFailures: 0 });
    await expect(guard.run(fail)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(guard.health().breaker).toBe('open');
  });

  it('a success resets the consecutive count', async () => {
    const guard = new StoreGuard({ name: 'redis', failureThreshold: 3 });
    await guard.run(fail).catch(() => {});
    await guard.run(fail).catch(() => {});
    await guard.run(ok);
    await guard.run(fail).catch(() => {});
    await guard.run(fail).catch(() => {});
    expect(guard.health().breaker).toBe('closed');
  });

  it('health: a blip stays healthy, a failure persisting past the threshold is an outage', async () => {
    const c = manualClock();
    const guard = new StoreGuard({ name: 'redis', outageAfterMs: 5000, clock: c.now });
    expect(guard.health()).toMatchObject({ status: 'up', healthy: true });
    await guard.run(fail).catch(() => {});
    const since = c.now();
    c.advance(4999);
    expect(guard.health()).toMatchObject({ status: 'degraded', healthy: true, failingSince: since, lastError: 'redis: ECONNREFUSED' });
    c.advance(1);
    expect(guard.health()).toMatchObject({ status: 'down', healthy: false });
    // Recovery is immediate on the first success.
    c.advance(10_000);
    guard.allowProbe();
    await guard.run(ok);
    expect(guard.health()).toMatchObject({ status: 'up', healthy: true, breaker: 'closed' });
  });

  it('failures observed outside calls (a closed connection) count too', () => {
    const c = manualClock();
    const guard = new StoreGuard({ name: 'redis', failureThreshold: 2, outageAfterMs: 100, clock: c.now });
    guard.recordFailure(new Error('connection closed'));
    guard.recordFailure(new Error('connection closed'));
    expect(guard.health()).toMatchObject({ status: 'degraded', breaker: 'open' });
    c.advance(100);
    expect(guard.health().status).toBe('down');
    guard.recordSuccess();
    expect(guard.health().status).toBe('up');
  });
});

describe('failFastRedisOptions', () => {
  it('fails fast and reconnects with capped backoff', () => {
    const options = failFastRedisOptions({ commandTimeoutMs: 800 });
    expect(options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 800, socketTimeout: 1600, autoResendUnfulfilledCommands: false });
    expect(options.connectTimeout).toBeGreaterThan(0);
    const retry = options.retryStrategy as (times: number) => number;
    expect(retry(1)).toBeLessThan(300);
    expect(retry(100)).toBeLessThanOrEqual(2100);
    expect(retry(100)).toBeGreaterThanOrEqual(2000);
  });
});
