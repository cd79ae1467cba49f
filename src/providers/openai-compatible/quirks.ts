import type { ResolvedProvider } from '../../catalog/types.js';

/**
 * How one OpenAI-compatible host departs from OpenAI's own API. Hosts are recognised by provider id or by
 * the hostname of their base URL, so a config entry named "my-deepseek" pointing at api.deepseek.com still
 * gets DeepSeek's treatment.
 */
export interface OpenAICompatibleQuirks {
  /** The field that carries the output-token limit. OpenAI's newer models reject `max_tokens`. */
  tokenLimitField: 'max_tokens' | 'max_completion_tokens';
  /** Whether the host understands `stream_options.include_usage` (usage is always requested where it is). */
  streamUsageOption: boolean;
  /** Whether the host accepts the `developer` role; elsewhere it is sent as `system`. */
  developerRole: boolean;
}

const DEFAULT_QUIRKS: OpenAICompatibleQuirks = {
  tokenLimitField: 'max_tokens',
  streamUsageOption: true,
  developerRole: false,
};

const BY_HOSTNAME: Record<string, Partial<OpenAICompatibleQuirks>> = {
  'api.openai.com': { tokenLimitField: 'max_completion_tokens', developerRole: true },
  'openrouter.ai': { developerRole: true },
};

const BY_PROVIDER_ID: Record<string, Partial<OpenAICompatibleQuirks>> = {
  openai: BY_HOSTNAME['api.openai.com']!,
  openrouter: BY_HOSTNAME['openrouter.ai']!,
};

export function quirksFor(provider: ResolvedProvider): OpenAICompatibleQuirks {
  let hostname = '';
  try {
    hostname = new URL(provider.baseURL).hostname;
  } catch {
    // validated at start; an odd URL just gets the defaults
  }
  return { ...DEFAULT_QUIRKS, ...(BY_HOSTNAME[hostname] ?? BY_PROVIDER_ID[provider.id] ?? {}) };
}
