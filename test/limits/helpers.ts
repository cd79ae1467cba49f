import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { probeRedis, redisUrl, requireService, type ServiceCheck } from '../support/services.js';

export { probeRedis, redisUrl, type ServiceCheck };

/** The machine's Redis (`redisUrl()`): under CI its absence fails the file; elsewhere it skips, saying why. */
export function requireRedis(): Promise<ServiceCheck> {
  return requireService('Redis', () => probeRedis(redisUrl()));
}

/** A prefix unique to this test run, so parallel runs and leftovers never collide. */
export function uniquePrefix(label: string): string {
  return `sbtest:${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under a prefix. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A `redis-server` of our own on a loopback port, stopped by its PID only. */
export class OwnRedisServer {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 5000): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited with ${child.exitCode}`);
      if ((await probeRedis(this.url, 200)).available) return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Kills this server (SIGKILL to its own PID) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
}

/**
 * A loopback TCP proxy that can freeze: while frozen it stops moving bytes either way (and holds new
 * connections silent), as a network that drops packets without resetting anything would.
 */
export class FreezableProxy {
  private server: net.Server | undefined;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private frozen = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
      if (this.frozen) {
        client.pause();
        upstream.pause();
      }
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  freeze(): void {
    this.frozen = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  thaw(): void {
    this.frozen = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until true or the timeout; returns whether it became true. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** A logger that records what it is told. */
export function recordingLogger(): { lines: { level: 'info' | 'warn'; msg: string; obj: object }[]; info(obj: object, msg: string): void; warn(obj: object, msg: string): void } {
  const lines: { level: 'info' | 'warn'; msg: string; obj: object }[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
  };
}

/** The `redis-server` binary (for tests that start and kill their own server): required under CI, else skipped. */
export function requireRedisServerBinary(): Promise<ServiceCheck> {
  return requireService(
    'the redis-server binary',
    () =>
      new Promise<ServiceCheck>((resolve) => {
        const child = spawn('redis-server', ['--version'], { stdio: 'ignore' });
        child.on('error', (err) => resolve({ available: false, reason: `redis-server: ${err.message}` }));
        child.on('exit', (code) => resolve(code === 0 ? { available: true } : { available: false, reason: `redis-server --version exited ${code}` }));
      }),
  );
}
