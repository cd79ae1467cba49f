/**
 * Token usage with one meaning whatever the host reports.
 * `undefined` means "not reported": it is never silently turned into 0, so unpriced or
 * unmetered traffic cannot pass for free traffic.
 */
export interface Usage {
  /** Prompt tokens, cached ones included. */
  inputTokens?: number;
  /** Of inputTokens, those read from the host's prompt cache. */
  cachedInputTokens?: number;
  /** Of inputTokens, those written to the host's prompt cache (Anthropic cache_creation). */
  cacheWriteTokens?: number;
  /** Completion tokens, reasoning included. */
  outputTokens?: number;
  /** Of outputTokens, those spent on reasoning. */
  reasoningTokens?: number;
}

/** Merge two partial readings, the later one winning field by field (hosts restate usage cumulatively). */
export function mergeUsage(earlier: Usage | undefined, later: Usage): Usage {
  if (!earlier) return { ...later };
  const out: Usage = { ...earlier };
  for (const key of Object.keys(later) as (keyof Usage)[]) {
    const value = later[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function totalTokens(usage: Usage): number | undefined {
  if (usage.inputTokens === undefined || usage.outputTokens === undefined) return undefined;
  return usage.inputTokens + usage.outputTokens;
}
