import { useMemo, useState } from 'react';
import { Kpi } from '../components/Kpi';
import { EmptyState, ErrorNotice, Loading, NO_TRAFFIC } from '../components/Notices';
import { PageHeader } from '../components/PageHeader';
import { PeriodSelect } from '../components/PeriodSelect';
import { api } from '../lib/api';
import { formatCompact, formatInt, formatShare, formatUsd } from '../lib/format';
import { periodRange, savingsShare, sumRows, type Period } from '../lib/series';
import { useResource } from '../lib/use-resource';
import { ShareCharts } from './overview/ShareCharts';
import { TopModels } from './overview/TopModels';
import { TrendCharts } from './overview/TrendCharts';

function savingsDetail(share: number | null): string | undefined {
  if (share === null) return undefined;
  return share >= 0 ? `${formatShare(share)} below the baseline` : `${formatShare(-share)} above the baseline`;
}

export function OverviewPage() {
  const [period, setPeriod] = useState<Period>('7d');
  const [asOf, setAsOf] = useState(() => Date.now());
  const range = useMemo(() => periodRange(period, asOf), [period, asOf]);

  const usage = useResource(
    async (signal) => {
      const window = { interval: range.interval, from: range.from, to: range.to };
      const [totals, byOrigin, byOpenWeights] = await Promise.all([
        api.usage(window, signal),
        api.usage({ ...window, groupBy: 'origin' }, signal),
        api.usage({ from: range.from, to: range.to, interval: 'total', groupBy: 'openWeights' }, signal),
      ]);
      return { totals: totals.rows, byOrigin: byOrigin.rows, byOpenWeights: byOpenWeights.rows };
    },
    [range],
  );

  const totals = usage.data ? sumRows(usage.data.totals) : undefined;

  return (
    <>
      <PageHeader title="Overview">
        <PeriodSelect value={period} onChange={setPeriod} />
        <button type="button" onClick={() => setAsOf(Date.now())}>
          Refresh
        </button>
      </PageHeader>
      <ErrorNotice error={usage.error} />
      {!usage.data && usage.loading ? <Loading label="usage" /> : null}
      {usage.data && totals ? (
        <>
          <dl className="kpis" aria-label="Totals for the period">
            <Kpi label="Spend" value={formatUsd(totals.costUsd)} />
            <Kpi label="Baseline cost" value={formatUsd(totals.baselineCostUsd)} />
            <Kpi label="Savings" value={formatUsd(totals.savingsUsd)} detail={savingsDetail(savingsShare(totals))} />
            <Kpi label="Requests" value={formatInt(totals.requests)} detail={totals.unpricedRequests > 0 ? `${formatInt(totals.unpricedRequests)} unpriced` : undefined} />
            <Kpi label="Tokens" value={formatCompact(totals.tokens)} detail={`${formatInt(totals.tokens)} input + output`} />
          </dl>
          <p className="note">
            Savings compare spend with the same token counts priced at the baseline model (<code>ledger.baseline</code>). It is an approximation: each
            model's tokenizer counts the same text differently (within about ±25%), and another model would have answered at another length.
            Unpriced requests count on neither side. See <code>docs/ledger.md</code>.
          </p>
          {totals.requests === 0 ? (
            <EmptyState>{NO_TRAFFIC}</EmptyState>
          ) : (
            <>
              <TrendCharts range={range} rows={usage.data.totals} />
              <ShareCharts range={range} byOrigin={usage.data.byOrigin} byOpenWeights={usage.data.byOpenWeights} />
              <TopModels range={range} />
            </>
          )}
        </>
      ) : null}
    </>
  );
}
