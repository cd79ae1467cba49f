import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter, RedisRateLimiter, whenReady, type GatewayRateLimiter, type LimitScope } from '../../src/limits/index.js';
import { failFastRedisOptions } from '../../src/store/resilience.js';
import {
  FreezableProxy,
  freePort,
  OwnRedisServer,
  recordingLogger,
  redisUrl,
  requireRedis,
  requireRedisServerBinary,
  sleep,
  uniquePrefix,
  waitFor,
  deleteKeys,
} from './helpers.js';

const one = { requests: 1, tokens: 0 };
const sharedRedis = await requireRedis();
const binary = await requireRedisServerBinary();

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe('a Redis that refuses connections (127.0.0.1:1)', () => {
  let limiter: GatewayRateLimiter | undefined;
  afterEach(async () => {
    await limiter?.close();
  });

  it('every check falls back to local within the timeout, never hangs, and logs the switch once', async () => {
    const logger = recordingLogger();
    limiter = createRateLimiter({ redisUrl: 'redis://127.0.0.1:1', onRedisDown: 'fail-closed', logger });
    const key: LimitScope = { scope: 'key', id: 'k', rpm: 3 };
    const verdicts = [];
    for (let i = 0; i < 20; i++) {
      const { value, ms } = await timed(() => limiter!.check([key], one));
      expect(ms).toBeLessThan(1500);
      verdicts.push(value);
    }
    // The local limiter enforces the limit on its own.
    expect(verdicts.filter((v) => v.ok)).toHaveLength(3);
    expect(limiter.mode).toBe('local');
    await limiter.addTokens([{ scope: 'key', id: 'k', tpm: 10 }], 5);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(logger.lines[0]?.msg).toMatch(/fell back to local/);
    expect(limiter.redisHealth()).toMatchObject({ status: 'degraded', healthy: true, breaker: expect.stringMatching(/open/) });
    expect(await limiter.ready(200)).toBe(false);
  });
});

describe.skipIf(!sharedRedis.available)('a Redis that goes silent (frozen network)', () => {
  const prefix = uniquePrefix('freeze');
  const proxy = new FreezableProxy({ host: new URL(redisUrl()).hostname, port: Number(new URL(redisUrl()).port || 6379) });
  let limiter: GatewayRateLimiter;
  let admin: Redis;
  const logger = recordingLogger();

  beforeAll(async () => {
    await proxy.start();
    admin = new Redis(redisUrl());
    limiter = createRateLimiter({ redisUrl: proxy.url, onRedisDown: 'fail-open', keyPrefix: prefix, timeoutMs: 1000, maxReconnectDelayMs: 200, logger });
    expect(await limiter.ready()).toBe(true);
  });

  afterAll(async () => {
    await limiter?.close();
    await proxy.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('a hung call times out and falls back within the bound, then recovers when the network returns', async () => {
    const key: LimitScope = { scope: 'key', id: 'k', rpm: 100 };
    expect(await limiter.check([key], one)).toEqual({ ok: true });
    expect(limiter.mode).toBe('redis');

    proxy.freeze();
    const first = await timed(() => limiter.check([key], one));
    expect(first.value).toEqual({ ok: true });
    expect(first.ms).toBeGreaterThanOrEqual(900); // it waited for the timeout…
    expect(first.ms).toBeLessThan(1500); // …and no longer
    expect(limiter.mode).toBe('local');
    // Later checks are bounded too, and once the breaker is open they cost nothing.
    for (let i = 0; i < 5; i++) expect((await timed(() => limiter.check([key], one))).ms).toBeLessThan(1500);
    const fast = await timed(() => limiter.check([key], one));
    expect(fast.ms).toBeLessThan(50);
    expect(limiter.redisHealth()).toMatchObject({ healthy: true, breaker: 'open' });

    proxy.thaw();
    // The socket timeout dropped the dead connection; the reconnect and probe bring Redis back.
    expect(await waitFor(async () => (await limiter.check([key], one), limiter.mode === 'redis'), 8000, 100)).toBe(true);
    expect(limiter.redisHealth()).toMatchObject({ status: 'up', healthy: true, breaker: 'closed' });
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'info']);
  });
});

