import { Redis } from 'ioredis';
import { errorMessage, failFastRedisOptions, StoreGuard } from '../store/resilience.js';
import { quitClient, whenReady } from './redis.js';
import { silentLogger, type LimitsLogger } from './rate-limiter.js';

/**
 * A tiny cluster event bus: small JSON messages on named channels, delivered to every replica that subscribed
 * (the publisher included, when it subscribed too). Used so that a key revoked on one replica is refused on every
 * replica within seconds, and for blocks.
 *
 * Delivery is at most once, as Redis pub/sub is: a replica that is disconnected when a message is published never
 * sees it. So consumers treat messages as hints to drop or refresh a cache, keep the store as the truth, and
 * re-read what they cache when `onReconnect` fires (it fires after the channels are subscribed again, so nothing
 * published after the re-read is missed).
 */

export type BusHandler = (message: unknown, channel: string) => void;
export type Unsubscribe = () => Promise<void>;

export interface EventBus {
  /** Sends a JSON-serialisable message (at most `MAX_MESSAGE_BYTES` once serialised). Rejects if it could not be sent. */
  publish(channel: string, message: unknown): Promise<void>;
  /**
   * Registers a handler. Never fails for an outage: the channel is subscribed whenever the connection is ready
   * (now, or on reconnect). Handlers must not throw (a throw is caught and logged) and must not mutate the message.
   */
  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe>;
  /** Called after a reconnect, once every channel is subscribed again: messages may have been missed meanwhile. */
  onReconnect(handler: () => void): () => void;
  close(): Promise<void>;
}

export const MAX_MESSAGE_BYTES = 64 * 1024;

function serialise(channel: string, message: unknown): string {
  if (typeof channel !== 'string' || channel.length === 0) throw new TypeError('a channel is a non-empty string');
  const payload = JSON.stringify(message);
  if (payload === undefined) throw new TypeError('a bus message must be JSON-serialisable');
  if (Buffer.byteLength(payload) > MAX_MESSAGE_BYTES) throw new RangeError(`a bus message is at most ${MAX_MESSAGE_BYTES} bytes of JSON`);
  return payload;
}

class HandlerSets {
  private readonly channels = new Map<string, Set<BusHandler>>();

  /** Adds a handler; true when the channel is new. */
  add(channel: string, handler: BusHandler): boolean {
    let set = this.channels.get(channel);
    const isNew = set === undefined;
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(handler);
    return isNew;
  }

  /** Removes a handler; true when the channel has no handler left. */
  remove(channel: string, handler: BusHandler): boolean {
    const set = this.channels.get(channel);
    if (!set) return false;
    set.delete(handler);
    if (set.size > 0) return false;
    this.channels.delete(channel);
    return true;
  }

  names(): string[] {
    return [...this.channels.keys()];
  }

  dispatch(channel: string, message: unknown, logger: LimitsLogger): void {
    const set = this.channels.get(channel);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(message, channel);
      } catch (err) {
        logger.warn({ channel, err: errorMessage(err) }, 'event bus handler threw');
      }
    }
  }

  clear(): void {
    this.channels.clear();
  }
}

/** The single-process bus: same contract (JSON round trip, asynchronous delivery), no network. */
export class MemoryEventBus implements EventBus {
  private readonly handlers = new HandlerSets();
  private closed = false;

  constructor(private readonly logger: LimitsLogger = silentLogger) {}

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new Error('event bus closed');
    const payload = serialise(channel, message);
    // Delivered on a later turn of the event loop, as a network bus would: never inside `publish`.
    setImmediate(() => this.handlers.dispatch(channel, JSON.parse(payload), this.logger));
  }

  async subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    serialise(channel, null);
    this.handlers.add(channel, handler);
    return async () => {
      this.handlers.remove(channel, handler);
    };
  }

  onReconnect(): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }
}

export interface RedisEventBusOptions {
  redisUrl: string;
  /** Prefix of every channel in Redis. Default `sb:bus:`. */
  channelPrefix?: string;
  /** Timeout of PUBLISH and SUBSCRIBE. Default 1000 ms. */
  timeoutMs?: number;
  maxReconnectDelayMs?: number;
  logger?: LimitsLogger;
}

/**
 * The cluster bus: PUBLISH on a fail-fast command connection, and a dedicated subscriber connection (a
 * connection in subscribe mode can do nothing else) that resubscribes every channel itself on each reconnect.
 */
