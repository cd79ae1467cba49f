import { Registry, collectDefaultMetrics } from 'prom-client';
import { TallyCounter, TallyHistogram } from './tally.js';

/**
 * Prometheus metrics. Every label takes values from a bounded set — provider ids and model ids from the
 * configuration, error codes from the catalogue, status classes — never a client-supplied string, a key or a
 * request id, so cardinality stays fixed and no secret can become a label.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: TallyCounter<'route' | 'model' | 'provider' | 'status'>;
  readonly requestDuration: TallyHistogram<'route' | 'stream'>;
  readonly upstreamErrors: TallyCounter<'provider' | 'code'>;
  readonly unpriced: TallyCounter<'provider' | 'model'>;
  readonly tokens: TallyCounter<'provider' | 'model' | 'kind'>;

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_process_' });
    this.requests = new TallyCounter({
      name: 'switchboard_requests_total',
      help: 'Requests answered, by route, served model, provider and HTTP status class',
      labelNames: ['route', 'model', 'provider', 'status'],
      registers: [this.registry],
    });
    this.requestDuration = new TallyHistogram({
      name: 'switchboard_request_duration_seconds',
      help: 'Time from request to the last byte of the response',
      labelNames: ['route', 'stream'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [this.registry],
    });
    this.upstreamErrors = new TallyCounter({
      name: 'switchboard_upstream_errors_total',
      help: 'Failed upstream attempts, by provider and error code',
      labelNames: ['provider', 'code'],
      registers: [this.registry],
    });
    this.unpriced = new TallyCounter({
      name: 'switchboard_unpriced_responses_total',
      help: 'Responses whose cost is unknown (no price, or no usage reported): their cost is null, never 0',
      labelNames: ['provider', 'model'],
      registers: [this.registry],
    });
    this.tokens = new TallyCounter({
      name: 'switchboard_tokens_total',
      help: 'Tokens reported by hosts, by kind (input, cached_input, output, reasoning)',
      labelNames: ['provider', 'model', 'kind'],
      registers: [this.registry],
    });
  }

  static statusClass(status: number): string {
    return status === 499 ? '499' : `${Math.floor(status / 100)}xx`;
  }
}
