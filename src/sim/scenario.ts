/**
 * What one simulated request experiences: latency, pacing, answer size and injected faults.
 * Scenarios come in layers (options.defaults < path profile < `#sim{…}` in the last user message <
 * `x-sim-scenario` header); this module validates each layer, merges them, and decides whether the fault
 * applies to a request: only through the profiles `faultProfiles` names, and with the per-profile dice of
 * `faultRate`.
 */
import { hash32, prng, unit } from './random.js';

export const FAULTS = ['none', 'status', 'hang', 'cut', 'stall', 'malformed', 'no_done', 'error_event', 'context_length'] as const;
export type Fault = (typeof FAULTS)[number];

export const PREFILL_POLICIES = ['accept', 'reject'] as const;
export type PrefillPolicy = (typeof PREFILL_POLICIES)[number];

export interface Scenario {
  /** Delay before the response headers (non-stream) or before the first byte (stream). */
  latencyMs?: number;
  /** Stream: delay after the headers and the role chunk, before the first content chunk. */
  ttftMs?: number;
  /** Stream pacing of content chunks; 0/undefined sends everything at once without any timer. */
  tokensPerSecond?: number;
  /** Content tokens of the natural answer (default: min(max_tokens, 16)). */
  outputTokens?: number;
  /** Reasoning tokens emitted before the answer (default: 8 for "reasoner"/"thinking" models, else 0). */
  reasoningTokens?: number;
  /**
   * Prompt tokens read from the provider's cache (capped at the prompt): OpenAI `cached_tokens`, Anthropic
   * `cache_read_input_tokens`, Gemini `cachedContentTokenCount`.
   */
  cachedTokens?: number;
  /**
   * Prompt tokens written to the cache (capped at what `cachedTokens` leaves of the prompt): Anthropic
   * `cache_creation_input_tokens`. OpenAI and Gemini have no such figure and ignore it.
   */
  cacheWriteTokens?: number;
  fault?: Fault;
  /** HTTP status of the `status` fault (default 500). */
  status?: number;
  /**
   * With a 429 `status` fault: the wait the provider asks for, in seconds (OpenAI and Anthropic `retry-after`,
   * Gemini `RetryInfo.retryDelay`). OpenAI sends none without it; Anthropic and Gemini always do (default 1).
   */
  retryAfterSeconds?: number;
  /** Stream faults strike after this many content chunks (default 0: right after the role chunk). */
  afterChunks?: number;
  /** Probability (0..1) that `fault` applies; drawn from a sequence seeded per profile. Default 1. */
  faultRate?: number;
  /**
   * The profiles (`/p/<name>/…`; '' for requests without a profile prefix) the fault applies to; elsewhere it is
   * `none`. Empty or absent: everywhere. Lets a `#sim{…}` directive break one host while another host that gets
   * the same last user message (a resumption) answers normally.
   */
  faultProfiles?: string[];
  /**
   * How the host treats an assistant prefill (a request to continue a final assistant turn): `accept` (default)
   * continues it, `reject` answers 400 in the dialect's words, as a host without prefix completion does.
   */
  prefill?: PrefillPolicy;
  /** Parallel tool calls to make when tools are offered. */
  toolCalls?: number;
  /**
   * Recorded fixture to replay, `<folder>/<name>` without extension (e.g. `deepseek/deepseek-reasoning`,
   * `anthropic/anthropic-text`, `gemini-js-genai/<recording>`).
   */
  replay?: string;
}

