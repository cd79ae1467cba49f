import { DataTable } from '../../components/DataTable';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import type { VirtualKey } from '../../lib/api-types';
import { DASH, formatDateTime, formatInt, formatShare, formatUsd } from '../../lib/format';
import { keyStatus, type KeyStatus } from '../../lib/key-form';

interface Props {
  keys: VirtualKey[];
  spend30d: Map<string, number>;
  canChange: boolean;
  onEdit: (key: VirtualKey) => void;
  onRevoke: (key: VirtualKey) => void;
}

const TONES: Record<KeyStatus, Tone> = { active: 'good', expired: 'warn', revoked: 'bad' };

function budgetText(k: VirtualKey): string {
  return k.budget ? `${formatUsd(k.budget.usd)} per ${k.budget.period === 'total' ? 'lifetime' : k.budget.period}` : 'none';
}

function limitsText(k: VirtualKey): string {
  const parts = [k.limits?.rpm ? `${formatInt(k.limits.rpm)} rpm` : '', k.limits?.tpm ? `${formatInt(k.limits.tpm)} tpm` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'none';
}

function budgetSpendText(k: VirtualKey): string {
  if (!k.budget || k.spentUsd === null) return DASH;
  return `${formatUsd(k.spentUsd)} (${formatShare(k.budget.usd > 0 ? k.spentUsd / k.budget.usd : 0, 0)})`;
}

export function KeysTable({ keys, spend30d, canChange, onEdit, onRevoke }: Props) {
  const now = Date.now();
  return (
    <DataTable
      caption={`Virtual keys (${keys.length})`}
      rows={keys}
      rowKey={(k) => k.id}
      empty="No keys yet. Create one above, or with switchboard keys create."
      columns={[
        { header: 'Name', cell: (k: VirtualKey) => <strong>{k.name}</strong> },
        { header: 'Team', cell: (k) => k.team ?? DASH },
        { header: 'Id', cell: (k) => <code>{k.id}</code> },
        { header: 'Budget', cell: budgetText },
        { header: 'Spent this period', cell: budgetSpendText, numeric: true },
        { header: 'Spend (30 days)', cell: (k) => formatUsd(spend30d.get(k.id) ?? 0), numeric: true },
        { header: 'Limits', cell: limitsText },
        { header: 'Policy', cell: (k) => k.policy ?? DASH },
        {
          header: 'Status',
          cell: (k) => {
            const status = keyStatus(k, now);
            return <StatusBadge tone={TONES[status]}>{status}</StatusBadge>;
          },
        },
        { header: 'Expires', cell: (k) => (k.expiresAt ? formatDateTime(k.expiresAt) : 'never') },
        {
          header: 'Actions',
          cell: (k) =>
            k.revokedAt ? (
              DASH
            ) : (
              <span className="row-actions">
                <button type="button" onClick={() => onEdit(k)} disabled={!canChange} aria-label={`Edit budget and limits of ${k.name}`}>
                  Edit
                </button>
                <button type="button" className="danger" onClick={() => onRevoke(k)} disabled={!canChange} aria-label={`Revoke ${k.name}`}>
                  Revoke
                </button>
              </span>
            ),
        },
      ]}
    />
  );
}
