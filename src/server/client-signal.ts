import type { ServerResponse } from 'node:http';
import type { CancelSignal } from '../providers/types.js';

/**
 * Fires when the client goes away before its response is complete. A plain flag and listener list rather than an
 * AbortController: one is made for every request and almost none fire, and an AbortController with its EventTarget
 * cost several microseconds to make and to listen to. Listeners run once; the list is dropped when it fires.
 */
export class ClientSignal implements CancelSignal {
  aborted = false;
  private listeners: (() => void)[] | undefined;

  constructor(res: ServerResponse) {
    res.once('close', () => {
      if (!res.writableFinished) this.abort();
    });
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.listeners;
    if (!listeners) return;
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  }

  private abort(): void {
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}
