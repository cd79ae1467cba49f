/**
 * The demo's live traffic: real HTTP requests to the gateway, arriving as a Poisson process at a steady mean rate,
 * never more than `maxInFlight` at once (an arrival that finds them all busy is skipped rather than queued, so a
 * slow host cannot build up a backlog). `stop()` aborts what is in flight and closes the connections.
 */
import { Agent, request } from 'undici';
import type { DemoApp, DemoKey } from './apps.js';
import { poissonGapMs, type Random } from './random.js';
import { planRequest, type PlannedRequest } from './requests.js';
import { readJsonAnswer, StreamReader, type AnswerOutcome } from './responses.js';

export interface TrafficOptions {
  gatewayUrl: string;
  apps: readonly DemoApp[];
  keys: readonly DemoKey[];
  /** Mean requests per second. */
  rps: number;
  /** Default: enough for every request of four seconds of traffic, at least 8. */
  maxInFlight?: number;
  /** Stop sending after this long; undefined: until stop(). */
  durationMs?: number;
  random?: Random;
}

export interface TrafficStats {
  sent: number;
  ok: number;
  failed: number;
  inFlight: number;
  /** Arrivals dropped because `maxInFlight` requests were already running. */
  skipped: number;
  /** The sum of `usage.cost` the gateway reported to the demo's clients. */
  spentUsd: number;
  /** Failures by HTTP status or stream error. */
  failures: Record<string, number>;
}

const REQUEST_TIMEOUT_MS = 120_000;

export class TrafficGenerator {
  private readonly agent: Agent;
  private readonly random: Random;
  private readonly maxInFlight: number;
  private readonly controllers = new Set<AbortController>();
  private readonly counts: Omit<TrafficStats, 'inFlight' | 'failures'> = { sent: 0, ok: 0, failed: 0, skipped: 0, spentUsd: 0 };
  private readonly failures: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  private endsAt = Infinity;
  private sending = false;
  private settle: (() => void) | undefined;
  /** Resolves once sending has ended (duration over, or stop()) and the last request has settled. */
  readonly finished: Promise<void>;

  constructor(private readonly options: TrafficOptions) {
    this.random = options.random ?? Math.random;
    this.maxInFlight = options.maxInFlight ?? Math.max(8, Math.ceil(options.rps * 4));
    this.agent = new Agent({ connections: this.maxInFlight, keepAliveTimeout: 10_000 });
    this.finished = new Promise((resolve) => (this.settle = resolve));
  }

  start(): void {
    if (this.sending) return;
    this.sending = true;
    if (this.options.durationMs !== undefined) this.endsAt = Date.now() + this.options.durationMs;
    this.scheduleNext();
  }

  stats(): TrafficStats {
    return { ...this.counts, inFlight: this.controllers.size, failures: { ...this.failures } };
  }

  /** Stops sending, aborts the requests in flight (they count as neither ok nor failed) and closes the connections. */
  async stop(): Promise<void> {
    this.sending = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const controller of this.controllers) controller.abort();
    this.settleIfIdle();
    await this.finished;
    await this.agent.destroy();
  }

  private scheduleNext(): void {
    const gap = poissonGapMs(this.random, this.options.rps);
    if (Date.now() + gap >= this.endsAt) {
      this.sending = false;
      this.settleIfIdle();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.sending) return;
      if (this.controllers.size >= this.maxInFlight) this.counts.skipped++;
      else void this.send(planRequest(this.options.apps, this.options.keys, this.random));
      this.scheduleNext();
    }, gap);
  }

  private settleIfIdle(): void {
    if (!this.sending && this.controllers.size === 0) this.settle?.();
  }

  private async send(planned: PlannedRequest): Promise<void> {
    const controller = new AbortController();
    this.controllers.add(controller);
    this.counts.sent++;
    try {
      const outcome = await this.exchange(planned, controller.signal);
      this.counts.spentUsd += outcome.costUsd;
      if (outcome.ok) this.counts.ok++;
      else this.fail(outcome.failure ?? 'unknown');
    } catch (err) {
      // A request aborted by stop() is the demo ending, not a failure of the gateway.
      if (!controller.signal.aborted) this.fail((err as NodeJS.ErrnoException).code ?? (err as Error).name ?? 'network');
    } finally {
      this.controllers.delete(controller);
      this.settleIfIdle();
    }
  }

  private fail(reason: string): void {
    this.counts.failed++;
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
  }

  private async exchange(planned: PlannedRequest, signal: AbortSignal): Promise<AnswerOutcome> {
    const res = await request(this.options.gatewayUrl + planned.path, {
      method: 'POST',
      headers: planned.headers,
      body: JSON.stringify(planned.body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      dispatcher: this.agent,
    });
    const streamed = planned.stream && res.statusCode === 200;
    const reader = streamed ? new StreamReader(planned.route) : undefined;
    // undici's body yields bytes whatever its encoding; a character may straddle two chunks.
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      const part = decoder.decode(chunk, { stream: true });
      if (reader) reader.feed(part);
      else text += part;
    }
    const rest = decoder.decode();
    if (reader) {
      reader.feed(rest);
      return reader.finish();
    }
    return readJsonAnswer(res.statusCode, text + rest);
  }
}
