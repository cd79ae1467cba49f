import { useMemo, useState } from 'react';
import { ChartFigure } from '../../charts/ChartFigure';
import { topModelsOption } from '../../charts/overview-options';
import { DataTable } from '../../components/DataTable';
import { ErrorNotice, Loading } from '../../components/Notices';
import { api } from '../../lib/api';
import type { TopBy, UsageRow } from '../../lib/api-types';
import { formatCompact, formatInt, formatUsd } from '../../lib/format';
import { tokensOf, type PeriodRange } from '../../lib/series';
import { useResource } from '../../lib/use-resource';

const MEASURES: Record<TopBy, { label: string; value: (r: UsageRow) => number; format: (v: number) => string }> = {
  cost: { label: 'spend', value: (r) => r.costUsd, format: formatUsd },
  tokens: { label: 'tokens', value: tokensOf, format: formatCompact },
  requests: { label: 'requests', value: (r) => r.requests, format: formatInt },
};

/** The ten largest models of the period, by spend, tokens or requests. */
export function TopModels({ range }: { range: PeriodRange }) {
  const [by, setBy] = useState<TopBy>('cost');
  const top = useResource((signal) => api.topModels({ by, from: range.from, to: range.to, limit: 10 }, signal), [by, range]);
  const measure = MEASURES[by];
  const rows = useMemo(() => top.data?.rows ?? [], [top.data]);
  const option = useMemo(
    () =>
      topModelsOption(
        rows.map((r) => r.group ?? 'unknown'),
        rows.map(measure.value),
        measure.format,
      ),
    [rows, measure],
  );

  return (
    <section className="panel" aria-labelledby="top-models-title">
      <div className="panel-header">
        <h2 id="top-models-title">Top models</h2>
        <label className="field-inline">
          Rank by
          <select value={by} onChange={(e) => setBy(e.target.value as TopBy)}>
            <option value="cost">Spend</option>
            <option value="tokens">Tokens</option>
            <option value="requests">Requests</option>
          </select>
        </label>
      </div>
      <ErrorNotice error={top.error} />
      {!top.data && top.loading ? <Loading label="top models" /> : null}
      {top.data ? (
        <ChartFigure
          title={`Top models by ${measure.label}`}
          summary={rows.length === 0 ? 'no models used in this period' : rows.slice(0, 3).map((r) => `${r.group ?? 'unknown'} ${measure.format(measure.value(r))}`).join(', ')}
          option={option}
          height={Math.max(120, rows.length * 30 + 40)}
          table={
            <DataTable
              caption={`Top models by ${measure.label}`}
              columns={[
                { header: 'Model', cell: (r: UsageRow) => r.group ?? 'unknown' },
                { header: 'Requests', cell: (r) => formatInt(r.requests), numeric: true },
                { header: 'Tokens', cell: (r) => formatInt(tokensOf(r)), numeric: true },
                { header: 'Spend', cell: (r) => formatUsd(r.costUsd), numeric: true },
                { header: 'Baseline cost', cell: (r) => formatUsd(r.baselineCostUsd), numeric: true },
                { header: 'Savings', cell: (r) => formatUsd(r.savingsUsd), numeric: true },
              ]}
              rows={rows}
              rowKey={(r) => r.group ?? 'unknown'}
            />
          }
        />
      ) : null}
    </section>
  );
}
