import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../src/limits/memory.js';
import { createRateLimiter, type LimitScope } from '../../src/limits/index.js';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = ms) };
}

const one = { requests: 1, tokens: 0 };

describe('memory limiter: RPM', () => {
  it('is exact over a sliding 60 s window', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k1', rpm: 3 };
    const t0 = c.now();
    expect(await limiter.check([key], one)).toEqual({ ok: true }); // t0
    c.advance(10_000);
    expect(await limiter.check([key], one)).toEqual({ ok: true }); // t0+10s
    c.advance(10_000);
    expect(await limiter.check([key], one)).toEqual({ ok: true }); // t0+20s
    c.advance(39_999); // t0+59.999s: the first is still counted
    expect(await limiter.check([key], one)).toMatchObject({ ok: false, kind: 'rpm', limit: 3, retryAfterSeconds: 1 });
    c.set(t0 + 60_000); // exactly 60 s later the first leaves
    expect(await limiter.check([key], one)).toEqual({ ok: true });
    // Now counted: t0+10s, t0+20s, t0+60s. The next to leave is t0+10s, at t0+70s.
    expect(await limiter.check([key], one)).toMatchObject({ ok: false, retryAfterSeconds: 10 });
    c.set(t0 + 69_999);
    expect(await limiter.check([key], one)).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    c.set(t0 + 70_000);
    expect(await limiter.check([key], one)).toEqual({ ok: true });
  });

  it('does not count refused requests', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', rpm: 2 };
    await limiter.check([key], one);
    await limiter.check([key], one);
    for (let i = 0; i < 50; i++) expect((await limiter.check([key], one)).ok).toBe(false);
    c.advance(60_000);
    // Had the refusals counted, the window would still be full.
    expect(await limiter.check([key], one)).toEqual({ ok: true });
    expect(await limiter.check([key], one)).toEqual({ ok: true });
    expect((await limiter.check([key], one)).ok).toBe(false);
  });

  it('retry-after is when the oldest counted request leaves, at least 1 s', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', rpm: 1 };
    await limiter.check([key], one);
    expect(await limiter.check([key], one)).toMatchObject({ ok: false, retryAfterSeconds: 60 });
    c.advance(15_500);
    expect(await limiter.check([key], one)).toMatchObject({ ok: false, retryAfterSeconds: 45 }); // 44.5 s rounded up
    c.advance(44_400);
    expect(await limiter.check([key], one)).toMatchObject({ ok: false, retryAfterSeconds: 1 }); // 0.1 s → 1
  });

  it('a request costing more than the limit is refused with the window length', async () => {
    const limiter = new MemoryRateLimiter({ clock: clock().now });
    expect(await limiter.check([{ scope: 'key', id: 'k', rpm: 2 }], { requests: 3, tokens: 0 })).toMatchObject({ ok: false, kind: 'rpm', retryAfterSeconds: 60 });
    expect(await limiter.check([{ scope: 'key', id: 'k', rpm: 2 }], { requests: 2, tokens: 0 })).toEqual({ ok: true });
  });

  it('keeps scopes of different kinds and ids apart', async () => {
    const limiter = new MemoryRateLimiter({ clock: clock().now });
    expect(await limiter.check([{ scope: 'key', id: 'x', rpm: 1 }], one)).toEqual({ ok: true });
    expect(await limiter.check([{ scope: 'team', id: 'x', rpm: 1 }], one)).toEqual({ ok: true });
    expect(await limiter.check([{ scope: 'key', id: 'y', rpm: 1 }], one)).toEqual({ ok: true });
    expect((await limiter.check([{ scope: 'key', id: 'x', rpm: 1 }], one)).ok).toBe(false);
  });

  it('a scope without limits is always admitted and records nothing', async () => {
    const limiter = new MemoryRateLimiter({ clock: clock().now });
    for (let i = 0; i < 100; i++) expect(await limiter.check([{ scope: 'key', id: 'free' }], { requests: 1, tokens: 1000 })).toEqual({ ok: true });
    expect(limiter.size()).toBe(0);
  });
});

