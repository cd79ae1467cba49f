import type { ReasoningControl } from '../../canonical/index.js';

/**
 * Canonical reasoning controls → `generationConfig.thinkingConfig`.
 *
 * | canonical | thinkingBudget |
 * |---|---|
 * | `maxTokens: n` | n (clamped to the model's range, with a warning) |
 * | effort `minimal` / `low` / `medium` / `high` / `xhigh` | 512 / 1024 / 8192 / 24576 / 32768 (clamped silently) |
 * | `enabled: true` alone | -1 (dynamic: the model decides) |
 * | `enabled: false`, effort `none`, `maxTokens: 0` | 0 where the model can stop thinking; else its minimum, with a warning |
 *
 * `includeThoughts` is true (thought summaries come back as reasoning) unless `exclude` is set. With no reasoning
 * control at all no thinkingConfig is sent and the model's default applies. Gemini 3 models also take
 * `thinkingLevel`; the budget is used for every model because Google keeps it working on Gemini 3.
 */
export const EFFORT_BUDGET: Record<NonNullable<ReasoningControl['effort']>, number> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576, xhigh: 32768 };

interface Limits {
  min: number;
  max: number;
  canDisable: boolean;
}

/** Budget ranges Google documents: 2.5 Pro 128–32768 and always thinks; Flash 0–24576; Flash-Lite 512–24576 or 0. */
export function thinkingLimits(model: string): Limits {
  const m = model.toLowerCase();
  if (m.includes('gemini-3') || m.includes('-pro')) return { min: 128, max: 32768, canDisable: false };
  if (m.includes('flash-lite')) return { min: 512, max: 24576, canDisable: true };
  return { min: 1, max: 24576, canDisable: true };
}

export function encodeThinking(reasoning: ReasoningControl | undefined, model: string, warn: (message: string) => void): Record<string, unknown> | undefined {
  if (!reasoning) return undefined;
  const limits = thinkingLimits(model);
  // includeThoughts defaults to false upstream, so it is only ever sent as true.
  const thoughts = reasoning.exclude === true ? {} : { includeThoughts: true };
  const off = reasoning.enabled === false || reasoning.effort === 'none' || reasoning.maxTokens === 0;
  if (off) {
    if (limits.canDisable) return { thinkingBudget: 0 };
    warn(`reasoning cannot be turned off on ${model}; the smallest thinking budget (${limits.min}) was used`);
    return { thinkingBudget: limits.min, ...thoughts };
  }
  let budget: number;
  if (reasoning.maxTokens !== undefined) {
    budget = Math.min(limits.max, Math.max(limits.min, Math.round(reasoning.maxTokens)));
    if (budget !== reasoning.maxTokens) warn(`reasoning.max_tokens ${reasoning.maxTokens} is outside ${model}'s thinking budget range; ${budget} was used`);
  } else if (reasoning.effort !== undefined) {
    budget = Math.min(limits.max, Math.max(limits.min, EFFORT_BUDGET[reasoning.effort]));
  } else {
    budget = -1;
  }
  return { thinkingBudget: budget, ...thoughts };
}
