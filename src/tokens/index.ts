/**
 * Pre-flight prompt token estimates: checked against a model's context window and used to reserve budget before
 * any host is called. Real tokenizers where npm ships one (OpenAI o200k, Qwen, DeepSeek, Llama 3), a documented
 * estimate otherwise; every estimate carries a relative error bound. Method, sources and measured bounds:
 * docs/tokens.md. Nothing is loaded at import time: a family's tokenizer loads on its first count.
 */
import type { ChatRequest, Message, ToolDefinition } from '../canonical/request.js';
import {
  FALLBACK,
  IMAGE_ERROR,
  IMAGE_TOKENS,
  OPENAI_LOW_DETAIL_IMAGE_TOKENS,
  TEMPLATE,
  TEMPLATE_ERROR,
  TOOL_RENDERING_ERROR,
  isExactFamily,
  tokenizerFamilyFor,
  type TokenizerFamily,
} from './families.js';
import { sampleWindows } from './sample.js';
import { TOKENIZER_SOURCES, countExact, type ExactTokenizer } from './tokenizers.js';

export {
  FALLBACK,
  IMAGE_TOKENS,
  TEMPLATE,
  TOKENIZER_FAMILIES,
  tokenizerFamilyFor,
  type FallbackFamily,
  type TemplateCost,
  type TokenizerFamily,
} from './families.js';
export { EXACT_TOKENIZERS, TOKENIZER_SOURCES, loadedTokenizers, preloadTokenizers, type ExactTokenizer } from './tokenizers.js';

export interface TokenEstimate {
  tokens: number;
  /** 'exact': all text was counted with the model's own tokenizer; 'estimate': sampled or a fallback factor. */
  method: 'exact' | 'estimate';
  /** Which tokenizer counted, e.g. 'qwen3', 'o200k_base (sampled)', 'o200k_base×1.02 (gemini)'. */
  tokenizer: string;
  /**
   * Relative bound on |estimate − host count| / host count: the measured tokenizer or sampling bound on text,
   * plus the assumed error of template constants, tool rendering and images, weighted by their share.
   */
  errorBound: number;
}

/**
 * Size policy. Exact counting costs about 1–2 ms per 10 KB with o200k and 8–13 ms per 10 KB with the Hugging Face
 * tokenizers on the 2-core reference machine (docs/tokens.md), so above these sizes a fixed budget of text is
 * counted in windows spread over the prompt and the count is extrapolated (bounds in SAMPLING_ERROR).
 */
export interface TokenCountLimits {
  /** o200k counts exactly up to this many characters of text… */
  o200kExactChars: number;
  /** …and above it counts this many characters in `o200kWindows` windows, extrapolating by characters. */
  o200kSampleChars: number;
  o200kWindows: number;
  /** Qwen/DeepSeek/Llama count exactly up to this many characters… */
  hfExactChars: number;
  /** …and above it measure their ratio to o200k on this many characters in `hfWindows` windows. */
  hfSampleChars: number;
  hfWindows: number;
}

export const DEFAULT_LIMITS: Readonly<TokenCountLimits> = {
  o200kExactChars: 64 * 1024,
  o200kSampleChars: 16 * 1024,
  o200kWindows: 64,
  hfExactChars: 12 * 1024,
  hfSampleChars: 8 * 1024,
  hfWindows: 32,
};

/**
 * Bounds of the sampled modes, end to end (measured worst case in test/tokens/estimate.test.ts on six long
 * prompts assembled from the corpus, 29 KB–0.4 MB: 3.2% for o200k, 5.5% for ratio; docs/tokens.md):
 * - o200k: the windows' tokens per character × the total characters.
 * - ratio: a real tokenizer's count / the o200k count on the windows × the o200k count of the whole text (itself
 *   sampled above o200kExactChars).
 */
export const SAMPLING_ERROR = { o200k: 0.05, ratio: 0.08 } as const;

interface TextCount {
  tokens: number;
  bound: number;
  sampled: boolean;
}

const sumLengths = (units: readonly string[]): number => units.reduce((n, u) => n + u.length, 0);
const countAll = (units: readonly string[], name: ExactTokenizer): number => units.reduce((n, u) => n + countExact(u, name), 0);
const compound = (a: number, b: number): number => (1 + a) * (1 + b) - 1;

function countO200k(units: readonly string[], total: number, limits: TokenCountLimits): TextCount {
  if (total <= limits.o200kExactChars) return { tokens: countAll(units, 'o200k'), bound: 0, sampled: false };
  const pieces = sampleWindows(units, total, limits.o200kSampleChars, limits.o200kWindows);
  const chars = sumLengths(pieces);
  const tokens = chars === 0 ? 0 : (countAll(pieces, 'o200k') * total) / chars;
  return { tokens, bound: SAMPLING_ERROR.o200k, sampled: true };
}