describe('memory limiter: TPM', () => {
  it('counts prompt tokens at admission and output tokens when added', async () => {
    const c = clock(1_700_000_000_000); // on a second boundary
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', tpm: 1000 };
    expect(await limiter.check([key], { requests: 1, tokens: 400 })).toEqual({ ok: true });
    await limiter.addTokens([key], 300); // 700 used
    expect(await limiter.check([key], { requests: 1, tokens: 300 })).toEqual({ ok: true }); // exactly 1000
    expect(await limiter.check([key], { requests: 1, tokens: 1 })).toMatchObject({ ok: false, kind: 'tpm', limit: 1000 });
    // A zero estimate is still refused once the window is full.
    expect(await limiter.check([key], { requests: 1, tokens: 0 })).toMatchObject({ ok: false, kind: 'tpm' });
  });

  it('tokens count for 60 to 61 s (1-second buckets, never under-counted)', async () => {
    const start = 1_700_000_000_000;
    const c = clock(start + 300); // 0.3 s into a second
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', tpm: 100 };
    expect(await limiter.check([key], { requests: 1, tokens: 100 })).toEqual({ ok: true });
    // The bucket of second `start` counts until start + 61 s.
    expect(await limiter.check([key], { requests: 1, tokens: 1 })).toMatchObject({ ok: false, retryAfterSeconds: 61 }); // 60.7 s → 61
    c.set(start + 60_300); // exactly 60 s after admission: still counted (conservative)
    expect(await limiter.check([key], { requests: 1, tokens: 1 })).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    c.set(start + 60_999);
    expect((await limiter.check([key], { requests: 1, tokens: 1 })).ok).toBe(false);
    c.set(start + 61_000);
    expect(await limiter.check([key], { requests: 1, tokens: 100 })).toEqual({ ok: true });
  });

  it('retry-after frees just enough of the oldest buckets', async () => {
    const start = 1_700_000_000_000;
    const c = clock(start);
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', tpm: 100 };
    await limiter.check([key], { requests: 1, tokens: 30 }); // bucket start: leaves at +61 s
    c.set(start + 20_000);
    await limiter.check([key], { requests: 1, tokens: 30 }); // leaves at +81 s
    c.set(start + 40_000);
    await limiter.check([key], { requests: 1, tokens: 30 }); // leaves at +101 s; used 90
    expect(await limiter.check([key], { requests: 1, tokens: 10 })).toEqual({ ok: true }); // used 100 (same bucket)
    // Needs 40: the first bucket frees 30, the second 30 more → at +81 s, 41 s from now.
    expect(await limiter.check([key], { requests: 1, tokens: 40 })).toMatchObject({ ok: false, kind: 'tpm', retryAfterSeconds: 41 });
    // Needs 10: the first bucket is enough → at +61 s.
    expect(await limiter.check([key], { requests: 1, tokens: 10 })).toMatchObject({ ok: false, retryAfterSeconds: 21 });
  });

  it('output tokens may push the window past the limit, refusing until it drains', async () => {
    const start = 1_700_000_000_000;
    const c = clock(start);
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', tpm: 100 };
    await limiter.check([key], { requests: 1, tokens: 50 });
    await limiter.addTokens([key], 500);
    expect(await limiter.check([key], { requests: 1, tokens: 1 })).toMatchObject({ ok: false, retryAfterSeconds: 61 });
    c.set(start + 61_000);
    expect(await limiter.check([key], { requests: 1, tokens: 1 })).toEqual({ ok: true });
  });

  it('addTokens only touches scopes with a tpm', async () => {
    const limiter = new MemoryRateLimiter({ clock: clock().now });
    await limiter.addTokens([{ scope: 'key', id: 'k', rpm: 5 }], 1000);
    expect(limiter.size()).toBe(0);
  });
});

