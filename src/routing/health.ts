import { providerOfKey } from './host-key.js';
import { classifyOutcome, type AttemptOutcome, type OutcomeKind } from './outcome.js';
import { systemClock, type Clock } from './clock.js';

/*
 * Per-host health: what the planner reads (which hosts to try, in which order) and the executor writes (how
 * each attempt went). A host is one provider serving one upstream model; its provider as a whole also has state
 * (a rate-limit cooldown), because a 429 usually speaks for every model of the provider.
 *
 * Three mechanisms, after Envoy's outlier detection:
 *  - a circuit breaker per host: closed → (N consecutive failures that count) → open for base × times ejected
 *    → half-open, admitting a few probes → closed on a probe's success, open again (longer) on its failure;
 *  - a cooldown per provider after a 429, for the provider's `retry-after`;
 *  - the never-all rule: `usable()` never excludes more than `maxEjectionPercent` of a model's hosts, nor all.
 *
 * Moving averages (latency, time to first token, throughput, error rate) feed the planner's ordering.
 *
 * Everything reads time from the injected clock and is computed lazily when asked: there are no timers. State
 * changes that are due only to time passing (open → half-open, ejection-count decay, a lost probe slot) are
 * derived on read by pure helpers, and written back only by `acquire()` and `record()`.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface HostHealthOptions {
  /** The clock (ms). Default: the wall clock. */
  now?: Clock;
  /** Consecutive counted failures that open the breaker. Default 5 (Envoy's consecutive_5xx). */
  consecutiveFailures?: number;
  /** Ejection time per time ejected: open for base × ejections. Default 30 000 ms (Envoy). */
  baseEjectionMs?: number;
  /** Cap on one ejection. Default 300 000 ms (Envoy's max_ejection_time). */
  maxEjectionMs?: number;
  /** One ejection is forgiven per this long closed (the multiplier decays). Default 300 000 ms. */
  ejectionDecayMs?: number;
  /** Probes a half-open host admits at once. Default 1. */
  maxProbes?: number;
  /** A probe slot held this long without a `record()`/`release()` is presumed lost and freed. Default 120 000 ms. */
  probeTimeoutMs?: number;
  /** At most this share (%) of a model's hosts is excluded by `usable()`, and never all. Default 50. */
  maxEjectionPercent?: number;
  /** Cooldown after a 429 without `retry-after` (s). Default 5. */
  defaultRetryAfterSeconds?: number;
  /** Cap on a 429 cooldown (s). Default 300. */
  maxRetryAfterSeconds?: number;
  /** EWMA smoothing factor per sample, 0 < α ≤ 1: avg += α × (sample − avg); the first sample seeds it. Default 0.2. */
  smoothing?: number;
  /** Generation time (after the first token) below which no throughput sample is taken (ms). Default 50. */
  minGenerationMs?: number;
  /** Hosts and providers not seen for this long (and not ejected or cooling) are forgotten. Default 3 600 000 ms. */
  idleTtlMs?: number;
}

export const HEALTH_DEFAULTS: Readonly<Required<Omit<HostHealthOptions, 'now'>>> = Object.freeze({
  consecutiveFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  ejectionDecayMs: 300_000,
  maxProbes: 1,
  probeTimeoutMs: 120_000,
  maxEjectionPercent: 50,
  defaultRetryAfterSeconds: 5,
  maxRetryAfterSeconds: 300,
  smoothing: 0.2,
  minGenerationMs: 50,
  idleTtlMs: 3_600_000,
});

/** The moving averages of a host; undefined until a sample arrives (a host without data is not "fast"). */
export interface HostStats {
  /** Whole request (ms), successful attempts only. */
  latencyMs?: number;
  /** Time to first token (ms), successful streams only. */
  ttftMs?: number;
  /** Output tokens per second after the first token. */
  tokensPerSecond?: number;
  /** Share of failed attempts (0..1), client errors and disconnects left out. */
  errorRate?: number;
  /** Outcomes recorded, of every kind. */
  requests: number;
  /** Outcomes that were host, provider or rate-limit failures. */
  failures: number;
}