export class RedisEventBus implements EventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly logger: LimitsLogger;
  private readonly guard: StoreGuard;
  private readonly handlers = new HandlerSets();
  private readonly reconnectHandlers = new Set<() => void>();
  private connectedOnce = false;
  private closed = false;
  private resubscribing: Promise<void> = Promise.resolve();

  constructor(options: RedisEventBusOptions) {
    this.prefix = options.channelPrefix ?? 'sb:bus:';
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.logger = options.logger ?? silentLogger;
    const base = failFastRedisOptions({ commandTimeoutMs: this.timeoutMs, maxReconnectDelayMs: options.maxReconnectDelayMs ?? 2000 });
    this.guard = new StoreGuard({ name: 'redis-bus', timeoutMs: this.timeoutMs });
    this.publisher = new Redis(options.redisUrl, { ...base, connectionName: 'switchboard-bus-pub' });
    this.subscriber = new Redis(options.redisUrl, { ...base, autoResubscribe: false, connectionName: 'switchboard-bus-sub' });
    this.publisher.on('error', () => {});
    // A (re)connected publisher may be tried at once, without waiting out the breaker's cool-down.
    this.publisher.on('ready', () => this.guard.allowProbe());
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', (channel: string, payload: string) => this.onMessage(channel, payload));
    this.subscriber.on('ready', () => {
      const reconnected = this.connectedOnce;
      this.connectedOnce = true;
      this.resubscribing = this.subscribeAll().then(() => {
        if (reconnected && !this.closed) {
          this.logger.info({ store: 'redis' }, 'event bus reconnected and resubscribed');
          for (const handler of [...this.reconnectHandlers]) {
            try {
              handler();
            } catch (err) {
              this.logger.warn({ err: errorMessage(err) }, 'event bus reconnect handler threw');
            }
          }
        }
      });
    });
    this.subscriber.on('close', () => {
      if (this.connectedOnce && !this.closed && this.subscriber.status !== 'end') {
        this.logger.warn({ store: 'redis' }, 'event bus subscriber disconnected; messages published meanwhile are lost');
      }
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new Error('event bus closed');
    const payload = serialise(channel, message);
    await this.guard.run(() => this.publisher.publish(this.prefix + channel, payload));
  }

  async subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    serialise(channel, null);
    if (this.closed) throw new Error('event bus closed');
    const isNew = this.handlers.add(channel, handler);
    if (isNew && this.subscriber.status === 'ready') await this.redisSubscribe([channel]);
    return async () => {
      if (this.handlers.remove(channel, handler) && this.subscriber.status === 'ready') {
        await this.withTimeout(this.subscriber.unsubscribe(this.prefix + channel)).catch(() => {});
      }
    };
  }

  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  /** Waits until the subscriber is connected and every channel subscribed (true), or the timeout passes (false). */
  async ready(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const connected = await Promise.all([whenReady(this.subscriber, timeoutMs), whenReady(this.publisher, timeoutMs)]);
    if (!connected.every(Boolean) || this.closed) return false;
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      this.resubscribing.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
      }),
    ]);
    clearTimeout(timer);
    return ok;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.reconnectHandlers.clear();
    await Promise.all([quitClient(this.publisher), quitClient(this.subscriber)]);
  }

  private onMessage(fullChannel: string, payload: string): void {
    if (!fullChannel.startsWith(this.prefix)) return;
    const channel = fullChannel.slice(this.prefix.length);
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      this.logger.warn({ channel }, 'event bus dropped a message that is not JSON');
      return;
    }
    this.handlers.dispatch(channel, message, this.logger);
  }

  private async subscribeAll(): Promise<void> {
    const channels = this.handlers.names();
    if (channels.length > 0) await this.redisSubscribe(channels);
  }

  private async redisSubscribe(channels: string[]): Promise<void> {
    try {
      await this.withTimeout(this.subscriber.subscribe(...channels.map((c) => this.prefix + c)));
    } catch (err) {
      // The next reconnect subscribes every channel again.
      this.logger.warn({ channels, err: errorMessage(err) }, 'event bus could not subscribe; will retry on reconnect');
    }
  }

  private async withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The bus for a deployment: Redis when configured, else the in-process one. */
export function createEventBus(options: { redisUrl?: string; channelPrefix?: string; timeoutMs?: number; logger?: LimitsLogger }): EventBus {
  if (!options.redisUrl) return new MemoryEventBus(options.logger);
  return new RedisEventBus({ ...options, redisUrl: options.redisUrl });
}