describe('memory limiter: several scopes', () => {
  it('a request refused by the team limit consumes nothing from the key', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', rpm: 5, tpm: 1000 };
    const otherKey: LimitScope = { scope: 'key', id: 'k2', rpm: 5 };
    const team: LimitScope = { scope: 'team', id: 't', rpm: 2 };
    expect(await limiter.check([otherKey, team], one)).toEqual({ ok: true });
    expect(await limiter.check([otherKey, team], one)).toEqual({ ok: true });
    // The team is full: 10 refusals for key k must leave k's windows empty.
    for (let i = 0; i < 10; i++) {
      expect(await limiter.check([key, team], { requests: 1, tokens: 100 })).toMatchObject({ ok: false, scope: team, kind: 'rpm', limit: 2 });
    }
    // k alone still has its whole RPM and TPM (5 × 100 tokens, then one 500-token request).
    for (let i = 0; i < 5; i++) expect(await limiter.check([key], { requests: 1, tokens: 100 })).toEqual({ ok: true });
    expect(await limiter.check([key], one)).toMatchObject({ ok: false, scope: key, kind: 'rpm' });
    expect(await limiter.check([{ scope: 'key', id: 'k', tpm: 1000 }], { requests: 1, tokens: 500 })).toEqual({ ok: true });
  });

  it('names the violation with the longest wait', async () => {
    const c = clock(1_700_000_000_000);
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', rpm: 1 };
    const team: LimitScope = { scope: 'team', id: 't', rpm: 10 };
    await limiter.check([key, team], one); // key full, leaves at +60 s
    c.advance(30_000);
    for (let i = 0; i < 9; i++) await limiter.check([team], one); // team full, oldest leaves at +60 s (30 s from now)
    // Both are violated and both wait for an entry admitted at +0 s (30 s from now): a tie names the first given.
    expect(await limiter.check([key, team], one)).toMatchObject({ ok: false, scope: key, retryAfterSeconds: 30 });
    c.advance(1_000);
    await limiter.check([{ scope: 'team', id: 't2', rpm: 1 }], one);
    // Key waits 29 s, team t2 waits 60 s: t2 is named.
    expect(await limiter.check([key, { scope: 'team', id: 't2', rpm: 1 }], one)).toMatchObject({ ok: false, scope: { id: 't2' }, retryAfterSeconds: 60 });
  });

  it('TPM refusal of one scope records no tokens anywhere', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', tpm: 10_000 };
    const team: LimitScope = { scope: 'team', id: 't', tpm: 100 };
    expect(await limiter.check([key, team], { requests: 1, tokens: 500 })).toMatchObject({ ok: false, scope: team, kind: 'tpm' });
    expect(await limiter.check([key], { requests: 1, tokens: 10_000 })).toEqual({ ok: true });
  });
});

describe('memory limiter: bounded memory', () => {
  it('forgets idle scopes without timers', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ clock: c.now });
    for (let i = 0; i < 1000; i++) await limiter.check([{ scope: 'key', id: `k${i}`, rpm: 10, tpm: 100 }], { requests: 1, tokens: 5 });
    expect(limiter.size()).toBe(1000);
    c.advance(62_000);
    await limiter.check([{ scope: 'key', id: 'fresh', rpm: 10 }], one);
    expect(limiter.size()).toBe(1);
  });

  it('a log never holds more than its limit', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ clock: c.now });
    const key: LimitScope = { scope: 'key', id: 'k', rpm: 100 };
    let admitted = 0;
    for (let i = 0; i < 10_000; i++) {
      if ((await limiter.check([key], one)).ok) admitted++;
      c.advance(50); // 20 per second for 500 s
    }
    // Exactly 100 per sliding minute: bursts of 100 starting at 0, 60, …, 480 s.
    expect(admitted).toBe(900);
  });

  it('rejects nonsense costs', async () => {
    const limiter = new MemoryRateLimiter();
    await expect(limiter.check([{ scope: 'key', id: 'k', rpm: 1 }], { requests: -1, tokens: 0 })).rejects.toThrow(RangeError);
    await expect(limiter.addTokens([{ scope: 'key', id: 'k', tpm: 1 }], Number.NaN)).rejects.toThrow(RangeError);
  });
});

describe('createRateLimiter without Redis', () => {
  it('is the memory limiter', async () => {
    const limiter = createRateLimiter({ onRedisDown: 'fail-closed' });
    expect(limiter.mode).toBe('memory');
    expect(limiter.redisHealth()).toBeUndefined();
    expect(await limiter.ready()).toBe(true);
    expect(await limiter.check([{ scope: 'key', id: 'k', rpm: 1 }], one)).toEqual({ ok: true });
    expect((await limiter.check([{ scope: 'key', id: 'k', rpm: 1 }], one)).ok).toBe(false);
    await limiter.close();
  });
});
