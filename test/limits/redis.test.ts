import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRateLimiter, RedisRateLimiter, whenReady, type LimitScope } from '../../src/limits/index.js';
import { failFastRedisOptions } from '../../src/store/resilience.js';
import { deleteKeys, redisUrl, requireRedis, sleep, uniquePrefix } from './helpers.js';

const redis = await requireRedis();
const one = { requests: 1, tokens: 0 };

describe.skipIf(!redis.available)('Redis limiter (real Redis)', () => {
  const prefix = uniquePrefix('rl');
  const clients: Redis[] = [];
  let admin: Redis;
  let a: RedisRateLimiter;
  let b: RedisRateLimiter;
  let seq = 0;
  /** A fresh id per test so tests never share windows. */
  const id = (label: string): string => `${label}-${++seq}`;

  function client(): Redis {
    const c = new Redis(redisUrl(), failFastRedisOptions());
    clients.push(c);
    return c;
  }

  async function serverMs(): Promise<number> {
    const [s, us] = await admin.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  beforeAll(async () => {
    admin = new Redis(redisUrl());
    // Two "replicas": separate connections, separate limiter instances.
    a = new RedisRateLimiter({ client: client(), keyPrefix: prefix });
    b = new RedisRateLimiter({ client: client(), keyPrefix: prefix });
    for (const c of clients) expect(await whenReady(c)).toBe(true);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    if (!admin) return;
    await deleteKeys(admin, prefix);
    expect(await admin.keys(`${prefix}*`)).toEqual([]);
    await Promise.all([a?.close(), b?.close()]);
    for (const c of clients) c.disconnect();
    admin.disconnect();
  });

  it('RPM: admits exactly the limit, refuses the rest with a retry-after near 60 s', async () => {
    const key: LimitScope = { scope: 'key', id: id('k'), rpm: 3 };
    for (let i = 0; i < 3; i++) expect(await a.check([key], one)).toEqual({ ok: true });
    const refused = await a.check([key], one);
    expect(refused).toMatchObject({ ok: false, kind: 'rpm', limit: 3, scope: key });
    if (!refused.ok) {
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // Refusals do not count.
    expect(await admin.zcard(a.keysOf(key).rpm)).toBe(3);
  });

  it('RPM: the window slides by Redis time, to the millisecond', async () => {
    const key: LimitScope = { scope: 'key', id: id('slide'), rpm: 2 };
    const { rpm } = a.keysOf(key);
    const now = await serverMs();
    // One entry about to leave (admitted 59.7 s ago) and one recent.
    await admin.zadd(rpm, now - 59_700, 'old', now - 1000, 'recent');
    await admin.pexpire(rpm, 61_000);
    expect(await a.check([key], one)).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    await sleep(400);
    expect(await a.check([key], one)).toEqual({ ok: true });
    expect(await admin.zscore(rpm, 'old')).toBeNull(); // pruned
    expect(await b.check([key], one)).toMatchObject({ ok: false, retryAfterSeconds: 59 });
  });

  it('RPM: retry-after names the entry whose leaving makes room for the whole cost', async () => {
    const key: LimitScope = { scope: 'key', id: id('multi'), rpm: 5 };
    const { rpm } = a.keysOf(key);
    const now = await serverMs();
    await admin.zadd(rpm, now - 50_000, 'e1', now - 40_000, 'e2', now - 30_000, 'e3', now - 20_000, 'e4');
    await admin.pexpire(rpm, 61_000);
    // 4 counted, 1 free: a cost of 3 needs e1 and e2 to leave → e2 leaves in 20 s.
    expect(await a.check([key], { requests: 3, tokens: 0 })).toMatchObject({ ok: false, retryAfterSeconds: 20 });
    expect(await a.check([key], { requests: 1, tokens: 0 })).toEqual({ ok: true });
    expect(await a.check([key], { requests: 6, tokens: 0 })).toMatchObject({ ok: false, retryAfterSeconds: 60 });
  });

  it('TPM: prompt tokens at admission plus output tokens, over 1-second buckets', async () => {
    const key: LimitScope = { scope: 'key', id: id('tpm'), tpm: 1000 };
    expect(await a.check([key], { requests: 1, tokens: 400 })).toEqual({ ok: true });
    await b.addTokens([key], 300);
    expect(await b.check([key], { requests: 1, tokens: 300 })).toEqual({ ok: true });
    const refused = await a.check([key], { requests: 1, tokens: 1 });
    expect(refused).toMatchObject({ ok: false, kind: 'tpm', limit: 1000 });
    if (!refused.ok) expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(60);
    expect(await a.check([key], { requests: 1, tokens: 0 })).toMatchObject({ ok: false, kind: 'tpm' });
  });

  it('TPM: buckets older than the window are pruned and retry-after frees the oldest first', async () => {
    const key: LimitScope = { scope: 'key', id: id('buckets'), tpm: 100 };
    const { tpm } = a.keysOf(key);
    const sec = Math.floor((await serverMs()) / 1000);
    // 61 s old: out of the window. 60 s old: still counted (leaves at the next second).
    await admin.hset(tpm, String(sec - 61), '1000', String(sec - 60), '30', String(sec - 10), '60');
    await admin.pexpire(tpm, 62_000);
    // used 90; a cost of 20 needs 10 freed → the bucket of sec-60 leaves within 1 s.
    expect(await a.check([key], { requests: 1, tokens: 20 })).toMatchObject({ ok: false, kind: 'tpm', retryAfterSeconds: 1 });
    expect(await admin.hexists(tpm, String(sec - 61))).toBe(0);
    // A cost of 50 needs 40 freed: sec-60 (30) and sec-10 (60) → about 51 s.
    const refused = await a.check([key], { requests: 1, tokens: 50 });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(50);
    expect(await a.check([key], { requests: 1, tokens: 10 })).toEqual({ ok: true });
  });

  it('all scopes at once: a request refused by the team consumes nothing from the key', async () => {
    const key: LimitScope = { scope: 'key', id: id('k'), rpm: 10, tpm: 10_000 };
    const team: LimitScope = { scope: 'team', id: id('t'), rpm: 1, tpm: 10_000 };
    const sibling: LimitScope = { scope: 'key', id: id('k2'), rpm: 10 };
    expect(await a.check([sibling, team], { requests: 1, tokens: 10 })).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) {
      expect(await b.check([key, team], { requests: 1, tokens: 500 })).toMatchObject({ ok: false, scope: team, kind: 'rpm', limit: 1 });
    }
    expect(await admin.exists(a.keysOf(key).rpm, a.keysOf(key).tpm)).toBe(0);
    // The team counted only the sibling's admitted request.
    expect(await admin.zcard(a.keysOf(team).rpm)).toBe(1);
    expect(Object.values(await admin.hgetall(a.keysOf(team).tpm)).map(Number)).toEqual([10]);
  });

  it('two replicas sharing Redis: RPM 30 under 90 concurrent checks admits exactly 30', async () => {
    const key: LimitScope = { scope: 'key', id: id('race'), rpm: 30 };
    const team: LimitScope = { scope: 'team', id: id('race-team'), rpm: 1000 };
    const checks = Array.from({ length: 90 }, (_, i) => (i % 2 === 0 ? a : b).check([key, team], one));
    const verdicts = await Promise.all(checks);
    expect(verdicts.filter((v) => v.ok)).toHaveLength(30);
    expect(await admin.zcard(a.keysOf(key).rpm)).toBe(30);
    expect(await admin.zcard(a.keysOf(team).rpm)).toBe(30);
  });

  it('two gateway limiters (createRateLimiter) with skewed local clocks agree, by Redis TIME', async () => {
    const common = { redisUrl: redisUrl(), onRedisDown: 'fail-closed' as const, keyPrefix: prefix };
    const ahead = createRateLimiter({ ...common, clock: () => Date.now() + 3_600_000 });
    const behind = createRateLimiter({ ...common, clock: () => Date.now() - 3_600_000 });
    try {
      expect(await ahead.ready()).toBe(true);
      expect(await behind.ready()).toBe(true);
      const key: LimitScope = { scope: 'key', id: id('skew'), rpm: 30 };
      const verdicts = await Promise.all(Array.from({ length: 90 }, (_, i) => (i % 2 === 0 ? ahead : behind).check([key], one)));
      expect(verdicts.filter((v) => v.ok)).toHaveLength(30);
      expect(ahead.mode).toBe('redis');
      expect(behind.mode).toBe('redis');
      const refused = verdicts.find((v) => !v.ok);
      expect(refused && !refused.ok && refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
      expect(refused && !refused.ok && refused.retryAfterSeconds).toBeLessThanOrEqual(60);
      // Scores are Redis's time, not either replica's.
      const server = await serverMs();
      const scores = (await admin.zrange(a.keysOf(key).rpm, '0', '-1', 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
      for (const s of scores) expect(Math.abs(server - s)).toBeLessThan(5_000);
    } finally {
      await Promise.all([ahead.close(), behind.close()]);
    }
  });

  it('the process clock is never read for windows (Date.now mocked far off)', async () => {
    const key: LimitScope = { scope: 'key', id: id('datenow'), rpm: 2 };
    vi.spyOn(Date, 'now').mockReturnValue(0);
    expect(await a.check([key], one)).toEqual({ ok: true });
    vi.spyOn(Date, 'now').mockReturnValue(10 ** 13);
    expect(await b.check([key], one)).toEqual({ ok: true });
    vi.restoreAllMocks();
    expect(await a.check([key], one)).toMatchObject({ ok: false, retryAfterSeconds: 60 });
  });

  it('every key it writes has an expiry', async () => {
    const key: LimitScope = { scope: 'key', id: id('ttl'), rpm: 5, tpm: 1000 };
    const team: LimitScope = { scope: 'team', id: id('ttl-team'), tpm: 1000 };
    await a.check([key, team], { requests: 1, tokens: 10 });
    await b.addTokens([key, team], 20);
    const written = [a.keysOf(key).rpm, a.keysOf(key).tpm, a.keysOf(team).tpm];
    for (const k of written) {
      const ttl = await admin.pttl(k);
      expect(ttl, k).toBeGreaterThan(0);
      expect(ttl, k).toBeLessThanOrEqual(62_000);
    }
    // No key anywhere under the prefix lives forever.
    for (const k of await admin.keys(`${prefix}*`)) expect(await admin.pttl(k), k).toBeGreaterThan(0);
    // A team without an rpm has no RPM key at all.
    expect(await admin.exists(a.keysOf(team).rpm)).toBe(0);
  });

  it('a scope without limits touches no key', async () => {
    const free: LimitScope = { scope: 'key', id: id('free') };
    expect(await a.check([free], { requests: 1, tokens: 50 })).toEqual({ ok: true });
    await a.addTokens([free], 50);
    expect(await admin.exists(a.keysOf(free).rpm, a.keysOf(free).tpm)).toBe(0);
  });
});
