import {
  BUCKET_MS,
  BUCKETS_IN_WINDOW,
  limitOf,
  nonNegativeInt,
  normaliseCost,
  retrySeconds,
  WINDOW_MS,
  type LimitCost,
  type LimitScope,
  type LimitVerdict,
  type RateLimiter,
} from './rate-limiter.js';

/** Milliseconds from some origin; injected so tests move time by hand. */
export type LimitClock = () => number;

interface ScopeWindow {
  /** Admission instants of counted requests, ascending; entries before `head` have left the window. */
  log: number[];
  head: number;
  /** Token bucket (second number) → tokens. At most BUCKETS_IN_WINDOW + 1 entries after pruning. */
  buckets: Map<number, number>;
}

interface Violation {
  scope: LimitScope;
  kind: 'rpm' | 'tpm';
  limit: number;
  retryMs: number;
}

export interface MemoryRateLimiterOptions {
  clock?: LimitClock;
}

/**
 * The single-process limiter: exact sliding log for RPM, 1-second buckets for TPM (see `rate-limiter.ts`).
 * No timers: windows are pruned when touched, and every scope map is swept of idle scopes at most once a
 * window, so memory holds only the scopes active in the last minute or two, each bounded by its limits
 * (a log never holds more than `rpm` entries, a token map never more than 62 buckets).
 *
 * Used alone in a single replica, and as the local approximation when Redis is down.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly clock: LimitClock;
  private readonly windows: Record<LimitScope['scope'], Map<string, ScopeWindow>> = { key: new Map(), team: new Map() };
  private lastSweep: number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.lastSweep = this.clock();
  }

  async check(scopes: LimitScope[], cost: LimitCost): Promise<LimitVerdict> {
    return this.checkSync(scopes, cost);
  }

  /** The same as `check`, synchronously (the memory limiter never waits). */
  checkSync(scopes: LimitScope[], rawCost: LimitCost): LimitVerdict {
    const cost = normaliseCost(rawCost);
    const now = this.clock();
    this.maybeSweep(now);
    let worst: Violation | undefined;
    const consider = (v: Violation): void => {
      if (!worst || v.retryMs > worst.retryMs) worst = v;
    };

    for (const scope of scopes) {
      const rpm = limitOf(scope.rpm, `${scope.scope} ${scope.id} rpm`);
      const tpm = limitOf(scope.tpm, `${scope.scope} ${scope.id} tpm`);
      const window = this.windows[scope.scope].get(scope.id);
      if (window) prune(window, now);

      if (rpm !== undefined && cost.requests > 0) {
        const count = window ? window.log.length - window.head : 0;
        if (count + cost.requests > rpm) {
          let retryMs = WINDOW_MS;
          if (cost.requests <= rpm && window) {
            // The (count + requests - rpm)-th oldest entry must leave for the request to fit.
            const leaving = window.log[window.head + count + cost.requests - rpm - 1] ?? now;
            retryMs = leaving + WINDOW_MS - now;
          }
          consider({ scope, kind: 'rpm', limit: rpm, retryMs });
        }
      }

      if (tpm !== undefined) {
        const needed = Math.max(cost.tokens, 1);
        const used = window ? sumBuckets(window) : 0;
        if (used + needed > tpm) {
          consider({ scope, kind: 'tpm', limit: tpm, retryMs: needed > tpm || !window ? WINDOW_MS : tokenRetryMs(window, used + needed - tpm, now) });
        }
      }
    }

    if (worst) return { ok: false, scope: worst.scope, kind: worst.kind, limit: worst.limit, retryAfterSeconds: retrySeconds(worst.retryMs) };

    for (const scope of scopes) {
      const recordRequests = scope.rpm !== undefined && cost.requests > 0;
      const recordTokens = scope.tpm !== undefined && cost.tokens > 0;
      if (!recordRequests && !recordTokens) continue;
      const window = this.windowFor(scope);
      if (recordRequests) {
        // Keep the log ascending even if the clock steps back (conservative: the entry leaves a little later).
        const at = Math.max(now, window.log[window.log.length - 1] ?? now);
        for (let i = 0; i < cost.requests; i++) window.log.push(at);
      }
      if (recordTokens) addToBucket(window, now, cost.tokens);
    }
    return { ok: true };
  }

  async addTokens(scopes: LimitScope[], tokens: number): Promise<void> {
    this.addTokensSync(scopes, tokens);
  }

  addTokensSync(scopes: LimitScope[], rawTokens: number): void {
    const tokens = nonNegativeInt(rawTokens, 'tokens');
    if (tokens === 0) return;
    const now = this.clock();
    this.maybeSweep(now);
    for (const scope of scopes) {
      if (scope.tpm === undefined) continue;
      const window = this.windowFor(scope);
      prune(window, now);
      addToBucket(window, now, tokens);
    }
  }

  /** Scopes currently held in memory (for tests of boundedness). */
  size(): number {
    return this.windows.key.size + this.windows.team.size;
  }

  async close(): Promise<void> {
    this.windows.key.clear();
    this.windows.team.clear();
  }

  private windowFor(scope: LimitScope): ScopeWindow {
    const map = this.windows[scope.scope];
    let window = map.get(scope.id);
    if (!window) {
      window = { log: [], head: 0, buckets: new Map() };
      map.set(scope.id, window);
    }
    return window;
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweep < WINDOW_MS && now >= this.lastSweep) return;
    this.lastSweep = now;
    for (const map of Object.values(this.windows)) {
      for (const [id, window] of map) {
        prune(window, now);
        if (window.log.length === window.head && window.buckets.size === 0) map.delete(id);
      }
    }
  }
}

function prune(window: ScopeWindow, now: number): void {
  const { log } = window;
  let head = window.head;
  // An entry admitted at t counts while now < t + WINDOW_MS.
  while (head < log.length && (log[head] as number) + WINDOW_MS <= now) head++;
  if (head === log.length) {
    log.length = 0;
    head = 0;
  } else if (head > 64 && head * 2 > log.length) {
    log.splice(0, head);
    head = 0;
  }
  window.head = head;
  const oldest = Math.floor(now / BUCKET_MS) - BUCKETS_IN_WINDOW;
  for (const bucket of window.buckets.keys()) if (bucket < oldest) window.buckets.delete(bucket);
}

function sumBuckets(window: ScopeWindow): number {
  let sum = 0;
  for (const tokens of window.buckets.values()) sum += tokens;
  return sum;
}

function addToBucket(window: ScopeWindow, now: number, tokens: number): void {
  const bucket = Math.floor(now / BUCKET_MS);
  window.buckets.set(bucket, (window.buckets.get(bucket) ?? 0) + tokens);
}

/** Milliseconds until the oldest buckets holding at least `excess` tokens have left the window. */
function tokenRetryMs(window: ScopeWindow, excess: number, now: number): number {
  const buckets = [...window.buckets.entries()].sort((a, b) => a[0] - b[0]);
  let freed = 0;
  for (const [bucket, tokens] of buckets) {
    freed += tokens;
    // Bucket b counts while floor(now / BUCKET_MS) ≤ b + BUCKETS_IN_WINDOW.
    if (freed >= excess) return (bucket + BUCKETS_IN_WINDOW + 1) * BUCKET_MS - now;
  }
  return WINDOW_MS;
}