/** A bad directive, profile or header: reported to the caller as a 400 so typos in tests surface at once. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

type FieldKind = 'ms' | 'count' | 'rate' | 'status' | 'fault' | 'name' | 'names' | 'prefill';
const FIELDS: Record<keyof Scenario, FieldKind> = {
  latencyMs: 'ms',
  ttftMs: 'ms',
  tokensPerSecond: 'ms',
  outputTokens: 'count',
  reasoningTokens: 'count',
  cachedTokens: 'count',
  cacheWriteTokens: 'count',
  fault: 'fault',
  status: 'status',
  retryAfterSeconds: 'ms',
  afterChunks: 'count',
  faultRate: 'rate',
  faultProfiles: 'names',
  prefill: 'prefill',
  toolCalls: 'count',
  replay: 'name',
};

/** Validates one layer. Unknown keys are rejected (a misspelt `lateny` must not pass silently). */
export function parseScenario(value: unknown, source: string): Scenario {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScenarioError(`${source}: a scenario must be a JSON object`);
  }
  const out: Scenario = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const kind = FIELDS[key as keyof Scenario] as FieldKind | undefined;
    if (kind === undefined) throw new ScenarioError(`${source}: unknown scenario field '${key}'`);
    if (raw === undefined || raw === null) continue;
    if (!validField(kind, raw)) throw new ScenarioError(`${source}: invalid value for '${key}': ${JSON.stringify(raw)}`);
    (out as Record<string, unknown>)[key] = Array.isArray(raw) ? [...(raw as unknown[])] : raw;
  }
  return out;
}

function validField(kind: FieldKind, raw: unknown): boolean {
  switch (kind) {
    case 'ms':
      return typeof raw === 'number' && Number.isFinite(raw) && raw >= 0;
    case 'count':
      return typeof raw === 'number' && Number.isInteger(raw) && raw >= 0;
    case 'rate':
      return typeof raw === 'number' && raw >= 0 && raw <= 1;
    case 'status':
      return typeof raw === 'number' && Number.isInteger(raw) && raw >= 100 && raw <= 599;
    case 'fault':
      return typeof raw === 'string' && (FAULTS as readonly string[]).includes(raw);
    case 'name':
      return typeof raw === 'string' && raw.length > 0;
    case 'names':
      return Array.isArray(raw) && raw.every((n) => typeof n === 'string');
    case 'prefill':
      return typeof raw === 'string' && (PREFILL_POLICIES as readonly string[]).includes(raw);
  }
}

/** Later layers win field by field; undefined layers are skipped. */
export function mergeScenarios(...layers: (Scenario | undefined)[]): Scenario {
  const out: Scenario = {};
  for (const layer of layers) if (layer) Object.assign(out, layer);
  return out;
}

const MARKER = '#sim{';

/**
 * Finds `#sim{…}` in message text and parses the JSON object it opens. The end is found by matching braces
 * outside JSON strings, so a directive may sit in the middle of a sentence.
 */
export function extractDirective(text: string): Scenario | undefined {
  const at = text.indexOf(MARKER);
  if (at < 0) return undefined;
  const start = at + MARKER.length - 1;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */ && --depth === 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text.slice(start, i + 1));
      } catch {
        throw new ScenarioError('#sim directive: invalid JSON');
      }
      return parseScenario(parsed, '#sim directive');
    }
  }
  throw new ScenarioError('#sim directive: unterminated object');
}

/**
 * One pseudo-random sequence per profile name, so `faultRate` yields the same pattern of failures on every
 * run. Replacing a profile restarts its sequence, which lets a test replay the pattern.
 */
export class FaultDice {
  private readonly sequences = new Map<string, () => number>();

  /** True when the fault applies to this request. Draws only when the rate is strictly between 0 and 1. */
  roll(profile: string, rate: number | undefined): boolean {
    if (rate === undefined || rate >= 1) return true;
    if (rate <= 0) return false;
    let next = this.sequences.get(profile);
    if (!next) {
      next = prng(hash32(profile));
      this.sequences.set(profile, next);
    }
    return unit(next()) < rate;
  }

  reset(profile: string): void {
    this.sequences.delete(profile);
  }
}

/**
 * The scenario with the fault removed when it does not strike this request: the request came through a profile
 * `faultProfiles` leaves out (no dice are rolled then), or the dice say so.
 */
export function applyFaultRate(s: Scenario, dice: FaultDice, profile: string): Scenario {
  if (s.fault === undefined || s.fault === 'none') return s;
  if (s.faultProfiles !== undefined && s.faultProfiles.length > 0 && !s.faultProfiles.includes(profile)) return { ...s, fault: 'none' };
  if (dice.roll(profile, s.faultRate)) return s;
  return { ...s, fault: 'none' };
}
