import type { Logger } from 'pino';
import type { LedgerMetrics } from './metrics.js';
import { Spool } from './spool.js';
import type { LedgerStore } from './store.js';
import type { LedgerRecord } from './types.js';

/** Stored prompt and completion text in one batch at most (characters). */
const MAX_BATCH_TEXT = 16 * 1024 * 1024;

export interface WriterOptions {
  store: LedgerStore;
  /** Directory of the local spool (created when first needed). */
  spoolDir: string;
  logger?: Pick<Logger, 'warn' | 'error' | 'info'>;
  metrics?: LedgerMetrics;
  /**
   * Records per database transaction at most (default 1,000 on SQLite, whose synchronous write holds the event loop
   * for the batch, about 40 ms per 1,000; 5,000 on PostgreSQL). Under light load batches are smaller: whatever
   * arrived within `flushMs`.
   */
  batchSize?: number;
  /** A partial batch is written after this long (default 200 ms): the most a finished request waits in memory. */
  flushMs?: number;
  /** Records held in memory at most (default 20,000); past it, new records go to the spool file. */
  capacity?: number;
  /** How often the spool is replayed while it has records (default 5 s); also the pause after a database failure. */
  retryMs?: number;
  /**
   * Batches in flight at once (default: 3 on PostgreSQL, where a batch waits on the network and the server while the
   * next is prepared; 1 on SQLite, whose writes are synchronous). Roll-up rows are upserted in one global order, so
   * concurrent batches wait on each other's rows but cannot deadlock.
   */
  concurrency?: number;
  /** Another process's spool file is replayed once it has been idle this long (default 5 s). */
  spoolIdleMs?: number;
}

/**
 * Writes ledger records off the request path: `enqueue` only pushes onto a bounded in-memory queue; a timer and
 * the queue's size trigger batches of `batchSize` records, one transaction each, one batch at a time.
 *
 * Nothing is dropped silently. When the queue is full (the database is slower than the traffic) a record goes
 * straight to the local spool file; when a batch fails (the database is down) the batch goes to the spool and, for
 * `retryMs`, so does every batch after it, without waiting on the database again. The spool is replayed every
 * `retryMs`; replay is idempotent. A record is lost only if the spool file cannot be written either (disk full): it
 * is then counted in `switchboard_ledger_records_dropped_total` and logged with its id.
 */
export class LedgerWriter {
  private readonly store: LedgerStore;
  private readonly spool: Spool;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly capacity: number;
  private readonly retryMs: number;
  private readonly concurrency: number;
  private queue: LedgerRecord[] = [];
  /** Batches handed to the store and not yet answered for. */
  private readonly writing = new Set<readonly LedgerRecord[]>();
  private flushing: Promise<void> | undefined;
  private replaying: Promise<void> | undefined;
  private downUntil = 0;
  private spoolBacklog = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly replayTimer: NodeJS.Timeout;
  private readonly source = { depth: () => this.queue.length, spoolBacklog: () => this.spoolBacklog };

  constructor(private readonly options: WriterOptions) {
    this.store = options.store;
    this.spool = new Spool(options.spoolDir, options.spoolIdleMs);
    this.batchSize = Math.max(1, options.batchSize ?? (options.store.kind === 'postgres' ? 5000 : 1000));
    this.flushMs = Math.max(1, options.flushMs ?? 200);
    this.capacity = Math.max(this.batchSize, options.capacity ?? 20_000);
    this.retryMs = Math.max(10, options.retryMs ?? 5_000);
    this.concurrency = Math.max(1, options.concurrency ?? (options.store.kind === 'postgres' ? 3 : 1));
    this.timer = setInterval(() => {
      if (this.queue.length > 0) this.kick();
    }, this.flushMs);
    this.timer.unref();
    this.replayTimer = setInterval(() => void this.replay(), this.retryMs);
    this.replayTimer.unref();
    options.metrics?.sources.add(this.source);
  }

  /** Records waiting in memory. */
  get depth(): number {
    return this.queue.length;
  }

