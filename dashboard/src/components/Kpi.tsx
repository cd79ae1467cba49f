interface Props {
  label: string;
  value: string;
  detail?: string;
}

/** One headline figure. */
export function Kpi({ label, value, detail }: Props) {
  return (
    <div className="kpi">
      <dt>{label}</dt>
      <dd>
        <span className="kpi-value">{value}</span>
        {detail ? <span className="kpi-detail">{detail}</span> : null}
      </dd>
    </div>
  );
}
