import type { EventEmitter } from 'node:events';
import { Pool, type Dispatcher } from 'undici';
import type { ResolvedProvider } from '../../catalog/types.js';

export interface UpstreamRequest {
  /** Path and query appended to the provider's base URL (e.g. `/chat/completions`). */
  path: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** An AbortSignal, or an EventEmitter with `aborted` that emits 'abort' (undici takes either). */
  signal: AbortSignal | EventEmitter;
  /** Time allowed until the response headers arrive. */
  headersTimeoutMs: number;
  /** Time allowed between two chunks of the body. */
  bodyTimeoutMs: number;
  /** Replaces the path part of the provider's base URL for this request (DeepSeek's /beta). */
  basePath?: string;
}

/**
 * One keep-alive connection pool per upstream origin. Redirects are never followed: an upstream URL comes
 * from the operator's configuration only, and a 3xx to elsewhere is an error, not an invitation.
 */
export class UpstreamHttp {
  private readonly pools = new Map<string, { pool: Pool; basePath: string }>();

  private poolFor(provider: ResolvedProvider): { pool: Pool; basePath: string } {
    const key = `${provider.id}\u0000${provider.baseURL}`;
    let entry = this.pools.get(key);
    if (!entry) {
      const url = new URL(provider.baseURL);
      entry = {
        pool: new Pool(url.origin, {
          connections: provider.maxConnections,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          keepAliveMaxTimeout: 600_000,
          connect: { timeout: provider.timeouts.connectMs },
        }),
        basePath: url.pathname.replace(/\/+$/, ''),
      };
      this.pools.set(key, entry);
    }
    return entry;
  }

  request(provider: ResolvedProvider, req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    const { pool, basePath } = this.poolFor(provider);
    return pool.request({
      path: (req.basePath ?? basePath) + req.path,
      method: req.method ?? 'POST',
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      headersTimeout: req.headersTimeoutMs,
      bodyTimeout: req.bodyTimeoutMs,
    });
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(({ pool }) => pool.close().catch(() => pool.destroy())));
  }
}
