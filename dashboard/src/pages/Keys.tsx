import { useMemo, useState } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, Loading, ReadOnlyNote } from '../components/Notices';
import { PageHeader } from '../components/PageHeader';
import { api } from '../lib/api';
import type { CreatedKey, VirtualKey } from '../lib/api-types';
import { useCanChange } from '../lib/session-context';
import { useResource } from '../lib/use-resource';
import { CreateKeyForm } from './keys/CreateKeyForm';
import { EditKeyDialog } from './keys/EditKeyDialog';
import { KeysTable } from './keys/KeysTable';
import { SecretDialog } from './keys/SecretDialog';

const THIRTY_DAYS_MS = 30 * 24 * 3_600_000;

/** Reads that only enrich the page (a policy list, 30-day spend): their failure leaves the rest working. */
const optional = <T,>(promise: Promise<T>): Promise<T | undefined> => promise.catch(() => undefined);

export function KeysPage() {
  const canChange = useCanChange();
  const [created, setCreated] = useState<CreatedKey | undefined>(undefined);
  const [editing, setEditing] = useState<VirtualKey | undefined>(undefined);
  const [revoking, setRevoking] = useState<VirtualKey | undefined>(undefined);

  const keys = useResource((signal) => api.keys(signal), []);
  const context = useResource(
    async (signal) => {
      const [policies, teams, spend] = await Promise.all([
        optional(api.policies(signal)),
        optional(api.teams(signal)),
        optional(api.usage({ groupBy: 'key', interval: 'total', from: new Date(Date.now() - THIRTY_DAYS_MS).toISOString() }, signal)),
      ]);
      return {
        policies: policies?.data.map((p) => p.name) ?? [],
        teams: teams?.data.map((t) => t.name) ?? [],
        spend30d: new Map((spend?.rows ?? []).map((r) => [r.group ?? '', r.costUsd])),
      };
    },
    [],
  );
  const spend30d = useMemo(() => context.data?.spend30d ?? new Map<string, number>(), [context.data]);

  return (
    <>
      <PageHeader title="Keys">
        <button type="button" onClick={keys.reload}>
          Refresh
        </button>
      </PageHeader>
      {canChange ? (
        <CreateKeyForm
          policies={context.data?.policies ?? []}
          teams={context.data?.teams ?? []}
          onCreated={(key) => {
            setCreated(key);
            keys.reload();
          }}
        />
      ) : (
        <ReadOnlyNote />
      )}
      <ErrorNotice error={keys.error} />
      {!keys.data && keys.loading ? <Loading label="keys" /> : null}
      {keys.data ? <KeysTable keys={keys.data.data} spend30d={spend30d} canChange={canChange} onEdit={setEditing} onRevoke={setRevoking} /> : null}

      {created ? <SecretDialog created={created} onClose={() => setCreated(undefined)} /> : null}
      {editing ? (
        <EditKeyDialog
          vkey={editing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            keys.reload();
          }}
        />
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke key ${revoking.name}?`}
          confirmLabel="Revoke key"
          onClose={() => setRevoking(undefined)}
          onConfirm={async () => {
            await api.revokeKey(revoking.id);
            keys.reload();
          }}
        >
          <p>
            Every app using <strong>{revoking.name}</strong> (<code>{revoking.id}</code>) gets 401 within a second, on every replica. A revoked key cannot be
            restored; create a new one instead.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
