import { useState } from 'react';
import { ErrorNotice, Loading, ReadOnlyNote } from '../components/Notices';
import { PageHeader } from '../components/PageHeader';
import { PeriodSelect } from '../components/PeriodSelect';
import { api } from '../lib/api';
import type { ProviderHost } from '../lib/api-types';
import { formatInt } from '../lib/format';
import type { Period } from '../lib/series';
import { useCanChange } from '../lib/session-context';
import { useResource } from '../lib/use-resource';
import { BlockProviderDialog } from './providers/BlockProviderDialog';
import { HostsTable } from './providers/HostsTable';

export function ProvidersPage() {
  const canChange = useCanChange();
  const [period, setPeriod] = useState<Period>('24h');
  const [blocking, setBlocking] = useState<ProviderHost | undefined>(undefined);
  const [usedOnly, setUsedOnly] = useState(false);
  const hosts = useResource((signal) => api.providers(period, signal), [period]);
  const rows = hosts.data?.data ?? [];
  const open = rows.filter((h) => h.breaker !== 'closed').length;
  const blocked = rows.filter((h) => h.blocked).length;
  const shown = usedOnly ? rows.filter((h) => (h.window?.requests ?? 0) > 0) : rows;

  return (
    <>
      <PageHeader title="Providers">
        <PeriodSelect value={period} onChange={setPeriod} />
        <button type="button" onClick={hosts.reload}>
          Refresh
        </button>
      </PageHeader>
      {canChange ? null : <ReadOnlyNote />}
      <p className="hint">
        One row per host (a provider serving one model). Health and live latency are this gateway's moving averages; latency percentiles, error
        rate and requests (attempts that reached the host) come from the ledger over the chosen period.
      </p>
      <ErrorNotice error={hosts.error} />
      {!hosts.data && hosts.loading ? <Loading label="providers" /> : null}
      {hosts.data ? (
        <>
          <div className="panel-header">
            <p className="summary-line" role="status">
              {formatInt(rows.length)} hosts · {formatInt(open)} with the breaker not closed · {formatInt(blocked)} blocked
            </p>
            <label className="field-inline">
              <input type="checkbox" checked={usedOnly} onChange={(e) => setUsedOnly(e.target.checked)} />
              Only hosts with requests in the period
            </label>
          </div>
          <HostsTable hosts={shown} canChange={canChange} onBlock={setBlocking} />
        </>
      ) : null}
      {blocking ? (
        <BlockProviderDialog
          host={blocking}
          onClose={() => setBlocking(undefined)}
          onBlocked={() => {
            setBlocking(undefined);
            hosts.reload();
          }}
        />
      ) : null}
    </>
  );
}