describe.skipIf(!binary.available)('an own redis-server killed mid-run and restarted', () => {
  let server: OwnRedisServer;
  let limiter: GatewayRateLimiter;
  const logger = recordingLogger();
  const outageAfterMs = 5000;

  beforeAll(async () => {
    server = new OwnRedisServer(await freePort());
    await server.start();
    limiter = createRateLimiter({ redisUrl: server.url, onRedisDown: 'fail-closed', outageAfterMs, maxReconnectDelayMs: 250, logger });
    expect(await limiter.ready()).toBe(true);
  });

  afterAll(async () => {
    await limiter?.close();
    await server?.kill();
  });

  it('falls back, reports a blip then an outage, and recovers on restart', async () => {
    const key: LimitScope = { scope: 'key', id: 'k', rpm: 3 };
    expect(await limiter.check([key], one)).toEqual({ ok: true });
    expect(await limiter.check([key], one)).toEqual({ ok: true });
    expect(limiter.mode).toBe('redis');
    expect(limiter.redisHealth()).toMatchObject({ status: 'up', healthy: true });

    await server.kill();
    const killedAt = Date.now();
    // Checks go on, bounded, counted locally (the local window starts empty: 3 more are admitted).
    const during = [];
    for (let i = 0; i < 5; i++) {
      const { value, ms } = await timed(() => limiter.check([key], one));
      expect(ms).toBeLessThan(1500);
      during.push(value);
    }
    expect(limiter.mode).toBe('local');
    expect(during.filter((v) => v.ok)).toHaveLength(3);

    // A blip first…
    expect(limiter.redisHealth()).toMatchObject({ status: 'degraded', healthy: true });
    await sleep(Math.max(0, killedAt + outageAfterMs - 500 - Date.now()));
    expect(limiter.redisHealth()).toMatchObject({ status: 'degraded', healthy: true });
    // …an outage only once it has lasted the threshold.
    await sleep(Math.max(0, killedAt + outageAfterMs + 200 - Date.now()));
    expect(limiter.redisHealth()).toMatchObject({ status: 'down', healthy: false });

    await server.start();
    // Recovery needs no traffic: the reconnect's probe closes the breaker.
    expect(await waitFor(() => limiter.redisHealth()?.status === 'up', 5000)).toBe(true);
    expect(limiter.mode).toBe('redis');
    // The restarted (empty) Redis counts again; one switch each way was logged.
    expect(await limiter.check([key], one)).toEqual({ ok: true });
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'info']);
  });

  it('checks survive a flushed script cache (EVALSHA falls back to EVAL)', async () => {
    const admin = new Redis(server.url);
    const remote = new RedisRateLimiter({ client: new Redis(server.url, failFastRedisOptions()), ownsClient: true, keyPrefix: 'flush:' });
    try {
      expect(await whenReady(remote.client)).toBe(true);
      const key: LimitScope = { scope: 'key', id: 'k', rpm: 1 };
      expect(await remote.check([key], one)).toEqual({ ok: true });
      await admin.script('FLUSH');
      expect(await remote.check([key], one)).toMatchObject({ ok: false, kind: 'rpm' });
    } finally {
      await remote.close();
      admin.disconnect();
    }
  });
});

describe('caller errors are not outages', () => {
  it('an invalid limit or cost throws without touching the breaker', async () => {
    const limiter = createRateLimiter({ redisUrl: 'redis://127.0.0.1:1', onRedisDown: 'fail-open', failureThreshold: 1 });
    try {
      await expect(limiter.check([{ scope: 'key', id: 'k', rpm: Number.NaN }], one)).rejects.toThrow(RangeError);
      await expect(limiter.check([{ scope: 'key', id: 'k', rpm: 1 }], { requests: -1, tokens: 0 })).rejects.toThrow(RangeError);
      await expect(limiter.addTokens([{ scope: 'key', id: 'k', tpm: 1 }], -5)).rejects.toThrow(RangeError);
      expect(limiter.mode).toBe('redis'); // no switch happened because of them
    } finally {
      await limiter.close();
    }
  });
});
