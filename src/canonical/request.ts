/** The gateway's one internal request language; every surface decodes into it, every adapter encodes from it. */

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image';
  /** An http(s) URL or a data: URL. */
  url: string;
  detail?: 'auto' | 'low' | 'high';
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
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  user?: string;
  frequencyPenalty?: number;
  presencePenalty?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  reasoningEffort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
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
