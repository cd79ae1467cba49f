import type { ReasoningDetail, ToolCall } from './request.js';
import type { Usage } from './usage.js';

/** Unified finish reasons; the host's own value is kept beside it as `raw`. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'other';

export interface ChatResponse {
  /** The host's response id, when it sent one. */
  id?: string;
  created?: number;
  /** The model name the host reported. */
  upstreamModel?: string;
  systemFingerprint?: string;
  content: string | null;
  reasoning?: string;
  reasoningDetails?: ReasoningDetail[];
  refusal?: string | null;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  rawFinishReason?: string;
  /** The stop sequence that ended the answer, when the host says which. */
  stopSequence?: string;
  logprobs?: unknown;
  usage: Usage;
}

export interface EmbeddingsResponse {
  data: { index: number; embedding: number[] | string }[];
  upstreamModel?: string;
  usage: Usage;
}
