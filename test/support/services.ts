import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';

/**
 * The machine's shared services for tests (PostgreSQL, Redis), and the rule for one that is missing: under CI
 * (`CI` set) the test file FAILS; elsewhere its suites are skipped, and the reason is printed, never silently.
 *
 *   const pgService = await requireService('PostgreSQL', () => probePostgres(postgresUrl()));
 *   describe.skipIf(!pgService.available)(serviceLabel('store on PostgreSQL', pgService), () => { … });
 */

export function postgresUrl(): string {
  return process.env.SWITCHBOARD_TEST_PG || 'postgres://postgres@127.0.0.1:5432/test';
}

export function redisUrl(): string {
  return process.env.SWITCHBOARD_TEST_REDIS || 'redis://127.0.0.1:6379';
}

export interface ServiceCheck {
  available: boolean;
  reason?: string;
}

/** True when running under CI: `CI` set to anything but empty, `0` or `false`. */
export function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** A URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Probes a service. `probe` either resolves (reachable) or throws (unreachable, its message is the reason), or
 * resolves to a `ServiceCheck`. Unreachable under CI: throws, so the test file fails. Otherwise: prints why the
 * tests that need it are skipped and returns `{ available: false, reason }` for `describe.skipIf`.
 */
export async function requireService(name: string, probe: () => Promise<void | ServiceCheck>, timeoutMs = 3000): Promise<ServiceCheck> {
  let check: ServiceCheck;
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    check = result && typeof result === 'object' && 'available' in result ? result : { available: true };
  } catch (err) {
    check = { available: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
  if (check.available) return check;
  const reason = check.reason ?? 'unreachable';
  if (inCI()) throw new Error(`${name} is required under CI and is unreachable: ${reason}`);
  console.warn(`[skip] tests that need ${name} are skipped: ${reason} (set CI=1 to make this a failure)`);
  return { available: false, reason };
}

/** A suite title that says why it is skipped, so the skip shows in the report too. */
export function serviceLabel(title: string, check: ServiceCheck): string {
  return check.available ? title : `${title} [skipped: ${check.reason ?? 'service unreachable'}]`;
}

/** Connects to PostgreSQL and runs `SELECT 1`. */
export async function probePostgres(url = postgresUrl(), timeoutMs = 2000): Promise<ServiceCheck> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { available: true };
  } catch (err) {
    return { available: false, reason: `${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Sends a raw PING to Redis (no client library) and expects `+PONG`. */
export async function probeRedis(url = redisUrl(), timeoutMs = 1000): Promise<ServiceCheck> {
  const { hostname, port } = new URL(url);
  return new Promise<ServiceCheck>((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    const finish = (check: ServiceCheck): void => {
      socket.destroy();
      resolve(check);
    };
    socket.setTimeout(timeoutMs, () => finish({ available: false, reason: `no answer from ${redactUrl(url)} within ${timeoutMs} ms` }));
    socket.on('error', (err) => finish({ available: false, reason: `${redactUrl(url)}: ${err.message}` }));
    socket.on('connect', () => socket.write('PING\r\n'));
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) {
        finish(reply.startsWith('+PONG') ? { available: true } : { available: false, reason: `${redactUrl(url)} answered ${JSON.stringify(reply.trim())}` });
      }
    });
  });
}

export interface PgSchema {
  /** The schema's name (`sb_test_<random>`). */
  schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh, uniquely named schema for one test file or suite, so parallel test files never see each
 * other's tables. Point a store at it with the `schema` option (which sets search_path); drop it afterwards.
 */
export async function freshPgSchema(url = postgresUrl(), label = ''): Promise<PgSchema> {
  const schema = `sb_test_${label ? `${label.replace(/[^a-z0-9_]/gi, '').toLowerCase()}_` : ''}${randomBytes(6).toString('hex')}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  };
  await admin((c) => c.query(`CREATE SCHEMA "${schema}"`));
  return {
    schema,
    drop: async () => {
      await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    },
  };
}
