/**
 * A retry budget in Envoy's manner: retries in flight may not exceed a share of the requests in flight (default
 * 20%), with a floor (default 3) so a quiet gateway can still retry. A storm of failures then costs at most ~20%
 * extra upstream load instead of multiplying it.
 */
export class RetryBudget {
  private requests = 0;
  private retries = 0;

  constructor(
    private readonly ratio = 0.2,
    private readonly minimum = 3,
  ) {}

  requestStarted(): void {
    this.requests++;
  }

  requestEnded(): void {
    this.requests = Math.max(0, this.requests - 1);
  }

  /** Claims a retry slot; false when the budget is spent. Pair a true answer with retryEnded(). */
  tryRetry(): boolean {
    const allowed = Math.max(this.minimum, Math.floor(this.requests * this.ratio));
    if (this.retries >= allowed) return false;
    this.retries++;
    return true;
  }

  retryEnded(): void {
    this.retries = Math.max(0, this.retries - 1);
  }

  get inFlight(): { requests: number; retries: number } {
    return { requests: this.requests, retries: this.retries };
  }
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base × 2^n)). */
export function backoffMs(retry: number, random: () => number, baseMs = 100, capMs = 2_000): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** retry));
}
