import { PERIODS, type Period } from '../lib/series';

interface Props {
  value: Period;
  onChange: (period: Period) => void;
}

export function PeriodSelect({ value, onChange }: Props) {
  return (
    <label className="field-inline">
      Period
      <select value={value} onChange={(e) => onChange(e.target.value as Period)}>
        {PERIODS.map((p) => (
          <option key={p.value} value={p.value}>
            {p.label}
          </option>
        ))}
      </select>
    </label>
  );
}
