/**
 * The gateway's admin API as the browser tests call it to check what the dashboard did: fetch with the admin key
 * in the Authorization header. Error messages carry the method, path, status and the gateway's answer, which
 * never echoes a credential.
 */

export interface AdminApi {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete(path: string): Promise<void>;
}

export function adminApi(gatewayUrl: string, adminKey: string): AdminApi {
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(gatewayUrl + path, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  return {
    get: async <T>(path: string) => (await call('GET', path)) as T,
    post: async <T>(path: string, body: unknown) => (await call('POST', path, body)) as T,
    delete: async (path: string) => {
      await call('DELETE', path);
    },
  };
}

/**
 * Reads until `done` holds or the time is up, and returns the last reading either way: the caller's assertions
 * then say what was wrong with it. For what live traffic and the ledger's batched writes make true a moment later.
 */
export async function readUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
