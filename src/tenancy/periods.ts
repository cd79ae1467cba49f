import type { BudgetPeriod } from './types.js';

/** The label of the budget period that contains `at` (UTC): `2026-11-29`, `2026-11` or `total`. */
export function periodOf(period: BudgetPeriod, at: Date = new Date()): string {
  const iso = at.toISOString();
  switch (period) {
    case 'day':
      return iso.slice(0, 10);
    case 'month':
      return iso.slice(0, 7);
    case 'total':
      return 'total';
  }
}
