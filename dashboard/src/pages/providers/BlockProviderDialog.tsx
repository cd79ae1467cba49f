import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { api } from '../../lib/api';
import type { ProviderHost } from '../../lib/api-types';

interface Props {
  host: ProviderHost;
  onClose: () => void;
  onBlocked: () => void;
}

/** Blocks the whole provider of a host (POST /admin/blocks {provider}), after saying what that means. */
export function BlockProviderDialog({ host, onClose, onBlocked }: Props) {
  const [reason, setReason] = useState('');
  return (
    <ConfirmDialog
      title={`Block provider ${host.provider}?`}
      confirmLabel={`Block ${host.provider}`}
      onClose={onClose}
      onConfirm={async () => {
        await api.createBlock({ provider: host.provider, ...(reason.trim() !== '' ? { reason: reason.trim() } : {}) });
        onBlocked();
      }}
    >
      <p>
        Every host of <strong>{host.provider}</strong>, not only {host.model}, stops receiving new requests on every replica within a second, until the
        block is lifted on the Policies page. Requests with no other allowed host get 503.
      </p>
      <label className="field-block">
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} placeholder="incident 42" />
      </label>
    </ConfirmDialog>
  );
}
