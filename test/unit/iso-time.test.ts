import { describe, expect, it } from 'vitest';
import { isoTimestamp } from '../../src/util/iso-time.js';

describe('isoTimestamp: Date#toISOString with the second reused', () => {
  it('writes what Date#toISOString writes, across milliseconds, seconds, days and years', () => {
    const starts = [0, 999, 1_000, Date.UTC(2026, 10, 29, 23, 59, 59, 998), Date.UTC(2024, 1, 29, 12), Date.UTC(1999, 11, 31, 23, 59, 59, 990), 253_402_300_799_000];
    for (const start of starts) {
      for (let ms = start; ms < start + 1_500; ms += 7) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
      // Back and forth, as requests that started earlier are recorded later.
      for (const ms of [start + 5, start, start + 1_200, start + 5]) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('truncates fractions of a millisecond as a Date does, and leaves years past 9999 and before 1970 to Date', () => {
    const t = Date.UTC(2026, 10, 29, 16, 5, 18, 291);
    expect(isoTimestamp(t + 0.9)).toBe(new Date(t + 0.9).toISOString());
    expect(isoTimestamp(t + 0.9)).toBe('2026-11-29T16:05:18.291Z');
    for (const ms of [253_402_300_800_000, -1, -86_400_000.5]) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    expect(isoTimestamp()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});
