import { useState } from 'react';
import { ErrorNotice, Loading, ReadOnlyNote } from '../components/Notices';
import { PageHeader } from '../components/PageHeader';
import { api } from '../lib/api';
import { useKnownValues } from '../lib/known-values';
import { useCanChange } from '../lib/session-context';
import { useResource } from '../lib/use-resource';
import { BlockForm } from './policies/BlockForm';
import { BlocksTable } from './policies/BlocksTable';
import { PolicyList } from './policies/PolicyList';

export function PoliciesPage() {
  const canChange = useCanChange();
  const [showLifted, setShowLifted] = useState(false);
  const policies = useResource((signal) => api.policies(signal), []);
  const dataClasses = useResource((signal) => api.dataClasses(signal), []);
  const blocks = useResource((signal) => api.blocks(showLifted, signal), [showLifted]);
  const known = useKnownValues();

  return (
    <>
      <PageHeader title="Policies">
        <button
          type="button"
          onClick={() => {
            policies.reload();
            dataClasses.reload();
            blocks.reload();
          }}
        >
          Refresh
        </button>
      </PageHeader>
      {canChange ? null : <ReadOnlyNote />}

      <section className="panel" aria-labelledby="blocks-title">
        <div className="panel-header">
          <h2 id="blocks-title">Blocks</h2>
          <label className="field-inline">
            <input type="checkbox" checked={showLifted} onChange={(e) => setShowLifted(e.target.checked)} />
            Show lifted and expired blocks
          </label>
        </div>
        <p className="hint">
          A block switches an origin, a provider or a model off at run time, on every replica within a second. Traffic moves to other allowed hosts; a
          request left without any gets 503 naming the block.
        </p>
        {canChange ? <BlockForm known={known} onBlocked={blocks.reload} /> : null}
        <ErrorNotice error={blocks.error} />
        {!blocks.data && blocks.loading ? <Loading label="blocks" /> : null}
        {blocks.data ? <BlocksTable blocks={blocks.data.data} canChange={canChange} onUnblocked={blocks.reload} /> : null}
      </section>

      <section className="panel" aria-labelledby="policies-title">
        <h2 id="policies-title">Policies</h2>
        <p className="hint">
          Policies are attached to keys, teams or <code>routing.defaultPolicy</code>; a request must satisfy every one it falls under. Those from the
          config file are read-only here; <code>PUT /admin/policies/:name</code> stores others.
        </p>
        <ErrorNotice error={policies.error} />
        {!policies.data && policies.loading ? <Loading label="policies" /> : null}
        {policies.data ? <PolicyList policies={policies.data.data} /> : null}
      </section>

      <section className="panel" aria-labelledby="data-classes-title">
        <h2 id="data-classes-title">Data classes</h2>
        <p className="hint">
          A request chooses its data class with the header <code>x-switchboard-data-class</code>, and a key can set a minimum; the class's rules are
          added to every other policy the request falls under. Listed from the least restrictive up; defined under <code>dataClasses</code> in the
          config file.
        </p>
        <ErrorNotice error={dataClasses.error} />
        {!dataClasses.data && dataClasses.loading ? <Loading label="data classes" /> : null}
        {dataClasses.data && dataClasses.data.data.length === 0 ? (
          <p className="notice notice-empty">No data classes: define them under dataClasses in the config file.</p>
        ) : null}
        {dataClasses.data && dataClasses.data.data.length > 0 ? (
          <PolicyList policies={dataClasses.data.data.map((c) => ({ name: c.name, source: 'config' as const, policy: c.policy }))} />
        ) : null}
      </section>
    </>
  );
}
