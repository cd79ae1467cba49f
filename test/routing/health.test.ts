import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/canonical/errors.js';
import type { HealthRecorder } from '../../src/routing/execute.js';
import type { HealthView } from '../../src/routing/planner.js';
import { HEALTH_DEFAULTS, HostHealth, type HostHealthOptions } from '../../src/routing/health.js';
import { hostKey, providerOfKey } from '../../src/routing/host-key.js';
import { classifyOutcome, failureOutcome, type AttemptOutcome } from '../../src/routing/outcome.js';

const T0 = 1_700_000_000_000;

function setup(options: Omit<HostHealthOptions, 'now'> = {}) {
  let t = T0;
  const health = new HostHealth({ now: () => t, ...options });
  return {
    health,
    advance(ms: number) {
      t += ms;
    },
    get now() {
      return t;
    },
  };
}

const DS = hostKey('deepseek', 'deepseek-v3');
const TG = hostKey('together', 'deepseek-v3');
const FW = hostKey('fireworks', 'deepseek-v3');
const NB = hostKey('nebius', 'deepseek-v3');

function fail(health: HostHealth, key: string, errorCode = 'upstream_error', extra: Partial<AttemptOutcome> = {}) {
  return health.record(key, { ok: false, providerId: providerOfKey(key), errorCode, ...extra });
}

function succeed(health: HostHealth, key: string, extra: Partial<AttemptOutcome> = {}) {
  return health.record(key, { ok: true, providerId: providerOfKey(key), ...extra });
}

function failTimes(health: HostHealth, key: string, n: number, errorCode = 'upstream_error') {
  for (let i = 0; i < n; i++) fail(health, key, errorCode);
}

describe('fits its consumers', () => {
  it('is what the planner reads and the executor writes (checked by tsc)', () => {
    const health = new HostHealth();
    const view: HealthView = health;
    const recorder: HealthRecorder = health;
    expect(view.usable([DS]).usable).toEqual([DS]);
    expect(recorder.acquire(DS)).toBe(true);
  });
});

describe('host keys', () => {
  it('joins provider and upstream model with NUL and splits them back', () => {
    expect(hostKey('deepseek', 'deepseek-chat')).toBe('deepseek\u0000deepseek-chat');
    expect(providerOfKey(hostKey('deepseek', 'a/b:c'))).toBe('deepseek');
    expect(providerOfKey('bare')).toBe('bare');
  });
});

describe('outcome classification', () => {
  it('places each error code', () => {
    const c = (errorCode: string, extra: Partial<AttemptOutcome> = {}) => classifyOutcome({ ok: false, providerId: 'p', errorCode, ...extra });
    expect(classifyOutcome({ ok: true, providerId: 'p' })).toBe('success');
    expect(c('upstream_error')).toBe('host-failure');
    expect(c('upstream_timeout')).toBe('host-failure');
    expect(c('upstream_malformed')).toBe('host-failure');
    expect(c('stream_interrupted')).toBe('host-failure');
    expect(c('stream_interrupted', { clientAborted: true })).toBe('ignored');
    expect(c('upstream_unavailable', { upstreamStatus: 503 })).toBe('host-failure');
    expect(c('upstream_unavailable')).toBe('provider-failure');
    expect(c('upstream_auth_failed', { upstreamStatus: 401 })).toBe('provider-failure');
    expect(c('upstream_rate_limited')).toBe('rate-limited');
    expect(c('context_length_exceeded')).toBe('client-error');
    expect(c('upstream_bad_request')).toBe('client-error');
    expect(c('content_filtered')).toBe('client-error');
    expect(c('internal_error')).toBe('ignored');
    expect(c('something_new')).toBe('host-failure');
    expect(classifyOutcome({ ok: false, providerId: 'p' })).toBe('host-failure');
  });

  it('reads a client disconnect off the GatewayError the adapters raise', () => {
    const clientGone = new GatewayError('stream_interrupted', 'the client closed the connection', { retryableUpstream: false });
    const upstreamCut = new GatewayError('stream_interrupted', 'provider x closed the connection unexpectedly', { provider: 'x' });
    expect(classifyOutcome(failureOutcome('x', clientGone))).toBe('ignored');
    expect(classifyOutcome(failureOutcome('x', upstreamCut))).toBe('host-failure');
    expect(classifyOutcome(failureOutcome('x', upstreamCut, { clientAborted: true }))).toBe('ignored');
    const limited = failureOutcome('x', new GatewayError('upstream_rate_limited', 'slow down', { retryAfterSeconds: 7, upstreamStatus: 429 }), { latencyMs: 12 });
    expect(limited).toMatchObject({ ok: false, providerId: 'x', errorCode: 'upstream_rate_limited', retryAfterSeconds: 7, upstreamStatus: 429, latencyMs: 12 });
  });
});

