import { useId, useState, type FormEvent } from 'react';
import { ErrorNotice } from '../../components/Notices';
import { api } from '../../lib/api';
import type { BudgetPeriod, CreatedKey } from '../../lib/api-types';
import { createKeyBody, type KeyFormValues } from '../../lib/key-form';

interface Props {
  policies: string[];
  teams: string[];
  onCreated: (key: CreatedKey) => void;
}

const EMPTY: KeyFormValues = { name: '', team: '', budgetUsd: '', budgetPeriod: 'month', rpm: '', tpm: '', policy: '', models: '', expiresAt: '' };

export function CreateKeyForm({ policies, teams, onCreated }: Props) {
  const [values, setValues] = useState<KeyFormValues>(EMPTY);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const teamListId = useId();
  const set = (field: keyof KeyFormValues) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: e.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const created = await api.createKey(createKeyBody(values));
      setValues(EMPTY);
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <form className="form-grid" onSubmit={(e) => void submit(e)}>
        <label>
          Name
          <input value={values.name} onChange={set('name')} required maxLength={200} placeholder="checkout-app" />
        </label>
        <label>
          Team
          <input value={values.team} onChange={set('team')} list={teamListId} maxLength={200} placeholder="optional; a new name creates the team" />
          <datalist id={teamListId}>
            {teams.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Budget (USD)
          <input value={values.budgetUsd} onChange={set('budgetUsd')} type="number" min="0" step="0.01" inputMode="decimal" placeholder="none" />
        </label>
        <label>
          Budget period
          <select value={values.budgetPeriod} onChange={(e) => setValues((v) => ({ ...v, budgetPeriod: e.target.value as BudgetPeriod }))}>
            <option value="day">per day</option>
            <option value="month">per month</option>
            <option value="total">in total</option>
          </select>
        </label>
        <label>
          Requests per minute
          <input value={values.rpm} onChange={set('rpm')} type="number" min="1" step="1" placeholder="no limit" />
        </label>
        <label>
          Tokens per minute
          <input value={values.tpm} onChange={set('tpm')} type="number" min="1" step="1" placeholder="no limit" />
        </label>
        <label>
          Policy
          <select value={values.policy} onChange={set('policy')}>
            <option value="">(none)</option>
            {policies.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Expiry
          <input value={values.expiresAt} onChange={set('expiresAt')} type="datetime-local" />
        </label>
        <label className="span-2">
          Allowed models
          <textarea value={values.models} onChange={set('models')} rows={2} placeholder="all models; or ids separated by commas or new lines, e.g. deepseek/deepseek-v3.2" />
        </label>
        <div className="form-actions span-2">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}
