/** The gateway's one internal request language; every surface decodes into it, every adapter encodes from it. */

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

/** Anthropic-style prompt-cache breakpoint; carried to hosts that take it, a no-op elsewhere. */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
}

export interface ImagePart {
  type: 'image';
  /** An http(s) URL or a data: URL (`data:<media type>;base64,<data>`). */
  url: string;
  detail?: 'auto' | 'low' | 'high';
  cacheControl?: CacheControl;
}

/**
 * Reasoning state that must survive a round trip through the client, in OpenRouter's `reasoning_details` terms:
 * a reasoning text with its signature (Anthropic thinking), encrypted reasoning (Anthropic redacted thinking,
 * Gemini thought signatures; `id` names the tool call a Gemini signature belongs to), or a summary.
 */
export interface ReasoningDetail {
  type: 'reasoning.text' | 'reasoning.encrypted' | 'reasoning.summary';
  text?: string;
  signature?: string;
  data?: string;
  summary?: string;
  /** Who can read it back: `anthropic-claude-v1`, `google-gemini-v1`, `unknown`. */
  format?: string;
  id?: string;
  index?: number;
}

/** Reasoning controls, whatever dialect the client used (reasoning_effort, OpenRouter's reasoning, Anthropic's thinking). */
export interface ReasoningControl {
  /** false turns reasoning off where the model allows it. */
  enabled?: boolean;
  effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
  /** Token budget for reasoning (Anthropic budget_tokens, Gemini thinkingBudget). */
  maxTokens?: number;
  /** Reason, but do not return the reasoning to the client. */
  exclude?: boolean;
}

export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text exactly as the model produced it. */
  arguments: string;
}

export interface Message {
  role: Role;
  /** A plain string or typed parts; null for an assistant turn that only calls tools. */
  content: string | ContentPart[] | null;
  name?: string;
  /** Assistant turns: the tool calls it made. */
  toolCalls?: ToolCall[];
  /** Tool turns: the call this result answers. */
  toolCallId?: string;
  /** Assistant turns: reasoning text the model produced earlier (sent back by some clients). */
  reasoning?: string;
  /** Assistant turns: signed or encrypted reasoning to hand back to the host that produced it. */
  reasoningDetails?: ReasoningDetail[];
  /** Tool turns: the result reports a failure (Anthropic `is_error`). */
  isError?: boolean;
  /** Assistant turns: the message continues as a prefill (resumption, prefix completion). */
  prefix?: boolean;
}

export interface ToolDefinition {
  type: 'function';
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
  strict?: boolean;
  cacheControl?: CacheControl;
}

export type ToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { type: 'function'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema?: Record<string, unknown>; strict?: boolean; description?: string };

export interface ProviderHints {
  order?: string[];
  only?: string[];
  ignore?: string[];
  allowFallbacks?: boolean;
  sort?: 'price' | 'latency' | 'throughput';
  maxPrice?: { prompt?: number; completion?: number };
  dataCollection?: 'allow' | 'deny';
  zdr?: boolean;
  requireParameters?: boolean;
  quantizations?: string[];
}

export interface ChatRequest {
  /** The model the client asked for, as it wrote it. */
  model: string;
  /** OpenRouter-style fallback models, tried after `model`. */
  fallbackModels?: string[];
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  user?: string;
  frequencyPenalty?: number;
  presencePenalty?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  reasoning?: ReasoningControl;
  stream: boolean;
  /** The client asked for usage in the stream (stream_options.include_usage). */
  includeUsage: boolean;
  provider?: ProviderHints;
  /** Fields the gateway does not model, passed to hosts that accept them (top_k, enable_thinking, …). */
  extra: Record<string, unknown>;
}

export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encodingFormat?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  extra: Record<string, unknown>;
}
