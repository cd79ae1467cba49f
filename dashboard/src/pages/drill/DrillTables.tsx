import { useState } from 'react';
import { DataTable } from '../../components/DataTable';
import type { BreakdownRow, DrillResult, ReroutedRow } from '../../lib/api-types';
import { formatInt, formatUsd, formatUsdDelta } from '../../lib/format';

const VIA: Record<ReroutedRow['via'], string> = { 'same-model': 'same model, other host', substitute: 'configured substitute', 'same-tier': 'cheapest of the same tier' };

export function ReroutedTable({ rows }: { rows: ReroutedRow[] }) {
  return (
    <DataTable
      caption="Where the affected traffic would go"
      rows={rows}
      rowKey={(r) => `${r.from}→${r.to}`}
      empty="Nothing rerouted."
      columns={[
        { header: 'From', cell: (r: ReroutedRow) => r.from },
        { header: 'To', cell: (r) => r.to },
        { header: 'How', cell: (r) => VIA[r.via] },
        { header: 'Requests', cell: (r) => formatInt(r.requests), numeric: true },
        { header: 'Tokens', cell: (r) => formatInt(r.tokens), numeric: true },
        { header: 'Cost difference', cell: (r) => formatUsdDelta(r.costDeltaUsd), numeric: true },
        { header: 'Unpriced', cell: (r) => formatInt(r.unpricedRequests), numeric: true },
      ]}
    />
  );
}

export function UnroutableTable({ rows }: { rows: DrillResult['unroutable']['byModel'] }) {
  return (
    <DataTable
      caption="Traffic left without a route"
      rows={rows}
      rowKey={(r) => r.model}
      empty="Every affected request finds a route."
      columns={[
        { header: 'Model', cell: (r: { model: string; requests: number; reason: string }) => r.model },
        { header: 'Requests', cell: (r) => formatInt(r.requests), numeric: true },
        { header: 'Why', cell: (r) => r.reason },
      ]}
    />
  );
}

type Dimension = keyof DrillResult['breakdown'];
const DIMENSIONS: Record<Dimension, string> = { byKey: 'key', byTeam: 'team', byModel: 'model' };

export function BreakdownTable({ breakdown }: { breakdown: DrillResult['breakdown'] }) {
  const [dimension, setDimension] = useState<Dimension>('byModel');
  return (
    <section className="panel" aria-labelledby="breakdown-title">
      <div className="panel-header">
        <h3 id="breakdown-title">Who is affected</h3>
        <label className="field-inline">
          Break down by
          <select value={dimension} onChange={(e) => setDimension(e.target.value as Dimension)}>
            {Object.entries(DIMENSIONS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <DataTable
        caption={`Affected traffic by ${DIMENSIONS[dimension]}`}
        rows={breakdown[dimension]}
        rowKey={(r) => r.name}
        empty="No affected traffic."
        columns={[
          { header: DIMENSIONS[dimension], cell: (r: BreakdownRow) => r.name },
          { header: 'Requests', cell: (r) => formatInt(r.requests), numeric: true },
          { header: 'Tokens', cell: (r) => formatInt(r.tokens), numeric: true },
          { header: 'Spend', cell: (r) => formatUsd(r.costUsd), numeric: true },
          { header: 'Rerouted', cell: (r) => formatInt(r.rerouted), numeric: true },
          { header: 'No route', cell: (r) => formatInt(r.unroutable), numeric: true },
          { header: 'Cost difference', cell: (r) => formatUsdDelta(r.costDeltaUsd), numeric: true },
        ]}
      />
    </section>
  );
}
