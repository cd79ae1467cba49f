import { Counter, type Registry } from 'prom-client';

/**
 * A Prometheus counter whose increments on the request path are plain additions to a map, handed to prom-client only
 * when /metrics is scraped. prom-client hashes and validates the label object on every `inc` (microseconds each, a
 * handful per request); a scrape every few seconds can afford it, the request path cannot.
 */
export class TallyCounter<L extends string> {
  private readonly totals = new Map<string, { labels: Record<L, string>; value: number }>();

  constructor(options: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }) {
    const totals = this.totals;
    new Counter<L>({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      registers: options.registers,
      collect() {
        this.reset();
        for (const { labels, value } of totals.values()) this.inc(labels, value);
      },
    });
    this.labelNames = options.labelNames;
  }

  private readonly labelNames: readonly L[];

  /** Adds `value` to the series named by `values`, in the order of `labelNames`. */
  inc(values: readonly string[], value = 1): void {
    const key = values.join('\u0000');
    const entry = this.totals.get(key);
    if (entry) {
      entry.value += value;
      return;
    }
    const labels = {} as Record<L, string>;
    this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
    this.totals.set(key, { labels, value });
  }
}
