import { StatusBadge } from '../../components/StatusBadge';
import type { PolicyEntry } from '../../lib/api-types';
import { formatDateTime } from '../../lib/format';
import { describePolicy } from '../../lib/policy-text';

/** Each policy with its rules in words, and each rule's key as the refusals cite it. */
export function PolicyList({ policies }: { policies: PolicyEntry[] }) {
  if (policies.length === 0) return <p className="notice notice-empty">No policies: define them under policies in the config file, or with PUT /admin/policies/:name.</p>;
  return (
    <div className="policy-list">
      {policies.map((p) => {
        const rules = describePolicy(p.policy);
        return (
          <article key={p.name} className="policy" aria-labelledby={`policy-${p.name}`}>
            <header>
              <h3 id={`policy-${p.name}`}>{p.name}</h3>
              <StatusBadge tone="neutral">{p.source === 'config' ? 'config file (read-only)' : 'stored'}</StatusBadge>
              {p.updatedAt ? (
                <span className="hint">
                  updated {formatDateTime(p.updatedAt)} by {p.updatedBy}
                </span>
              ) : null}
            </header>
            {rules.length === 0 ? (
              <p className="hint">No rules: allows every model and host.</p>
            ) : (
              <dl className="rules">
                {rules.map((r) => (
                  <div key={r.rule}>
                    <dt>
                      {r.label} <code className="rule-key">{r.rule}</code>
                    </dt>
                    <dd>{r.value}</dd>
                  </div>
                ))}
              </dl>
            )}
          </article>
        );
      })}
    </div>
  );
}
