import { DataTable } from '../../components/DataTable';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import type { RequestRecord } from '../../lib/api-types';
import { DASH, formatInt, formatMs, formatShortTime, formatUsd } from '../../lib/format';
import { hrefOf } from '../../lib/router';

export function statusTone(status: number): Tone {
  if (status < 400) return 'good';
  // 499: the client went away, which says nothing about the gateway or the host.
  if (status === 499) return 'neutral';
  return status < 500 ? 'warn' : 'bad';
}

function tokens(r: RequestRecord): string {
  if (r.inputTokens === undefined && r.outputTokens === undefined) return DASH;
  return `${formatInt(r.inputTokens ?? 0)} / ${formatInt(r.outputTokens ?? 0)}${r.tokensEstimated ? ' (est.)' : ''}`;
}

function served(r: RequestRecord): string {
  const model = r.model ?? r.served?.model;
  const provider = r.provider ?? r.served?.provider;
  return model ? `${model} @ ${provider ?? '?'}` : 'not served';
}

export function RequestsTable({ rows, selectedId }: { rows: RequestRecord[]; selectedId: string }) {
  return (
    <DataTable
      caption="Requests, newest first (open one for its routing decision)"
      rows={rows}
      rowKey={(r) => r.requestId}
      empty="No request matches. Without filters: no traffic yet — send a request or run switchboard demo."
      columns={[
        { header: 'Time (UTC)', cell: (r: RequestRecord) => formatShortTime(r.at) },
        {
          header: 'Request',
          cell: (r) => (
            <a href={hrefOf('requests', r.requestId)} aria-current={r.requestId === selectedId ? 'true' : undefined} aria-label={`Request ${r.requestId}`}>
              <code>{r.requestId.slice(0, 8)}</code>
            </a>
          ),
        },
        { header: 'Key', cell: (r) => (r.keyId ? <code>{r.keyId}</code> : DASH) },
        { header: 'Requested', cell: (r) => r.requestedModel },
        { header: 'Served by', cell: served },
        { header: 'Status', cell: (r) => <StatusBadge tone={statusTone(r.status)}>{`${r.status} ${r.outcome}`}</StatusBadge> },
        { header: 'Tokens in / out', cell: tokens, numeric: true },
        { header: 'Cost', cell: (r) => (r.costUsd === undefined ? DASH : r.costUsd === null ? 'unpriced' : formatUsd(r.costUsd)), numeric: true },
        { header: 'Latency', cell: (r) => formatMs(r.latencyMs), numeric: true },
      ]}
    />
  );
}
