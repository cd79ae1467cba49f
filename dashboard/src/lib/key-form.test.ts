import { describe, expect, it } from 'vitest';
import { FormProblem, createKeyBody, keyStatus, patchKeyBody, splitList, type KeyFormValues } from './key-form';

const EMPTY: KeyFormValues = { name: '', team: '', budgetUsd: '', budgetPeriod: 'month', rpm: '', tpm: '', policy: '', models: '', expiresAt: '' };

describe('key forms', () => {
  it('sends only the fields that were filled in', () => {
    expect(createKeyBody({ ...EMPTY, name: '  checkout-app ' })).toEqual({ name: 'checkout-app' });
  });

  it('turns every filled field into the POST /admin/keys shape', () => {
    const body = createKeyBody({
      ...EMPTY,
      name: 'checkout-app',
      team: 'growth',
      budgetUsd: '50',
      budgetPeriod: 'day',
      rpm: '600',
      tpm: '100000',
      policy: 'no-cn',
      models: 'deepseek/deepseek-v3.2, qwen/qwen3-235b-a22b\nz-ai/glm-4.6',
      expiresAt: '2030-01-02T03:04',
    });
    expect(body).toEqual({
      name: 'checkout-app',
      team: 'growth',
      budget: { usd: 50, period: 'day' },
      limits: { rpm: 600, tpm: 100000 },
      policy: 'no-cn',
      models: ['deepseek/deepseek-v3.2', 'qwen/qwen3-235b-a22b', 'z-ai/glm-4.6'],
      expiresAt: new Date('2030-01-02T03:04').toISOString(),
    });
  });

  it('refuses what the gateway would refuse, naming the field', () => {
    expect(() => createKeyBody(EMPTY)).toThrow(FormProblem);
    expect(() => createKeyBody({ ...EMPTY, name: 'a', budgetUsd: '-1' })).toThrow(/Budget/);
    expect(() => createKeyBody({ ...EMPTY, name: 'a', rpm: '1.5' })).toThrow(/Requests per minute/);
    expect(() => createKeyBody({ ...EMPTY, name: 'a', tpm: 'lots' })).toThrow(/Tokens per minute/);
    expect(() => createKeyBody({ ...EMPTY, name: 'a', expiresAt: 'someday' })).toThrow(/Expiry/);
  });

  it('clears a budget or limits emptied in the edit form, and keeps one limit alone', () => {
    expect(patchKeyBody({ budgetUsd: '', budgetPeriod: 'month', rpm: '', tpm: '' })).toEqual({ budget: null, limits: null });
    expect(patchKeyBody({ budgetUsd: '12.5', budgetPeriod: 'total', rpm: '', tpm: '900' })).toEqual({ budget: { usd: 12.5, period: 'total' }, limits: { tpm: 900 } });
  });

  it('splits model lists on commas, spaces and new lines', () => {
    expect(splitList(' a,b\n\nc  d, ')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitList('')).toEqual([]);
  });

  it('tells revoked and expired keys from active ones', () => {
    const now = Date.parse('2026-05-01T00:00:00Z');
    expect(keyStatus({ revokedAt: null, expiresAt: null }, now)).toBe('active');
    expect(keyStatus({ revokedAt: null, expiresAt: '2026-06-01T00:00:00Z' }, now)).toBe('active');
    expect(keyStatus({ revokedAt: null, expiresAt: '2026-04-01T00:00:00Z' }, now)).toBe('expired');
    expect(keyStatus({ revokedAt: '2026-04-02T00:00:00Z', expiresAt: '2026-04-01T00:00:00Z' }, now)).toBe('revoked');
  });
});
