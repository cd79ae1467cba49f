/**
 * Providers the gateway knows without configuration: a config key equal to one of these ids inherits
 * its facts, and with no config file at all a provider is enabled when its usual API-key variable is set.
 * The model catalogue (models, prices, provenance) grows from this seed.
 */
export interface BuiltinProvider {
  id: string;
  company: string;
  type: 'openai-compatible' | 'anthropic' | 'gemini';
  baseURL: string;
  apiKeyEnv: string;
  /** Where inference runs (ISO 3166 alpha-2, or EU). */
  jurisdiction: string;
  /** Catalogue model id -> the name this host uses. */
  models: Record<string, string>;
}

export const BUILTIN_PROVIDERS: readonly BuiltinProvider[] = [
  {
    id: 'deepseek', company: 'DeepSeek', type: 'openai-compatible', baseURL: 'https://api.deepseek.com/v1',
    apiKeyEnv: 'DEEPSEEK_API_KEY', jurisdiction: 'CN',
    models: { 'deepseek/deepseek-v3.2': 'deepseek-chat' },
  },
  {
    id: 'dashscope-intl', company: 'Alibaba Cloud', type: 'openai-compatible',
    baseURL: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', apiKeyEnv: 'DASHSCOPE_API_KEY', jurisdiction: 'SG',
    models: { 'qwen/qwen3-235b-a22b': 'qwen3-235b-a22b', 'qwen/qwen3-30b-a3b': 'qwen3-30b-a3b', 'qwen/qwen3-max': 'qwen3-max' },
  },
  {
    id: 'moonshot', company: 'Moonshot AI', type: 'openai-compatible', baseURL: 'https://api.moonshot.ai/v1',
    apiKeyEnv: 'MOONSHOT_API_KEY', jurisdiction: 'CN',
    models: { 'moonshotai/kimi-k2': 'kimi-k2-0905-preview', 'moonshotai/kimi-k2-thinking': 'kimi-k2-thinking' },
  },
  {
    id: 'zai', company: 'Z.ai', type: 'openai-compatible', baseURL: 'https://api.z.ai/api/paas/v4',
    apiKeyEnv: 'ZAI_API_KEY', jurisdiction: 'SG',
    models: { 'z-ai/glm-4.6': 'glm-4.6', 'z-ai/glm-4.5': 'glm-4.5' },
  },
  {
    id: 'minimax', company: 'MiniMax', type: 'openai-compatible', baseURL: 'https://api.minimax.io/v1',
    apiKeyEnv: 'MINIMAX_API_KEY', jurisdiction: 'SG',
    models: { 'minimax/minimax-m2': 'MiniMax-M2' },
  },
  {
    id: 'mistral', company: 'Mistral AI', type: 'openai-compatible', baseURL: 'https://api.mistral.ai/v1',
    apiKeyEnv: 'MISTRAL_API_KEY', jurisdiction: 'FR',
    models: { 'mistralai/mistral-medium-3': 'mistral-medium-latest', 'mistralai/mistral-small-3.2': 'mistral-small-latest' },
  },
  {
    id: 'openai', company: 'OpenAI', type: 'openai-compatible', baseURL: 'https://api.openai.com/v1',
    apiKeyEnv: 'OPENAI_API_KEY', jurisdiction: 'US',
    models: { 'openai/gpt-5': 'gpt-5', 'openai/gpt-5-mini': 'gpt-5-mini', 'openai/gpt-4.1': 'gpt-4.1' },
  },
  {
    id: 'anthropic', company: 'Anthropic', type: 'anthropic', baseURL: 'https://api.anthropic.com',
    apiKeyEnv: 'ANTHROPIC_API_KEY', jurisdiction: 'US',
    models: { 'anthropic/claude-sonnet-4.5': 'claude-sonnet-4-5-20250929', 'anthropic/claude-haiku-4.5': 'claude-haiku-4-5-20251001' },
  },
  {
    id: 'google', company: 'Google', type: 'gemini', baseURL: 'https://generativelanguage.googleapis.com',
    apiKeyEnv: 'GEMINI_API_KEY', jurisdiction: 'US',
    models: { 'google/gemini-2.5-pro': 'gemini-2.5-pro', 'google/gemini-2.5-flash': 'gemini-2.5-flash' },
  },
  {
    id: 'openrouter', company: 'OpenRouter', type: 'openai-compatible', baseURL: 'https://openrouter.ai/api/v1',
    apiKeyEnv: 'OPENROUTER_API_KEY', jurisdiction: 'US',
    models: { 'deepseek/deepseek-v3.2': 'deepseek/deepseek-v3.2', 'qwen/qwen3-235b-a22b': 'qwen/qwen3-235b-a22b' },
  },
  {
    id: 'together', company: 'Together AI', type: 'openai-compatible', baseURL: 'https://api.together.xyz/v1',
    apiKeyEnv: 'TOGETHER_API_KEY', jurisdiction: 'US',
    models: { 'deepseek/deepseek-v3.2': 'deepseek-ai/DeepSeek-V3.2', 'openai/gpt-oss-120b': 'openai/gpt-oss-120b' },
  },
  {
    id: 'fireworks', company: 'Fireworks AI', type: 'openai-compatible', baseURL: 'https://api.fireworks.ai/inference/v1',
    apiKeyEnv: 'FIREWORKS_API_KEY', jurisdiction: 'US',
    models: { 'openai/gpt-oss-120b': 'accounts/fireworks/models/gpt-oss-120b' },
  },
  {
    id: 'deepinfra', company: 'DeepInfra', type: 'openai-compatible', baseURL: 'https://api.deepinfra.com/v1/openai',
    apiKeyEnv: 'DEEPINFRA_API_KEY', jurisdiction: 'US',
    models: { 'openai/gpt-oss-120b': 'openai/gpt-oss-120b' },
  },
  {
    id: 'groq', company: 'Groq', type: 'openai-compatible', baseURL: 'https://api.groq.com/openai/v1',
    apiKeyEnv: 'GROQ_API_KEY', jurisdiction: 'US',
    models: { 'openai/gpt-oss-120b': 'openai/gpt-oss-120b', 'openai/gpt-oss-20b': 'openai/gpt-oss-20b' },
  },
];

const byId = new Map(BUILTIN_PROVIDERS.map((p) => [p.id, p]));

export function builtinProvider(id: string): BuiltinProvider | undefined {
  return byId.get(id);
}
