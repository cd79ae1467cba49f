import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { AccessLog, type AccessLine } from '../../src/server/access-log.js';
import { createLogger } from '../../src/server/logger.js';
import { LazyChildLogger } from '../../src/server/request-logger.js';

/** A pino destination that keeps each write separately. */
function memory(): { writes: string[]; write(s: string): void } {
  const writes: string[] = [];
  return { writes, write: (s: string) => void writes.push(s) };
}

function lines(writes: string[]): Record<string, unknown>[] {
  return writes
    .join('')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const withoutTime = ({ time, ...rest }: Record<string, unknown>) => {
  expect(typeof time).toBe('string');
  return rest;
};

const SHAPES: AccessLine[] = [
  { requestId: 'r1', route: 'chat', model: 'm', provider: 'p', attempts: 1, status: 200, durationMs: 12, inputTokens: 6, outputTokens: 16, costUsd: 0.000123 },
  { requestId: 'r2', route: 'messages', model: 'qwen/qwen3', provider: '', attempts: 0, status: 502, durationMs: 0, costUsd: null, errorCode: 'upstream_error' },
  { requestId: 'r3', route: 'embeddings', model: 'a "quoted" \\ model\n', provider: 'p\u0001', attempts: 2, status: 200, durationMs: 3, warnings: ['top_k dropped: "x"', 'é ✓'] },
  { requestId: 'r4', route: 'chat', model: 'm', provider: 'p', attempts: 1, status: 200, durationMs: Number.NaN, inputTokens: Number.POSITIVE_INFINITY },
];

describe('AccessLog: the one line per request', () => {
  it('writes what pino would write for the same fields, shape by shape', () => {
    const ours = memory();
    const theirs = memory();
    const log = new AccessLog(createLogger('info', ours));
    const reference = createLogger('info', theirs).child({}, { redact: { paths: [] } });
    for (const shape of SHAPES) {
      log.write(shape);
      reference.info(shape, 'request served');
    }
    log.flush();
    const a = lines(ours.writes).map(withoutTime);
    const b = lines(theirs.writes).map(withoutTime);
    expect(a).toHaveLength(SHAPES.length);
    expect(a).toEqual(b);
    expect(a[0]).toMatchObject({ level: 30, service: 'switchboard', msg: 'request served', requestId: 'r1', costUsd: 0.000123 });
    expect(a[1]).toMatchObject({ costUsd: null, errorCode: 'upstream_error' });
    expect(a[1]).not.toHaveProperty('inputTokens');
    expect(a[3]).toMatchObject({ durationMs: null, inputTokens: null });
  });

  it('hands lines over in blocks: ~16 KB, or 100 ms after the first line, or on flush; in order', () => {
    vi.useFakeTimers();
    try {
      const dest = memory();
      const log = new AccessLog(createLogger('info', dest));
      log.write(SHAPES[0]!);
      log.write(SHAPES[1]!);
      vi.advanceTimersByTime(99);
      expect(dest.writes).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(dest.writes).toHaveLength(1);
      expect(lines(dest.writes).map((l) => l.requestId)).toEqual(['r1', 'r2']);

      for (let i = 0; i < 200; i++) log.write({ ...SHAPES[0]!, requestId: `bulk-${i}` });
      const blocks = dest.writes.length - 1;
      expect(blocks).toBeGreaterThanOrEqual(2);
      expect(dest.writes.slice(1).every((w) => w.length >= 16_384)).toBe(true);
      log.flush();
      expect(lines(dest.writes.slice(1)).map((l) => l.requestId)).toEqual(Array.from({ length: 200 }, (_, i) => `bulk-${i}`));
      const written = dest.writes.length;
      vi.advanceTimersByTime(1_000);
      expect(dest.writes).toHaveLength(written);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says when info lines are off, and carries a child logger\'s bindings', () => {
    expect(new AccessLog(createLogger('warn', memory())).enabled).toBe(false);
    const dest = memory();
    const log = new AccessLog(createLogger('info', dest).child({ replica: 'a' }));
    expect(log.enabled).toBe(true);
    log.write(SHAPES[0]!);
    log.flush();
    expect(lines(dest.writes)[0]).toMatchObject({ service: 'switchboard', replica: 'a', requestId: 'r1' });
  });

  it('goes through pino itself for a destination that routes by level (multistream)', () => {
    const info = memory();
    const errors = memory();
    const logger = pino({ level: 'info' }, pino.multistream([{ level: 'info', stream: info }, { level: 'error', stream: errors }]));
    new AccessLog(logger).write(SHAPES[0]!);
    expect(lines(info.writes)).toHaveLength(1);
    expect(errors.writes).toEqual([]);
  });
});

describe('LazyChildLogger: the per-request logger Fastify asks for', () => {
  it('makes no pino child until a line is logged, then logs with the bindings', () => {
    const dest = memory();
    const parent = createLogger('info', dest);
    let made = 0;
    const counting = Object.create(parent) as typeof parent;
    counting.child = ((...args: Parameters<typeof parent.child>) => {
      made += 1;
      return parent.child(...args);
    }) as typeof parent.child;
    const log = new LazyChildLogger(counting, { requestId: 'abc' }, {});
    expect(log.level).toBe('info');
    expect(log.isLevelEnabled('debug')).toBe(false);
    expect(made).toBe(0);
    log.debug('not written');
    expect(made).toBe(1);
    log.info({ n: 1 }, 'first');
    log.warn('second %s', 'arg');
    expect(made).toBe(1);
    expect(lines(dest.writes).map(({ requestId, msg, n }) => ({ requestId, msg, n }))).toEqual([
      { requestId: 'abc', msg: 'first', n: 1 },
      { requestId: 'abc', msg: 'second arg', n: undefined },
    ]);
  });

  it('honours a route\'s own level and hands out real children', () => {
    const dest = memory();
    const log = new LazyChildLogger(createLogger('info', dest), { requestId: 'x' }, { level: 'debug' });
    expect(log.level).toBe('debug');
    expect(log.isLevelEnabled('debug')).toBe(true);
    log.child({ part: 'y' }).debug('deep');
    expect(lines(dest.writes)[0]).toMatchObject({ requestId: 'x', part: 'y', msg: 'deep', level: 20 });
  });
});
