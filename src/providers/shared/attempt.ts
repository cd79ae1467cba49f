import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import type { CancelSignal } from '../types.js';
import type { AbortReason } from './errors.js';

/** After a finish reason, how long to wait for a trailing usage chunk or end marker before finalising anyway. */
export const FINISH_TAIL_MS = 2_000;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export type AttemptAbortReason = AbortReason | 'tail' | 'done';

/**
 * The abort signal handed to undici, which accepts an EventEmitter with `aborted` as well as an AbortSignal. An
 * AbortController costs several times more to create and to listen to (its EventTarget machinery was a visible share
 * of every request's CPU), and an attempt's signal has one listener: undici's.
 */
export class AttemptSignal extends EventEmitter {
  aborted = false;
}

/**
 * One attempt's abort signal, linked to the client's signal and to the attempt's timers: total deadline,
 * first token, and any extra deadline an adapter arms (the tail after a finish reason).
 */
export class AttemptControl {
  readonly signal = new AttemptSignal();
  reason: AttemptAbortReason | undefined;
  private timers: NodeJS.Timeout[] = [];
  private firstToken: NodeJS.Timeout | undefined;
  private tail: 'none' | 'finish' | 'complete' = 'none';
  private readonly onClientAbort = () => this.abort('client');

  constructor(private readonly clientSignal: CancelSignal, totalMs: number, firstTokenMs: number | undefined) {
    if (clientSignal.aborted) this.abort('client');
    else clientSignal.addEventListener('abort', this.onClientAbort, { once: true });
    this.timers.push(setTimeout(() => this.abort('total'), totalMs));
    if (firstTokenMs !== undefined) this.firstToken = setTimeout(() => this.abort('first-token'), firstTokenMs);
  }

  abort(reason: AttemptAbortReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.signal.aborted = true;
    this.signal.emit('abort');
  }

  firstTokenArrived(): void {
    if (this.firstToken) {
      clearTimeout(this.firstToken);
      this.firstToken = undefined;
    }
  }

  after(ms: number, reason: AttemptAbortReason): void {
    this.timers.push(setTimeout(() => this.abort(reason), ms));
  }

  /**
   * A stream's body is read to its end even after its last event (leaving it unread would cost the pooled keep-alive
   * connection), but a host that dawdles is cut off: FINISH_TAIL_MS after the finish reason (a late usage chunk is
   * still read), an eighth of that once the stream is complete. Called after each decoded chunk; arms each timer once.
   */
  trackStreamEnd(decoder: { readonly complete: boolean; readonly sawFinish: boolean }): void {
    if (decoder.complete) this.streamComplete();
    else if (decoder.sawFinish && this.tail === 'none') {
      this.tail = 'finish';
      this.after(FINISH_TAIL_MS, 'tail');
    }
  }

  /** The stream said it is over (its end marker, or a complete final chunk): only the body's end is left to read. */
  streamComplete(): void {
    if (this.tail === 'complete') return;
    this.tail = 'complete';
    this.after(FINISH_TAIL_MS / 8, 'tail');
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.firstTokenArrived();
    this.clientSignal.removeEventListener('abort', this.onClientAbort);
  }

  /** The reason to report for a transport failure (the tail and our own "done" are not failures). */
  get transportReason(): AbortReason | undefined {
    const r = this.reason;
    return r === 'tail' || r === 'done' ? undefined : r;
  }
}

/** An error body, read up to a cap: a misbehaving host must not make the gateway buffer megabytes. */
export async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_ERROR_BODY_BYTES) {
      body.destroy();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
