import { useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/Notices';
import { api } from '../../lib/api';
import type { BudgetPeriod, VirtualKey } from '../../lib/api-types';
import { patchKeyBody } from '../../lib/key-form';

interface Props {
  vkey: VirtualKey;
  onClose: () => void;
  onSaved: () => void;
}

/** Budget and rate limits of one key (PATCH /admin/keys/:id); an emptied field removes that limit. */
export function EditKeyDialog({ vkey, onClose, onSaved }: Props) {
  const [budgetUsd, setBudgetUsd] = useState(vkey.budget ? String(vkey.budget.usd) : '');
  const [budgetPeriod, setBudgetPeriod] = useState<BudgetPeriod>(vkey.budget?.period ?? 'month');
  const [rpm, setRpm] = useState(vkey.limits?.rpm ? String(vkey.limits.rpm) : '');
  const [tpm, setTpm] = useState(vkey.limits?.tpm ? String(vkey.limits.tpm) : '');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.patchKey(vkey.id, patchKeyBody({ budgetUsd, budgetPeriod, rpm, tpm }));
      onSaved();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Budget and limits of ${vkey.name}`} onClose={onClose}>
      <form className="form-grid" onSubmit={(e) => void save(e)}>
        <label>
          Budget (USD)
          <input value={budgetUsd} onChange={(e) => setBudgetUsd(e.target.value)} type="number" min="0" step="0.01" placeholder="none" />
        </label>
        <label>
          Budget period
          <select value={budgetPeriod} onChange={(e) => setBudgetPeriod(e.target.value as BudgetPeriod)}>
            <option value="day">per day</option>
            <option value="month">per month</option>
            <option value="total">in total</option>
          </select>
        </label>
        <label>
          Requests per minute
          <input value={rpm} onChange={(e) => setRpm(e.target.value)} type="number" min="1" step="1" placeholder="no limit" />
        </label>
        <label>
          Tokens per minute
          <input value={tpm} onChange={(e) => setTpm(e.target.value)} type="number" min="1" step="1" placeholder="no limit" />
        </label>
        <p className="hint span-2">Leave a field empty to remove that budget or limit. The change reaches every replica within a second.</p>
        <ErrorNotice error={error} />
        <div className="dialog-actions span-2">
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
