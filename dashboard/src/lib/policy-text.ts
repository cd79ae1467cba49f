import type { PolicyRules } from './api-types';

/** A policy's rules in words, keeping each rule's key (refusals cite it: "… is denied (denyOrigins)"). */

export interface RuleLine {
  rule: string;
  label: string;
  value: string;
}

const LABELS: Record<keyof PolicyRules, string> = {
  allowOrigins: 'Only models developed in',
  denyOrigins: 'No models developed in',
  allowJurisdictions: 'Only inference hosted in',
  denyJurisdictions: 'No inference hosted in',
  openWeightsOnly: 'Open-weight models only',
  allowLicenses: 'Only these licences',
  selfHostedOnly: 'Self-hosted hosts only',
  zeroDataRetention: 'Hosts with zero data retention only',
  noTrainingOnPrompts: 'Hosts that do not train on prompts only',
  allowModels: 'Only these models',
  allowProviders: 'Only these providers',
  denyModels: 'Never these models',
  denyProviders: 'Never these providers',
  maxPricePerMillion: 'Price ceiling per million tokens',
  denyUnknownOrigin: 'Models of unknown origin refused',
  allowZeroPriceOverBudget: 'Zero-priced hosts usable over budget',
};

function valueText(rule: keyof PolicyRules, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(', ');
  if (rule === 'maxPricePerMillion' && value && typeof value === 'object') {
    const price = value as { prompt?: number; completion?: number };
    const parts = [price.prompt !== undefined ? `prompt ≤ $${price.prompt}` : '', price.completion !== undefined ? `completion ≤ $${price.completion}` : ''].filter(Boolean);
    return parts.length > 0 ? parts.join(', ') : '(none)';
  }
  return JSON.stringify(value);
}

export function describePolicy(policy: PolicyRules): RuleLine[] {
  const lines: RuleLine[] = [];
  for (const [rule, value] of Object.entries(policy) as [keyof PolicyRules, unknown][]) {
    if (value === undefined) continue;
    lines.push({ rule, label: LABELS[rule] ?? rule, value: valueText(rule, value) });
  }
  return lines;
}
