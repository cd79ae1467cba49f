import { DataTable } from '../../components/DataTable';
import { StatusBadge } from '../../components/StatusBadge';
import type { Attempt, Exclusion, RequestRecord } from '../../lib/api-types';
import { DASH, formatInt, formatMs } from '../../lib/format';

const KIND_TEXT: Record<NonNullable<Exclusion['kind']> | 'other', string> = { policy: 'policy', block: 'block', other: 'capability or health' };

/** The planner's record: candidates, the hosts it left out and why, its order, and each attempt. */
export function RoutingDecision({ r }: { r: RequestRecord }) {
  const attempts = r.attempts.map((a, i) => ({ ...a, n: i + 1 }));
  return (
    <div className="decision">
      <h3>Routing decision</h3>
      <p>
        {formatInt(r.candidates)} candidate hosts; {formatInt(r.exclusions.length)} left out; {formatInt(r.plan.length)} in the plan;{' '}
        {formatInt(r.attempts.length)} attempted.
      </p>
      {r.plan.length > 0 ? (
        <>
          <h4>Plan, in order</h4>
          <ol className="plan">
            {r.plan.map((p, i) => (
              <li key={`${p.provider}/${p.model}/${i}`}>
                {p.model} @ {p.provider}
              </li>
            ))}
          </ol>
        </>
      ) : null}
      <DataTable
        caption="Hosts left out, with the reason"
        rows={r.exclusions}
        rowKey={(e) => `${e.provider}/${e.model}/${e.reason}`}
        empty="No host was left out."
        columns={[
          { header: 'Model', cell: (e: Exclusion) => e.model },
          { header: 'Provider', cell: (e) => e.provider },
          { header: 'Because of', cell: (e) => KIND_TEXT[e.kind ?? 'other'] },
          { header: 'Reason', cell: (e) => e.reason },
        ]}
      />
      <DataTable
        caption="Attempts"
        rows={attempts}
        rowKey={(a) => String(a.n)}
        empty="No host was tried."
        columns={[
          { header: '#', cell: (a: Attempt & { n: number }) => a.n, numeric: true },
          { header: 'Host', cell: (a) => `${a.model} @ ${a.provider}` },
          { header: 'Phase', cell: (a) => a.phase },
          { header: 'Outcome', cell: (a) => <StatusBadge tone={a.outcome === 'ok' ? 'good' : a.outcome === 'skipped' ? 'neutral' : 'bad'}>{a.outcome}</StatusBadge> },
          { header: 'Error', cell: (a) => (a.errorCode ? `${a.errorCode}${a.upstreamStatus ? ` (upstream ${a.upstreamStatus})` : ''}` : DASH) },
          { header: 'Started at', cell: (a) => formatMs(a.startMs), numeric: true },
          { header: 'Duration', cell: (a) => formatMs(a.durationMs), numeric: true },
          { header: 'First token', cell: (a) => formatMs(a.ttftMs), numeric: true },
          { header: 'Message', cell: (a) => a.message ?? DASH },
        ]}
      />
    </div>
  );
}
