import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { DataTable } from '../../components/DataTable';
import { StatusBadge } from '../../components/StatusBadge';
import { api } from '../../lib/api';
import type { Block } from '../../lib/api-types';
import { DASH, formatDateTime } from '../../lib/format';

interface Props {
  blocks: Block[];
  canChange: boolean;
  onUnblocked: () => void;
}

function statusOf(b: Block): { tone: 'bad' | 'neutral'; text: string } {
  if (b.active) return { tone: 'bad', text: 'in force' };
  return { tone: 'neutral', text: b.removedAt ? 'lifted' : 'expired' };
}

export function BlocksTable({ blocks, canChange, onUnblocked }: Props) {
  const [lifting, setLifting] = useState<Block | undefined>(undefined);
  const name = (b: Block) => `${b.selector.kind} ${b.selector.value}`;

  return (
    <>
      <DataTable
        caption="Blocks"
        captionHidden
        rows={blocks}
        rowKey={(b) => b.id}
        empty="No block in force: every configured host may be used."
        columns={[
          { header: 'Blocked', cell: (b: Block) => <strong>{name(b)}</strong> },
          { header: 'Reason', cell: (b) => b.reason ?? DASH },
          { header: 'Until', cell: (b) => (b.until ? formatDateTime(b.until) : 'lifted by hand') },
          { header: 'Created', cell: (b) => `${formatDateTime(b.createdAt)} by ${b.createdBy}` },
          {
            header: 'Status',
            cell: (b) => {
              const s = statusOf(b);
              return <StatusBadge tone={s.tone}>{s.text}</StatusBadge>;
            },
          },
          { header: 'Id', cell: (b) => <code>{b.id}</code> },
          {
            header: 'Actions',
            cell: (b) =>
              b.active ? (
                <button type="button" onClick={() => setLifting(b)} disabled={!canChange} aria-label={`Unblock ${name(b)}`}>
                  Unblock
                </button>
              ) : (
                DASH
              ),
          },
        ]}
      />
      {lifting ? (
        <ConfirmDialog
          title={`Unblock ${name(lifting)}?`}
          confirmLabel="Unblock"
          onClose={() => setLifting(undefined)}
          onConfirm={async () => {
            await api.removeBlock(lifting.id);
            onUnblocked();
          }}
        >
          <p>
            Lifts block <code>{lifting.id}</code>: traffic may use <strong>{name(lifting)}</strong> again on every replica within a second. Other blocks on the
            same {lifting.selector.kind} stay in force.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
