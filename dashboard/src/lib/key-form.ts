import type { BudgetPeriod, CreateKeyBody, Limits, PatchKeyBody } from './api-types';

/**
 * The key forms' text fields turned into request bodies. Empty fields are left out (create) or cleared with null
 * (edit); anything that does not parse is reported with the field's name instead of being sent half-right.
 */

export interface KeyFormValues {
  name: string;
  team: string;
  budgetUsd: string;
  budgetPeriod: BudgetPeriod;
  rpm: string;
  tpm: string;
  policy: string;
  models: string;
  /** From an <input type="datetime-local">: local time without a zone. */
  expiresAt: string;
}

export class FormProblem extends Error {}

function positiveNumber(text: string, field: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) throw new FormProblem(`${field} must be a positive number`);
  return n;
}

function positiveInteger(text: string, field: string): number | undefined {
  const n = positiveNumber(text, field);
  if (n !== undefined && !Number.isInteger(n)) throw new FormProblem(`${field} must be a whole number`);
  return n;
}

/** "a, b\nc" → ["a", "b", "c"]. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function limitsOf(rpmText: string, tpmText: string): Limits | undefined {
  const rpm = positiveInteger(rpmText, 'Requests per minute');
  const tpm = positiveInteger(tpmText, 'Tokens per minute');
  if (rpm === undefined && tpm === undefined) return undefined;
  return { ...(rpm !== undefined ? { rpm } : {}), ...(tpm !== undefined ? { tpm } : {}) };
}

function expiryOf(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new FormProblem('Expiry is not a valid date and time');
  return new Date(ms).toISOString();
}

export function createKeyBody(v: KeyFormValues): CreateKeyBody {
  const name = v.name.trim();
  if (name === '') throw new FormProblem('Name is required');
  const usd = positiveNumber(v.budgetUsd, 'Budget');
  const limits = limitsOf(v.rpm, v.tpm);
  const models = splitList(v.models);
  const expiresAt = expiryOf(v.expiresAt);
  return {
    name,
    ...(v.team.trim() !== '' ? { team: v.team.trim() } : {}),
    ...(usd !== undefined ? { budget: { usd, period: v.budgetPeriod } } : {}),
    ...(limits ? { limits } : {}),
    ...(v.policy !== '' ? { policy: v.policy } : {}),
    ...(models.length > 0 ? { models } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
}

/** An edit replaces the budget and the limits: an emptied field removes them. */
export function patchKeyBody(v: Pick<KeyFormValues, 'budgetUsd' | 'budgetPeriod' | 'rpm' | 'tpm'>): PatchKeyBody {
  const usd = positiveNumber(v.budgetUsd, 'Budget');
  return {
    budget: usd !== undefined ? { usd, period: v.budgetPeriod } : null,
    limits: limitsOf(v.rpm, v.tpm) ?? null,
  };
}

export type KeyStatus = 'active' | 'revoked' | 'expired';

export function keyStatus(key: { revokedAt: string | null; expiresAt: string | null }, now: number): KeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired';
  return 'active';
}