describe('circuit breaker', () => {
  it('opens after exactly 5 consecutive failures', () => {
    const { health, now } = setup();
    failTimes(health, DS, 4);
    expect(health.snapshot(DS)).toMatchObject({ state: 'closed', consecutiveFailures: 4, ejections: 0 });
    expect(health.acquire(DS)).toBe(true);
    fail(health, DS);
    expect(health.snapshot(DS)).toMatchObject({ state: 'open', consecutiveFailures: 5, ejections: 1, openUntil: now + 30_000 });
    expect(health.acquire(DS)).toBe(false);
  });

  it('does not open after 4 failures, a success and 4 failures', () => {
    const { health } = setup();
    failTimes(health, DS, 4);
    succeed(health, DS);
    failTimes(health, DS, 4);
    expect(health.snapshot(DS)).toMatchObject({ state: 'closed', consecutiveFailures: 4 });
    expect(health.acquire(DS)).toBe(true);
  });

  it('honours a configured threshold', () => {
    const { health } = setup({ consecutiveFailures: 2 });
    failTimes(health, DS, 2);
    expect(health.snapshot(DS).state).toBe('open');
  });

  it('stays open until the base ejection time, then turns half-open', () => {
    const { health, advance } = setup();
    failTimes(health, DS, 5);
    advance(29_999);
    expect(health.snapshot(DS).state).toBe('open');
    expect(health.acquire(DS)).toBe(false);
    advance(1);
    expect(health.snapshot(DS)).toMatchObject({ state: 'half-open', probesInFlight: 0 });
    expect(health.snapshot(DS).openUntil).toBeUndefined();
  });

  it('admits one probe at a time when half-open', () => {
    const { health, advance } = setup();
    failTimes(health, DS, 5);
    advance(30_000);
    expect(health.acquire(DS)).toBe(true);
    expect(health.acquire(DS)).toBe(false);
    expect(health.snapshot(DS).probesInFlight).toBe(1);
    // The planner leaves a host with a probe in flight out while another host can serve.
    const selection = health.usable([DS, TG]);
    expect(selection.usable).toEqual([TG]);
    expect(selection.excluded[0]!.reason).toBe('breaker half-open with 1 probe(s) in flight after 5 consecutive failures (ejected 1×)');
    // An attempt that never went out gives its slot back.
    health.release(DS);
    expect(health.acquire(DS)).toBe(true);
  });

  it('admits as many concurrent probes as configured', () => {
    const { health, advance } = setup({ maxProbes: 2 });
    failTimes(health, DS, 5);
    advance(30_000);
    expect(health.acquire(DS)).toBe(true);
    expect(health.acquire(DS)).toBe(true);
    expect(health.acquire(DS)).toBe(false);
  });

  it('re-opens for twice the base time when the probe fails', () => {
    const { health, advance } = setup();
    failTimes(health, DS, 5);
    advance(30_000);
    expect(health.acquire(DS)).toBe(true);
    fail(health, DS, 'upstream_timeout');
    const snap = health.snapshot(DS);
    expect(snap).toMatchObject({ state: 'open', ejections: 2, consecutiveFailures: 6, lastErrorCode: 'upstream_timeout' });
    expect(snap.openUntil! - T0).toBe(30_000 + 60_000);
    expect(health.usable([DS, TG]).excluded).toEqual([{ key: DS, reason: 'breaker open for 60 s after a failed probe (ejected 2×)' }]);
    advance(59_999);
    expect(health.acquire(DS)).toBe(false);
    advance(1);
    expect(health.acquire(DS)).toBe(true);
    // Third time: 3 × base.
    fail(health, DS);
    expect(health.snapshot(DS).openUntil! - (T0 + 90_000)).toBe(90_000);
  });

  it('closes when the probe succeeds, and needs a full streak to open again', () => {
    const { health, advance, now } = setup();
    failTimes(health, DS, 5);
    advance(30_000);
    expect(health.acquire(DS)).toBe(true);
    succeed(health, DS);
    expect(health.snapshot(DS)).toMatchObject({ state: 'closed', consecutiveFailures: 0, ejections: 1, probesInFlight: 0 });
    expect(health.acquire(DS)).toBe(true);
    expect(health.acquire(DS)).toBe(true);
    failTimes(health, DS, 4);
    expect(health.snapshot(DS).state).toBe('closed');
    fail(health, DS);
    // Ejected twice (no healthy period long enough to forgive the first): 2 × 30 s.
    expect(health.snapshot(DS)).toMatchObject({ state: 'open', ejections: 2, openUntil: now + 30_000 + 60_000 });
  });

  it('caps the ejection time', () => {
    const clock = setup({ maxEjectionMs: 100_000 });
    const { health } = clock;
    failTimes(health, DS, 5);
    const durations: number[] = [];
    for (let i = 0; i < 5; i++) {
      durations.push(health.snapshot(DS).openUntil! - clock.now);
      clock.advance(durations.at(-1)!);
      expect(health.acquire(DS)).toBe(true);
      fail(health, DS);
    }
    durations.push(health.snapshot(DS).openUntil! - clock.now);
    expect(durations).toEqual([30_000, 60_000, 90_000, 100_000, 100_000, 100_000]);
    expect(health.snapshot(DS).ejections).toBe(6);
  });

  it('forgives one ejection per healthy period', () => {
    const { health, advance } = setup();
    failTimes(health, DS, 5);
    advance(30_000);
    health.acquire(DS);
    fail(health, DS);
    advance(60_000);
    health.acquire(DS);
    succeed(health, DS);
    expect(health.snapshot(DS).ejections).toBe(2);
    advance(HEALTH_DEFAULTS.ejectionDecayMs - 1);
    expect(health.snapshot(DS).ejections).toBe(2);
    advance(1);
    expect(health.snapshot(DS).ejections).toBe(1);
    // Traffic in between does not restart the period.
    succeed(health, DS);
    advance(HEALTH_DEFAULTS.ejectionDecayMs);
    expect(health.snapshot(DS).ejections).toBe(0);
    // A fresh start: the next ejection is the base time again.
    failTimes(health, DS, 5);
    expect(health.snapshot(DS)).toMatchObject({ state: 'open', ejections: 1 });
    advance(30_000);
    expect(health.snapshot(DS).state).toBe('half-open');
  });

  it('keeps the partial decay period when it forgives an ejection', () => {
    const { health, advance } = setup({ ejectionDecayMs: 1000 });
    failTimes(health, DS, 5);
    advance(30_000);
    health.acquire(DS);
    fail(health, DS);
    advance(60_000);
    health.acquire(DS);
    succeed(health, DS); // closed with 2 ejections
    advance(1500);
    health.acquire(DS); // settles: one forgiven, 500 ms into the next period
    advance(499);
    expect(health.snapshot(DS).ejections).toBe(1);
    advance(1);
    expect(health.snapshot(DS).ejections).toBe(0);
  });

  it('is not tripped by client errors, which also end a failure streak', () => {
    const { health } = setup();
    for (let i = 0; i < 10; i++) {
      fail(health, DS, 'context_length_exceeded');
      fail(health, DS, 'upstream_bad_request');
    }
    expect(health.snapshot(DS)).toMatchObject({ state: 'closed', consecutiveFailures: 0, requests: 20, failures: 0 });
    expect(health.snapshot(DS).errorRate).toBeUndefined();
    failTimes(health, DS, 4);
    fail(health, DS, 'context_length_exceeded');
    failTimes(health, DS, 4);
    expect(health.snapshot(DS)).toMatchObject({ state: 'closed', consecutiveFailures: 4 });
  });

  it('is not tripped by client disconnects, which neither count nor end a streak', () => {
    const { health } = setup();
    const clientGone = new GatewayError('stream_interrupted', 'the client closed the connection', { retryableUpstream: false });
    for (let i = 0; i < 10; i++) health.record(DS, failureOutcome('deepseek', clientGone));
    expect(health.snapshot(DS)).toMatchObject({ state: 'closed', consecutiveFailures: 0, requests: 10, failures: 0 });
    expect(health.snapshot(DS).errorRate).toBeUndefined();
    failTimes(health, DS, 4);
    health.record(DS, failureOutcome('deepseek', clientGone));
    fail(health, DS);
    expect(health.snapshot(DS).state).toBe('open');
  });

  it('counts streams the provider cut', () => {
    const { health } = setup();
    const cut = new GatewayError('stream_interrupted', 'provider deepseek ended the stream before it finished', { provider: 'deepseek' });
    for (let i = 0; i < 5; i++) health.record(DS, failureOutcome('deepseek', cut));
    expect(health.snapshot(DS).state).toBe('open');
  });

  it('leaves a half-open host half-open when its probe says nothing (client gone)', () => {
    const { health, advance } = setup();
    failTimes(health, DS, 5);
    advance(30_000);
    expect(health.acquire(DS)).toBe(true);
    fail(health, DS, 'stream_interrupted', { clientAborted: true });
    expect(health.snapshot(DS)).toMatchObject({ state: 'half-open', probesInFlight: 0, ejections: 1 });
    expect(health.acquire(DS)).toBe(true);
  });

  it('closes a half-open host whose probe was answered with a client error', () => {
    const { health, advance } = setup();
    failTimes(health, DS, 5);
    advance(30_000);
    health.acquire(DS);
    fail(health, DS, 'context_length_exceeded');
    expect(health.snapshot(DS).state).toBe('closed');
  });

  it('frees a probe slot presumed lost', () => {
    const { health, advance } = setup();
    failTimes(health, DS, 5);
    advance(30_000);
    expect(health.acquire(DS)).toBe(true);
    advance(HEALTH_DEFAULTS.probeTimeoutMs - 1);
    expect(health.acquire(DS)).toBe(false);
    advance(1);
    expect(health.acquire(DS)).toBe(true);
  });

  it('does not move while open: late results feed the averages only', () => {
    const { health, advance } = setup();
    failTimes(health, DS, 5);
    succeed(health, DS, { latencyMs: 100 });
    failTimes(health, DS, 3);
    expect(health.snapshot(DS)).toMatchObject({ state: 'open', ejections: 1, latencyMs: 100 });
    advance(30_000);
    expect(health.snapshot(DS).state).toBe('half-open');
  });

  it('lets a forced attempt probe an open host early', () => {
    const { health, advance, now } = setup();
    failTimes(health, DS, 5);
    advance(1000);
    expect(health.acquire(DS)).toBe(false);
    expect(health.acquire(DS, { force: true })).toBe(true);
    expect(health.snapshot(DS)).toMatchObject({ state: 'half-open', probesInFlight: 1 });
    fail(health, DS);
    expect(health.snapshot(DS)).toMatchObject({ state: 'open', ejections: 2, openUntil: now + 1000 + 60_000 });
    expect(health.acquire(DS, { force: true })).toBe(true);
    succeed(health, DS);
    expect(health.snapshot(DS)).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });
});

