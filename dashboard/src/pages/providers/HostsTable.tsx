import { DataTable } from '../../components/DataTable';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import type { ProviderHost } from '../../lib/api-types';
import { formatInt, formatMs, formatPricePerM, formatShare } from '../../lib/format';

interface Props {
  hosts: ProviderHost[];
  canChange: boolean;
  onBlock: (host: ProviderHost) => void;
}

/** The breaker and health in words: the colour only repeats what the text says. */
export function healthOf(h: Pick<ProviderHost, 'breaker' | 'healthy'>): { tone: Tone; text: string } {
  if (h.breaker === 'open') return { tone: 'bad', text: 'breaker open' };
  if (h.breaker === 'half-open') return { tone: 'warn', text: 'breaker half-open' };
  return h.healthy ? { tone: 'good', text: 'healthy' } : { tone: 'warn', text: 'degraded' };
}

export function HostsTable({ hosts, canChange, onBlock }: Props) {
  return (
    <DataTable
      caption="Hosts by provider and model (latency percentiles, error rate and requests over the period)"
      rows={hosts}
      rowKey={(h) => h.host}
      empty="No provider is configured on this gateway."
      columns={[
        {
          header: 'Provider',
          cell: (h: ProviderHost) => (
            <>
              <strong>{h.provider}</strong>
              {h.company ? <div className="hint">{h.company}</div> : null}
            </>
          ),
        },
        {
          header: 'Model',
          cell: (h) => (
            <>
              {h.model}
              {h.upstreamModel !== h.model ? <div className="hint">as {h.upstreamModel}</div> : null}
            </>
          ),
        },
        { header: 'Origin / hosted in', cell: (h) => `${h.origin ?? '?'} / ${h.jurisdiction ?? '?'}${h.selfHosted ? ' (self-hosted)' : ''}` },
        {
          header: 'Health',
          cell: (h) => {
            const s = healthOf(h);
            return (
              <>
                <StatusBadge tone={s.tone}>{s.text}</StatusBadge>
                {h.live.latencyMs !== null ? <div className="hint">live {formatMs(h.live.latencyMs)}</div> : null}
              </>
            );
          },
        },
        { header: 'p50 ms', cell: (h) => formatInt(h.window?.latencyMs?.p50), numeric: true },
        { header: 'p95 ms', cell: (h) => formatInt(h.window?.latencyMs?.p95), numeric: true },
        { header: 'p99 ms', cell: (h) => formatInt(h.window?.latencyMs?.p99), numeric: true },
        { header: 'Error rate', cell: (h) => formatShare(h.window?.errorRate), numeric: true },
        { header: 'Requests', cell: (h) => formatInt(h.window?.requests), numeric: true },
        { header: 'USD/M in / out', cell: (h) => `${formatPricePerM(h.priceInPerM)} / ${formatPricePerM(h.priceOutPerM)}`, numeric: true },
        {
          header: 'Blocked',
          cell: (h) =>
            h.blocked ? (
              <>
                <StatusBadge tone="bad">blocked</StatusBadge>
                <div className="hint">{h.blockedBy.join(', ')}</div>
              </>
            ) : (
              'no'
            ),
        },
        {
          header: 'Actions',
          cell: (h) => (
            <button type="button" className="danger" onClick={() => onBlock(h)} disabled={!canChange} aria-label={`Block provider ${h.provider} (${h.model})`}>
              Block
            </button>
          ),
        },
      ]}
    />
  );
}
