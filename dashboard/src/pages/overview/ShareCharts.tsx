import { useMemo } from 'react';
import { ChartFigure } from '../../charts/ChartFigure';
import { donutOption, shareOption } from '../../charts/overview-options';
import { DataTable, type Column } from '../../components/DataTable';
import type { UsageRow } from '../../lib/api-types';
import { formatBucket, formatInt, formatShare, formatUsd, openWeightsLabel } from '../../lib/format';
import { groupTotals, tokenShareSeries, type PeriodRange } from '../../lib/series';

interface Props {
  range: PeriodRange;
  byOrigin: UsageRow[];
  byOpenWeights: UsageRow[];
}

const originLabel = (group: string | null): string => group ?? 'Unknown';

interface ShareRow {
  label: string;
  shares: number[];
}

interface GroupRow {
  name: string;
  tokens: number;
  requests: number;
  costUsd: number;
  share: number;
}

/** Where the tokens come from: each origin's share over time, and open against closed weights over the period. */
export function ShareCharts({ range, byOrigin, byOpenWeights }: Props) {
  const origin = useMemo(() => {
    const series = tokenShareSeries(byOrigin, range.buckets, originLabel);
    const labels = range.buckets.map((b) => formatBucket(b, range.interval));
    const rows: ShareRow[] = labels.map((label, i) => ({ label, shares: series.groups.map((_, g) => series.shares[g]![i]!) }));
    const columns: Column<ShareRow>[] = [
      { header: range.interval === 'hour' ? 'Hour' : 'Day', cell: (r) => r.label },
      ...series.groups.map((name, g) => ({ header: name, cell: (r: ShareRow) => formatShare(r.shares[g]!), numeric: true })),
    ];
    return { groups: series.groups, option: shareOption(labels, series), rows, columns };
  }, [byOrigin, range]);

  const open = useMemo(() => {
    const groups = groupTotals(byOpenWeights, openWeightsLabel);
    const all = groups.reduce((n, g) => n + g.tokens, 0);
    const rows: GroupRow[] = groups.map((g) => ({ ...g, share: all > 0 ? g.tokens / all : 0 }));
    return { rows, option: donutOption(rows.map((r) => ({ name: r.name, value: r.tokens }))) };
  }, [byOpenWeights]);

  const openSummary = open.rows.map((r) => `${r.name} ${formatShare(r.share)}`).join(', ') || 'no tokens';

  return (
    <section className="grid-2-1" aria-label="Token share">
      <ChartFigure
        title="Token share by model origin"
        summary={`stacked share of each ${range.interval === 'hour' ? 'hour' : 'day'}'s tokens by the country of the model's developer: ${origin.groups.join(', ')}`}
        option={origin.option}
        table={<DataTable caption="Share of tokens by model origin per bucket (UTC)" columns={origin.columns} rows={origin.rows} rowKey={(r) => r.label} />}
      />
      <ChartFigure
        title="Open vs closed weights"
        summary={`share of the period's tokens: ${openSummary}`}
        option={open.option}
        table={
          <DataTable
            caption="Tokens by open or closed weights"
            columns={[
              { header: 'Weights', cell: (r: GroupRow) => r.name },
              { header: 'Tokens', cell: (r) => formatInt(r.tokens), numeric: true },
              { header: 'Share', cell: (r) => formatShare(r.share), numeric: true },
              { header: 'Requests', cell: (r) => formatInt(r.requests), numeric: true },
              { header: 'Spend', cell: (r) => formatUsd(r.costUsd), numeric: true },
            ]}
            rows={open.rows}
            rowKey={(r) => r.name}
          />
        }
      />
    </section>
  );
}
