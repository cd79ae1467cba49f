import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The ledger's Prometheus metrics, registered on the gateway's registry. Labels take values from fixed sets only
 * (a reason, a route), never a key, a tag or a model a client named.
 */
export class LedgerMetrics {
  readonly written: Counter;
  readonly spooled: Counter<'reason'>;
  readonly replayed: Counter;
  readonly dropped: Counter;
  readonly batchDuration: Histogram;
  readonly ttft: Histogram<'route'>;
  /** Writers whose queue depth and spool backlog the gauges report (several gateways may share one registry). */
  readonly sources = new Set<{ depth(): number; spoolBacklog(): number }>();

  private constructor(registry: Registry) {
    const sources = this.sources;
    new Gauge({
      name: 'switchboard_ledger_queue_depth',
      help: 'Ledger records waiting in memory to be written',
      registers: [registry],
      collect() {
        let depth = 0;
        for (const s of sources) depth += s.depth();
        this.set(depth);
      },
    });
    new Gauge({
      name: 'switchboard_ledger_spool_records',
      help: 'Ledger records this process spooled to its local file and has not replayed yet',
      registers: [registry],
      collect() {
        let backlog = 0;
        for (const s of sources) backlog += s.spoolBacklog();
        this.set(backlog);
      },
    });
    this.written = new Counter({ name: 'switchboard_ledger_records_written_total', help: 'Ledger records stored in the database (new ids only)', registers: [registry] });
    this.spooled = new Counter({
      name: 'switchboard_ledger_records_spooled_total',
      help: 'Ledger records written to the local spool instead of the database: queue_full (back-pressure), store_error (the database failed), store_down (the database is known to be down)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.replayed = new Counter({ name: 'switchboard_ledger_records_replayed_total', help: 'Spooled ledger records replayed into the database', registers: [registry] });
    this.dropped = new Counter({
      name: 'switchboard_ledger_records_dropped_total',
      help: 'Ledger records lost: neither the database nor the local spool could take them (each is also logged with its id)',
      registers: [registry],
    });
    this.batchDuration = new Histogram({
      name: 'switchboard_ledger_batch_duration_seconds',
      help: 'Time to write one batch of ledger records and their roll-ups',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.ttft = new Histogram({
      name: 'switchboard_time_to_first_token_seconds',
      help: 'Time from request to the first content of a streamed answer',
      labelNames: ['route'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
      registers: [registry],
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, LedgerMetrics>();

  /** One set per registry: metric names are unique within a registry. */
  static for(registry: Registry): LedgerMetrics {
    let m = LedgerMetrics.byRegistry.get(registry);
    if (!m) {
      m = new LedgerMetrics(registry);
      LedgerMetrics.byRegistry.set(registry, m);
    }
    return m;
  }
}