  /** A record still on its way to the store (queued, or in a batch being written), by request id. */
  find(id: string): LedgerRecord | undefined {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.id === id) return this.queue[i];
    for (const batch of this.writing) for (const r of batch) if (r.id === id) return r;
    return undefined;
  }

  /** Up to `limit` records still on their way to the store, newest first. */
  pending(limit: number): LedgerRecord[] {
    const out: LedgerRecord[] = [];
    for (let i = this.queue.length - 1; i >= 0 && out.length < limit; i--) out.push(this.queue[i]!);
    for (const batch of this.writing) for (let i = batch.length - 1; i >= 0 && out.length < limit; i--) out.push(batch[i]!);
    return out;
  }

  get spoolFile(): string {
    return this.spool.file;
  }

  enqueue(record: LedgerRecord): void {
    if (this.closed || this.queue.length >= this.capacity) {
      this.toSpool([record], this.closed ? 'store_down' : 'queue_full');
      return;
    }
    this.queue.push(record);
    if (this.queue.length >= this.batchSize) this.kick();
  }

  /** Starts writing if not already; resolves when the queue has been written (or spooled). */
  private kick(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (this.queue.length > 0 || inFlight.size > 0) {
      while (this.queue.length > 0 && inFlight.size < this.concurrency) {
        const size = this.takeCount();
        const batch = this.queue.length <= size ? this.queue : this.queue.slice(0, size);
        this.queue = this.queue.length <= size ? [] : this.queue.slice(size);
        if (Date.now() < this.downUntil) {
          this.toSpool(batch, 'store_down');
          continue;
        }
        this.writing.add(batch);
        const writing: Promise<void> = this.write(batch).finally(() => {
          inFlight.delete(writing);
          this.writing.delete(batch);
        });
        inFlight.add(writing);
      }
      if (inFlight.size > 0) await Promise.race(inFlight);
    }
  }

  /** Records for the next batch: up to `batchSize`, fewer when stored prompts make them large (16 MB a batch). */
  private takeCount(): number {
    const limit = Math.min(this.batchSize, this.queue.length);
    let bytes = 0;
    for (let i = 0; i < limit; i++) {
      const r = this.queue[i]!;
      if (r.prompt === undefined && r.completion === undefined) continue;
      bytes += (r.prompt?.length ?? 0) + (r.completion?.length ?? 0);
      if (bytes > MAX_BATCH_TEXT && i > 0) return i;
    }
    return limit;
  }

  private async write(batch: LedgerRecord[]): Promise<void> {
    const started = performance.now();
    try {
      const inserted = await this.store.insertBatch(batch);
      this.options.metrics?.written.inc(inserted);
      this.options.metrics?.batchDuration.observe((performance.now() - started) / 1000);
    } catch (err) {
      this.downUntil = Date.now() + this.retryMs;
      this.options.logger?.warn({ err: (err as Error).message, records: batch.length }, 'ledger: the database refused a batch; it is spooled locally and replayed later');
      this.toSpool(batch, 'store_error');
    }
  }

  private toSpool(records: LedgerRecord[], reason: 'queue_full' | 'store_error' | 'store_down'): void {
    try {
      this.spool.append(records);
      this.spoolBacklog += records.length;
      this.options.metrics?.spooled.inc({ reason }, records.length);
    } catch (err) {
      this.options.metrics?.dropped.inc(records.length);
      this.options.logger?.error(
        { err: (err as Error).message, ids: records.map((r) => r.id), spool: this.spool.file },
        'ledger: records LOST: neither the database nor the spool file could take them',
      );
    }
  }

  /** Replays spooled files into the database (one replay at a time). */
  replay(): Promise<void> {
    this.replaying ??= this.replayFiles().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replayFiles(): Promise<void> {
    for (const file of this.spool.pending()) {
      const claimed = this.spool.claim(file);
      if (!claimed) continue;
      const skipped = { count: 0 };
      try {
        let replayed = 0;
        for await (const batch of this.spool.read(claimed, this.batchSize, skipped)) {
          const inserted = await this.store.insertBatch(batch);
          replayed += batch.length;
          this.options.metrics?.written.inc(inserted);
        }
        this.spool.done(claimed);
        this.downUntil = 0;
        this.options.metrics?.replayed.inc(replayed);
        this.spoolBacklog = Math.max(0, this.spoolBacklog - replayed);
        if (skipped.count > 0) this.options.logger?.warn({ file: claimed, skipped: skipped.count }, 'ledger: spool lines that were not whole records were skipped');
        this.options.logger?.info({ records: replayed }, 'ledger: spooled records replayed');
      } catch (err) {
        this.spool.release(claimed);
        this.downUntil = Date.now() + this.retryMs;
        this.options.logger?.warn({ err: (err as Error).message }, 'ledger: spool replay failed; will retry');
        return;
      }
    }
  }

  /** Writes everything queued now (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) await this.kick();
  }

  /**
   * Flushes the queue (SIGTERM: the gateway's close). Records the database cannot take go to the spool, which the
   * next start replays. Nothing is enqueued after this; a late record goes to the spool.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.replayTimer);
    this.downUntil = 0;
    await this.flush();
    this.closed = true;
    await this.replaying;
    this.options.metrics?.sources.delete(this.source);
  }
}