export interface HostSnapshot extends HostStats {
  key: string;
  providerId: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** Times ejected, after decay: the multiplier of the next ejection is this + 1. */
  ejections: number;
  /** While open: when it turns half-open (clock ms). */
  openUntil?: number;
  /** While the provider cools down after a 429: when it ends (clock ms). */
  cooldownUntil?: number;
  probesInFlight: number;
  lastErrorCode?: string;
}

export interface Exclusion {
  key: string;
  reason: string;
}

/** Fresh arrays on every call: the caller may keep or change them. */
export interface HostSelection {
  /** Hosts to try: the healthy ones in input order, then any re-admitted ones, soonest to recover first. */
  usable: string[];
  /** Hosts left out, with a reason for the decision record. */
  excluded: Exclusion[];
  /** Hosts that are unhealthy but kept by the never-all / maxEjectionPercent rule (a subset of `usable`). */
  readmitted: Exclusion[];
}

interface HostEntry {
  readonly key: string;
  providerId: string;
  /** Stored state; `open` past `openUntil` reads as half-open (see `stateOf`). */
  state: BreakerState;
  consecutiveFailures: number;
  ejections: number;
  openUntil: number;
  /** Whether the last trip was a failed probe (else a streak of `tripFailures`). */
  trippedByProbe: boolean;
  tripFailures: number;
  /** Start of the current ejection-decay period (while closed). */
  healthySince: number;
  probesInFlight: number;
  lastProbeAt: number;
  lastSeen: number;
  lastErrorCode?: string;
  stats: HostStats;
}

interface ProviderEntry {
  cooldownUntil: number;
  retryAfterSeconds: number;
  lastSeen: number;
}

interface Candidate {
  key: string;
  index: number;
  recoverAt: number;
  ejections: number;
  reason: string;
  readmit: boolean;
}

function ewma(previous: number | undefined, sample: number, alpha: number): number {
  return previous === undefined ? sample : previous + alpha * (sample - previous);
}

