/** The CLI's way into a running gateway: its admin API, with the admin key from the environment. */
export interface AdminClientOptions {
  url?: string;
  adminKeyEnv?: string;
}

export class AdminClient {
  readonly url: string;
  private readonly key: string;

  constructor(options: AdminClientOptions) {
    this.url = (options.url ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
    const variable = options.adminKeyEnv ?? 'SWITCHBOARD_ADMIN_KEY';
    const key = process.env[variable];
    if (!key) {
      console.error(`switchboard: set ${variable} to the gateway's admin key (or name another variable with --admin-key-env)`);
      process.exit(2);
    }
    this.key = key;
  }

  async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers: { authorization: `Bearer ${this.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      console.error(`switchboard: cannot reach the gateway at ${this.url} (${(err as Error).message})`);
      process.exit(1);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const message = (parsed as { error?: { message?: string } })?.error?.message ?? text;
      console.error(`switchboard: ${res.status} ${message}`);
      process.exit(1);
    }
    return parsed as T;
  }
}
