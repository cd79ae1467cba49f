import { describe, expect, it } from 'vitest';
import { requestId } from '../../src/util/request-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids (UUID v7)', () => {
  it('are RFC 9562 version 7 UUIDs whose first 48 bits are the Unix milliseconds', () => {
    const now = Date.UTC(2026, 10, 29, 10, 30, 0, 123);
    const id = requestId(now);
    expect(id).toMatch(V7);
    expect(parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(now);
  });

  it('sort in the order they were made, within one millisecond too, and never repeat', () => {
    const ids: string[] = [];
    const start = Date.now() + 60_000;
    for (let i = 0; i < 20_000; i++) ids.push(requestId(start + Math.floor(i / 5000)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(V7);
  });

  it('stay in order when the clock steps back', () => {
    const later = Date.now() + 120_000;
    const a = requestId(later);
    const b = requestId(later - 5_000);
    expect(b > a).toBe(true);
  });

  it('carry 62 random bits: ids made in one millisecond differ beyond the counter', () => {
    const at = Date.now() + 180_000;
    const tails = new Set(Array.from({ length: 1000 }, () => requestId(at).slice(19)));
    expect(tails.size).toBe(1000);
  });
});
