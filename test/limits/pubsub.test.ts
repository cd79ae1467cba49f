import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, MemoryEventBus, RedisEventBus, MAX_MESSAGE_BYTES } from '../../src/limits/pubsub.js';
import { freePort, OwnRedisServer, recordingLogger, redisUrl, requireRedis, requireRedisServerBinary, waitFor } from './helpers.js';

const redis = await requireRedis();
const binary = await requireRedisServerBinary();

/** Resolves with the first message on a channel and the time it took from `since`. */
function nextMessage(bus: { subscribe: MemoryEventBus['subscribe'] }, channel: string): Promise<{ message: unknown; at: number }> {
  return new Promise((resolve) => {
    void bus.subscribe(channel, (message) => resolve({ message, at: performance.now() }));
  });
}

describe('MemoryEventBus', () => {
  it('delivers a JSON copy asynchronously to every handler of the channel', async () => {
    const bus = new MemoryEventBus();
    const got: unknown[] = [];
    const unsubscribe = await bus.subscribe('revocations', (m) => got.push(m));
    await bus.subscribe('revocations', (m) => got.push(m));
    await bus.subscribe('other', (m) => got.push(['other', m]));
    const message = { keyId: 'key_1', at: '2026-11-29T00:00:00Z' };
    await bus.publish('revocations', message);
    expect(got).toEqual([]); // not synchronous
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([message, message]);
    expect(got[0]).not.toBe(message);
    await unsubscribe();
    await bus.publish('revocations', { keyId: 'key_2' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toHaveLength(3);
    await bus.close();
  });

  it('rejects what is not small JSON, and isolates throwing handlers', async () => {
    const logger = recordingLogger();
    const bus = new MemoryEventBus(logger);
    await expect(bus.publish('c', undefined)).rejects.toThrow(TypeError);
    await expect(bus.publish('c', 'x'.repeat(MAX_MESSAGE_BYTES))).rejects.toThrow(RangeError);
    await expect(bus.publish('', {})).rejects.toThrow(TypeError);
    const got: unknown[] = [];
    await bus.subscribe('c', () => {
      throw new Error('boom');
    });
    await bus.subscribe('c', (m) => got.push(m));
    await bus.publish('c', 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([1]);
    expect(logger.lines[0]?.msg).toMatch(/handler threw/);
  });

  it('createEventBus without Redis is the memory bus', () => {
    expect(createEventBus({})).toBeInstanceOf(MemoryEventBus);
  });
});

describe.skipIf(!redis.available)('RedisEventBus (real Redis)', () => {
  const channelPrefix = `sbtest:bus:${process.pid}:${Math.random().toString(36).slice(2)}:`;
  let one: RedisEventBus;
  let two: RedisEventBus;

  beforeAll(async () => {
    one = new RedisEventBus({ redisUrl: redisUrl(), channelPrefix });
    two = new RedisEventBus({ redisUrl: redisUrl(), channelPrefix });
    expect(await one.ready()).toBe(true);
    expect(await two.ready()).toBe(true);
  });

  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  it('two buses on one Redis: a message published on one reaches the other within 100 ms', async () => {
    const received = nextMessage(two, 'revocations');
    const alsoMine = nextMessage(one, 'revocations');
    await new Promise((resolve) => setTimeout(resolve, 50)); // let SUBSCRIBE land
    const sent = performance.now();
    await one.publish('revocations', { keyId: 'key_abc', revokedAt: '2026-11-29T10:00:00Z' });
    const { message, at } = await received;
    expect(message).toEqual({ keyId: 'key_abc', revokedAt: '2026-11-29T10:00:00Z' });
    expect(at - sent).toBeLessThan(100);
    expect((await alsoMine).message).toEqual(message); // the publisher's own subscriber hears it too
  });

  it('channels are separate, and unsubscribing stops delivery', async () => {
    const got: unknown[] = [];
    const off = await two.subscribe('a', (m) => got.push(['a', m]));
    await two.subscribe('b', (m) => got.push(['b', m]));
    await one.publish('a', 1);
    await one.publish('b', 2);
    expect(await waitFor(() => got.length === 2, 1000)).toBe(true);
    expect(got).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    await off();
    await one.publish('a', 3);
    await one.publish('b', 4);
    expect(await waitFor(() => got.length === 3, 1000)).toBe(true);
    expect(got[2]).toEqual(['b', 4]);
  });
});

describe.skipIf(!binary.available)('RedisEventBus across a Redis restart', () => {
  let server: OwnRedisServer;
  let publisher: RedisEventBus;
  let subscriber: RedisEventBus;

  beforeAll(async () => {
    server = new OwnRedisServer(await freePort());
    await server.start();
    publisher = new RedisEventBus({ redisUrl: server.url, maxReconnectDelayMs: 200 });
    subscriber = new RedisEventBus({ redisUrl: server.url, maxReconnectDelayMs: 200 });
    expect(await publisher.ready()).toBe(true);
    expect(await subscriber.ready()).toBe(true);
  });

  afterAll(async () => {
    await Promise.all([publisher?.close(), subscriber?.close()]);
    await server?.kill();
  });

  it('resubscribes after a reconnect and tells consumers to resync', async () => {
    const got: unknown[] = [];
    let resyncs = 0;
    await subscriber.subscribe('blocks', (m) => got.push(m));
    subscriber.onReconnect(() => resyncs++);
    await publisher.publish('blocks', { n: 1 });
    expect(await waitFor(() => got.length === 1, 1000)).toBe(true);

    await server.kill();
    // Publishing while Redis is down fails fast instead of hanging.
    const started = performance.now();
    await expect(publisher.publish('blocks', { n: 'lost' })).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1500);

    await server.start();
    expect(await waitFor(() => resyncs === 1, 5000)).toBe(true);
    expect(await publisher.ready(5000)).toBe(true);
    await publisher.publish('blocks', { n: 2 });
    expect(await waitFor(() => got.length === 2, 1000)).toBe(true);
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