function countUnits(units: readonly string[], family: TokenizerFamily, limits: TokenCountLimits): TextCount {
  const total = sumLengths(units);
  if (total === 0) return { tokens: 0, bound: 0, sampled: false };
  if (family === 'o200k') return countO200k(units, total, limits);
  if (isExactFamily(family)) {
    if (total <= limits.hfExactChars) return { tokens: countAll(units, family), bound: 0, sampled: false };
    const pieces = sampleWindows(units, total, limits.hfSampleChars, limits.hfWindows);
    const own = countAll(pieces, family);
    const o200kOnPieces = countAll(pieces, 'o200k');
    const whole = countO200k(units, total, limits);
    const ratio = o200kOnPieces === 0 ? 1 : own / o200kOnPieces;
    return { tokens: whole.tokens * ratio, bound: SAMPLING_ERROR.ratio, sampled: true };
  }
  const whole = countO200k(units, total, limits);
  const fallback = FALLBACK[family];
  return { tokens: whole.tokens * fallback.factor, bound: compound(whole.bound, fallback.errorBound), sampled: whole.sampled };
}

/**
 * Tokens in `text` for a family: exact for o200k/qwen/deepseek/llama3 at any length (no sampling, no template),
 * `ceil(o200k × factor)` for the fallback families.
 */
export function countTextTokens(text: string, family: TokenizerFamily): number {
  if (isExactFamily(family)) return countExact(text, family);
  return Math.ceil(countExact(text, 'o200k') * FALLBACK[family].factor);
}

/** JSON with Python's default separators (", ", ": "), as chat templates' `tojson` renders tool definitions. */
function pyJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`).join(', ')}}`;
}

/** The text a tool definition contributes: its name, description and parameters as JSON. */
export function toolDefinitionText(tool: ToolDefinition): string {
  return pyJson({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } });
}

interface Collected {
  text: string[];
  tools: string[];
  template: number;
  images: number;
  imageError: number;
}

function collect(request: ChatRequest, family: TokenizerFamily): Collected {
  const t = TEMPLATE[family];
  const out: Collected = { text: [], tools: [], template: t.perRequest + t.replyPriming, images: 0, imageError: 0 };
  const messages: readonly Message[] = request.messages;
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
  });
  if (t.implicitSystemTurn && !messages.some((m) => m.role === 'system' || m.role === 'developer')) out.template += t.perMessage.system;
  const hasTools = (request.tools?.length ?? 0) > 0;
  const firstSystem = messages.findIndex((m) => m.role === 'system' || m.role === 'developer');
  messages.forEach((m, i) => {
    out.template += t.perMessage[m.role];
    if (m.role === 'tool' && messages[i - 1]?.role === 'tool') out.template -= t.toolResultContinuation;
    if (i === firstSystem && hasTools) out.template -= t.systemWithTools;
    if (m.name) {
      out.template += t.perName;
      out.text.push(m.name);
    }
    if (typeof m.content === 'string') out.text.push(m.content);
    else if (m.content) {
      for (const part of m.content) {
        if (part.type === 'text') out.text.push(part.text);
        else if (family === 'o200k' && part.detail === 'low') out.images += OPENAI_LOW_DETAIL_IMAGE_TOKENS;
        else {
          out.images += IMAGE_TOKENS[family];
          out.imageError += IMAGE_TOKENS[family] * IMAGE_ERROR;
        }
      }
    }
    // Templates keep an assistant's reasoning only inside the current tool loop (after the last user turn).
    if (m.role === 'assistant' && m.reasoning && i > lastUser) out.text.push(m.reasoning);
    for (const call of m.toolCalls ?? []) {
      out.template += t.perToolCall;
      out.text.push(call.name, call.arguments);
    }
  });
  if (request.tools && hasTools) {
    out.template += t.toolsPreamble + t.perTool * request.tools.length;
    for (const tool of request.tools) {
      out.tools.push(t.toolText === 'json' ? toolDefinitionText(tool) : `${tool.name}\n${tool.description ?? ''}`);
    }
  }
  return out;
}

/**
 * Estimated prompt tokens of `request` for `model` (anything with the catalogue's `id` and `developer`), including
 * the chat template's overhead, tool definitions and a fixed per-image estimate.
 */
export function estimatePromptTokens(
  request: ChatRequest,
  model: { id: string; developer?: string },
  limits: TokenCountLimits = DEFAULT_LIMITS,
): TokenEstimate {
  const family = tokenizerFamilyFor(model);
  const c = collect(request, family);
  const text = countUnits(c.text, family, limits);
  const tools = countUnits(c.tools, family, limits);
  const templateError = TEMPLATE_ERROR[TEMPLATE[family].verified ? 'verified' : 'assumed'];
  const raw = text.tokens + tools.tokens + c.template + c.images;
  const tokens = Math.ceil(raw);
  const weightedError =
    text.tokens * text.bound +
    tools.tokens * compound(tools.bound, TOOL_RENDERING_ERROR) +
    c.template * templateError +
    c.imageError;
  const errorBound = raw === 0 ? 0 : Math.round((weightedError / raw) * 1000) / 1000;
  const sampled = text.sampled || tools.sampled;
  const exact = isExactFamily(family);
  const base = TOKENIZER_SOURCES[exact ? family : 'o200k'].name;
  const name = exact ? base : `${base}×${FALLBACK[family].factor} (${family})`;
  return {
    tokens,
    method: exact && !sampled ? 'exact' : 'estimate',
    tokenizer: sampled ? `${name} (sampled)` : name,
    errorBound,
  };
}
