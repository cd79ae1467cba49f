import type { ServerResponse } from 'node:http';

/** Told when the stream is over, whether it ended or the connection closed (the usage ledger's tap). */
export interface EndTap {
  end(): void;
}

/**
 * Writes an SSE response. Headers go out lazily (on the first frame or keep-alive), so that until then a failure can
 * still be answered with a plain HTTP error. Frames written while the I/O callbacks of one event-loop turn run are
 * joined into one string and written once, after them (setImmediate): every `res.write` costs an HTTP chunk, a trip
 * through the stream machinery and a system call, so a 100-event stream read in one network packet should not pay
 * that 100 times, and a host's end of stream read with its last events goes out in the same write as they do
 * (written at the end of the tick instead, a stream took one more write than its events needed).
 */
export class SseWriter {
  private headersSent = false;
  private pending = '';
  private scheduled = false;
  private readonly flush = () => {
    this.scheduled = false;
    if (this.pending.length === 0 || this.closed) {
      this.pending = '';
      return;
    }
    const text = this.pending;
    this.pending = '';
    this.res.write(text);
  };

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Record<string, string>,
    private readonly tap?: EndTap,
  ) {
    if (tap) res.once('close', () => tap.end());
  }

  get committed(): boolean {
    return this.headersSent;
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  setHeader(name: string, value: string): void {
    if (!this.headersSent) this.headers[name] = value;
  }

  private commit(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.res.writeHead(200, {
      ...this.headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
  }

  /** Queues a frame; resolves at once unless the socket's buffer is full (then when it drains). */
  write(frame: string): Promise<void> | undefined {
    if (frame.length === 0 || this.closed) return undefined;
    this.commit();
    this.pending += frame;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    if (!this.res.writableNeedDrain) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  end(): void {
    if (this.res.writableEnded) return;
    this.commit();
    this.flush();
    this.res.end();
    this.tap?.end();
  }
}
