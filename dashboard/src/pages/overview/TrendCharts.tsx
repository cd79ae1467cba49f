import { useMemo } from 'react';
import { ChartFigure } from '../../charts/ChartFigure';
import { spendOption, trafficOption } from '../../charts/overview-options';
import { DataTable } from '../../components/DataTable';
import type { UsageRow } from '../../lib/api-types';
import { formatBucket, formatCompact, formatInt, formatUsd } from '../../lib/format';
import { sumRows, totalsSeries, type PeriodRange } from '../../lib/series';

interface Props {
  range: PeriodRange;
  rows: UsageRow[];
}

interface BucketRow {
  label: string;
  cost: number;
  baseline: number;
  requests: number;
  tokens: number;
}

/** Spend against the baseline, and requests and tokens, per bucket of the period. */
export function TrendCharts({ range, rows }: Props) {
  const { labels, table, spend, traffic } = useMemo(() => {
    const labels = range.buckets.map((b) => formatBucket(b, range.interval));
    const series = totalsSeries(rows, range.buckets);
    const table: BucketRow[] = labels.map((label, i) => ({
      label,
      cost: series.costUsd[i]!,
      baseline: series.baselineCostUsd[i]!,
      requests: series.requests[i]!,
      tokens: series.tokens[i]!,
    }));
    return { labels, table, spend: spendOption(labels, series.costUsd, series.baselineCostUsd), traffic: trafficOption(labels, series.requests, series.tokens) };
  }, [range, rows]);
  const totals = sumRows(rows);
  const unit = range.interval === 'hour' ? 'hour' : 'day';

  return (
    <section className="grid-2" aria-label="Spend and traffic over time">
      <ChartFigure
        title={`Spend vs baseline per ${unit}`}
        summary={`spend ${formatUsd(totals.costUsd)} against a baseline of ${formatUsd(totals.baselineCostUsd)} over ${labels.length} ${unit}s (UTC)`}
        option={spend}
        table={
          <DataTable
            caption={`Spend and baseline cost per ${unit} (UTC)`}
            columns={[
              { header: unit === 'hour' ? 'Hour' : 'Day', cell: (r: BucketRow) => r.label },
              { header: 'Spend', cell: (r) => formatUsd(r.cost), numeric: true },
              { header: 'Baseline cost', cell: (r) => formatUsd(r.baseline), numeric: true },
              { header: 'Savings', cell: (r) => formatUsd(r.baseline - r.cost), numeric: true },
            ]}
            rows={table}
            rowKey={(r) => r.label}
          />
        }
      />
      <ChartFigure
        title={`Requests and tokens per ${unit}`}
        summary={`${formatInt(totals.requests)} requests and ${formatCompact(totals.tokens)} tokens over ${labels.length} ${unit}s (UTC)`}
        option={traffic}
        table={
          <DataTable
            caption={`Requests and tokens per ${unit} (UTC)`}
            columns={[
              { header: unit === 'hour' ? 'Hour' : 'Day', cell: (r: BucketRow) => r.label },
              { header: 'Requests', cell: (r) => formatInt(r.requests), numeric: true },
              { header: 'Tokens', cell: (r) => formatInt(r.tokens), numeric: true },
            ]}
            rows={table}
            rowKey={(r) => r.label}
          />
        }
      />
    </section>
  );
}
