import { Counter, type Registry } from 'prom-client';

/** A series' label object from its values, given in the order of the label names. */
function labelsOf<L extends string>(names: readonly L[], values: readonly string[]): Record<L, string> {
  const labels = {} as Record<L, string>;
  names.forEach((name, i) => (labels[name] = values[i] ?? ''));
  return labels;
}

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
    this.totals.set(key, { labels: labelsOf(this.labelNames, values), value });
  }
}

interface HistogramSeries<L extends string> {
  labels: Record<L, string>;
  /** Observations per bucket, not cumulative; the last slot is above the largest bound (+Inf only). */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram with the same split as TallyCounter: an observation on the request path is a map lookup
 * and two additions; the bucket lines are made when /metrics is scraped. prom-client's Histogram converts, validates
 * and hashes the label object on every `observe`. Registered as a custom metric (prom-client reads `get()`).
 */
export class TallyHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly L[];
  private readonly bounds: number[];
  private readonly series = new Map<string, HistogramSeries<L>>();

  constructor(options: { name: string; help: string; labelNames: readonly L[]; buckets: readonly number[]; registers: Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    for (const registry of options.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** Records `value` in the series named by `values`, in the order of `labelNames`. Non-finite values are ignored. */
  observe(values: readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = { labels: labelsOf(this.labelNames, values), counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  /** The series as prom-client's registry expects them: cumulative `_bucket` lines, then `_sum` and `_count`. */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
