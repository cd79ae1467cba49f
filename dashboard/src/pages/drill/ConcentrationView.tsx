import { useMemo, useState } from 'react';
import { ChartFigure } from '../../charts/ChartFigure';
import { concentrationNames, concentrationOption, type ShareMetric } from '../../charts/drill-options';
import { DataTable } from '../../components/DataTable';
import type { Concentration, ConcentrationRow } from '../../lib/api-types';
import { formatShare } from '../../lib/format';

type Dimension = 'byOrigin' | 'byDeveloper' | 'byJurisdiction' | 'byLicense';

const DIMENSIONS: Record<Dimension, string> = { byOrigin: 'origin', byDeveloper: 'developer', byJurisdiction: 'hosting jurisdiction', byLicense: 'licence' };
const METRICS: Record<ShareMetric, string> = { requestShare: 'requests', tokenShare: 'tokens', costShare: 'spend' };

interface Row {
  name: string;
  before: ConcentrationRow | undefined;
  after: ConcentrationRow | undefined;
}

/** How concentrated the traffic is on one dependency, recorded and had the removals been in force. */
export function ConcentrationView({ before, after }: { before: Concentration; after: Concentration }) {
  const [dimension, setDimension] = useState<Dimension>('byOrigin');
  const [metric, setMetric] = useState<ShareMetric>('tokenShare');
  const { option, rows } = useMemo(() => {
    const b = before[dimension];
    const a = after[dimension];
    const rows: Row[] = concentrationNames(b, a).map((name) => ({ name, before: b.find((r) => r.name === name), after: a.find((r) => r.name === name) }));
    return { option: concentrationOption(b, a, metric, before.threshold), rows };
  }, [before, after, dimension, metric]);
  const top = rows[0];

  return (
    <section className="panel" aria-labelledby="concentration-title">
      <div className="panel-header">
        <h3 id="concentration-title">Concentration</h3>
        <label className="field-inline">
          By
          <select value={dimension} onChange={(e) => setDimension(e.target.value as Dimension)}>
            {Object.entries(DIMENSIONS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          Share of
          <select value={metric} onChange={(e) => setMetric(e.target.value as ShareMetric)}>
            {Object.entries(METRICS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ChartFigure
        title={`Share of ${METRICS[metric]} by ${DIMENSIONS[dimension]}`}
        summary={top ? `largest: ${top.name} with ${formatShare(top.before?.[metric] ?? 0)} recorded and ${formatShare(top.after?.[metric] ?? 0)} after the removals` : 'no traffic'}
        option={option}
        height={Math.max(160, rows.length * 34 + 60)}
        table={
          <DataTable
            caption={`Share of ${METRICS[metric]} by ${DIMENSIONS[dimension]}, recorded and after the removals`}
            rows={rows}
            rowKey={(r) => r.name}
            columns={[
              { header: DIMENSIONS[dimension], cell: (r: Row) => r.name },
              { header: 'Recorded', cell: (r) => formatShare(r.before?.[metric] ?? 0), numeric: true },
              { header: 'After', cell: (r) => formatShare(r.after?.[metric] ?? 0), numeric: true },
              { header: 'Flagged', cell: (r) => [r.before?.flagged ? 'recorded' : '', r.after?.flagged ? 'after' : ''].filter(Boolean).join(', ') || 'no' },
            ]}
          />
        }
      />
    </section>
  );
}
