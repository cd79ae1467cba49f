import { useId, useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { api } from '../../lib/api';
import type { BlockBody, BlockKind } from '../../lib/api-types';
import type { KnownValues } from '../../lib/known-values';

interface Props {
  known: KnownValues;
  onBlocked: () => void;
}

const PLACEHOLDERS: Record<BlockKind, string> = { origin: 'CN', provider: 'deepseek', model: 'deepseek/deepseek-v3.2' };

/** A block of an origin, a provider or a model, asked for in a form and confirmed before it is sent. */
export function BlockForm({ known, onBlocked }: Props) {
  const [kind, setKind] = useState<BlockKind>('provider');
  const [value, setValue] = useState('');
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [pending, setPending] = useState<BlockBody | undefined>(undefined);
  const listId = useId();

  const review = (event: FormEvent) => {
    event.preventDefault();
    const v = kind === 'origin' ? value.trim().toUpperCase() : value.trim();
    if (v === '') return;
    setPending({
      [kind]: v,
      ...(reason.trim() !== '' ? { reason: reason.trim() } : {}),
      ...(until !== '' && !Number.isNaN(Date.parse(until)) ? { until: new Date(until).toISOString() } : {}),
    });
  };

  return (
    <>
      <form className="form-grid block-form" onSubmit={review} aria-label="Block an origin, provider or model">
        <label>
          Block kind
          <select value={kind} onChange={(e) => setKind(e.target.value as BlockKind)}>
            <option value="origin">origin (country of the model's developer)</option>
            <option value="provider">provider</option>
            <option value="model">model</option>
          </select>
        </label>
        <label>
          Value
          <input value={value} onChange={(e) => setValue(e.target.value)} list={listId} required placeholder={PLACEHOLDERS[kind]} />
          <datalist id={listId}>
            {known[kind].map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </label>
        <label>
          Reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} placeholder="incident 42" />
        </label>
        <label>
          Until (optional)
          <input value={until} onChange={(e) => setUntil(e.target.value)} type="datetime-local" />
        </label>
        <div className="form-actions">
          <button type="submit" className="danger">
            Block…
          </button>
        </div>
      </form>
      {pending ? (
        <ConfirmDialog
          title={`Block ${kind} ${pending[kind] ?? ''}?`}
          confirmLabel="Block"
          onClose={() => setPending(undefined)}
          onConfirm={async () => {
            await api.createBlock(pending);
            setValue('');
            setReason('');
            setUntil('');
            onBlocked();
          }}
        >
          <p>
            Every replica stops sending new requests to <strong>{`${kind} ${pending[kind] ?? ''}`}</strong> within a second
            {pending.until ? `, until ${new Date(pending.until).toUTCString()}` : ', until it is lifted'}. Requests with no other allowed route get 503.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
