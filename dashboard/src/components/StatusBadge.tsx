export type Tone = 'good' | 'warn' | 'bad' | 'neutral';

/** A state in words with a coloured dot: the colour helps, the text says it. */
export function StatusBadge({ tone, children }: { tone: Tone; children: string }) {
  return (
    <span className={`badge badge-${tone}`}>
      <span className="badge-dot" aria-hidden="true" />
      {children}
    </span>
  );
}
