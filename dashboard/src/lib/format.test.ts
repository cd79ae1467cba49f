import { describe, expect, it } from 'vitest';
import { formatBucket, formatDateTime, formatInt, formatMs, formatShare, formatUsd, formatUsdDelta, openWeightsLabel } from './format';

describe('formatting', () => {
  it('keeps sub-cent amounts readable instead of rounding them to $0.00', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.000042)).toBe('$0.000042');
    expect(formatUsd(0.0123)).toBe('$0.01');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(-2.5)).toBe('−$2.50');
    expect(formatUsd(null)).toBe('—');
  });

  it('signs differences', () => {
    expect(formatUsdDelta(1.2)).toBe('+$1.20');
    expect(formatUsdDelta(-0.4)).toBe('−$0.40');
    expect(formatUsdDelta(0)).toBe('$0.00');
  });

  it('formats shares, counts and durations', () => {
    expect(formatShare(0.1234)).toBe('12.3%');
    expect(formatShare(0.5, 0)).toBe('50%');
    expect(formatShare(null)).toBe('—');
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatMs(420.4)).toBe('420 ms');
    expect(formatMs(12_500)).toBe('12.5 s');
    expect(formatMs(undefined)).toBe('—');
  });

  it('shows times in UTC, the ledger\'s zone', () => {
    expect(formatDateTime('2026-05-03T14:05:09.000Z')).toBe('03 May 2026, 14:05:09 UTC');
    expect(formatBucket('2026-05-03T14:00:00.000Z', 'hour')).toBe('03 May, 14:00');
    expect(formatBucket('2026-05-03T00:00:00.000Z', 'day')).toBe('03 May');
  });

  it('names the ledger\'s open-weights groups', () => {
    expect(openWeightsLabel('true')).toBe('Open weights');
    expect(openWeightsLabel('false')).toBe('Closed');
    expect(openWeightsLabel(null)).toBe('Unknown');
  });
});
