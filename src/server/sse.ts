import type { ServerResponse } from 'node:http';

/**
 * Writes an SSE response. Headers go out lazily (on the first frame or keep-alive comment), so that until then
 * a failure can still be answered with a plain HTTP error. Frames written in the same tick are corked into one
 * socket write.
 */
export class SseWriter {
  private headersSent = false;
  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    this.res.uncork();
  };

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Record<string, string>,
  ) {}

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

  /** Writes a frame; resolves at once unless the socket's buffer is full (then when it drains). */
  write(frame: string): Promise<void> | undefined {
    if (frame.length === 0 || this.closed) return undefined;
    this.commit();
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(this.uncork);
    }
    if (this.res.write(frame)) return undefined;
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

  comment(text: string): void {
    void this.write(`: ${text}\n\n`);
  }

  end(): void {
    if (this.res.writableEnded) return;
    this.commit();
    this.res.end();
  }
}
