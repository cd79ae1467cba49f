import { useState, type FormEvent } from 'react';
import type { BlockKind, DrillBody, DrillWithout } from '../../lib/api-types';
import { makeWithout, withoutLabel } from '../../lib/drill-summary';
import type { KnownValues } from '../../lib/known-values';

interface Props {
  known: KnownValues;
  running: boolean;
  onRun: (body: DrillBody) => void;
}

const WINDOWS = [
  { value: '24h', label: 'last 24 hours' },
  { value: '7d', label: 'last 7 days' },
  { value: '30d', label: 'last 30 days' },
  { value: '90d', label: 'last 90 days' },
];

/** Builds the list of removals (any mix of origins, providers and models), the window and the flag threshold. */
export function DrillForm({ known, running, onRun }: Props) {
  const [kind, setKind] = useState<BlockKind>('origin');
  const [value, setValue] = useState('');
  const [removals, setRemovals] = useState<DrillWithout[]>([]);
  const [since, setSince] = useState('30d');
  const [thresholdPercent, setThresholdPercent] = useState('50');
  const options = known[kind];
  // A value typed or picked; the first known value when none is picked yet.
  const current = value !== '' ? value : (options[0] ?? '');

  const add = () => {
    if (current.trim() === '') return;
    const next = makeWithout(kind, current);
    setRemovals((list) => (list.some((w) => withoutLabel(w) === withoutLabel(next)) ? list : [...list, next]));
    setValue('');
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const without = removals.length > 0 ? removals : current.trim() !== '' ? [makeWithout(kind, current)] : [];
    if (without.length === 0) return;
    const threshold = Number(thresholdPercent) / 100;
    onRun({ without, since, ...(threshold > 0 && threshold < 1 ? { threshold } : {}) });
  };

  return (
    <form className="panel drill-form" onSubmit={submit} aria-labelledby="drill-form-title">
      <h2 id="drill-form-title">What to remove</h2>
      <div className="form-row">
        <label>
          Remove by
          <select
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as BlockKind);
              setValue('');
            }}
          >
            <option value="origin">origin (developer's country)</option>
            <option value="provider">provider</option>
            <option value="model">model</option>
          </select>
        </label>
        {options.length > 0 ? (
          <label>
            Dependency
            <select value={current} onChange={(e) => setValue(e.target.value)}>
              {options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            Dependency
            <input value={value} onChange={(e) => setValue(e.target.value)} placeholder={kind === 'origin' ? 'CN' : kind === 'provider' ? 'deepseek' : 'deepseek/deepseek-v3.2'} />
          </label>
        )}
        <button type="button" onClick={add}>
          Add to the drill
        </button>
      </div>
      <ul className="chips" aria-label="Removals in this drill">
        {removals.length === 0 ? <li className="hint">Nothing added yet: the drill removes the dependency selected above.</li> : null}
        {removals.map((w) => (
          <li key={withoutLabel(w)} className="chip">
            {withoutLabel(w)}
            <button type="button" className="chip-remove" aria-label={`Remove ${withoutLabel(w)} from the drill`} onClick={() => setRemovals((list) => list.filter((x) => withoutLabel(x) !== withoutLabel(w)))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="form-row">
        <label>
          Traffic window
          <select value={since} onChange={(e) => setSince(e.target.value)}>
            {WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Flag threshold (%)
          <input value={thresholdPercent} onChange={(e) => setThresholdPercent(e.target.value)} type="number" min="1" max="99" step="1" />
        </label>
        <button type="submit" className="primary" disabled={running}>
          {running ? 'Running…' : 'Run drill'}
        </button>
      </div>
    </form>
  );
}
