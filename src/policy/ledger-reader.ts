import type { PostgresTenancyStore } from '../store/postgres.js';
import type { SqliteTenancyStore } from '../store/sqlite.js';
import type { TenancyStore } from '../tenancy/types.js';
import { ledgerReaderFromList, type LedgerReader } from './drill.js';

/**
 * The exit drill's view of the usage ledger on the same database as the tenancy store: the ledger store's `list`
 * (newest first, paged by `before`), read lazily, only when a drill runs.
 */
export function ledgerReaderFor(tenancy: TenancyStore): LedgerReader {
  let reader: Promise<LedgerReader> | undefined;
  const open = async (): Promise<LedgerReader> => {
    if (tenancy.kind === 'sqlite') {
      const { SqliteLedgerStore } = await import('../ledger/sqlite.js');
      return ledgerReaderFromList(new SqliteLedgerStore((tenancy as SqliteTenancyStore).db));
    }
    const { PostgresLedgerStore } = await import('../ledger/postgres.js');
    return ledgerReaderFromList(new PostgresLedgerStore((tenancy as PostgresTenancyStore).pool));
  };
  return {
    async *records(window) {
      reader ??= open();
      yield* (await reader).records(window);
    },
  };
}
