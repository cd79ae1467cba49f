import { useMemo } from 'react';
import { ChartFigure } from '../../charts/ChartFigure';
import { costOption, outcomeOption } from '../../charts/drill-options';
import { DataTable } from '../../components/DataTable';
import { Kpi } from '../../components/Kpi';
import { EmptyState } from '../../components/Notices';
import type { DrillResult } from '../../lib/api-types';
import { summarizeDrill } from '../../lib/drill-summary';
import { formatDateTime, formatInt, formatShare, formatUsd, formatUsdDelta } from '../../lib/format';
import { withoutLabel } from '../../lib/drill-summary';
import { ConcentrationView } from './ConcentrationView';
import { BreakdownTable, ReroutedTable, UnroutableTable } from './DrillTables';

export function DrillReport({ result }: { result: DrillResult }) {
  const summary = useMemo(() => summarizeDrill(result), [result]);
  const outcome = useMemo(() => outcomeOption(summary), [summary]);
  const cost = useMemo(() => costOption(summary), [summary]);
  const removed = result.without.map(withoutLabel).join(', ');

  return (
    <section className="report" aria-labelledby="drill-report-title">
      <h2 id="drill-report-title">Report: without {removed}</h2>
      <p className="hint">
        Traffic from {formatDateTime(result.window.from)} to {formatDateTime(result.window.to)} ({result.window.since}).
      </p>
      <dl className="kpis" aria-label="Drill summary">
        <Kpi label="Requests in the window" value={formatInt(summary.totalRequests)} detail={`${formatUsd(result.total.costUsd)} spent`} />
        <Kpi label="Affected" value={formatInt(summary.affectedRequests)} detail={`${formatShare(summary.affectedShare)} of requests`} />
        <Kpi label="Rerouted" value={formatInt(summary.reroutedRequests)} />
        <Kpi label="No route" value={formatInt(summary.unroutableRequests)} detail={summary.unroutableRequests > 0 ? `${formatUsd(result.unroutable.costUsd)} of spend` : undefined} />
        <Kpi label="Cost difference" value={formatUsdDelta(summary.costDeltaUsd)} detail={summary.unpricedReroutes > 0 ? `${formatInt(summary.unpricedReroutes)} unpriced reroutes left out` : 'on the rerouted requests'} />
      </dl>
      {result.concentration.flags.length > 0 || result.concentrationAfter.flags.length > 0 ? (
        <div className="flags">
          <h3>Concentration warnings (threshold {formatShare(result.concentration.threshold, 0)})</h3>
          <ul>
            {result.concentration.flags.map((f) => (
              <li key={`before-${f}`}>Recorded: {f}</li>
            ))}
            {result.concentrationAfter.flags.map((f) => (
              <li key={`after-${f}`}>After the removals: {f}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {summary.totalRequests === 0 ? (
        <EmptyState>No served request in this window: nothing to replay. Widen the window, or send traffic first.</EmptyState>
      ) : (
        <>
          <div className="grid-2">
            <ChartFigure
              title="Rerouted vs stranded"
              summary={`${formatInt(summary.unaffectedRequests)} unaffected, ${formatInt(summary.reroutedRequests)} rerouted, ${formatInt(summary.unroutableRequests)} without a route`}
              option={outcome}
              table={
                <DataTable
                  caption="Requests by drill outcome"
                  rows={[
                    { name: 'Unaffected', requests: summary.unaffectedRequests },
                    { name: 'Rerouted', requests: summary.reroutedRequests },
                    { name: 'No route', requests: summary.unroutableRequests },
                  ]}
                  rowKey={(r) => r.name}
                  columns={[
                    { header: 'Outcome', cell: (r: { name: string; requests: number }) => r.name },
                    { header: 'Requests', cell: (r) => formatInt(r.requests), numeric: true },
                    { header: 'Share', cell: (r) => formatShare(summary.totalRequests > 0 ? r.requests / summary.totalRequests : null), numeric: true },
                  ]}
                />
              }
            />
            <ChartFigure
              title="Cost of the rerouted traffic"
              summary={`recorded ${formatUsd(summary.reroutedCostBeforeUsd)}, on the new routes ${formatUsd(summary.reroutedCostAfterUsd)} (${formatUsdDelta(summary.costDeltaUsd)})`}
              option={cost}
              table={
                <DataTable
                  caption="Cost of the rerouted requests before and after"
                  rows={[
                    { name: 'Recorded cost', usd: summary.reroutedCostBeforeUsd },
                    { name: 'Cost on new routes', usd: summary.reroutedCostAfterUsd },
                  ]}
                  rowKey={(r) => r.name}
                  columns={[
                    { header: 'Cost', cell: (r: { name: string; usd: number }) => r.name },
                    { header: 'USD', cell: (r) => formatUsd(r.usd), numeric: true },
                  ]}
                />
              }
            />
          </div>
          <ConcentrationView before={result.concentration} after={result.concentrationAfter} />
          <ReroutedTable rows={result.rerouted} />
          <UnroutableTable rows={result.unroutable.byModel} />
          <BreakdownTable breakdown={result.breakdown} />
        </>
      )}
    </section>
  );
}