function sample(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`HostHealth: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return value;
}

export class HostHealth {
  private readonly now: Clock;
  private readonly opts: Readonly<Required<Omit<HostHealthOptions, 'now'>>>;
  private readonly hosts = new Map<string, HostEntry>();
  private readonly providers = new Map<string, ProviderEntry>();
  /** The latest end of any provider cooldown: before it, `usable()` need not look providers up at all. */
  private coolingUntil = Number.NEGATIVE_INFINITY;
  private lastSweep: number;

  constructor(options: HostHealthOptions = {}) {
    const { now, ...tunables } = options;
    this.now = now ?? systemClock;
    const o = { ...HEALTH_DEFAULTS, ...stripUndefined(tunables) };
    positive('consecutiveFailures', o.consecutiveFailures, true);
    positive('baseEjectionMs', o.baseEjectionMs);
    positive('maxEjectionMs', o.maxEjectionMs);
    positive('ejectionDecayMs', o.ejectionDecayMs);
    positive('maxProbes', o.maxProbes, true);
    positive('probeTimeoutMs', o.probeTimeoutMs);
    positive('idleTtlMs', o.idleTtlMs);
    positive('smoothing', o.smoothing);
    if (o.smoothing > 1) throw new RangeError(`HostHealth: smoothing must be in (0, 1], got ${o.smoothing}`);
    if (!(o.maxEjectionPercent >= 0 && o.maxEjectionPercent <= 100)) {
      throw new RangeError(`HostHealth: maxEjectionPercent must be in [0, 100], got ${o.maxEjectionPercent}`);
    }
    if (!(o.defaultRetryAfterSeconds >= 0) || !(o.maxRetryAfterSeconds >= 0) || !(o.minGenerationMs >= 0)) {
      throw new RangeError('HostHealth: defaultRetryAfterSeconds, maxRetryAfterSeconds and minGenerationMs must be ≥ 0');
    }
    this.opts = Object.freeze(o);
    this.lastSweep = this.now();
  }

  /** Hosts currently tracked (bounded by `idleTtlMs`). */
  get size(): number {
    return this.hosts.size;
  }

  // ---- derived state (pure: no writes) ----

  private stateOf(e: HostEntry, now: number): BreakerState {
    return e.state === 'open' && now >= e.openUntil ? 'half-open' : e.state;
  }

  private ejectionsOf(e: HostEntry, now: number): number {
    if (e.state !== 'closed' || e.ejections === 0) return e.ejections;
    const steps = Math.floor((now - e.healthySince) / this.opts.ejectionDecayMs);
    return steps > 0 ? Math.max(0, e.ejections - steps) : e.ejections;
  }

  private probesOf(e: HostEntry, now: number): number {
    if (e.state === 'open') return now >= e.openUntil ? 0 : e.probesInFlight;
    if (e.state !== 'half-open' || e.probesInFlight === 0) return e.probesInFlight;
    return now - e.lastProbeAt >= this.opts.probeTimeoutMs ? 0 : e.probesInFlight;
  }

  private cooldownOf(providerId: string, now: number): ProviderEntry | undefined {
    if (now >= this.coolingUntil) return undefined;
    const p = this.providers.get(providerId);
    return p && now < p.cooldownUntil ? p : undefined;
  }

  /** Writes the derived state back (time-only transitions), so that what follows works on current values. */
  private settle(e: HostEntry, now: number): void {
    const probes = this.probesOf(e, now);
    const ejections = this.ejectionsOf(e, now);
    if (e.state === 'closed' && ejections !== e.ejections) {
      const steps = e.ejections - ejections;
      // Keep the remainder of the current decay period; once at zero, the period no longer matters.
      e.healthySince = ejections === 0 ? now : e.healthySince + steps * this.opts.ejectionDecayMs;
      e.ejections = ejections;
    }
    e.state = this.stateOf(e, now);
    e.probesInFlight = probes;
  }

  // ---- entries ----

  private hostEntry(key: string, providerId: string, now: number): HostEntry {
    let e = this.hosts.get(key);
    if (!e) {
      e = {
        key,
        providerId,
        state: 'closed',
        consecutiveFailures: 0,
        ejections: 0,
        openUntil: 0,
        trippedByProbe: false,
        tripFailures: 0,
        healthySince: now,
        probesInFlight: 0,
        lastProbeAt: 0,
        lastSeen: now,
        stats: { requests: 0, failures: 0 },
      };
      this.hosts.set(key, e);
    }
    return e;
  }

  // ---- the executor's side ----

  /**
   * Asks to send an attempt to `key` now. True for a closed host whose provider is not cooling down, and for a
   * half-open host with a free probe slot (which it takes). False while open, while every probe slot is taken,
   * or while the provider cools down after a 429.
   *
   * `force` is for a host the planner re-admitted (`HostSelection.readmitted`) or the last resort of a plan: it
   * always returns true; an open host is then probed early (it turns half-open and takes a slot), so that its
   * result closes the breaker or re-opens it for longer like any probe.
   *
   * Every `true` must be followed by exactly one `record()` (or `release()` if no request was sent).
   */
  acquire(key: string, options?: { force?: boolean }): boolean {
    const now = this.now();
    const force = options?.force === true;
    const existing = this.hosts.get(key);
    const providerId = existing?.providerId ?? providerOfKey(key);
    const cooling = this.cooldownOf(providerId, now) !== undefined;
    if (!existing) return force || !cooling;
    const e = existing;
    this.settle(e, now);
    e.lastSeen = now;
    switch (e.state) {
      case 'closed':
        return force || !cooling;
      case 'open':
        if (!force) return false;
        e.state = 'half-open';
        e.probesInFlight = 1;
        e.lastProbeAt = now;
        return true;
      case 'half-open':
        if (!force && (cooling || e.probesInFlight >= this.opts.maxProbes)) return false;
        e.probesInFlight++;
        e.lastProbeAt = now;
        return true;
    }
  }

  /** Gives back what `acquire()` took when no request was sent after all. */
  release(key: string): void {
    const e = this.hosts.get(key);
    if (!e) return;
    const now = this.now();
    this.settle(e, now);
    if (e.state === 'half-open' && e.probesInFlight > 0) e.probesInFlight--;
  }

  /**
   * Reports how an attempt went; returns how it was classified. In half-open, any result is taken as the
   * probe's (a late answer from before the ejection is evidence about the host too). While open, results
   * feed the averages but do not move the breaker: an ejected host stays out until its time is up.
   */
  record(key: string, outcome: AttemptOutcome): OutcomeKind {
    const now = this.now();
    const e = this.hostEntry(key, outcome.providerId, now);
    e.providerId = outcome.providerId;
    this.settle(e, now);
    e.lastSeen = now;
    const stats = e.stats;
    stats.requests++;
    const kind = classifyOutcome(outcome);
    const alpha = this.opts.smoothing;
    switch (kind) {
      case 'success': {
        const latency = sample(outcome.latencyMs);
        const ttft = sample(outcome.ttftMs);
        if (latency !== undefined) stats.latencyMs = ewma(stats.latencyMs, latency, alpha);
        if (ttft !== undefined) stats.ttftMs = ewma(stats.ttftMs, ttft, alpha);
        const tokens = sample(outcome.outputTokens);
        if (latency !== undefined && ttft !== undefined && tokens !== undefined && tokens > 0) {
          const generationMs = latency - ttft;
          if (generationMs > 0 && generationMs >= this.opts.minGenerationMs) {
            stats.tokensPerSecond = ewma(stats.tokensPerSecond, tokens / (generationMs / 1000), alpha);
          }
        }
        stats.errorRate = ewma(stats.errorRate, 0, alpha);
        this.answered(e, now);
        break;
      }
      case 'client-error':
        this.answered(e, now);
        break;
      case 'host-failure':
      case 'provider-failure':
        stats.failures++;
        stats.errorRate = ewma(stats.errorRate, 1, alpha);
        e.lastErrorCode = outcome.errorCode;
        this.failed(e, now);
        if (kind === 'provider-failure') this.failProvider(outcome.providerId, key, outcome.errorCode, now);
        break;
      case 'rate-limited': {
        stats.failures++;
        stats.errorRate = ewma(stats.errorRate, 1, alpha);
        e.lastErrorCode = outcome.errorCode;
        this.coolDown(outcome.providerId, outcome.retryAfterSeconds, now);
        if (e.state === 'half-open' && e.probesInFlight > 0) e.probesInFlight--;
        break;
      }
      case 'ignored':
        if (e.state === 'half-open' && e.probesInFlight > 0) e.probesInFlight--;
        break;
    }
    if (now - this.lastSweep >= this.opts.idleTtlMs / 4) this.sweep();
    return kind;
  }

  /** The host answered: the failure streak ends, and a half-open breaker closes. */
  private answered(e: HostEntry, now: number): void {
    if (e.state === 'open') return;
    e.consecutiveFailures = 0;
    if (e.state === 'half-open') {
      e.state = 'closed';
      e.probesInFlight = 0;
      e.healthySince = now;
    }
  }

  private failed(e: HostEntry, now: number): void {
    e.consecutiveFailures++;
    if (e.state === 'half-open') this.trip(e, now, true);
    else if (e.state === 'closed' && e.consecutiveFailures >= this.opts.consecutiveFailures) this.trip(e, now, false);
  }

  private trip(e: HostEntry, now: number, byProbe: boolean): void {
    e.ejections++;
    e.state = 'open';
    e.openUntil = now + Math.min(this.opts.baseEjectionMs * e.ejections, this.opts.maxEjectionMs);
    e.trippedByProbe = byProbe;
    e.tripFailures = e.consecutiveFailures;
    e.probesInFlight = 0;
  }

  /** A provider-wide failure also counts toward every other closed host of that provider. */
  private failProvider(providerId: string, exceptKey: string, code: string | undefined, now: number): void {
    for (const other of this.hosts.values()) {
      if (other.providerId !== providerId || other.key === exceptKey) continue;
      this.settle(other, now);
      if (other.state !== 'closed') continue;
      other.lastErrorCode = code;
      this.failed(other, now);
    }
  }

  private coolDown(providerId: string, retryAfterSeconds: number | undefined, now: number): void {
    const wanted = retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0
      ? retryAfterSeconds
      : this.opts.defaultRetryAfterSeconds;
    const s = Math.min(wanted, this.opts.maxRetryAfterSeconds);
    const until = now + s * 1000;
    let p = this.providers.get(providerId);
    if (!p) {
      p = { cooldownUntil: 0, retryAfterSeconds: 0, lastSeen: now };
      this.providers.set(providerId, p);
    }
    p.lastSeen = now;
    if (until > p.cooldownUntil) {
      p.cooldownUntil = until;
      p.retryAfterSeconds = s;
    }
    if (until > this.coolingUntil) this.coolingUntil = until;
  }

  // ---- the planner's side ----

  /**
   * Of one model's candidate hosts, those to try. Excluded: hosts whose breaker is open, half-open hosts whose
   * probe slots are all taken, hosts of a provider cooling down after a 429. But never more than
   * `maxEjectionPercent` of the hosts, and never all of them: the excess is re-admitted, soonest to recover
   * first (then fewest ejections, then input order), and placed after the healthy ones.
   *
   * Called on every request: when nothing is excluded (the usual case) it looks up each key once and allocates
   * only the result; reasons are composed only for hosts that are left out or re-admitted.
   */
  usable(keys: readonly string[]): HostSelection {
    const now = this.now();
    let excludedCount = 0;
    for (let i = 0; i < keys.length; i++) {
      if (this.recoverAt(keys[i]!, now) !== undefined) excludedCount++;
    }
    if (excludedCount === 0) return { usable: keys.slice(), excluded: [], readmitted: [] };

    const n = keys.length;
    const maxExcluded = Math.min(n - 1, Math.floor((n * this.opts.maxEjectionPercent) / 100));
    const usable: string[] = [];
    const candidates: Candidate[] = [];
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const recoverAt = this.recoverAt(key, now);
      if (recoverAt === undefined) {
        usable.push(key);
        continue;
      }
      const e = this.hosts.get(key);
      candidates.push({ key, index: i, recoverAt, ejections: e ? this.ejectionsOf(e, now) : 0, reason: this.reason(key, now), readmit: false });
    }
    const readmitCount = Math.max(0, candidates.length - maxExcluded);
    if (readmitCount === 0) return { usable, excluded: candidates.map(toExclusion), readmitted: [] };

    const byRecovery = candidates.slice().sort((a, b) => a.recoverAt - b.recoverAt || a.ejections - b.ejections || a.index - b.index);
    const readmitted: Exclusion[] = [];
    for (let i = 0; i < readmitCount; i++) {
      const c = byRecovery[i]!;
      c.readmit = true;
      usable.push(c.key);
      readmitted.push({ key: c.key, reason: `re-admitted (at most ${maxExcluded} of ${n} hosts may be excluded): ${c.reason}` });
    }
    const excluded: Exclusion[] = [];
    for (const c of candidates) if (!c.readmit) excluded.push({ key: c.key, reason: c.reason });
    return { usable, excluded, readmitted };
  }

  /** When an unusable host becomes usable (clock ms); undefined if it is usable now. */
  private recoverAt(key: string, now: number): number | undefined {
    const e = this.hosts.get(key);
    let at: number | undefined;
    if (e) {
      const state = this.stateOf(e, now);
      if (state === 'open') at = e.openUntil;
      else if (state === 'half-open' && this.probesOf(e, now) >= this.opts.maxProbes) at = now;
    }
    if (now < this.coolingUntil) {
      const p = this.cooldownOf(e?.providerId ?? providerOfKey(key), now);
      if (p && (at === undefined || p.cooldownUntil > at)) at = p.cooldownUntil;
    }
    return at;
  }

  /** Why a host is excluded, for people: "breaker open for 23 s after 5 consecutive failures (ejected 2×)". */
  private reason(key: string, now: number): string {
    const parts: string[] = [];
    const e = this.hosts.get(key);
    if (e) {
      const state = this.stateOf(e, now);
      const cause = e.trippedByProbe ? 'a failed probe' : `${e.tripFailures} consecutive failures`;
      if (state === 'open') {
        parts.push(`breaker open for ${seconds(e.openUntil - now)} s after ${cause} (ejected ${e.ejections}×)`);
      } else if (state === 'half-open' && this.probesOf(e, now) >= this.opts.maxProbes) {
        parts.push(`breaker half-open with ${this.probesOf(e, now)} probe(s) in flight after ${cause} (ejected ${e.ejections}×)`);
      }
    }
    const providerId = e?.providerId ?? providerOfKey(key);
    const p = this.cooldownOf(providerId, now);
    if (p) parts.push(`rate limited by provider ${providerId}: retry after ${seconds(p.cooldownUntil - now)} s`);
    return parts.join('; ');
  }

  /** The moving averages of a host, without copying (for ordering on every request); undefined if never seen. */
  stats(key: string): Readonly<HostStats> | undefined {
    return this.hosts.get(key)?.stats;
  }

  /** What the dashboard and decision records show of one host (a host never seen reads as closed, no data). */
  snapshot(key: string): HostSnapshot {
    const now = this.now();
    const e = this.hosts.get(key);
    const providerId = e?.providerId ?? providerOfKey(key);
    const p = this.cooldownOf(providerId, now);
    const out: HostSnapshot = {
      key,
      providerId,
      state: 'closed',
      consecutiveFailures: 0,
      ejections: 0,
      probesInFlight: 0,
      requests: 0,
      failures: 0,
    };
    if (p) out.cooldownUntil = p.cooldownUntil;
    if (!e) return out;
    out.state = this.stateOf(e, now);
    out.consecutiveFailures = e.consecutiveFailures;
    out.ejections = this.ejectionsOf(e, now);
    out.probesInFlight = this.probesOf(e, now);
    if (out.state === 'open') out.openUntil = e.openUntil;
    if (e.lastErrorCode !== undefined) out.lastErrorCode = e.lastErrorCode;
    const s = e.stats;
    out.requests = s.requests;
    out.failures = s.failures;
    if (s.latencyMs !== undefined) out.latencyMs = s.latencyMs;
    if (s.ttftMs !== undefined) out.ttftMs = s.ttftMs;
    if (s.tokensPerSecond !== undefined) out.tokensPerSecond = s.tokensPerSecond;
    if (s.errorRate !== undefined) out.errorRate = s.errorRate;
    return out;
  }

  /** Every tracked host's snapshot, in the order first seen. */
  snapshotAll(): HostSnapshot[] {
    const out: HostSnapshot[] = [];
    for (const key of this.hosts.keys()) out.push(this.snapshot(key));
    return out;
  }

  /**
   * Forgets hosts and providers not seen for `idleTtlMs` that hold nothing worth keeping (not open, no probe in
   * flight, no cooldown running). `record()` calls it every quarter of `idleTtlMs`; a forgotten host starts
   * afresh (closed, no averages).
   */
  sweep(): void {
    const now = this.now();
    this.lastSweep = now;
    const cutoff = now - this.opts.idleTtlMs;
    for (const [key, e] of this.hosts) {
      if (e.lastSeen > cutoff) continue;
      if (this.stateOf(e, now) === 'open' || this.probesOf(e, now) > 0) continue;
      this.hosts.delete(key);
    }
    for (const [id, p] of this.providers) {
      if (p.lastSeen <= cutoff && p.cooldownUntil <= now) this.providers.delete(id);
    }
  }
}

function toExclusion(c: Candidate): Exclusion {
  return { key: c.key, reason: c.reason };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
