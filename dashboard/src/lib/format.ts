/** How numbers, money and times read on every page: one place, so the same figure looks the same everywhere. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const DASH = '—';

export function formatInt(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : integer.format(value);
}

/** 1.2K, 3.4M: for tiles and axes where the exact count matters less than its size. */
export function formatCompact(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : compact.format(value);
}

/**
 * Dollars with cents, and with more digits for amounts under a cent, which LLM requests often are: $0.000042 is
 * not $0.00.
 */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  const abs = Math.abs(value);
  const sign = value < 0 ? '−' : '';
  if (abs === 0) return '$0.00';
  if (abs < 0.01) return `${sign}$${abs.toPrecision(2)}`;
  return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A signed difference: +$1.20, −$0.40. */
export function formatUsdDelta(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  return value > 0 ? `+${formatUsd(value)}` : formatUsd(value);
}

/** A share in [0, 1] as a percentage. */
export function formatShare(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  return `${(value * 100).toFixed(digits)}%`;
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/** USD per million tokens. */
export function formatPricePerM(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : `$${value.toFixed(value < 1 ? 3 : 2)}`;
}

const dateTime = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC' });

/** A moment in UTC, the ledger's time zone: "03 May 2026, 14:05:09 UTC". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${dateTime.format(ms)} UTC`;
}

const shortTime = new Intl.DateTimeFormat('en-GB', { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC' });

/** A moment in UTC without the year, for long lists: "03 May, 14:05:09". */
export function formatShortTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : shortTime.format(ms);
}

const hourLabel = new Intl.DateTimeFormat('en-GB', { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
const dayLabel = new Intl.DateTimeFormat('en-GB', { month: 'short', day: '2-digit', timeZone: 'UTC' });

/** The label of a usage bucket on a chart axis: the hour for hourly buckets, the day otherwise. */
export function formatBucket(iso: string, interval: 'hour' | 'day' | 'week' | 'total'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return interval === 'hour' ? hourLabel.format(ms) : dayLabel.format(ms);
}

/** "open weights", "closed", "unknown" for the ledger's openWeights groups ("true", "false", null). */
export function openWeightsLabel(group: string | null): string {
  if (group === 'true') return 'Open weights';
  if (group === 'false') return 'Closed';
  return 'Unknown';
}