describe('provider-wide failures', () => {
  it('counts a refused connection toward every closed host of the provider', () => {
    const { health } = setup();
    const other = hostKey('deepseek', 'deepseek-r1');
    succeed(health, other);
    succeed(health, TG);
    for (let i = 0; i < 5; i++) fail(health, DS, 'upstream_unavailable');
    expect(health.snapshot(DS)).toMatchObject({ state: 'open', lastErrorCode: 'upstream_unavailable' });
    expect(health.snapshot(other)).toMatchObject({ state: 'open', consecutiveFailures: 5, ejections: 1 });
    expect(health.snapshot(TG)).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    // Only the host that was tried has an error rate.
    expect(health.snapshot(other).errorRate).toBe(0);
  });

  it('keeps a 503 for a model on its host', () => {
    const { health } = setup();
    const other = hostKey('deepseek', 'deepseek-r1');
    succeed(health, other);
    for (let i = 0; i < 5; i++) fail(health, DS, 'upstream_unavailable', { upstreamStatus: 503 });
    expect(health.snapshot(DS).state).toBe('open');
    expect(health.snapshot(other)).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('treats rejected credentials as provider-wide', () => {
    const { health } = setup();
    const other = hostKey('deepseek', 'deepseek-r1');
    succeed(health, other);
    for (let i = 0; i < 5; i++) fail(health, DS, 'upstream_auth_failed', { upstreamStatus: 401 });
    expect(health.snapshot(other).state).toBe('open');
  });
});

describe('429 cooldown', () => {
  it('excludes every host of the provider for retry-after seconds, then readmits them', () => {
    const { health, advance, now } = setup();
    const r1 = hostKey('deepseek', 'deepseek-r1');
    const r1Other = hostKey('together', 'deepseek-r1');
    expect(fail(health, DS, 'upstream_rate_limited', { retryAfterSeconds: 12, upstreamStatus: 429 })).toBe('rate-limited');
    const v3 = health.usable([DS, TG]);
    expect(v3.usable).toEqual([TG]);
    expect(v3.excluded).toEqual([{ key: DS, reason: 'rate limited by provider deepseek: retry after 12 s' }]);
    // Another model of the same provider, never tried: also out.
    expect(health.usable([r1, r1Other]).usable).toEqual([r1Other]);
    expect(health.acquire(r1)).toBe(false);
    expect(health.acquire(DS)).toBe(false);
    expect(health.acquire(TG)).toBe(true);
    expect(health.snapshot(r1).cooldownUntil).toBe(now + 12_000);
    advance(7_000);
    expect(health.usable([DS, TG]).excluded[0]!.reason).toBe('rate limited by provider deepseek: retry after 5 s');
    advance(4_999);
    expect(health.acquire(DS)).toBe(false);
    advance(1);
    expect(health.usable([DS, TG])).toMatchObject({ usable: [DS, TG], excluded: [] });
    expect(health.usable([r1, r1Other]).usable).toEqual([r1, r1Other]);
    expect(health.acquire(r1)).toBe(true);
    expect(health.snapshot(r1).cooldownUntil).toBeUndefined();
  });

  it('does not count toward the breaker', () => {
    const { health } = setup();
    failTimes(health, DS, 4);
    for (let i = 0; i < 10; i++) fail(health, DS, 'upstream_rate_limited', { retryAfterSeconds: 1 });
    expect(health.snapshot(DS)).toMatchObject({ state: 'closed', consecutiveFailures: 4, failures: 14 });
  });

  it('defaults to 5 s without retry-after and caps a long one', () => {
    const { health, now } = setup();
    fail(health, DS, 'upstream_rate_limited');
    expect(health.snapshot(DS).cooldownUntil).toBe(now + 5_000);
    fail(health, TG, 'upstream_rate_limited', { retryAfterSeconds: 86_400 });
    expect(health.snapshot(TG).cooldownUntil).toBe(now + 300_000);
  });

  it('never shortens a running cooldown', () => {
    const { health, now } = setup();
    fail(health, DS, 'upstream_rate_limited', { retryAfterSeconds: 30 });
    fail(health, DS, 'upstream_rate_limited', { retryAfterSeconds: 2 });
    expect(health.snapshot(DS).cooldownUntil).toBe(now + 30_000);
  });

  it('combines reasons when a host is both ejected and cooling', () => {
    const { health } = setup();
    failTimes(health, DS, 5);
    fail(health, DS, 'upstream_rate_limited', { retryAfterSeconds: 40 });
    expect(health.usable([DS, TG]).excluded[0]!.reason).toBe(
      'breaker open for 30 s after 5 consecutive failures (ejected 1×); rate limited by provider deepseek: retry after 40 s',
    );
  });
});

describe('usable: never all hosts, at most maxEjectionPercent', () => {
  it('returns every host, in input order, when all are healthy', () => {
    const { health } = setup();
    const keys = [TG, DS];
    const selection = health.usable(keys);
    expect(selection.usable).toEqual([TG, DS]);
    expect(selection.usable).not.toBe(keys);
    expect(selection.excluded).toEqual([]);
    expect(selection.readmitted).toEqual([]);
    expect(health.usable([]).usable).toEqual([]);
  });

  it('keeps the host that recovers sooner when both hosts of a model fail', () => {
    const { health, advance } = setup({ maxEjectionPercent: 100 });
    failTimes(health, DS, 5); // open until +30 s
    advance(5_000);
    failTimes(health, TG, 5); // open until +35 s
    for (const order of [[DS, TG], [TG, DS]]) {
      const selection = health.usable(order);
      expect(selection.usable).toEqual([DS]);
      expect(selection.excluded).toEqual([{ key: TG, reason: 'breaker open for 30 s after 5 consecutive failures (ejected 1×)' }]);
      expect(selection.readmitted).toEqual([
        { key: DS, reason: 're-admitted (at most 1 of 2 hosts may be excluded): breaker open for 25 s after 5 consecutive failures (ejected 1×)' },
      ]);
    }
    // The re-admitted host is still refused by a plain acquire; the executor forces it.
    expect(health.acquire(DS)).toBe(false);
    expect(health.acquire(DS, { force: true })).toBe(true);
  });

  it('keeps a model with a single host usable', () => {
    const { health } = setup();
    failTimes(health, DS, 5);
    fail(health, DS, 'upstream_rate_limited', { retryAfterSeconds: 60 });
    const selection = health.usable([DS]);
    expect(selection.usable).toEqual([DS]);
    expect(selection.excluded).toEqual([]);
    expect(selection.readmitted).toHaveLength(1);
  });

  it('prefers the host with fewer ejections when both recover at once', () => {
    const { health, advance } = setup({ maxEjectionPercent: 100 });
    failTimes(health, DS, 5); // ejection 1: open until +30 s
    advance(30_000);
    health.acquire(DS);
    fail(health, DS); // ejection 2 at +30 s: open until +90 s
    advance(30_000);
    failTimes(health, TG, 5); // ejection 1 at +60 s: 30 s → open until +90 s, like DS
    expect(health.snapshot(DS).openUntil).toBe(health.snapshot(TG).openUntil);
    expect(health.usable([DS, TG]).usable).toEqual([TG]);
  });

  it('excludes at most maxEjectionPercent of the hosts', () => {
    const { health, advance } = setup();
    failTimes(health, FW, 5);
    advance(1_000);
    failTimes(health, DS, 5);
    advance(1_000);
    failTimes(health, TG, 5);
    const keys = [DS, TG, FW, NB];
    // 50% of 4: two excluded; FW, ejected first, recovers first and is re-admitted, after the healthy host.
    const selection = health.usable(keys);
    expect(selection.usable).toEqual([NB, FW]);
    expect(selection.excluded.map((e) => e.key)).toEqual([DS, TG]);
    expect(selection.readmitted.map((e) => e.key)).toEqual([FW]);
    expect(selection.readmitted[0]!.reason).toMatch(/^re-admitted \(at most 2 of 4 hosts may be excluded\): breaker open for 28 s/);

    const strict = setup({ maxEjectionPercent: 100 });
    for (const key of [DS, TG, FW]) failTimes(strict.health, key, 5);
    expect(strict.health.usable(keys)).toMatchObject({ usable: [NB], readmitted: [] });

    const none = setup({ maxEjectionPercent: 0 });
    for (const key of [DS, TG, FW]) failTimes(none.health, key, 5);
    const all = none.health.usable(keys);
    expect(all.excluded).toEqual([]);
    expect(new Set(all.usable)).toEqual(new Set(keys));
    expect(all.usable[0]).toBe(NB);
  });

  it('never leaves fewer than one host, and never more excluded than allowed (property)', () => {
    const providers = ['deepseek', 'together', 'fireworks'];
    const models = ['m1', 'm2'];
    const pool = providers.flatMap((p) => models.map((m) => hostKey(p, m)));
    const codes = ['upstream_error', 'upstream_timeout', 'upstream_unavailable', 'upstream_auth_failed', 'upstream_rate_limited', 'context_length_exceeded', 'stream_interrupted', 'internal_error'];
    const host = fc.nat(pool.length - 1);
    // Weighted towards failures, so that whole models go unhealthy and the never-all rule is exercised.
    const op = fc.oneof(
      { arbitrary: fc.record({ type: fc.constant('fail' as const), host, code: fc.constantFrom(...codes), retryAfter: fc.option(fc.nat(100), { nil: undefined }) }), weight: 6 },
      { arbitrary: fc.record({ type: fc.constant('ok' as const), host }), weight: 1 },
      { arbitrary: fc.record({ type: fc.constant('acquire' as const), host, force: fc.boolean() }), weight: 2 },
      { arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.nat(60_000) }), weight: 1 },
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 150 }),
        fc.uniqueArray(host, { minLength: 1, maxLength: pool.length }),
        fc.oneof(fc.constant(100), fc.integer({ min: 0, max: 100 })),
        fc.integer({ min: 1, max: 3 }),
        (ops, picked, percent, threshold) => {
          const { health, advance } = setup({ maxEjectionPercent: percent, consecutiveFailures: threshold });
          for (const o of ops) {
            if (o.type === 'advance') advance(o.ms);
            else if (o.type === 'acquire') health.acquire(pool[o.host]!, { force: o.force });
            else if (o.type === 'ok') succeed(health, pool[o.host]!, { latencyMs: 10 });
            else fail(health, pool[o.host]!, o.code, { retryAfterSeconds: o.retryAfter });
          }
          const input = picked.map((i) => pool[i]!);
          const { usable, excluded, readmitted } = health.usable(input);
          expect(usable.length).toBeGreaterThan(0);
          const out = [...usable, ...excluded.map((e) => e.key)];
          expect(out.length).toBe(input.length);
          expect(new Set(out)).toEqual(new Set(input));
          expect(excluded.length).toBeLessThanOrEqual(Math.floor((input.length * percent) / 100));
          for (const r of readmitted) expect(usable).toContain(r.key);
          for (const e of [...excluded, ...readmitted]) expect(e.reason).not.toBe('');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('moving averages', () => {
  it('smooths latency, time to first token and error rate (α = 0.2, seeded by the first sample)', () => {
    const { health } = setup();
    succeed(health, DS, { latencyMs: 100, ttftMs: 40 });
    expect(health.snapshot(DS)).toMatchObject({ latencyMs: 100, ttftMs: 40, errorRate: 0 });
    succeed(health, DS, { latencyMs: 200, ttftMs: 90 });
    // 100 + 0.2 × (200 − 100) = 120; 40 + 0.2 × 50 = 50
    expect(health.snapshot(DS).latencyMs).toBeCloseTo(120, 10);
    expect(health.snapshot(DS).ttftMs).toBeCloseTo(50, 10);
    succeed(health, DS, { latencyMs: 400 });
    // 120 + 0.2 × 280 = 176; ttft untouched
    expect(health.snapshot(DS).latencyMs).toBeCloseTo(176, 10);
    expect(health.snapshot(DS).ttftMs).toBeCloseTo(50, 10);
    fail(health, DS, 'upstream_error', { latencyMs: 5 }); // error rate 0 + 0.2 × 1 = 0.2; failures leave latency alone
    fail(health, DS); // 0.2 + 0.2 × 0.8 = 0.36
    succeed(health, DS); // 0.36 × 0.8 = 0.288
    const snap = health.snapshot(DS);
    expect(snap.errorRate).toBeCloseTo(0.288, 10);
    expect(snap.latencyMs).toBeCloseTo(176, 10);
    expect(snap).toMatchObject({ requests: 6, failures: 2 });
  });

  it('honours a configured smoothing factor', () => {
    const { health } = setup({ smoothing: 0.5 });
    succeed(health, DS, { latencyMs: 100 });
    succeed(health, DS, { latencyMs: 300 });
    expect(health.snapshot(DS).latencyMs).toBe(200);
  });

  it('computes throughput from output tokens over the time after the first token', () => {
    const { health } = setup();
    succeed(health, DS, { latencyMs: 2_500, ttftMs: 500, outputTokens: 100 }); // 100 / 2 s = 50
    expect(health.snapshot(DS).tokensPerSecond).toBeCloseTo(50, 10);
    succeed(health, DS, { latencyMs: 3_000, ttftMs: 1_000, outputTokens: 300 }); // 150 → 50 + 0.2 × 100 = 70
    expect(health.snapshot(DS).tokensPerSecond).toBeCloseTo(70, 10);
    // No sample without a first-token time, without tokens, or with a generation too short to measure.
    succeed(health, DS, { latencyMs: 1_000, outputTokens: 999 });
    succeed(health, DS, { latencyMs: 1_000, ttftMs: 200, outputTokens: 0 });
    succeed(health, DS, { latencyMs: 1_000, ttftMs: 990, outputTokens: 500 });
    expect(health.snapshot(DS).tokensPerSecond).toBeCloseTo(70, 10);
  });

  it('leaves unknown stats undefined and ignores nonsense samples', () => {
    const { health } = setup();
    const fresh = health.snapshot(TG);
    expect(fresh.latencyMs).toBeUndefined();
    expect(fresh.tokensPerSecond).toBeUndefined();
    expect(health.stats(TG)).toBeUndefined();
    succeed(health, DS, { latencyMs: Number.NaN, ttftMs: -3 });
    const snap = health.snapshot(DS);
    expect(snap.latencyMs).toBeUndefined();
    expect(snap.ttftMs).toBeUndefined();
    expect(snap.errorRate).toBe(0);
    expect(health.stats(DS)).toMatchObject({ requests: 1, failures: 0, errorRate: 0 });
  });
});

describe('snapshots', () => {
  it('shows every field', () => {
    const { health, advance, now } = setup();
    succeed(health, DS, { latencyMs: 1_000, ttftMs: 200, outputTokens: 80 });
    failTimes(health, DS, 5, 'upstream_timeout');
    fail(health, DS, 'upstream_rate_limited', { retryAfterSeconds: 10 });
    expect(health.snapshot(DS)).toEqual({
      key: DS,
      providerId: 'deepseek',
      state: 'open',
      consecutiveFailures: 5,
      ejections: 1,
      openUntil: now + 30_000,
      cooldownUntil: now + 10_000,
      probesInFlight: 0,
      lastErrorCode: 'upstream_rate_limited',
      latencyMs: 1_000,
      ttftMs: 200,
      tokensPerSecond: 100,
      errorRate: expect.closeTo(1 - 0.8 ** 6, 10),
      requests: 7,
      failures: 6,
    });
    expect(health.snapshot(TG)).toEqual({
      key: TG,
      providerId: 'together',
      state: 'closed',
      consecutiveFailures: 0,
      ejections: 0,
      probesInFlight: 0,
      requests: 0,
      failures: 0,
    });
    succeed(health, TG);
    advance(30_000);
    const all = health.snapshotAll();
    expect(all.map((s) => [s.key, s.state])).toEqual([
      [DS, 'half-open'],
      [TG, 'closed'],
    ]);
  });
});

describe('memory', () => {
  it('forgets hosts not seen for a long time, but not ejected ones', () => {
    const { health, advance } = setup({ idleTtlMs: 60_000, baseEjectionMs: 100_000, maxEjectionMs: 1_000_000 });
    succeed(health, DS);
    succeed(health, TG);
    failTimes(health, FW, 5);
    advance(30_000);
    fail(health, FW); // the open host keeps being reported
    advance(30_001);
    succeed(health, NB); // triggers a sweep: DS and TG idle for 60 s
    expect(health.size).toBe(2);
    expect(health.snapshotAll().map((s) => s.key)).toEqual([FW, NB]);
    expect(health.snapshot(FW).state).toBe('open');
    advance(200_000);
    health.sweep();
    expect(health.size).toBe(0);
  });

  it('forgets a provider cooldown once it is over and idle', () => {
    const { health, advance } = setup({ idleTtlMs: 60_000 });
    fail(health, DS, 'upstream_rate_limited', { retryAfterSeconds: 300 });
    advance(120_000);
    health.sweep();
    expect(health.usable([DS, TG]).usable).toEqual([TG]);
    advance(200_000);
    health.sweep();
    expect(health.usable([DS, TG]).usable).toEqual([DS, TG]);
  });
});

describe('options', () => {
  it('rejects nonsense', () => {
    expect(() => new HostHealth({ consecutiveFailures: 0 })).toThrow(RangeError);
    expect(() => new HostHealth({ consecutiveFailures: 2.5 })).toThrow(RangeError);
    expect(() => new HostHealth({ smoothing: 1.5 })).toThrow(RangeError);
    expect(() => new HostHealth({ maxEjectionPercent: 101 })).toThrow(RangeError);
    expect(() => new HostHealth({ baseEjectionMs: Number.NaN })).toThrow(RangeError);
    expect(() => new HostHealth({ maxProbes: 0 })).toThrow(RangeError);
    expect(() => new HostHealth({ defaultRetryAfterSeconds: -1 })).toThrow(RangeError);
    expect(() => new HostHealth({ consecutiveFailures: undefined })).not.toThrow();
  });

  it('documents its defaults', () => {
    expect(HEALTH_DEFAULTS).toMatchObject({
      consecutiveFailures: 5,
      baseEjectionMs: 30_000,
      maxEjectionMs: 300_000,
      maxProbes: 1,
      maxEjectionPercent: 50,
      defaultRetryAfterSeconds: 5,
      maxRetryAfterSeconds: 300,
      smoothing: 0.2,
    });
  });
});
