import { appendFileSync, createReadStream, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { LedgerRecord } from './types.js';

/**
 * The ledger's local spool: records the database could not take (it was down, or the queue was full) are appended
 * to a JSON-lines file under the data directory, and replayed into the database later. Replaying is idempotent (the
 * database ignores ids it has), so a file replayed twice, or replayed while some of its records already made it, adds
 * nothing twice.
 *
 * Files: `ledger-spool-<pid>-<start>.jsonl`, one per process. To replay, a process claims a file by renaming it to
 * `….replaying-<pid>` (atomic: two processes never both claim one), reads it line by line, and deletes it once every
 * batch is in. Another process's file is claimed only after it has been idle for `idleMs` (its writer may still be
 * appending); a claimed file whose replay failed is renamed back and tried again later.
 */
export class Spool {
  readonly file: string;
  private created = false;

  constructor(
    readonly dir: string,
    private readonly idleMs = 5_000,
  ) {
    this.file = path.join(dir, `ledger-spool-${process.pid}-${Date.now()}.jsonl`);
  }

  /** Appends records synchronously (one write; a crash mid-line loses at most that line, which replay skips). */
  append(records: readonly LedgerRecord[]): void {
    if (records.length === 0) return;
    if (!this.created) {
      mkdirSync(this.dir, { recursive: true });
      this.created = true;
    }
    let text = '';
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    appendFileSync(this.file, text, { mode: 0o600 });
  }

  /** Files waiting to be replayed: this process's own, others' idle ones, and claims left by a dead replay. */
  pending(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    const now = Date.now();
    for (const name of names) {
      if (!name.startsWith('ledger-spool-')) continue;
      const full = path.join(this.dir, name);
      if (full === this.file) {
        out.push(full);
        continue;
      }
      try {
        // mtimeMs has sub-millisecond precision and Date.now() does not, so a file written this very millisecond can
        // look younger than zero; an idle time of zero means "any file".
        if (this.idleMs <= 0 || now - statSync(full).mtimeMs >= this.idleMs) out.push(full);
      } catch {
        // Claimed or deleted by another process meanwhile.
      }
    }
    return out.sort();
  }

  /** Takes a file for replay; undefined if another process took it first. */
  claim(file: string): string | undefined {
    const base = file.replace(/\.replaying-\d+$/, '');
    const claimed = `${base}.replaying-${process.pid}`;
    if (file === claimed) return file;
    try {
      renameSync(file, claimed);
      return claimed;
    } catch {
      return undefined;
    }
  }

  /** Gives a claimed file back after a failed replay, so it is tried again. */
  release(claimed: string): void {
    try {
      renameSync(claimed, claimed.replace(/\.replaying-\d+$/, ''));
    } catch {
      // Gone already.
    }
  }

  done(claimed: string): void {
    try {
      unlinkSync(claimed);
    } catch {
      // Gone already.
    }
  }

  /**
   * Reads a claimed file in batches. A line that is not a whole record (the process died while writing it) is
   * skipped and counted in `skipped`.
   */
  async *read(claimed: string, batchSize: number, skipped: { count: number }): AsyncGenerator<LedgerRecord[]> {
    const lines = createInterface({ input: createReadStream(claimed, { encoding: 'utf8' }), crlfDelay: Infinity });
    let batch: LedgerRecord[] = [];
    for await (const line of lines) {
      if (line.trim() === '') continue;
      try {
        const record = JSON.parse(line) as LedgerRecord;
        if (typeof record?.id !== 'string' || typeof record.at !== 'string') throw new Error('not a record');
        batch.push(record);
      } catch {
        skipped.count++;
        continue;
      }
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
}
