import { useId, useState, type FormEvent } from 'react';
import { api } from '../../lib/api';
import type { RequestFilter } from '../../lib/api-types';
import { useResource } from '../../lib/use-resource';

type Filter = Pick<RequestFilter, 'keyId' | 'teamId' | 'model' | 'status'>;

interface Props {
  value: Filter;
  onApply: (filter: Filter) => void;
}

const trimmed = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** Filters by key, team, model and status; the key and team fields suggest the gateway's keys and teams. */
export function RequestFilters({ value, onApply }: Props) {
  const [keyId, setKeyId] = useState(value.keyId ?? '');
  const [teamId, setTeamId] = useState(value.teamId ?? '');
  const [model, setModel] = useState(value.model ?? '');
  const [status, setStatus] = useState(value.status ?? '');
  const keysId = useId();
  const teamsId = useId();
  const suggestions = useResource(
    async (signal) => {
      const [keys, teams] = await Promise.all([api.keys(signal).catch(() => ({ data: [] })), api.teams(signal).catch(() => ({ data: [] }))]);
      return { keys: keys.data, teams: teams.data };
    },
    [],
  );

  const apply = (event: FormEvent) => {
    event.preventDefault();
    onApply({ keyId: trimmed(keyId), teamId: trimmed(teamId), model: trimmed(model), status: trimmed(status) });
  };

  const clear = () => {
    setKeyId('');
    setTeamId('');
    setModel('');
    setStatus('');
    onApply({});
  };

  return (
    <form className="filters" onSubmit={apply} aria-label="Filter requests">
      <label>
        Key id
        <input value={keyId} onChange={(e) => setKeyId(e.target.value)} list={keysId} placeholder="any key" />
        <datalist id={keysId}>
          {suggestions.data?.keys.map((k) => (
            <option key={k.id} value={k.id}>
              {k.name}
            </option>
          ))}
        </datalist>
      </label>
      <label>
        Team id
        <input value={teamId} onChange={(e) => setTeamId(e.target.value)} list={teamsId} placeholder="any team" />
        <datalist id={teamsId}>
          {suggestions.data?.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </datalist>
      </label>
      <label>
        Model
        <input value={model} onChange={(e) => setModel(e.target.value)} placeholder="any model" />
      </label>
      <label>
        Status
        <input value={status} onChange={(e) => setStatus(e.target.value)} type="number" min="100" max="599" placeholder="any" />
      </label>
      <div className="filter-actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" onClick={clear}>
          Clear filters
        </button>
      </div>
    </form>
  );
}
