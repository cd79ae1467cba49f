import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerStore } from '../../src/ledger/store.js';
import type { LedgerRecord } from '../../src/ledger/types.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { generateRecords, openSqliteLedger, tempDir, type OpenLedger } from './support.js';

/** A real SQLite ledger store whose batches wait at a gate, so that a batch can be caught in flight. */
function gated(inner: LedgerStore): { store: LedgerStore; open(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const store = Object.create(inner) as LedgerStore;
  store.insertBatch = async (records: readonly LedgerRecord[]) => {
    await gate;
    return inner.insertBatch(records);
  };
  return { store, open: release };
}

describe('LedgerWriter: records on their way to the store can still be read', () => {
  let ledger: OpenLedger | undefined;
  const spool = tempDir('writer-unwritten');
  afterEach(async () => {
    await ledger?.close();
    spool.remove();
  });

  it('finds a record while it waits in the queue and while its batch is being written, and not after', async () => {
    ledger = await openSqliteLedger();
    const { store, open } = gated(ledger.store);
    const writer = new LedgerWriter({ store, spoolDir: spool.dir, flushMs: 60_000, batchSize: 2 });
    const [r1, r2, r3] = generateRecords(3);
    writer.enqueue(r1!);
    expect(writer.find(r1!.id)).toBe(r1);
    expect(writer.pending(10)).toEqual([r1]);

    writer.enqueue(r2!); // a full batch: handed to the store, which waits at the gate
    writer.enqueue(r3!);
    expect(writer.depth).toBe(1);
    expect(writer.find(r1!.id)).toBe(r1);
    expect(writer.find(r2!.id)).toBe(r2);
    expect(writer.pending(10).map((r) => r.id)).toEqual([r3!.id, r2!.id, r1!.id]);
    expect(writer.pending(2).map((r) => r.id)).toEqual([r3!.id, r2!.id]);
    expect(writer.find('no-such-request')).toBeUndefined();

    open();
    await writer.flush();
    expect(writer.find(r1!.id)).toBeUndefined();
    expect(writer.pending(10)).toEqual([]);
    expect((await ledger.store.get(r1!.id))?.id).toBe(r1!.id);
    expect(await ledger.store.count()).toBe(3);
    await writer.close();
  });
});
