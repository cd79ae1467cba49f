import type { ResolvedProvider } from '../../catalog/types.js';

/**
 * How one OpenAI-compatible host departs from OpenAI's own API. Hosts are recognised by provider id or by the
 * hostname of their base URL, so a config entry named "my-deepseek" pointing at api.deepseek.com still gets
 * DeepSeek's treatment. Each quirk cites where it is documented in docs/providers.md.
 */
export interface OpenAICompatibleQuirks {
  /** The field that carries the output-token limit. OpenAI's newer models reject `max_tokens`. */
  tokenLimitField: 'max_tokens' | 'max_completion_tokens';
  /** Whether the host understands `stream_options.include_usage` (usage is always requested where it is). */
  streamUsageOption: boolean;
  /** Whether the host accepts the `developer` role; elsewhere it is sent as `system`. */
  developerRole: boolean;
  /** How reasoning is switched and sized on this host. */
  reasoningStyle: 'openai' | 'openrouter' | 'qwen' | 'zai' | 'none';
  /** The name of the sampling-seed field (Mistral calls it random_seed). */
  seedField: 'seed' | 'random_seed';
  /** Tool-call ids must match this shape; others are rewritten consistently within a request. */
  toolCallIds?: 'mistral';
  /** MiniMax puts reasoning inside the content between <think> tags. */
  thinkTags: boolean;
  /** MiniMax reports some errors in `base_resp` with HTTP 200. */
  baseRespErrors: boolean;
  /** Request fields the host rejects outright (dropped with a warning). */
  rejects: readonly string[];
  /** Whether `top_k` is accepted (OpenAI and Mistral reject it). */
  topK: boolean;
  /** DashScope rejects non-streaming calls to hybrid-thinking Qwen3 models unless thinking is off. */
  nonStreamingNeedsThinkingOff: boolean;
  /** DeepSeek serves prefix completion only under its /beta base path. */
  prefixBasePath?: string;
  /**
   * Assistant turns that called tools must carry their reasoning back as `reasoning_content` (DeepSeek's thinking
   * mode with tools, Kimi K2 Thinking, GLM's interleaved thinking); OpenAI rejects the field, so it is opt-in.
   */
  reasoningContentInHistory: boolean;
}

const DEFAULT_QUIRKS: OpenAICompatibleQuirks = {
  tokenLimitField: 'max_tokens',
  streamUsageOption: true,
  developerRole: false,
  reasoningStyle: 'openai',
  seedField: 'seed',
  thinkTags: false,
  baseRespErrors: false,
  rejects: [],
  topK: true,
  nonStreamingNeedsThinkingOff: false,
  reasoningContentInHistory: false,
};

type Known = 'openai' | 'openrouter' | 'deepseek' | 'dashscope' | 'moonshot' | 'zai' | 'minimax' | 'mistral' | 'groq' | 'generic';

const KNOWN: Record<Known, Partial<OpenAICompatibleQuirks>> = {
  openai: { tokenLimitField: 'max_completion_tokens', developerRole: true, topK: false },
  openrouter: { developerRole: true, reasoningStyle: 'openrouter' },
  deepseek: { reasoningStyle: 'none', prefixBasePath: '/beta', reasoningContentInHistory: true },
  dashscope: { reasoningStyle: 'qwen', nonStreamingNeedsThinkingOff: true },
  moonshot: { reasoningStyle: 'none', reasoningContentInHistory: true },
  zai: { reasoningStyle: 'zai', reasoningContentInHistory: true },
  minimax: { reasoningStyle: 'none', thinkTags: true, baseRespErrors: true },
  mistral: { streamUsageOption: false, seedField: 'random_seed', toolCallIds: 'mistral', rejects: ['user'], topK: false, reasoningStyle: 'none' },
  groq: { reasoningStyle: 'openai' },
  generic: {},
};

function recognise(provider: ResolvedProvider): Known {
  let host = '';
  try {
    host = new URL(provider.baseURL).hostname;
  } catch {
    // validated at start; an odd URL just gets the defaults
  }
  const id = provider.id;
  if (host === 'api.openai.com' || id === 'openai') return 'openai';
  if (host === 'openrouter.ai' || id === 'openrouter') return 'openrouter';
  if (host.endsWith('deepseek.com') || id === 'deepseek') return 'deepseek';
  if (host.includes('dashscope') || id.startsWith('dashscope')) return 'dashscope';
  if (host.includes('moonshot') || id === 'moonshot') return 'moonshot';
  if (host === 'api.z.ai' || host === 'open.bigmodel.cn' || id === 'zai') return 'zai';
  if (host.includes('minimax') || host.includes('minimaxi') || id === 'minimax') return 'minimax';
  if (host === 'api.mistral.ai' || id === 'mistral') return 'mistral';
  if (host === 'api.groq.com' || id === 'groq') return 'groq';
  return 'generic';
}

export function quirksFor(provider: ResolvedProvider): OpenAICompatibleQuirks {
  return { ...DEFAULT_QUIRKS, ...KNOWN[recognise(provider)] };
}

/** Model-level restrictions that hold wherever the model runs. */
export function modelRejects(upstreamModel: string): readonly string[] {
  // DeepSeek's reasoner ignores the sampling parameters and errors on logprobs (api-docs.deepseek.com, reasoning model).
  if (/deepseek-reasoner|deepseek-r1/i.test(upstreamModel)) return ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs'];
  // OpenAI's reasoning models accept no sampling parameters.
  if (/^(o1|o3|o4|gpt-5)(?!.*chat)/i.test(upstreamModel)) return ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs'];
  return [];
}
